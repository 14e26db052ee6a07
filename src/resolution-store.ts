import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { isProcessAlive } from './sources/mcp-pid.js';

/** Relative location of the resolution document inside a workspace. */
export const RESOLUTION_METRICS_RELATIVE_PATH = 'state/analytics/resolution_metrics.json';

/** How many entries `recentEvents` and `recentlyClosed` keep (newest first). */
export const RECENT_LIMIT = 50;
/** An attempt number above this flags the loop as infinite. */
export const INFINITE_LOOP_ATTEMPT_THRESHOLD = 5;
/** A loop closed at an attempt ≤ this counts towards `closedWithin3`. */
export const CLOSED_WITHIN_ATTEMPTS = 3;
const LABELS_LIMIT = 50;

export type TimestampInput = Date | number | string;

export interface ResolutionActiveLoop {
  taskId: string;
  attempts: number;
  firstAttemptAt: string;
  lastAttemptAt: string;
  lastLabel: string | null;
  labels: string[];
  elapsedMs: number;
  runId: string | null;
  infiniteLoopFlag: boolean;
}

export interface ResolutionStats {
  totalLoops: number;
  closedLoops: number;
  closedWithin3: number;
  infiniteLoopCount: number;
  incidentCount: number;
  attemptHistogram: Record<string, number>;
}

export interface ResolutionClosedLoop {
  taskId: string;
  attempts: number;
  closedAt: string;
  durationMs: number;
  runId: string | null;
}

export type ResolutionEvent =
  | {
      type: 'attempt';
      taskId: string;
      attempt: number;
      timestamp: string;
      runId: string | null;
      label: string | null;
    }
  | {
      type: 'closed';
      taskId: string;
      attempt: number;
      timestamp: string;
      durationMs: number;
      runId: string | null;
    }
  | { type: 'incident'; taskId: string; attempt: number; timestamp: string; state: string };

export interface ResolutionDocument {
  /** ISO time of the last write; null until something was recorded. */
  updatedAt: string | null;
  activeLoops: ResolutionActiveLoop[];
  stats: ResolutionStats;
  /** Newest first, at most RECENT_LIMIT. */
  recentEvents: ResolutionEvent[];
  /** Newest first, at most RECENT_LIMIT. */
  recentlyClosed: ResolutionClosedLoop[];
}

export interface ResolutionMetricsStoreOptions {
  workspaceRoot?: string;
  filePath?: string;
  now?: () => number;
}

export interface RecordAttemptInput {
  taskId: string;
  attempt: number;
  timestamp?: TimestampInput;
  runId?: string | null;
  label?: string | null;
}

export interface MarkClosedInput {
  taskId: string;
  attempt: number;
  timestamp?: TimestampInput;
  runId?: string | null;
}

export interface RecordIncidentInput {
  taskId: string;
  state: string;
  attempt: number;
  timestamp?: TimestampInput;
}

export function emptyResolutionDocument(): ResolutionDocument {
  return {
    updatedAt: null,
    activeLoops: [],
    stats: {
      totalLoops: 0,
      closedLoops: 0,
      closedWithin3: 0,
      infiniteLoopCount: 0,
      incidentCount: 0,
      attemptHistogram: {},
    },
    recentEvents: [],
    recentlyClosed: [],
  };
}

/**
 * Maintains `state/analytics/resolution_metrics.json`.
 *
 * All operations run one at a time through a single queue and each one is
 * persisted with an atomic replace before its promise resolves, so a crash
 * leaves either the previous or the new document. One store instance (one
 * process) should own a given file: the queue does not serialise across
 * processes, and the file is read only on first use.
 */
export class ResolutionMetricsStore {
  readonly filePath: string;
  private readonly now: () => number;
  private doc: ResolutionDocument = emptyResolutionDocument();
  private loaded = false;
  private closed = false;
  private tail: Promise<unknown> = Promise.resolve();
  private tmpSeq = 0;

  constructor(options: ResolutionMetricsStoreOptions = {}) {
    if (options.filePath !== undefined) {
      this.filePath = path.resolve(options.filePath);
    } else {
      const root = options.workspaceRoot ?? process.cwd();
      this.filePath = path.resolve(root, RESOLUTION_METRICS_RELATIVE_PATH);
    }
    this.now = options.now ?? Date.now;
  }

