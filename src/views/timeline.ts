/**
 * A task's timeline: its execution and decision lines (read back through the collector's line
 * index), its resolution loop and its roadmap entry, in time order, with totals, paged by a
 * cursor that names the last event shown (so it stays valid while lines are appended).
 */
import { createHash } from 'node:crypto';
import type { Snapshot } from '../collector/snapshot.js';
import type { LocatedTaskEvent } from '../collector/task-events.js';
import type { Resolution } from '../sources/resolution.js';
import type { RoadmapTask } from '../sources/roadmap.js';
import type { TaskResolution, TaskTimeline, TaskTotals, TimelineEvent } from './payloads.js';
import { taskIndex, type Outcome } from './tasks.js';

/** What the collector found in the logs for one task. */
export interface TaskLines {
  events: readonly LocatedTaskEvent[];
  partial: boolean;
}

interface Entry {
  at: number;
  /** Orders events of the same millisecond: attempt, execution, decision, incident, closure; then where they came from. */
  key: string;
  event: TimelineEvent;
}

/** The whole timeline of one task, unpaged. */
export interface FullTimeline {
  id: string;
  task: RoadmapTask | undefined;
  resolution: TaskResolution | null;
  totals: TaskTotals;
  entries: readonly Entry[];
  partial: boolean;
}

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | undefined) => (ms === undefined ? null : iso(ms));
const orNull = <T>(v: T | undefined): T | null => (v === undefined ? null : v);
const pad = (n: number) => String(n).padStart(16, '0');

function lineEntry(e: LocatedTaskEvent): Entry {
  const line = { path: e.ref.path, offset: e.ref.offset, length: e.ref.length };
  const where = `${e.ref.fileKey}\u0000${pad(e.ref.offset)}`;
  if (e.kind === 'execution') {
    return {
      at: e.timestamp,
      key: `1\u0000${where}`,
      event: {
        kind: 'execution',
        at: iso(e.timestamp),
        line,
        agentType: orNull(e.agentType),
        agentId: orNull(e.agentId),
        model: orNull(e.model),
        success: orNull(e.success),
        outcome: orNull(e.outcome),
        failureType: orNull(e.failureType),
        error: orNull(e.error),
        durationSeconds: orNull(e.durationSeconds),
        inputTokens: orNull(e.inputTokens),
        outputTokens: orNull(e.outputTokens),
        costUsd: orNull(e.costUsd),
        qualityScore: orNull(e.qualityScore),
        promptCacheHit: orNull(e.promptCacheHit),
        phase: orNull(e.phase),
      },
    };
  }
  return {
    at: e.timestamp,
    key: `2\u0000${where}`,
    event: {
      kind: 'decision',
      at: iso(e.timestamp),
      line,
      verdict: e.verdict,
      reasoning: orNull(e.reasoning),
      consensus: orNull(e.consensus),
      runId: orNull(e.runId),
      reviews: e.reviews.map((r) => ({
        gate: r.gate,
        approved: r.approved,
        reviewer: orNull(r.reviewer),
        model: orNull(r.model),
        rubric: r.rubric ?? {},
        concerns: r.concerns ?? [],
        blockers: r.blockers ?? [],
        detections: (r.detections ?? []).map((d) => ({ category: d.category, severity: orNull(d.severity) })),
      })),
    },
  };
}

// The resolution file's recent events are free-form records: each field is read only if it has the right type.
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const int = (v: unknown) => (typeof v === 'number' && Number.isSafeInteger(v) ? v : undefined);
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const time = (v: unknown) => {
  const ms = typeof v === 'number' ? v : typeof v === 'string' ? Date.parse(v) : NaN;
  return Number.isFinite(ms) ? ms : undefined;
};

function attemptEntry(at: number, attempt: number | undefined, label: string | undefined, runId: string | undefined): Entry {
  return {
    at,
    key: `0\u0000${pad(attempt ?? 0)}`,
    event: { kind: 'resolution_attempt', at: iso(at), attempt: orNull(attempt), label: orNull(label), runId: orNull(runId) },
  };
}

