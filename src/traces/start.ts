import type { Logger } from 'pino';
import type { Snapshot } from '../collector/snapshot.js';
import type { TaskEventBatch } from '../collector/task-events.js';
import type { TraceStats } from './pipeline.js';
import type { TracesSettings } from './settings.js';
import type { TaskTracer } from './tracer.js';

export interface RunningTraces {
  readonly tracer: TaskTracer;
  readonly stats: TraceStats;
  /** Exports what is queued (within a deadline), then saves the positions. */
  shutdown(): Promise<void>;
}

/** The exporter's side of the traces: fed by the Collector from the start, the trace SDK loaded later. */
export interface Traces {
  /** Where the Collector starts its task events: after the saved positions, else at the end of the logs. */
  readonly from: 'start' | Record<string, number>;
  readonly stats: TraceStats;
  onTaskEvents(batch: TaskEventBatch): void;
  onSnapshot(snapshot: Snapshot): void;
  /** Loads the trace SDK and hands it what arrived meanwhile. */
  load(): Promise<void>;
  shutdown(): Promise<void>;
}

const ZERO: TraceStats = Object.freeze({ exported: 0, dropped: Object.freeze({ queue_full: 0, export_failed: 0 }) }) as TraceStats;

/**
 * Traces whose SDK is loaded only when `load()` is called, after the first collection: loading it
 * (about 10 MB) during the cold start's parse would stack on that peak. Until then the polls' task
 * events are held (the first poll's only: nothing after the end of the logs, or the backlog since
 * the saved positions, which the settings bound) with the latest snapshot.
 */
export function createTraces(settings: TracesSettings, workspace: string, logger: Logger): Traces {
  const discarded = settings.stateFile?.discarded;
  if (discarded?.reason === 'foreign') {
    logger.warn({ file: settings.stateFile!.file }, 'the traces positions file names none of the logs\' files (another workspace, or logs restored from a backup): starting at the end of the logs');
  } else if (discarded) {
    logger.warn(
      { file: settings.stateFile!.file, unsentBytes: discarded.bytes, budgetBytes: discarded.budget },
      'more was logged since the traces positions than the span queue (OTEL_BSP_MAX_QUEUE_SIZE) could take at once: starting at the end of the logs',
    );
  }
  let running: RunningTraces | undefined;
  let loading: Promise<void> | undefined;
  let held: TaskEventBatch[] = [];
  let heldSnapshot: Snapshot | undefined;
  return {
    from: settings.stateFile?.saved?.positions ?? 'start',
    get stats() {
      return running?.stats ?? ZERO;
    },
    onTaskEvents: (batch) => (running ? running.tracer.onTaskEvents(batch) : held.push(batch)),
    onSnapshot: (snapshot) => (running ? running.tracer.onSnapshot(snapshot) : (heldSnapshot = snapshot)),
    load: () =>
      (loading ??= (async () => {
        try {
          const { startTracing } = await import('./otlp-traces.js');
          running = startTracing(settings, workspace, logger);
        } catch (err) {
          logger.error({ err: (err as Error).message }, 'OTLP traces could not start');
        }
        const batches = held;
        held = [];
        for (const b of batches) running?.tracer.onTaskEvents(b);
        if (heldSnapshot) running?.tracer.onSnapshot(heldSnapshot);
        heldSnapshot = undefined;
      })()),
    shutdown: async () => {
      await loading;
      await running?.shutdown();
    },
  };
}