  async recordAttempt(input: RecordAttemptInput): Promise<void> {
    const taskId = requireTaskId(input);
    const attempt = requireAttempt(input.attempt);
    const runId = optionalString(input.runId, 'runId');
    const label = optionalString(input.label, 'label');
    const tsMs = optionalTimestamp(input.timestamp);
    await this.mutate((doc, nowMs) => {
      const atMs = tsMs ?? nowMs;
      const at = new Date(atMs).toISOString();
      const { stats } = doc;
      let loop = doc.activeLoops.find((l) => l.taskId === taskId);
      if (!loop) {
        loop = {
          taskId,
          attempts: attempt,
          firstAttemptAt: at,
          lastAttemptAt: at,
          lastLabel: label,
          labels: [],
          elapsedMs: 0,
          runId,
          infiniteLoopFlag: false,
        };
        doc.activeLoops.push(loop);
        stats.totalLoops += 1;
      } else {
        // Max, so a late/out-of-order report cannot lower the count.
        loop.attempts = Math.max(loop.attempts, attempt);
        loop.lastAttemptAt = at;
        if (label !== null) loop.lastLabel = label;
        loop.runId ??= runId;
        loop.elapsedMs = Math.max(0, atMs - Date.parse(loop.firstAttemptAt));
      }
      if (label !== null && !loop.labels.includes(label)) {
        loop.labels.push(label);
        if (loop.labels.length > LABELS_LIMIT) loop.labels.splice(0, loop.labels.length - LABELS_LIMIT);
      }
      const key = String(attempt);
      stats.attemptHistogram[key] = (stats.attemptHistogram[key] ?? 0) + 1;
      if (attempt > INFINITE_LOOP_ATTEMPT_THRESHOLD && !loop.infiniteLoopFlag) {
        loop.infiniteLoopFlag = true;
        stats.infiniteLoopCount += 1;
      }
      pushNewest(doc.recentEvents, { type: 'attempt', taskId, attempt, timestamp: at, runId, label });
      return true;
    });
  }

  /** Closes the active loop of `taskId`. Resolves false (and writes nothing) when no such loop is active. */
  async markClosed(input: MarkClosedInput): Promise<boolean> {
    const taskId = requireTaskId(input);
    const attempt = requireAttempt(input.attempt);
    const runId = optionalString(input.runId, 'runId');
    const tsMs = optionalTimestamp(input.timestamp);
    return this.mutate((doc, nowMs) => {
      const index = doc.activeLoops.findIndex((l) => l.taskId === taskId);
      if (index < 0) return false;
      const atMs = tsMs ?? nowMs;
      const at = new Date(atMs).toISOString();
      const [loop] = doc.activeLoops.splice(index, 1);
      const durationMs = Math.max(0, atMs - Date.parse(loop!.firstAttemptAt));
      const closedRunId = runId ?? loop!.runId;
      doc.stats.closedLoops += 1;
      if (attempt <= CLOSED_WITHIN_ATTEMPTS) doc.stats.closedWithin3 += 1;
      pushNewest(doc.recentlyClosed, { taskId, attempts: attempt, closedAt: at, durationMs, runId: closedRunId });
      pushNewest(doc.recentEvents, {
        type: 'closed',
        taskId,
        attempt,
        timestamp: at,
        durationMs,
        runId: closedRunId,
      });
      return true;
    });
  }

  async recordIncident(input: RecordIncidentInput): Promise<void> {
    const taskId = requireTaskId(input);
    const attempt = requireAttempt(input.attempt);
    const state = input.state;
    if (typeof state !== 'string' || state.trim() === '') {
      throw new TypeError('state must be a non-empty string');
    }
    const tsMs = optionalTimestamp(input.timestamp);
    await this.mutate((doc, nowMs) => {
      const atMs = tsMs ?? nowMs;
      doc.stats.incidentCount += 1;
      pushNewest(doc.recentEvents, {
        type: 'incident',
        taskId,
        attempt,
        timestamp: new Date(atMs).toISOString(),
        state,
      });
      return true;
    });
  }

