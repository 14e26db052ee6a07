/**
 * The task drill-down: every roadmap task filtered, sorted and paged, and one task with its
 * dependencies and dependents. Everything that depends only on the roadmap (content hash,
 * id lookup, dependents, the three sort orders) is computed once per roadmap value, so a
 * request costs one filter pass over the sorted list.
 */
import { createHash } from 'node:crypto';
import { TASK_STATES, type Roadmap, type RoadmapTask, type TaskState } from '../sources/roadmap.js';
import type { TaskDetail, TaskList, TaskSummary, TaskTotals } from './payloads.js';

export const TASK_SORTS = ['id', 'status', 'epic'] as const;
export type TaskSort = (typeof TASK_SORTS)[number];

/** Tasks without a milestone match `milestone=none`, as tasks without an epic have the epic `none`. */
export const NO_MILESTONE = 'none';

export interface TaskFilter {
  state?: TaskState;
  epic?: string;
  milestone?: string;
  domain?: string;
  /** A task must carry every one of these labels. */
  labels: readonly string[];
  /** Case-insensitive text in the id or the title. */
  q?: string;
  sort: TaskSort;
}

interface Entry {
  task: RoadmapTask;
  /** Lower-cased id and title, for `q`. */
  text: string;
}

export interface TaskIndex {
  /** Changes whenever the roadmap's content does (and only then): the ETag and the cursors' anchor. */
  readonly hash: string;
  readonly roadmap: Roadmap;
  readonly byId: ReadonlyMap<string, RoadmapTask>;
  readonly dependents: ReadonlyMap<string, readonly RoadmapTask[]>;
  readonly sorted: Readonly<Record<TaskSort, readonly Entry[]>>;
}

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'variant' });
const stateRank = Object.fromEntries(TASK_STATES.map((s, i) => [s, i])) as Record<TaskState, number>;

const indexes = new WeakMap<Roadmap, TaskIndex>();

/** The index of a roadmap value, built on first use (the collector keeps the value while the file is unchanged). */
export function taskIndex(roadmap: Roadmap): TaskIndex {
  let index = indexes.get(roadmap);
  if (!index) {
    index = buildIndex(roadmap);
    indexes.set(roadmap, index);
  }
  return index;
}

function buildIndex(roadmap: Roadmap): TaskIndex {
  const byId = new Map<string, RoadmapTask>();
  const dependents = new Map<string, RoadmapTask[]>();
  for (const t of roadmap.tasks) {
    if (!byId.has(t.id)) byId.set(t.id, t);
    for (const dep of new Set(t.dependencies)) {
      const list = dependents.get(dep);
      if (list) list.push(t);
      else dependents.set(dep, [t]);
    }
  }
  const entries: Entry[] = roadmap.tasks.map((task) => ({ task, text: `${task.id}\u0000${task.title}`.toLowerCase() }));
  // One collator sort (the costly compare); the other orders reuse its ranks. Sorts are stable:
  // a repeated id keeps the roadmap's order.
  const byIdOrder = [...entries].sort((a, b) => collator.compare(a.task.id, b.task.id));
  const idRank = new Map(byIdOrder.map((e, i) => [e, i]));
  const epicRank = new Map([...new Set(roadmap.tasks.map((t) => t.epic))].sort(collator.compare).map((epic, i) => [epic, i]));
  const then = (key: (e: Entry) => number) => [...byIdOrder].sort((a, b) => key(a) - key(b) || idRank.get(a)! - idRank.get(b)!);
  const sorted: Record<TaskSort, Entry[]> = {
    id: byIdOrder,
    status: then((e) => stateRank[e.task.status]),
    epic: then((e) => epicRank.get(e.task.epic)!),
  };
  const hash = createHash('sha256').update(JSON.stringify(roadmap)).digest('base64url').slice(0, 22);
  return { hash, roadmap, byId, dependents, sorted };
}

function matches(e: Entry, f: TaskFilter, q: string | undefined): boolean {
  const t = e.task;
  return (
    (f.state === undefined || t.status === f.state) &&
    (f.epic === undefined || t.epic === f.epic) &&
    (f.milestone === undefined || (t.milestone ?? NO_MILESTONE) === f.milestone) &&
    (f.domain === undefined || t.domain === f.domain) &&
    f.labels.every((l) => t.labels.includes(l)) &&
    (q === undefined || e.text.includes(q))
  );
}