function closedEntry(at: number, attempts: number | undefined, durationMs: number | undefined, runId: string | undefined): Entry {
  return {
    at,
    key: `4\u0000${pad(attempts ?? 0)}`,
    event: { kind: 'resolution_closed', at: iso(at), attempts: orNull(attempts), durationMs: orNull(durationMs), runId: orNull(runId) },
  };
}

/**
 * The task's resolution loop and its events: the recent events the file keeps for it (it keeps
 * the newest 50 of all tasks), completed by what the loop itself records — its first and last
 * attempt, and its closure — when those fell out of the recent list.
 */
function resolutionOf(r: Resolution, id: string): { loop: TaskResolution | null; entries: Entry[] } {
  const entries: Entry[] = [];
  for (const e of r.recentEvents) {
    if (e.taskId !== id) continue;
    const at = time(e.timestamp);
    if (at === undefined) continue;
    if (e.type === 'attempt') entries.push(attemptEntry(at, int(e.attempt), str(e.label), str(e.runId)));
    else if (e.type === 'closed') entries.push(closedEntry(at, int(e.attempt), num(e.durationMs), str(e.runId)));
    else if (e.type === 'incident') {
      entries.push({ at, key: `3\u0000${pad(int(e.attempt) ?? 0)}`, event: { kind: 'resolution_incident', at: iso(at), attempt: orNull(int(e.attempt)), state: orNull(str(e.state)) } });
    }
  }
  const has = (kind: TimelineEvent['kind'], at: number) => entries.some((e) => e.event.kind === kind && e.at === at);
  const active = r.activeLoops.find((l) => l.taskId === id);
  // recentlyClosed is newest first.
  const closed = r.recentlyClosed.filter((c) => c.taskId === id);
  for (const c of closed) if (c.closedAt !== undefined && !has('resolution_closed', c.closedAt)) entries.push(closedEntry(c.closedAt, c.attempts, c.durationMs, c.runId));
  if (active) {
    const { firstAttemptAt: first, lastAttemptAt: last } = active;
    if (first !== undefined && first !== last && !has('resolution_attempt', first)) entries.push(attemptEntry(first, 1, active.labels?.[0], active.runId));
    if (last !== undefined && !has('resolution_attempt', last)) entries.push(attemptEntry(last, active.attempts, active.lastLabel, active.runId));
    return {
      loop: {
        state: 'active',
        attempts: orNull(active.attempts),
        labels: active.labels ?? [],
        lastLabel: orNull(active.lastLabel),
        firstAttemptAt: isoOrNull(first),
        lastAttemptAt: isoOrNull(last),
        closedAt: null,
        durationMs: orNull(active.elapsedMs),
        infiniteLoop: active.infiniteLoopFlag === true,
        runId: orNull(active.runId),
      },
      entries,
    };
  }
  const latest = closed[0];
  if (!latest) return { loop: null, entries };
  const attempts = entries.filter((e) => e.event.kind === 'resolution_attempt').sort(byTime);
  const labels = [...new Set(attempts.flatMap((e) => (e.event.kind === 'resolution_attempt' && e.event.label !== null ? [e.event.label] : [])))];
  const attemptTimes = attempts.map((e) => e.at);
  const start = latest.closedAt !== undefined && latest.durationMs !== undefined ? latest.closedAt - latest.durationMs : undefined;
  return {
    loop: {
      state: 'closed',
      attempts: orNull(latest.attempts),
      labels,
      lastLabel: labels.at(-1) ?? null,
      firstAttemptAt: isoOrNull(start ?? (attemptTimes.length ? Math.min(...attemptTimes) : undefined)),
      lastAttemptAt: isoOrNull(attemptTimes.length ? Math.max(...attemptTimes) : undefined),
      closedAt: isoOrNull(latest.closedAt),
      durationMs: orNull(latest.durationMs),
      infiniteLoop: false,
      runId: orNull(latest.runId),
    },
    entries,
  };
}

const byTime = (a: Entry, b: Entry) => a.at - b.at || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

