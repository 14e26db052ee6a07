import type { Logger } from 'pino';
import type { Snapshot } from '../collector/snapshot.js';
import type { TaskEventBatch } from '../collector/task-events.js';
import { TaskClosures } from './closures.js';
import { writePositions } from './positions.js';
import type { TracesSettings } from './settings.js';
import { decisionSpan, executionSpan, rootSpan, type SpanRecord } from './spans.js';

/** Where spans go: the SDK pipeline in the exporter, a recorder in tests. */
export interface SpanSink {
  send(record: SpanRecord, settled: () => void): void;
}

/** The positions file is written at most this often (and at shutdown): a crash re-sends at most this much. */
const SAVE_EVERY_MS = 1000;

interface Checkpoint {
  positions: Record<string, number>;
  outstanding: number;
}

/**
 * Turns task events and snapshots into spans: one per execution and decision line, a root per task
 * when it closes. Each line is sent once per run (a per-file high-water offset, which a rotation
 * keeps since the file keeps its identity), and with a positions file the positions of a poll are
 * saved once every span handed in up to that poll is settled, so a restart resumes after them.
 */
export class TaskTracer {
  private readonly closures: TaskClosures;
  private readonly sentUpTo = new Map<string, number>();
  private readonly checkpoints: Checkpoint[] = [];
  /** The positions of the newest poll whose spans (and every earlier poll's) are settled: what the file may record. */
  private settledPositions?: Record<string, number>;
  /** Roots handed to the sink and not settled yet: left out of the saved roots until they are. */
  private readonly unsettledRoots = new Set<string>();
  private saving: Promise<void> = Promise.resolve();
  /**
   * What the file holds (or is being written with): the positions, and the roots as of a closures
   * version and a count of unsettled roots (between two versions that count only goes down).
   */
  private saved?: { positions: Record<string, number>; closures: number; unsettled: number };
  private lastWriteAt = 0;
  private pending?: NodeJS.Timeout;

  constructor(
    private readonly workspace: string,
    private readonly sink: SpanSink,
    private readonly settings: Pick<TracesSettings, 'stateFile'>,
    private readonly logger: Logger,
  ) {
    const saved = settings.stateFile?.saved;
    this.settledPositions = saved?.positions;
    for (const [key, offset] of Object.entries(saved?.positions ?? {})) this.sentUpTo.set(key, offset);
    this.closures = new TaskClosures(saved ? saved.roots : 'baseline');
  }

  /** Where the Collector should start its task events: after the saved positions, else at the end of the logs. */
  get from(): 'start' | Record<string, number> {
    return this.settings.stateFile?.saved?.positions ?? 'start';
  }

  onTaskEvents(batch: TaskEventBatch): void {
    const cp = this.checkpoint(batch.positions);
    for (const e of batch.events) {
      const { ref } = e;
      const upTo = this.sentUpTo.get(ref.fileKey);
      if (upTo !== undefined && ref.offset < upTo) continue;
      this.sentUpTo.set(ref.fileKey, ref.offset + ref.length);
      const record = e.kind === 'execution' ? executionSpan(this.workspace, e, ref) : decisionSpan(this.workspace, e, ref);
      this.closures.observe(e.taskId, record.startMs, record.endMs);
      this.send(cp, record);
    }
    // Files gone from the logs (an archive deleted) are forgotten, so the map stays bounded.
    for (const key of this.sentUpTo.keys()) if (!(key in batch.positions)) this.sentUpTo.delete(key);
    this.release(cp);
  }

  /** Emits the root span of every task that closed since the last snapshot. */
  onSnapshot(snapshot: Snapshot): void {
    const before = this.closures.version;
    const closed = this.closures.take(snapshot);
    if (this.closures.version === before) return;
    for (const c of closed) {
      this.unsettledRoots.add(c.taskId);
      this.sink.send(rootSpan(this.workspace, c), () => {
        this.unsettledRoots.delete(c.taskId);
        this.save();
      });
    }
    // The roots known closed changed (a baseline, a root sent, a task reopened): saved with the settled positions.
    this.save();
  }

  private checkpoint(positions: Record<string, number>): Checkpoint {
    // One extra count held until the poll's spans are all handed in.
    const cp = { positions, outstanding: 1 };
    this.checkpoints.push(cp);
    return cp;
  }

  private send(cp: Checkpoint, record: SpanRecord): void {
    cp.outstanding++;
    this.sink.send(record, () => this.release(cp));
  }

  private release(cp: Checkpoint): void {
    cp.outstanding--;
    let done: Checkpoint | undefined;
    while (this.checkpoints.length > 0 && this.checkpoints[0]!.outstanding === 0) done = this.checkpoints.shift();
    if (!done) return;
    this.settledPositions = done.positions;
    this.save();
  }

  /** Schedules a write of the settled positions and roots, coalesced to one per SAVE_EVERY_MS. */
  private save(): void {
    // Nothing settled yet: writing empty positions would make the next run read every log whole.
    if (!this.settings.stateFile || !this.settledPositions || this.pending) return;
    const saved = this.saved;
    if (saved?.positions === this.settledPositions && saved.closures === this.closures.version && saved.unsettled === this.unsettledRoots.size) return;
    this.pending = setTimeout(() => this.write(), Math.max(0, this.lastWriteAt + SAVE_EVERY_MS - Date.now()));
    this.pending.unref();
  }

  private write(): void {
    clearTimeout(this.pending);
    this.pending = undefined;
    const state = this.settings.stateFile!;
    const doc = { positions: this.settledPositions!, roots: this.closures.roots().filter((t) => !this.unsettledRoots.has(t)) };
    this.saved = { positions: doc.positions, closures: this.closures.version, unsettled: this.unsettledRoots.size };
    this.lastWriteAt = Date.now();
    this.saving = this.saving.then(() =>
      writePositions(state.file, doc).catch((err: Error) => this.logger.warn({ err: err.message, file: state.file }, 'cannot write the traces positions file')),
    );
  }

  /** Resolves when the positions of every settled poll are on disk (a write waiting for its turn goes now). */
  flushed(): Promise<void> {
    if (this.pending) this.write();
    return this.saving;
  }
}
