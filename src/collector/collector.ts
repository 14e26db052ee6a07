import { EventEmitter } from 'node:events';
import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { Histogram, type HistogramData } from '../sources/aggregate.js';
import { sources as allSources, type AnySource, type SourceId, type SourceValues } from '../sources/registry.js';
import type { DocumentSource, LogSource } from '../sources/source.js';
import { dirChanged, parseArchiveGlob } from './archives.js';
import { InlineEngine, type SourceEngine, type TaskLookup } from './engine.js';
import type { LineIndexStats } from './line-index.js';
import { sameIdentity, statFile, statFileSync, type FileIdentity } from './files.js';
import type { Snapshot, SourceStatus } from './snapshot.js';
import { isTaskEventSource, type TaskEventBatch, type TaskEventsOption } from './task-events.js';
import { WorkerEngine } from './worker-engine.js';

const sameStatus = (a: Slot['status'], b: Slot['status']) =>
  a.present === b.present && a.up === b.up && a.errors === b.errors && a.badLines === b.badLines && a.lastChangeMs === b.lastChangeMs && a.lastError === b.lastError;

export const CYCLE_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] as const;

export interface CollectorOptions {
  workspaceRoot: string;
  logger: Logger;
  maxLineBytes: number;
  /** The stat backstop: every source is checked at least this often. */
  pollIntervalMs: number;
  /** Watch directories for push-on-change (the poll stays as a backstop). */
  watch: boolean;
  /** Coalesces a burst of watch events into one refresh. */
  debounceMs?: number;
  /**
   * A watch event starts a cycle no sooner than this after the previous one a watch event started, so files
   * that change all the time make at most 1000/minCycleGapMs snapshots a second (each one is
   * rendered again by every projection read), not one per write.
   */
  minCycleGapMs?: number;
  sources?: readonly AnySource[];
  /** Worker threads for parsing logs and large documents (the exporter uses them); 0 or unset: inline. */
  parseWorkers?: number;
  /**
   * Emit `taskEvents` with the execution and decision lines read (rotated archives included) as
   * located task events, and the byte offset consumed per file: from the lines read after the
   * first poll (`'start'`), or from saved positions. Off unless set.
   */
  taskEvents?: TaskEventsOption;
}

interface Slot {
  source: AnySource;
  status: Omit<SourceStatus, 'id' | 'path'> & { id: SourceId; path: string };
  value: unknown;
  identity: FileIdentity | null;
  /** For logs: what the engine has consumed so far. */
  position?: { file: FileIdentity | null; offset: number };
  /** For logs with archives: the archive directory's path, and its stat as of the last poll (a change means a new archive). */
  archivePath?: string;
  archiveDir?: FileIdentity | null;
  /** With task events on: the log has been polled once (its baseline taken), and its latest positions. */
  polled?: boolean;
  taskPositions?: Record<string, number>;
}

/**
 * Owns change detection (stat per file, directory watches) and turns the sources into one
 * immutable snapshot. Refreshes are single-flight: callers arriving during a refresh share the
 * next one instead of starting their own.
 */
export class Collector extends EventEmitter<{ snapshot: [Snapshot]; taskEvents: [TaskEventBatch] }> {
  private current: Snapshot | undefined;
  private readonly slots: Slot[];
  private inflight: Promise<Snapshot> | null = null;
  private queued: Promise<Snapshot> | null = null;
  private readonly cycles = new Histogram(CYCLE_BUCKETS);
  private lastCycleStartedAt = 0;
  /** When the last cycle a watch event asked for started: the next one waits minCycleGapMs from it. */
  private lastWatchCycleAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private readonly watchers = new Map<string, { watcher: FSWatcher; ino: number }>();
  private stopped = false;
  private readonly engine: SourceEngine;
  /** Task events read this cycle, emitted together once its polls are done. */
  private taskEventBatches: TaskEventBatch[] = [];
  /** How many cycles ran, and how many of them parsed something (for tests and the benchmark). */
  readonly counters = { cycles: 0, changedCycles: 0, watchEvents: 0 };

