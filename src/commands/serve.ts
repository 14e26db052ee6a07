import { loadConfig, type Config } from '../config.js';
import { startExporter, type RunningExporter } from '../exporter.js';
import { HELP_FLAG, loadOrReport, parseFlags, variablesHelp, type ParsedFlags } from '../flags.js';
import { createLogger, type Logger } from '../logger.js';
import { otlpSettings } from '../metrics/otlp.js';
import { tracesSettings } from '../traces/settings.js';
import type { OtelSettings } from '../exporter.js';

const SHUTDOWN_DEADLINE_MS = 5000;

/** The configuration from the environment with the flags on top; undefined (exit 2) after reporting a bad value. */
export const configFrom = (flags: ParsedFlags, command = 'wvo-exporter') =>
  loadOrReport(flags, command, (env) => {
    const config = loadConfig(env);
    return { config, otel: { metrics: otlpSettings(env), traces: tracesSettings(env, config) } satisfies OtelSettings };
  });

export interface ServeHooks {
  listening?(exporter: RunningExporter): void;
  /** Runs after the exporter stopped, within the same deadline (e.g. the demo's simulator). */
  afterStop?(): Promise<void>;
}

/** Runs the exporter until SIGINT/SIGTERM, then stops it within the shutdown deadline. Resolves with the exit code. */
export async function serveUntilSignal(config: Config, otel: OtelSettings, hooks: ServeHooks = {}): Promise<number> {
  const logger = createLogger(config.logLevel);
  const exporter = await startExporter(config, logger, otel);
  hooks.listening?.(exporter);
  return waitForSignal(logger, async () => {
    await exporter.stop();
    await hooks.afterStop?.();
  });
}

/** Resolves with 0 once stop() finished after the first SIGINT/SIGTERM, 1 when it failed or overran the deadline. */
export function waitForSignal(logger: Logger, stop: () => Promise<void>): Promise<number> {
  return new Promise((resolve) => {
    const shutdown = (signal: string) => {
      logger.info({ signal }, 'shutting down');
      setTimeout(() => {
        logger.error('shutdown took too long; exiting');
        resolve(1);
      }, SHUTDOWN_DEADLINE_MS).unref();
      stop().then(
        () => resolve(0),
        (err: Error) => {
          logger.error({ err: err.message }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  });
}

export async function run(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, HELP_FLAG);
  if (flags.values.help) {
    process.stdout.write(`Usage: wvo-exporter [serve] [flags]\n\nRuns the exporter.\n\nFlags:\n${variablesHelp()}\n`);
    return 0;
  }
  const loaded = configFrom(flags);
  if (!loaded) return 2;
  return serveUntilSignal(loaded.config, loaded.otel);
}
