import type { Snapshot } from '../collector/snapshot.js';
import { id, timestamp } from '../sources/fields.js';
import * as A from './attributes.js';
import type { SpanEventRecord, TaskClosure } from './spans.js';

/** Open tasks whose event times are remembered for their root span; the oldest are forgotten beyond it. */
const MAX_OPEN_TASKS = 10_000;

/**
 * Finds the tasks that closed (roadmap status done, or resolution loop closed) and have no root span
 * yet. It remembers which roots were emitted (saved with the positions) and, for open tasks, the
 * first and last event time seen, which bound the root span when the snapshot tells nothing better.
 */
export class TaskClosures {
  private readonly emitted: Set<string>;
  private readonly seen = new Map<string, { first: number; last: number }>();
  /** Without saved roots the first snapshot is a baseline: what is closed then was closed before tracing began. */
  private baseline: boolean;
  /** The roadmap and resolution values last looked at (a snapshot per poll mostly carries the same ones), and the roadmap's done tasks. */
  private lastRoadmap?: Snapshot['data']['roadmap'];
  private lastResolution?: Snapshot['data']['resolution'];
  private done = new Map<string, Closed>();
  /** Bumped whenever the set of emitted roots changes (what the positions file saves). */
  version = 0;

  constructor(emitted: readonly string[] | 'baseline') {
    this.baseline = emitted === 'baseline';
    this.emitted = new Set(emitted === 'baseline' ? [] : emitted);
  }

  observe(taskId: string, timeMs: number, endMs = timeMs): void {
    const s = this.seen.get(taskId);
    if (s) {
      s.first = Math.min(s.first, timeMs);
      s.last = Math.max(s.last, endMs);
      return;
    }
    if (this.seen.size >= MAX_OPEN_TASKS) this.seen.delete(this.seen.keys().next().value!);
    this.seen.set(taskId, { first: timeMs, last: endMs });
  }

  /** The closures not emitted yet; they count as emitted from here on. */
  take(snapshot: Snapshot): TaskClosure[] {
    const { roadmap, resolution } = snapshot.data;
    if (this.lastRoadmap === roadmap && this.lastResolution === resolution) return [];
    // Only a new roadmap can close (or reopen) a task by its status: otherwise its thousands of done tasks are all emitted.
    const roadmapChanged = this.lastRoadmap !== roadmap;
    if (roadmapChanged) this.done = doneTasks(roadmap.tasks);
    this.lastRoadmap = roadmap;
    this.lastResolution = resolution;
    const loops = closedLoops(resolution.recentlyClosed);
    const isClosed = (t: string) => this.done.has(t) || loops.has(t);
    // Forget roots of tasks no longer closed anywhere, so the saved list stays as long as the roadmap.
    for (const t of this.emitted) if (!isClosed(t) && this.emitted.delete(t)) this.version++;
    const out: TaskClosure[] = [];
    const candidates = roadmapChanged ? new Set([...this.done.keys(), ...loops.keys()]) : loops.keys();
    for (const taskId of candidates) {
      if (this.emitted.has(taskId)) continue;
      this.emitted.add(taskId);
      this.version++;
      const seen = this.seen.get(taskId);
      this.seen.delete(taskId);
      if (this.baseline) continue;
      const road = this.done.get(taskId);
      const loop = loops.get(taskId);
      const c: Closed = loop ? { ...road, closedBy: 'resolution', ...loop } : road!;
      const endMs = c.closedAt ?? seen?.last ?? snapshot.takenAt;
      const loopStart = c.closedAt !== undefined && c.durationMs !== undefined ? c.closedAt - c.durationMs : undefined;
      const startMs = Math.min(...[seen?.first, loopStart, endMs].filter((x): x is number => x !== undefined));
      out.push({ taskId, closedBy: c.closedBy, startMs, endMs, title: c.title, status: c.status, epic: c.epic, attempts: c.attempts, events: resolutionEvents(snapshot, taskId, c.closedAt, c.attempts) });
    }
    if (this.baseline) this.version++;
    this.baseline = false;
    return out;
  }

  /** The task ids whose root span was emitted, for the positions file. */
  roots(): string[] {
    return [...this.emitted];
  }
}

interface Closed {
  closedBy: TaskClosure['closedBy'];
  closedAt?: number;
  durationMs?: number;
  attempts?: number;
  title?: string;
  status?: string;
  epic?: string;
}

function doneTasks(tasks: Snapshot['data']['roadmap']['tasks']): Map<string, Closed> {
  const out = new Map<string, Closed>();
  for (const t of tasks) if (t.status === 'done') out.set(t.id, { closedBy: 'roadmap', title: t.title || undefined, status: t.status, epic: t.epic || undefined });
  return out;
}

function closedLoops(recentlyClosed: Snapshot['data']['resolution']['recentlyClosed']): Map<string, Pick<Closed, 'closedAt' | 'durationMs' | 'attempts'>> {
  const out = new Map<string, Pick<Closed, 'closedAt' | 'durationMs' | 'attempts'>>();
  for (const l of recentlyClosed) if (l.taskId) out.set(l.taskId, { closedAt: l.closedAt, durationMs: l.durationMs, attempts: l.attempts });
  return out;
}

/** The task's resolution attempts and closure from the resolution metrics' recent events, in time order. */
function resolutionEvents(s: Snapshot, taskId: string, closedAt: number | undefined, attempts: number | undefined): SpanEventRecord[] {
  const out: SpanEventRecord[] = [];
  for (const e of s.data.resolution.recentEvents) {
    if (id.parse(e.taskId) !== taskId) continue;
    const at = timestamp.parse(e.timestamp);
    if (at === undefined) continue;
    const attempt = typeof e.attempt === 'number' && Number.isFinite(e.attempt) ? e.attempt : undefined;
    if (e.type === 'attempt') {
      const label = typeof e.label === 'string' ? e.label : undefined;
      out.push({ name: A.EVENT_RESOLUTION_ATTEMPT, timeMs: at, attributes: { ...(attempt !== undefined && { [A.WVO_RESOLUTION_ATTEMPT]: attempt }), ...(label && { [A.WVO_RESOLUTION_LABEL]: label }) } });
    } else if (e.type === 'closed') {
      out.push({ name: A.EVENT_RESOLUTION_CLOSED, timeMs: at, attributes: attempt !== undefined ? { [A.WVO_RESOLUTION_ATTEMPTS]: attempt } : {} });
    }
  }
  if (closedAt !== undefined && !out.some((e) => e.name === A.EVENT_RESOLUTION_CLOSED)) {
    out.push({ name: A.EVENT_RESOLUTION_CLOSED, timeMs: closedAt, attributes: attempts !== undefined ? { [A.WVO_RESOLUTION_ATTEMPTS]: attempts } : {} });
  }
  return out.sort((a, b) => a.timeMs - b.timeMs);
}
