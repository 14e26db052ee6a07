import type { Logger } from 'pino';
import type { TraceStats } from './pipeline.js';
import type { TracesSettings } from './settings.js';
import type { TaskTracer } from './tracer.js';

export interface RunningTraces {
  readonly tracer: TaskTracer;
  readonly stats: TraceStats;
  /** Exports what is queued (within a deadline), then saves the positions. */
  shutdown(): Promise<void>;
}

/** Loads the trace SDK only when traces are on: off, it costs neither start-up time nor memory. */
export async function startTraces(settings: TracesSettings, workspace: string, logger: Logger): Promise<RunningTraces> {
  const { startTracing } = await import('./otlp-traces.js');
  return startTracing(settings, workspace, logger);
}
