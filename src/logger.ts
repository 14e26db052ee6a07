import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level = 'info'): Logger {
  return pino({
    level,
    base: { service: 'wvo-exporter' },
    // Tokens must never reach the logs, whatever a caller passes.
    redact: { paths: ['token', '*.token', 'headers.authorization', 'req.headers.authorization'], remove: false, censor: '[redacted]' },
  });
}

export const silentLogger: Logger = pino({ level: 'silent' });
