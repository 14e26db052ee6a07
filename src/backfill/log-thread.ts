import type { ResourceLimits, Worker } from 'node:worker_threads';
import { startWorker } from '../worker-thread.js';
import type { Grid } from './emitter.js';
import type { SpooledFamily } from './openmetrics.js';
import type { LogSummary } from './replay.js';

/** One log to replay in a worker thread: its metrics' families spooled into `dir`. */
export interface LogJob {
  root: string;
  source: string;
  metrics: string[];
  grid: Grid;
  labels: { job: string; instance: string };
  maxLineBytes: number;
  dir: string;
}

export interface LogResult {
  summary: LogSummary;
  /** Metrics that could not be rendered on a rebuilt snapshot. */
  failed: string[];
  families: SpooledFamily[];
}

/**
 * A replay holds little (accumulators, series texts, one line), but V8 grows a heap towards its
 * default limit before collecting it, and peak memory is a goal: each thread gets a small heap,
 * with room for the longest line allowed (parsed, a line takes several times its size).
 */
function heapLimits(maxLineBytes: number, youngMb: number): ResourceLimits {
  return { maxYoungGenerationSizeMb: youngMb, maxOldGenerationSizeMb: 64 + Math.ceil((8 * maxLineBytes) / 2 ** 20) };
}
// Every parsed line is garbage soon after, and a 4 MB nursery spent a third of the replay copying
// the reorder window's lines from scavenge to scavenge; 24 MB costs about 30 MB of peak RSS.
const YOUNG_MB = 24;

export type WorkerMessage = { bytes: number } | { replayed: LogResult } | { written: true };
/** Write this family (spooled by any thread) at this position of the output file. */
export type MainMessage = { write: { fd: number; family: SpooledFamily; at: number } };

/**
 * A log replayed in a worker thread of its own, so the logs of a workspace (each one
 * parse-bound) replay side by side; the thread then writes families into the output where it
 * is told, its own or another's, so the writing is shared out evenly.
 */
export class LogThread {
  private readonly worker: Worker;
  private failure: Error | undefined;
  private readonly waiting = new Set<(m: WorkerMessage | Error) => void>();
  readonly replayed: Promise<LogResult>;

  constructor(job: LogJob, onBytes: (n: number) => void) {
    this.worker = startWorker(import.meta.url, 'log-worker', job, heapLimits(job.maxLineBytes, YOUNG_MB));
    this.worker.on('message', (m: WorkerMessage) => ('bytes' in m ? onBytes(m.bytes) : this.waiting.forEach((w) => w(m))));
    const fail = (err: Error) => {
      this.failure ??= err;
      this.waiting.forEach((w) => w(err));
    };
    this.worker.once('error', fail);
    this.worker.once('exit', (code) => fail(new Error(`backfill: the ${job.source} replay stopped (exit code ${code})`)));
    this.replayed = this.next((m) => ('replayed' in m ? m.replayed : undefined));
    // Awaited later: a failure before then is not an unhandled rejection.
    this.replayed.catch(() => undefined);
  }

  /** Writes a family, whichever thread spooled it, at `at` (from placeFamilies). */
  async write(fd: number, family: SpooledFamily, at: number): Promise<void> {
    const written = this.next((m) => ('written' in m ? true : undefined));
    this.worker.postMessage({ write: { fd, family, at } } satisfies MainMessage);
    await written;
  }

  async stop(): Promise<void> {
    await this.worker.terminate();
  }

  private next<T>(pick: (m: WorkerMessage) => T | undefined): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      const w = (m: WorkerMessage | Error) => {
        if (m instanceof Error) reject(m);
        else {
          const v = pick(m);
          if (v === undefined) return;
          resolve(v);
        }
        this.waiting.delete(w);
      };
      this.waiting.add(w);
    });
  }
}
