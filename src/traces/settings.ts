import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, type Config } from '../config.js';
import { otlpProtocol, otlpSignalOn, positiveInt, type OtlpProtocol } from '../otel-env.js';
import { PositionsError, readPositions, type TracePositions } from './positions.js';

export interface TracesSettings {
  protocol: OtlpProtocol;
  /** The batch processor's bounds (OTEL_BSP_*): beyond maxQueueSize spans are dropped and counted. */
  maxQueueSize: number;
  maxExportBatchSize: number;
  scheduledDelayMs: number;
  exportTimeoutMs: number;
  /** WVO_TRACES_STATE_FILE, and what it held at start (undefined: absent, a first run). */
  stateFile?: { file: string; saved?: TracePositions };
}

/**
 * Traces are sent when an OTLP endpoint (general or traces) is set and OTEL_TRACES_EXPORTER is
 * not `none`; undefined otherwise. Endpoint, headers, timeout, compression and certificates are
 * read by the OTLP exporter itself; the values it would only warn about are checked here.
 */
export function tracesSettings(env: NodeJS.ProcessEnv, config: Pick<Config, 'tracesStateFile'>): TracesSettings | undefined {
  if (!otlpSignalOn(env, 'TRACES')) return undefined;
  const protocol = otlpProtocol(env, 'TRACES');
  const maxQueueSize = positiveInt('OTEL_BSP_MAX_QUEUE_SIZE', env.OTEL_BSP_MAX_QUEUE_SIZE, 2048, 'spans');
  const maxExportBatchSize = Math.min(maxQueueSize, positiveInt('OTEL_BSP_MAX_EXPORT_BATCH_SIZE', env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE, 512, 'spans'));
  const scheduledDelayMs = positiveInt('OTEL_BSP_SCHEDULE_DELAY', env.OTEL_BSP_SCHEDULE_DELAY, 5000);
  const exportTimeoutMs = positiveInt('OTEL_BSP_EXPORT_TIMEOUT', env.OTEL_BSP_EXPORT_TIMEOUT, 30_000);
  return { protocol, maxQueueSize, maxExportBatchSize, scheduledDelayMs, exportTimeoutMs, stateFile: stateFile(config.tracesStateFile) };
}

function stateFile(file: string | undefined): TracesSettings['stateFile'] {
  if (file === undefined) return undefined;
  const abs = path.resolve(file);
  const dir = path.dirname(abs);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ConfigError('WVO_TRACES_STATE_FILE', file, `its directory ${dir} does not exist`);
  try {
    return { file: abs, saved: readPositions(abs) };
  } catch (err) {
    if (err instanceof PositionsError) throw new ConfigError('WVO_TRACES_STATE_FILE', file, err.message);
    throw err;
  }
}