  constructor(private readonly options: CollectorOptions) {
    super();
    const sources = options.sources ?? allSources;
    const engineOptions = { workspaceRoot: options.workspaceRoot, maxLineBytes: options.maxLineBytes, ...(options.taskEvents ? { taskEvents: options.taskEvents } : {}) };
    this.engine = options.parseWorkers
      ? new WorkerEngine(engineOptions, sources.filter((s) => s.kind === 'log').map((s) => s.id), options.parseWorkers)
      : new InlineEngine(engineOptions, sources);
    this.slots = sources.map((source) => ({
      source,
      status: { id: source.id, path: source.path, present: false, up: false, errors: 0, badLines: 0 },
      value: source.kind === 'document' ? source.empty : this.engine.initialView(source.id),
      identity: null,
      archivePath: source.kind === 'log' && source.archives ? this.abs(parseArchiveGlob(source.archives).dir) : undefined,
    }));
  }

  /** The newest snapshot; undefined until the first collection has finished. */
  get snapshot(): Snapshot | undefined {
    return this.current;
  }

  get cycleDurations(): HistogramData {
    return this.cycles.data();
  }

  async start(): Promise<Snapshot> {
    const snap = await this.refresh();
    if (this.options.watch) this.maintainWatchers();
    this.timer = setInterval(() => {
      if (this.options.watch) this.maintainWatchers();
      void this.refresh();
    }, this.options.pollIntervalMs);
    this.timer.unref();
    return snap;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.debounce);
    for (const { watcher } of this.watchers.values()) watcher.close();
    this.watchers.clear();
    await this.inflight?.catch(() => undefined);
    await this.engine.close();
  }

  /** Runs a refresh, or joins the one queued behind the refresh in progress. */
  refresh(): Promise<Snapshot> {
    if (!this.inflight) {
      this.inflight = this.cycle().finally(() => {
        this.inflight = null;
      });
      return this.inflight;
    }
    this.queued ??= this.inflight
      .catch(() => undefined)
      .then(() => {
        this.queued = null;
        return this.refresh();
      });
    return this.queued;
  }

  /** The current snapshot if the files were checked within maxAgeMs, else after a refresh. */
  async fresh(maxAgeMs: number): Promise<Snapshot> {
    if (this.current && Date.now() - this.lastCycleStartedAt <= maxAgeMs) return this.current;
    return this.refresh();
  }

  /**
   * Every execution and decision line of a task (rotated archives included), read back from
   * the files through the index the engine builds while parsing; in no particular order.
   */
  async taskEvents(taskId: string): Promise<TaskLookup> {
    const logs = this.slots.filter((s) => s.source.kind === 'log' && isTaskEventSource(s.source.id));
    const found = await Promise.all(logs.map((s) => this.engine.taskEvents(s.source.id, taskId)));
    return { events: found.flatMap((f) => f.events), partial: found.some((f) => f.partial) };
  }

  /** The size of each task log's index, for the benchmark. */
  async taskIndexStats(): Promise<Record<string, LineIndexStats>> {
    const out: Record<string, LineIndexStats> = {};
    for (const s of this.slots) {
      if (s.source.kind !== 'log' || !isTaskEventSource(s.source.id)) continue;
      const stats = await this.engine.indexStats(s.source.id);
      if (stats) out[s.source.id] = stats;
    }
    return out;
  }

  private async cycle(): Promise<Snapshot> {
    const started = process.hrtime.bigint();
    this.lastCycleStartedAt = Date.now();
    const changed = await Promise.all(this.slots.map((slot) => this.check(slot)));
    this.counters.cycles++;
    if (!this.current || changed.some(Boolean)) {
      this.counters.changedCycles++;
      this.current = this.build();
      this.cycles.observe(Number(process.hrtime.bigint() - started) / 1e9);
      if (!this.stopped) this.emit('snapshot', this.current);
    } else {
      this.cycles.observe(Number(process.hrtime.bigint() - started) / 1e9);
    }
    if (this.taskEventBatches.length > 0) this.emitTaskEvents();
    return this.current;
  }

  private emitTaskEvents(): void {
    const batches = this.taskEventBatches;
    this.taskEventBatches = [];
    if (this.stopped) return;
    const positions: Record<string, number> = {};
    for (const slot of this.slots) Object.assign(positions, slot.taskPositions);
    this.emit('taskEvents', { events: batches.flatMap((b) => b.events), positions });
  }

  private build(): Snapshot {
    const data = {} as Record<string, unknown>;
    const status = {} as Record<string, SourceStatus>;
    for (const slot of this.slots) {
      data[slot.source.id] = slot.value;
      status[slot.source.id] = Object.freeze({ ...slot.status });
    }
    return Object.freeze({
      version: (this.current?.version ?? 0) + 1,
      takenAt: Date.now(),
      data: Object.freeze(data) as unknown as SourceValues,
      status: Object.freeze(status) as Record<SourceId, SourceStatus>,
    });
  }

  private abs(rel: string): string {
    return path.join(this.options.workspaceRoot, rel);
  }

  /** Checks one source; true when the snapshot must change. */
  private async check(slot: Slot): Promise<boolean> {
    let identity: FileIdentity | null;
    try {
      identity = statFileSync(this.abs(slot.source.path));
    } catch (err) {
      // A persistent stat failure (e.g. EACCES on the directory) counts once, not every cycle.
      if (!slot.status.up && slot.status.lastError === (err as Error).message) return false;
      return this.fail(slot, err, true);
    }
    return slot.source.kind === 'document' ? this.checkDocument(slot, slot.source, identity) : this.checkLog(slot, slot.source, identity);
  }

  private async checkDocument(slot: Slot, source: DocumentSource, identity: FileIdentity | null): Promise<boolean> {
    if (!identity) {
      const changed = slot.status.present;
      slot.identity = null;
      slot.status = { ...slot.status, present: false, up: false };
      return changed;
    }
    if (sameIdentity(identity, slot.identity)) {
      if (!source.recheck || !slot.status.up) return false;
      const next = source.recheck(slot.value);
      if (next === slot.value) return false;
      slot.value = next;
      return true;
    }
    slot.identity = identity;
    slot.status = { ...slot.status, present: true, lastChangeMs: identity.mtimeMs };
    try {
      const { value, identity: read } = await this.engine.loadDocument(source.id, identity.size);
      // Remember what was actually read, so a write racing the read is picked up next cycle.
      slot.identity = read;
      slot.value = source.merge ? source.merge(slot.value, value) : value;
      slot.status = { ...slot.status, up: true, lastError: undefined };
    } catch (err) {
      this.fail(slot, err, false);
    }
    return true;
  }

  private async checkLog(slot: Slot, source: LogSource, identity: FileIdentity | null): Promise<boolean> {
    const pos = slot.position;
    const archiveDir = slot.archivePath === undefined ? undefined : statFileSync(slot.archivePath);
    const archivesChanged = archiveDir !== undefined && dirChanged(archiveDir, slot.archiveDir);
    if (identity && pos?.file && sameIdentity(identity, pos.file) && identity.size === pos.offset && !archivesChanged) return false;
    // A log that could not be opened (refused, not a regular file) counts once, retried when it changes.
    if (identity && !pos?.file && !slot.status.up && sameIdentity(identity, slot.identity)) return false;
    // With task events on, a log absent at start is still polled once: that poll is its baseline.
    const baseline = this.options.taskEvents !== undefined && !slot.polled && isTaskEventSource(source.id);
    if (!identity && !pos?.file && !archivesChanged && !baseline) {
      const changed = slot.status.present;
      slot.status = { ...slot.status, present: false, up: false };
      return changed;
    }
    try {
      const poll = await this.engine.pollLog(source.id, identity);
      slot.polled = true;
      if (poll.taskEvents) {
        slot.taskPositions = poll.taskEvents.positions;
        this.taskEventBatches.push(poll.taskEvents);
      }
      const before = slot.status;
      slot.position = poll.position;
      // While an archive settles, leave the directory "changed" so the next cycle polls again.
      slot.archiveDir = poll.archivesPending ? undefined : archiveDir;
      slot.identity = null;
      if (poll.view !== undefined) slot.value = poll.view;
      if (poll.restarted) this.options.logger.info({ source: source.id }, 'log rotated, truncated or removed; reading it afresh');
      if (poll.bad > 0) this.options.logger.warn({ source: source.id, badLines: poll.bad }, 'skipped bad lines');
      if (poll.archivesRead > 0) this.options.logger.info({ source: source.id, archives: poll.archivesRead }, 'read rotated archives');
      for (const e of poll.archiveErrors) this.options.logger.warn({ source: source.id, err: e }, 'archive not read');
      slot.status = {
        ...slot.status,
        present: identity !== null,
        up: identity !== null || poll.archivesRead > 0,
        errors: slot.status.errors + poll.archiveErrors.length,
        lastChangeMs: identity?.mtimeMs ?? slot.status.lastChangeMs,
        badLines: slot.status.badLines + poll.bad,
        lastError: poll.bad > 0 ? `${poll.bad} bad line(s) skipped` : slot.status.up ? slot.status.lastError : undefined,
      };
      // A poll that found nothing (e.g. re-checking an archive that is settling) is no new version.
      if (poll.view === undefined && !poll.restarted && sameStatus(before, slot.status)) return false;
    } catch (err) {
      const partial = (err as { partial?: { view?: unknown; bad: number } }).partial;
      slot.position = undefined;
      slot.identity = identity;
      if (partial?.view !== undefined) slot.value = partial.view;
      slot.status = { ...slot.status, badLines: slot.status.badLines + (partial?.bad ?? 0) };
      return this.fail(slot, err, identity === null);
    }
    return true;
  }

  private fail(slot: Slot, err: unknown, absent: boolean): boolean {
    const message = err instanceof Error ? err.message : String(err);
    slot.status = { ...slot.status, present: !absent, up: false, errors: slot.status.errors + 1, lastError: message };
    this.options.logger.warn({ source: slot.source.id, path: slot.source.path, err: message }, 'source read failed; keeping its last good value');
    return true;
  }

  /** Watches every directory a source lives in (and their parents up to the root) that exists now. */
  private maintainWatchers(): void {
    const dirs = new Set<string>();
    for (const slot of this.slots) {
      if (slot.archivePath) dirs.add(slot.archivePath);
      let dir = path.dirname(this.abs(slot.source.path));
      while (dir.startsWith(this.options.workspaceRoot)) {
        dirs.add(dir);
        if (dir === this.options.workspaceRoot) break;
        dir = path.dirname(dir);
      }
    }
    for (const dir of dirs) void this.watchDir(dir);
  }

  private async watchDir(dir: string): Promise<void> {
    const st = await statFile(dir).catch(() => null);
    const existing = this.watchers.get(dir);
    if (existing && (!st || existing.ino !== st.ino)) {
      existing.watcher.close();
      this.watchers.delete(dir);
    }
    if (!st || this.watchers.has(dir) || this.stopped) return;
    try {
      const watcher = watch(dir, { persistent: false }, () => this.onWatchEvent());
      watcher.on('error', () => {
        watcher.close();
        if (this.watchers.get(dir)?.watcher === watcher) this.watchers.delete(dir);
      });
      this.watchers.set(dir, { watcher, ino: st.ino });
    } catch {
      // Not watchable (e.g. some network filesystems): the poll remains the backstop.
    }
  }

  private onWatchEvent(): void {
    this.counters.watchEvents++;
    if (this.debounce || this.stopped) return;
    // From the last watch-asked cycle, not any cycle: a change just after a poll's cycle is not waited on.
    const gapLeft = this.lastWatchCycleAt + (this.options.minCycleGapMs ?? 100) - Date.now();
    this.debounce = setTimeout(
      () => {
        this.debounce = undefined;
        this.lastWatchCycleAt = Date.now();
        void this.refresh();
      },
      Math.max(this.options.debounceMs ?? 10, gapLeft),
    );
  }
}
