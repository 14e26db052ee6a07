import type { Logger } from 'pino';
import { loadWebConfig, type WebConfig } from './web-config.js';
import type { Authenticator } from './auth.js';
import { onFilesChanged } from './file-poll.js';

export const WEB_CONFIG_POLL_MS = 1000;

/**
 * Re-reads `basic_auth_users` when the web config file changes, as exporter-toolkit does (it
 * reads the file per request): adding a user or changing a password needs no restart. A file
 * that does not load, or that would leave no users (turning authentication off), keeps the
 * previous users; the other keys take effect at the next start.
 */
export function reloadBasicAuthUsers(webConfig: WebConfig, auth: Authenticator, logger: Logger): () => void {
  const file = webConfig.file;
  let current = JSON.stringify(webConfig.basicAuthUsers);
  return onFilesChanged([file], WEB_CONFIG_POLL_MS, () => {
    let users: Readonly<Record<string, string>> | undefined;
    try {
      users = loadWebConfig(file).basicAuthUsers;
    } catch (err) {
      return logger.warn({ file, err: (err as Error).message }, 'web config file changed but cannot be used: still using the previous basic_auth_users');
    }
    if (!users) return logger.warn({ file }, 'web config file changed and has no basic_auth_users: still using the previous ones (turning basic auth off needs a restart)');
    const next = JSON.stringify(users);
    if (next === current) return;
    auth.replaceBasicUsers(users);
    current = next;
    logger.info({ file, users: Object.keys(users).length }, 'basic_auth_users reloaded');
  });
}
