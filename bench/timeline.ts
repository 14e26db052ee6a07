// The task timeline (issue 20): GET /api/tasks/{id}/timeline for a task with about 100 events
// under the bench's load (20 connections; quiet, and while the writers append to the logs), and
// the size of the line index the route reads through, per line, from an in-process collector.
import type { Collector } from '../src/collector/collector.js';
import { taskId } from './workspace.js';

interface Load {
  rps: number;
  p50: number;
  p99: number;
  max: number;
  non2xx: number;
  errors: number;
}

export interface TimelineRow {
  figure: string;
  measured: string;
  goal: string;
  met: boolean;
}

/** The goal of the issue: the timeline of a task with 100 events answers within this, p99, under load. */
export const TIMELINE_P99_GOAL_MS = 20;
/** Our bound for the index: its 12-byte triples plus the task table and the last chunk's slack. */
export const INDEX_BYTES_PER_LINE_GOAL = 16;

/**
 * A task of the generated workspace whose timeline holds close to `events` events (its lines are
 * spread over the live logs and the archives), and the path of its first page holding them all.
 */
export async function timelineTask(base: string, get: (url: string) => Promise<{ status: number; body: Buffer }>, events = 100): Promise<{ path: string; total: number }> {
  let best: { id: string; total: number } | undefined;
  for (let i = 0; i < 200; i++) {
    const id = taskId(i);
    const r = await get(`${base}/api/tasks/${encodeURIComponent(id)}/timeline?limit=1`);
    if (r.status !== 200) continue;
    const total = (JSON.parse(r.body.toString()) as { total: number }).total;
    if (!best || Math.abs(total - events) < Math.abs(best.total - events)) best = { id, total };
    if (total === events) break;
  }
  if (!best) throw new Error('no task of the workspace has a timeline');
  return { path: `/api/tasks/${encodeURIComponent(best.id)}/timeline?limit=${Math.max(best.total, 1)}`, total: best.total };
}

const ms = (x: number) => `${x.toFixed(1)} ms`;
const cell = (l: Load) => `p99 ${ms(l.p99)} (p50 ${ms(l.p50)}, max ${ms(l.max)}, ${Math.round(l.rps)} req/s${l.non2xx || l.errors ? `, ${l.non2xx} non-2xx, ${l.errors} errors` : ''})`;

export function timelineRow(total: number, quiet: Load | undefined, busy: Load | undefined): TimelineRow {
  const parts = [quiet && `quiet ${cell(quiet)}`, busy && `while files change ${cell(busy)}`].filter(Boolean);
  const worst = Math.max(quiet?.p99 ?? 0, busy?.p99 ?? 0);
  const clean = [quiet, busy].every((l) => !l || (l.non2xx === 0 && l.errors === 0));
  return {
    figure: `\`/api/tasks/{id}/timeline\` p99, a task with ${total} events`,
    measured: parts.join('; '),
    goal: `≤ ${TIMELINE_P99_GOAL_MS} ms`,
    met: worst <= TIMELINE_P99_GOAL_MS && clean,
  };
}

/** The line index of a started collector, summed over the task logs. */
export async function indexRow(c: Collector): Promise<TimelineRow> {
  const stats = Object.values(await c.taskIndexStats());
  const sum = (f: (s: (typeof stats)[number]) => number) => stats.reduce((n, s) => n + f(s), 0);
  const lines = sum((s) => s.lines);
  const arrays = sum((s) => s.arrayBytes);
  const table = sum((s) => s.taskTableBytes);
  const perLine = (arrays + table) / Math.max(1, lines);
  const kb = (b: number) => `${(b / 1024).toFixed(0)} KB`;
  return {
    figure: 'task line index, bytes per indexed line',
    measured:
      `**${perLine.toFixed(1)} B/line** (${lines} lines of ${sum((s) => s.tasks)} task ids in ${sum((s) => s.files)} files: ` +
      `columns ${kb(arrays)} = ${(arrays / Math.max(1, lines)).toFixed(1)} B/line, task table ${kb(table)} (estimated)${sum((s) => s.dropped) ? `; ${sum((s) => s.dropped)} lines not indexed` : ''})`,
    goal: `≤ ${INDEX_BYTES_PER_LINE_GOAL} B/line`,
    met: perLine <= INDEX_BYTES_PER_LINE_GOAL,
  };
}