  /** A copy of the current document, after every operation queued before this call. */
  async read(): Promise<ResolutionDocument> {
    return this.enqueue(async () => {
      await this.ensureLoaded();
      return structuredClone(this.doc);
    });
  }

  /** Resolves once every operation queued before it has settled. */
  async flush(): Promise<void> {
    await this.enqueue(async () => undefined);
  }

  /** Waits for queued operations; later calls reject. */
  async close(): Promise<void> {
    if (this.closed) return;
    const done = this.flush();
    this.closed = true;
    await done;
  }

  private enqueue<T>(op: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('ResolutionMetricsStore is closed'));
    const run = this.tail.then(op);
    // A failed operation must not poison the queue.
    this.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * Applies `apply` to a copy and commits the copy only after it is on disk,
   * so a failed write leaves memory and file in agreement.
   * `apply` returns false for "nothing changed, skip the write".
   */
  private mutate(apply: (doc: ResolutionDocument, nowMs: number) => boolean): Promise<boolean> {
    return this.enqueue(async () => {
      await this.ensureLoaded();
      const next = structuredClone(this.doc);
      const nowMs = this.now();
      if (!apply(next, nowMs)) return false;
      next.updatedAt = new Date(nowMs).toISOString();
      await this.writeAtomic(`${JSON.stringify(next, null, 2)}\n`);
      this.doc = next;
      return true;
    });
  }

  private async ensureLoaded(): Promise<void> {
    if (this.loaded) return;
    let text: string | undefined;
    try {
      text = await fs.readFile(this.filePath, 'utf8');
    } catch (error) {
      // Other read errors (EACCES, EISDIR…) propagate; the next call retries.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (text !== undefined) {
      const parsed = parseDocument(text);
      if (parsed) {
        this.doc = parsed;
      } else {
        this.doc = emptyResolutionDocument();
        await this.quarantineCorrupt();
      }
    }
    await this.removeStaleTempFiles();
    this.loaded = true;
  }

  private async quarantineCorrupt(): Promise<void> {
    const target = `${this.filePath}.corrupt-${this.now()}`;
    try {
      await fs.rename(this.filePath, target);
    } catch {
      // Best effort: the next write replaces the corrupt file anyway.
    }
  }

  /** Temp files left by processes that died mid-write. */
  private async removeStaleTempFiles(): Promise<void> {
    const dir = path.dirname(this.filePath);
    const prefix = `${path.basename(this.filePath)}.tmp-`;
    let names: string[];
    try {
      names = await fs.readdir(dir);
    } catch {
      return;
    }
    await Promise.all(
      names
        .filter((name) => name.startsWith(prefix))
        .map(async (name) => {
          const pid = Number.parseInt(name.slice(prefix.length), 10);
          // Our own pid may be another live instance in this process; leave it.
          if (!Number.isInteger(pid) || pid === process.pid || isProcessAlive(pid)) return;
          await fs.unlink(path.join(dir, name)).catch(() => undefined);
        }),
    );
  }

