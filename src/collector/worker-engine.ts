import type { Worker } from 'node:worker_threads';
import { startWorker } from '../worker-thread.js';
import { InlineEngine, type EngineOptions, type LogPoll, type SourceEngine, type TaskLookup } from './engine.js';
import type { FileIdentity } from './files.js';
import type { LineIndexStats } from './line-index.js';
import type { Request } from './worker.js';

/** JSON documents smaller than this parse on the main thread: a round trip to a worker would cost more. */
export const INLINE_DOCUMENT_BYTES = 16 * 1024;
/** Up to this size a JSON document parses on the main thread when no worker is idle, rather than queue behind a log. */
export const BUSY_INLINE_DOCUMENT_BYTES = 256 * 1024;
// YAML parses at a few MB/s: even a 150 KB roadmap would hold the event loop for ~100 ms.
const isYaml = (path: string) => /\.ya?ml$/.test(path);

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

// A small young generation: parsing allocates short-lived garbage fast, and the default
// semi-spaces would add tens of MB of RSS per worker without making the cold start faster.
const LIMITS = { maxYoungGenerationSizeMb: 2 };

/**
 * Parses logs and large documents in worker threads so the event loop that serves HTTP never
 * waits on JSON or YAML parsing, and the two logs are read in parallel on two cores. Each log
 * is pinned to one worker, which holds its tail position and accumulator.
 */
export class WorkerEngine implements SourceEngine {
  private readonly inline: InlineEngine;
  private readonly workers: { worker: Worker; inflight: number }[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly logWorker = new Map<string, number>();
  private seq = 0;
  private closed = false;
  /** With task events on: the last positions each log reported, so a replacement worker resumes there. */
  private readonly positions = new Map<string, Record<string, number>>();

  constructor(
    private readonly options: EngineOptions,
    logIds: readonly string[],
    size = 2,
  ) {
    this.inline = new InlineEngine(options);
    for (let i = 0; i < size; i++) this.workers.push({ worker: this.start(i), inflight: 0 });
    logIds.forEach((id, i) => this.logWorker.set(id, i % size));
  }

  initialView(id: string): unknown {
    return this.inline.initialView(id);
  }

  async loadDocument(id: string, size: number): Promise<{ value: unknown; identity: FileIdentity }> {
    const yaml = isYaml(this.inline.pathOf(id));
    const idle = this.workers.findIndex((w) => w.inflight === 0);
    if (!yaml && (size < INLINE_DOCUMENT_BYTES || (idle === -1 && size < BUSY_INLINE_DOCUMENT_BYTES))) return this.inline.loadDocument(id);
    // Otherwise an idle worker, else the least busy; ties go to the last worker, as the first holds
    // the busiest log (the registry lists it first).
    const target = idle !== -1 ? idle : this.workers.reduce((best, w, i) => (w.inflight <= this.workers[best]!.inflight ? i : best), 0);
    return this.call(target, 'loadDocument', [id]) as Promise<{ value: unknown; identity: FileIdentity }>;
  }

  async pollLog(id: string, current: FileIdentity | null): Promise<LogPoll> {
    const poll = (await this.call(this.logWorker.get(id)!, 'pollLog', [id, current])) as LogPoll;
    if (poll.taskEvents) this.positions.set(id, poll.taskEvents.positions);
    return poll;
  }

  /** Asked of the worker that holds the log, its index and its files: the lines are read there. */
  taskEvents(id: string, taskId: string): Promise<TaskLookup> {
    const worker = this.logWorker.get(id);
    if (worker === undefined) return Promise.resolve({ events: [], partial: false });
    return this.call(worker, 'taskEvents', [id, taskId]) as Promise<TaskLookup>;
  }

  indexStats(id: string): Promise<LineIndexStats | undefined> {
    const worker = this.logWorker.get(id);
    return worker === undefined ? Promise.resolve(undefined) : (this.call(worker, 'indexStats', [id]) as Promise<LineIndexStats | undefined>);
  }

  async close(): Promise<void> {
    // Idempotent: a terminated worker would never answer a second close.
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.workers.map((_, i) => this.call(i, 'close', []).catch(() => undefined)));
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
    await this.inline.close();
  }

  private start(index: number): Worker {
    const worker = startWorker(import.meta.url, 'worker', this.workerOptions(), LIMITS);
    worker.unref();
    worker.on('message', ({ seq, result, error }: { seq: number; result?: unknown; error?: { message: string; partial?: unknown } }) => {
      const p = this.pending.get(seq);
      if (!p) return;
      this.pending.delete(seq);
      this.workers[index]!.inflight--;
      if (error) p.reject(Object.assign(new Error(error.message), { partial: error.partial }));
      else p.resolve(result);
    });
    worker.on('error', () => undefined);
    worker.on('exit', () => {
      if (this.closed) return;
      // A crashed worker loses its tails; a new one reads the logs afresh (a counter reset).
      for (const [seq, p] of this.pending) {
        if ((seq & 7) === index) {
          this.pending.delete(seq);
          p.reject(new Error('parser worker exited'));
        }
      }
      this.workers[index] = { worker: this.start(index), inflight: 0 };
    });
    return worker;
  }

  /** A worker started after a crash emits task events from where its predecessor stopped, not from its own start. */
  private workerOptions(): EngineOptions {
    if (!this.options.taskEvents || this.positions.size === 0) return this.options;
    return { ...this.options, taskEvents: { from: Object.assign({}, ...this.positions.values()) } };
  }

  private call(index: number, op: Request['op'], args: unknown[]): Promise<unknown> {
    // The low three bits of seq name the worker, so a crash can fail just its own requests.
    const seq = (++this.seq << 3) | index;
    const w = this.workers[index]!;
    w.inflight++;
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      w.worker.postMessage({ seq, op, args } satisfies Request);
    });
  }
}