/** The tasks matching the filter, in its sort order. */
export function filterTasks(index: TaskIndex, f: TaskFilter): RoadmapTask[] {
  const q = f.q?.toLowerCase();
  const out: RoadmapTask[] = [];
  for (const e of index.sorted[f.sort]) if (matches(e, f, q)) out.push(e.task);
  return out;
}

export const taskSummary = (t: RoadmapTask): TaskSummary => ({
  id: t.id,
  title: t.title,
  status: t.status,
  epic: t.epic,
  milestone: t.milestone ?? null,
  domain: t.domain ?? null,
  labels: t.labels,
  dependencies: t.dependencies,
});

// --- cursors -----------------------------------------------------------------------------------

interface CursorBody {
  /** The roadmap content hash the position refers to. */
  h: string;
  /** The filter and sort the cursor was issued for. */
  f: string;
  /** Offset of the next page's first task. */
  o: number;
}

function filterKey(f: TaskFilter): string {
  const canonical = [f.sort, f.state, f.epic, f.milestone, f.domain, [...f.labels].sort(), f.q];
  return createHash('sha256').update(JSON.stringify(canonical)).digest('base64url').slice(0, 12);
}

const encodeCursor = (c: CursorBody) => Buffer.from(JSON.stringify(c)).toString('base64url');

function decodeCursor(text: string): CursorBody | undefined {
  try {
    const c = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Partial<CursorBody>;
    const ok = typeof c.h === 'string' && typeof c.f === 'string' && Number.isSafeInteger(c.o) && c.o! >= 0;
    return ok ? (c as CursorBody) : undefined;
  } catch {
    return undefined;
  }
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; status: 400 | 404 | 410; error: string; parameter?: string };

/** One page of the filtered list; a cursor from another roadmap content is 410, one from another query 400. */
export function listTasks(index: TaskIndex, f: TaskFilter, page: { limit: number; cursor?: string }): Outcome<TaskList> {
  const key = filterKey(f);
  let offset = 0;
  if (page.cursor !== undefined) {
    const c = decodeCursor(page.cursor);
    if (!c) return { ok: false, status: 400, parameter: 'cursor', error: 'cursor: not a cursor this server issued' };
    if (c.f !== key) {
      return { ok: false, status: 400, parameter: 'cursor', error: 'cursor: issued for other filters or another sort; repeat them unchanged' };
    }
    if (c.h !== index.hash) {
      return { ok: false, status: 410, parameter: 'cursor', error: 'cursor: the roadmap changed since this cursor was issued; start again without a cursor' };
    }
    offset = c.o;
  }
  const all = filterTasks(index, f);
  const end = offset + page.limit;
  const value: TaskList = { total: all.length, tasks: all.slice(offset, end).map(taskSummary) };
  if (end < all.length) value.next = encodeCursor({ h: index.hash, f: key, o: end });
  return { ok: true, value };
}

/** The title a roadmap gives an epic or milestone id, if any. */
export function titleOf(titles: Record<string, string> | undefined, key: string | undefined): string | undefined {
  return key !== undefined && titles && Object.hasOwn(titles, key) ? titles[key] : undefined;
}

const ref = (index: TaskIndex, id: string) => {
  const t = index.byId.get(id);
  return { id, title: t?.title ?? null, status: t?.status ?? null };
};

/** One task with its epic and milestone titles, dependencies and dependents (each with its state), and its timeline's totals. */
export function taskDetail(index: TaskIndex, id: string, totals: TaskTotals): Outcome<TaskDetail> {
  const t = index.byId.get(id);
  if (!t) return { ok: false, status: 404, error: `no task with id ${JSON.stringify(id.slice(0, 200))} in the roadmap` };
  const { epicTitles, milestoneTitles } = index.roadmap;
  return {
    ok: true,
    value: {
      id: t.id,
      title: t.title,
      status: t.status,
      domain: t.domain ?? null,
      labels: t.labels,
      epic: { id: t.epic, title: titleOf(epicTitles, t.epic) ?? null },
      milestone: t.milestone === undefined ? null : { id: t.milestone, title: titleOf(milestoneTitles, t.milestone) ?? null },
      dependencies: [...new Set(t.dependencies)].map((d) => ref(index, d)),
      dependents: (index.dependents.get(t.id) ?? []).map((d) => ({ id: d.id, title: d.title, status: d.status })),
      totals,
    },
  };
}
