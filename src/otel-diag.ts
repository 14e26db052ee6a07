import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import type { Logger } from 'pino';

/** Sends OTel SDK diagnostics to our logger instead of the console. */
function diagLogger(logger: Logger): DiagLogger {
  return {
    error: (msg, ...args) => logger.error({ otel: args.map(String) }, msg),
    warn: (msg, ...args) => logger.warn({ otel: args.map(String) }, msg),
    info: (msg) => logger.debug(msg),
    debug: () => {},
    verbose: () => {},
  };
}

/** Routes the OTel API's diagnostics (warnings and up) to the logger; the metrics push and the traces share it. */
export function routeDiagnostics(logger: Logger): void {
  diag.setLogger(diagLogger(logger), { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
}