function totalsOf(entries: readonly Entry[], loop: TaskResolution | null, task: RoadmapTask | undefined): TaskTotals {
  const t = { executions: 0, failedExecutions: 0, decisions: 0, rejections: 0, attemptEvents: 0, costUsd: 0, inputTokens: 0, outputTokens: 0 };
  for (const { event: e } of entries) {
    if (e.kind === 'execution') {
      t.executions++;
      if (e.success !== true) t.failedExecutions++;
      t.costUsd += e.costUsd ?? 0;
      t.inputTokens += e.inputTokens ?? 0;
      t.outputTokens += e.outputTokens ?? 0;
    } else if (e.kind === 'decision') {
      t.decisions++;
      if (e.verdict !== 'approved') t.rejections++;
    } else if (e.kind === 'resolution_attempt') t.attemptEvents++;
  }
  const first = entries[0]?.at;
  const last = entries.at(-1)?.at;
  const closedAt = loop?.closedAt ? Date.parse(loop.closedAt) : undefined;
  const doneAt = closedAt ?? (task?.status === 'done' ? last : undefined);
  const { attemptEvents, ...sums } = t;
  return {
    ...sums,
    attempts: loop?.attempts ?? attemptEvents,
    firstEventAt: isoOrNull(first),
    lastEventAt: isoOrNull(last),
    doneAt: isoOrNull(doneAt),
    timeToDoneMs: doneAt !== undefined && first !== undefined ? Math.max(0, doneAt - first) : null,
  };
}

/** Every event of the task in time order, with its totals; undefined when nothing knows the id. */
export function fullTimeline(s: Snapshot, id: string, lines: TaskLines): FullTimeline | undefined {
  const task = taskIndex(s.data.roadmap).byId.get(id);
  const { loop, entries: resolutionEntries } = resolutionOf(s.data.resolution, id);
  if (!task && !loop && lines.events.length === 0 && resolutionEntries.length === 0) return undefined;
  const entries = [...lines.events.map(lineEntry), ...resolutionEntries].sort(byTime);
  return { id, task, resolution: loop, totals: totalsOf(entries, loop, task), entries, partial: lines.partial };
}

// --- cursors -----------------------------------------------------------------------------------

interface CursorBody {
  /** The task the cursor was issued for (a digest, so an id of any length fits). */
  t: string;
  /** Time and key of the last event of the page. */
  a: number;
  k: string;
}

const taskTag = (id: string) => createHash('sha256').update(id).digest('base64url').slice(0, 12);
const encodeCursor = (c: CursorBody) => Buffer.from(JSON.stringify(c)).toString('base64url');

function decodeCursor(text: string): CursorBody | undefined {
  try {
    const c = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Partial<CursorBody>;
    return typeof c.t === 'string' && typeof c.k === 'string' && Number.isFinite(c.a) ? (c as CursorBody) : undefined;
  } catch {
    return undefined;
  }
}

/** One page of a task's timeline: the events after the cursor's, up to `limit`. */
export function timelinePage(full: FullTimeline, page: { limit: number; cursor?: string }): Outcome<TaskTimeline> {
  let from = 0;
  if (page.cursor !== undefined) {
    const c = decodeCursor(page.cursor);
    if (!c) return { ok: false, status: 400, parameter: 'cursor', error: 'cursor: not a cursor this server issued' };
    if (c.t !== taskTag(full.id)) return { ok: false, status: 400, parameter: 'cursor', error: 'cursor: issued for another task' };
    const after = { at: c.a, key: c.k } as Entry;
    // Keyset paging: the first event after the cursor's, wherever appended lines have put it.
    from = full.entries.findIndex((e) => byTime(e, after) > 0);
    if (from === -1) from = full.entries.length;
  }
  const shown = full.entries.slice(from, from + page.limit);
  const t = full.task;
  const value: TaskTimeline = {
    id: full.id,
    task: t ? { title: t.title, status: t.status, epic: t.epic, milestone: t.milestone ?? null, domain: t.domain ?? null, labels: t.labels } : null,
    resolution: full.resolution,
    totals: full.totals,
    total: full.entries.length,
    partial: full.partial,
    events: shown.map((e) => e.event),
  };
  const last = shown.at(-1);
  if (last && from + shown.length < full.entries.length) value.next = encodeCursor({ t: taskTag(full.id), a: last.at, k: last.key });
  return { ok: true, value };
}

/** The totals of a task that nothing knows (no line, no loop): all zero. */
export const emptyTotals = (): TaskTotals => totalsOf([], null, undefined);
