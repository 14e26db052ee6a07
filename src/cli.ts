#!/usr/bin/env node
import { ConfigError, loadConfig } from './config.js';
import { startExporter } from './exporter.js';
import { createLogger } from './logger.js';
import { otlpSettings } from './metrics/otlp.js';

const SHUTDOWN_DEADLINE_MS = 5000;

async function main(): Promise<void> {
  let config, otlp;
  try {
    config = loadConfig();
    otlp = otlpSettings();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`wvo-exporter: configuration error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  const exporter = await startExporter(config, logger, otlp);

  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    exporter.stop().then(
      () => process.exit(0),
      (err: Error) => {
        logger.error({ err: err.message }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

const fail = (err: Error) => {
  process.stderr.write(`wvo-exporter: ${err.stack ?? err.message}\n`);
  process.exit(1);
};
// Subcommands live in src/commands/<name>.ts; no subcommand serves.
if (process.argv[2] === 'backfill') {
  import('./commands/backfill.js').then((m) => m.run(process.argv.slice(3))).then((code) => process.exit(code), fail);
} else {
  main().catch(fail);
}
