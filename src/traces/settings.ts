import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, type Config } from '../config.js';
import { otlpProtocol, otlpSignalOn, positiveInt, type OtlpProtocol } from '../otel-env.js';
import { taskLogFiles } from './log-files.js';
import { PositionsError, readPositions, type TracePositions } from './positions.js';

/**
 * Why saved positions were not resumed from. `foreign`: they name none of the logs' files (another
 * workspace's, or logs restored from a backup, which gives new inodes): resuming would take every
 * log whole for new lines. `backlog`: more is unsent than the queue could take at once (the lines
 * read since them go out in one poll), so most would be dropped and all held in memory first.
 */
export type Discarded = { reason: 'foreign' } | { reason: 'backlog'; bytes: number; budget: number };

/** Bytes of log per span the queue holds, for the backlog budget: lines are mostly well under 2 KB. */
const BACKLOG_BYTES_PER_SPAN = 2048;

export interface TracesSettings {
  protocol: OtlpProtocol;
  /** The batch processor's bounds (OTEL_BSP_*): beyond maxQueueSize spans are dropped and counted. */
  maxQueueSize: number;
  maxExportBatchSize: number;
  scheduledDelayMs: number;
  exportTimeoutMs: number;
  /** WVO_TRACES_STATE_FILE, and what it held at start (undefined: absent, a first run, or discarded). */
  stateFile?: { file: string; saved?: TracePositions; discarded?: Discarded };
}

/**
 * Traces are sent when an OTLP endpoint (general or traces) is set and OTEL_TRACES_EXPORTER is
 * not `none`; undefined otherwise. Endpoint, headers, timeout, compression and certificates are
 * read by the OTLP exporter itself; the values it would only warn about are checked here.
 */
export function tracesSettings(env: NodeJS.ProcessEnv, config: Pick<Config, 'tracesStateFile' | 'workspaceRoot'>): TracesSettings | undefined {
  if (!otlpSignalOn(env, 'TRACES')) return undefined;
  const protocol = otlpProtocol(env, 'TRACES');
  const maxQueueSize = positiveInt('OTEL_BSP_MAX_QUEUE_SIZE', env.OTEL_BSP_MAX_QUEUE_SIZE, 2048, 'spans');
  const maxExportBatchSize = Math.min(maxQueueSize, positiveInt('OTEL_BSP_MAX_EXPORT_BATCH_SIZE', env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE, 512, 'spans'));
  const scheduledDelayMs = positiveInt('OTEL_BSP_SCHEDULE_DELAY', env.OTEL_BSP_SCHEDULE_DELAY, 5000);
  const exportTimeoutMs = positiveInt('OTEL_BSP_EXPORT_TIMEOUT', env.OTEL_BSP_EXPORT_TIMEOUT, 30_000);
  return { protocol, maxQueueSize, maxExportBatchSize, scheduledDelayMs, exportTimeoutMs, stateFile: stateFile(config.tracesStateFile, config.workspaceRoot, maxQueueSize * BACKLOG_BYTES_PER_SPAN) };
}

function stateFile(file: string | undefined, workspaceRoot: string, budget: number): TracesSettings['stateFile'] {
  if (file === undefined) return undefined;
  const abs = path.resolve(file);
  const dir = path.dirname(abs);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ConfigError('WVO_TRACES_STATE_FILE', file, `its directory ${dir} does not exist`);
  try {
    const saved = readPositions(abs);
    if (!saved) return { file: abs };
    const files = taskLogFiles(workspaceRoot);
    const keys = Object.keys(saved.positions);
    if (keys.length > 0 && !keys.some((k) => files.has(k))) return { file: abs, discarded: { reason: 'foreign' } };
    // Files not in the positions are read whole on resume.
    let bytes = 0;
    for (const [key, size] of files) bytes += Math.max(0, size - (saved.positions[key] ?? 0));
    if (bytes > budget) return { file: abs, discarded: { reason: 'backlog', bytes, budget } };
    return { file: abs, saved };
  } catch (err) {
    if (err instanceof PositionsError) throw new ConfigError('WVO_TRACES_STATE_FILE', file, err.message);
    throw err;
  }
}
