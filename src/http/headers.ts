import helmet from 'helmet';
import type { Config } from '../config.js';

export type HeaderList = readonly (readonly [string, string])[];

const helmetOptions = {
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
};

/** The headers helmet sets with our options, captured once (they do not depend on the request). */
function helmetHeaders(): HeaderList {
  const headers: [string, string][] = [];
  const res = {
    setHeader: (name: string, value: unknown) => void headers.push([name, String(value)]),
    removeHeader: () => {},
  };
  helmet(helmetOptions)({} as never, res as never, () => {});
  return headers;
}

/**
 * Headers on every answer, whichever path serves it: no-store, CORS and helmet's security headers,
 * with the web config's http_server_config.headers replacing those of the same name.
 */
export function commonHeaders(config: Config): HeaderList {
  const extra = config.webConfig?.headers ?? [];
  const replaced = new Set(extra.map(([name]) => name.toLowerCase()));
  return [...baseHeaders(config).filter(([name]) => !replaced.has(name.toLowerCase())), ...extra];
}

function baseHeaders(config: Config): HeaderList {
  return [
    ['Cache-Control', 'no-store'],
    ['Access-Control-Allow-Origin', config.corsOrigin],
    ...(config.corsOrigin === '*' ? [] : [['Vary', 'Origin'] as const]),
    ...helmetHeaders(),
  ];
}