  private async writeAtomic(content: string): Promise<void> {
    const dir = path.dirname(this.filePath);
    await fs.mkdir(dir, { recursive: true });
    this.tmpSeq += 1;
    // pid first so removeStaleTempFiles can tell whose it is.
    const tmp = `${this.filePath}.tmp-${process.pid}-${this.tmpSeq}-${randomBytes(4).toString('hex')}`;
    try {
      const handle = await fs.open(tmp, 'wx', 0o644);
      try {
        await handle.writeFile(content, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.rename(tmp, this.filePath);
    } catch (error) {
      await fs.unlink(tmp).catch(() => undefined);
      throw error;
    }
    await fsyncDirectory(dir);
  }
}

function pushNewest<T>(list: T[], item: T): void {
  list.unshift(item);
  if (list.length > RECENT_LIMIT) list.length = RECENT_LIMIT;
}

function requireTaskId(input: unknown): string {
  if (typeof input !== 'object' || input === null) {
    throw new TypeError('expected an options object');
  }
  const taskId = (input as { taskId?: unknown }).taskId;
  if (typeof taskId !== 'string' || taskId.trim() === '') {
    throw new TypeError('taskId must be a non-empty string');
  }
  return taskId;
}

function requireAttempt(attempt: unknown): number {
  if (typeof attempt !== 'number' || !Number.isSafeInteger(attempt) || attempt < 1) {
    throw new TypeError(`attempt must be a positive integer, got ${String(attempt)}`);
  }
  return attempt;
}

function optionalString(value: unknown, name: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string`);
  return value;
}

function toEpochMs(value: TimestampInput): number {
  const ms =
    value instanceof Date ? value.getTime() : typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : NaN;
  // Also rejects values outside Date's range, which toISOString would throw on.
  if (!Number.isFinite(ms) || Number.isNaN(new Date(ms).getTime())) {
    throw new TypeError(`invalid timestamp: ${String(value)}`);
  }
  return ms;
}

function optionalTimestamp(value: TimestampInput | undefined): number | undefined {
  return value === undefined ? undefined : toEpochMs(value);
}


async function fsyncDirectory(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // Not supported everywhere (e.g. Windows); the rename already happened.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

// ---- loading ------------------------------------------------------------

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.floor(value) : 0;
}

function isoOrNull(value: unknown): string | null {
  if (typeof value !== 'string' && typeof value !== 'number') return null;
  const ms = typeof value === 'number' ? value : Date.parse(value);
  return Number.isFinite(ms) && !Number.isNaN(new Date(ms).getTime()) ? new Date(ms).toISOString() : null;
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** Returns null when the text is not a JSON object (treated as corrupt); tolerates missing/odd fields. */
function parseDocument(text: string): ResolutionDocument | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isRecord(raw)) return null;
  const doc = emptyResolutionDocument();
  doc.updatedAt = isoOrNull(raw.updatedAt);

  const stats = isRecord(raw.stats) ? raw.stats : {};
  doc.stats.totalLoops = count(stats.totalLoops);
  doc.stats.closedLoops = count(stats.closedLoops);
  doc.stats.closedWithin3 = count(stats.closedWithin3);
  doc.stats.infiniteLoopCount = count(stats.infiniteLoopCount);
  doc.stats.incidentCount = count(stats.incidentCount);
  if (isRecord(stats.attemptHistogram)) {
    for (const [key, value] of Object.entries(stats.attemptHistogram)) {
      if (/^[1-9]\d*$/.test(key)) doc.stats.attemptHistogram[key] = count(value);
    }
  }

  if (Array.isArray(raw.activeLoops)) {
    const seen = new Set<string>();
    for (const entry of raw.activeLoops) {
      if (!isRecord(entry) || typeof entry.taskId !== 'string' || entry.taskId === '' || seen.has(entry.taskId)) continue;
      const first = isoOrNull(entry.firstAttemptAt) ?? isoOrNull(entry.lastAttemptAt);
      if (first === null) continue;
      const last = isoOrNull(entry.lastAttemptAt) ?? first;
      seen.add(entry.taskId);
      doc.activeLoops.push({
        taskId: entry.taskId,
        attempts: Math.max(1, count(entry.attempts)),
        firstAttemptAt: first,
        lastAttemptAt: last,
        lastLabel: stringOrNull(entry.lastLabel),
        labels: Array.isArray(entry.labels) ? entry.labels.filter((l): l is string => typeof l === 'string') : [],
        elapsedMs: Math.max(0, Date.parse(last) - Date.parse(first)),
        runId: stringOrNull(entry.runId),
        infiniteLoopFlag: entry.infiniteLoopFlag === true,
      });
    }
  }

  if (Array.isArray(raw.recentEvents)) {
    // Events are informational; keep the objects as written.
    doc.recentEvents = raw.recentEvents.filter(isRecord).slice(0, RECENT_LIMIT) as unknown as ResolutionEvent[];
  }
  if (Array.isArray(raw.recentlyClosed)) {
    for (const entry of raw.recentlyClosed) {
      if (!isRecord(entry) || typeof entry.taskId !== 'string') continue;
      doc.recentlyClosed.push({
        taskId: entry.taskId,
        attempts: count(entry.attempts),
        closedAt: isoOrNull(entry.closedAt) ?? new Date(0).toISOString(),
        durationMs: count(entry.durationMs),
        runId: stringOrNull(entry.runId),
      });
      if (doc.recentlyClosed.length === RECENT_LIMIT) break;
    }
  }
  return doc;
}
