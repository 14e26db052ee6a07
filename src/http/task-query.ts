/**
 * The query string of /api/tasks and /api/metrics/export/roadmap, validated with zod. The app's
 * `simple` query parser (node:querystring) gives a string per parameter, or an array when it is
 * repeated: only `label` may repeat. An empty value means "no filter", so a link template
 * like `?state=&epic=` works as it is.
 */
import { z } from 'zod';
import { TASK_STATES } from '../sources/roadmap.js';
import { TASK_SORTS, type TaskFilter } from '../views/tasks.js';

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;

const once = (what: string) => ({ error: (iss: { input?: unknown }) => (Array.isArray(iss.input) ? 'give it once' : what) });
const emptyIsAbsent = <T>(v: T | '') => (v === '' ? undefined : v);
const text = (description: string) =>
  z.string(once('expected text')).max(200, 'at most 200 characters').transform(emptyIsAbsent).optional().describe(description);
const oneOf = <T extends readonly [string, ...string[]]>(values: T, description: string) =>
  z
    .union([z.literal(''), z.enum(values)], once(`one of ${values.join(', ')}`))
    .transform(emptyIsAbsent)
    .optional()
    .describe(description);

const filters = {
  state: oneOf(TASK_STATES, 'Only tasks in this state.'),
  epic: text('Only tasks of this epic id (`none`: tasks outside any epic).'),
  milestone: text('Only tasks of this milestone id (`none`: tasks without a milestone).'),
  domain: text('Only tasks of this domain.'),
  label: z
    .union([z.string(), z.array(z.string())], 'expected text')
    .transform((v) => (Array.isArray(v) ? v : [v]).filter((l) => l !== ''))
    .optional()
    .describe('Only tasks carrying this label; repeat it for tasks carrying every one of them.'),
  q: text('Case-insensitive text in the id or the title.'),
  sort: oneOf(TASK_SORTS, 'Order: `id` (natural order of ids, the default), `status` (pending → done, then id) or `epic` (then id).'),
};

export const TaskExportQuery = z.strictObject(filters);

const limit = (what: string, byDefault: number, max: number) =>
  z
    .string(once(`an integer from 1 to ${max}`))
    .regex(/^\d{0,6}$/, `an integer from 1 to ${max}`)
    .transform((v) => (v === '' ? byDefault : Number(v)))
    .pipe(z.number().min(1, `an integer from 1 to ${max}`).max(max, `an integer from 1 to ${max}`))
    .optional()
    .describe(`${what} per page, 1 to ${max} (default ${byDefault}).`);

export const TaskListQuery = z.strictObject({
  ...filters,
  limit: limit('Tasks', DEFAULT_LIMIT, MAX_LIMIT),
  cursor: text('The `next` of the previous page; valid while the roadmap is unchanged (410 after).'),
});

export const DEFAULT_TIMELINE_LIMIT = 100;
export const MAX_TIMELINE_LIMIT = 1000;

export const TimelineQuery = z.strictObject({
  limit: limit('Events', DEFAULT_TIMELINE_LIMIT, MAX_TIMELINE_LIMIT),
  cursor: text('The `next` of the previous page; stays valid as events are appended.'),
});

export interface QueryError {
  parameter: string;
  error: string;
}

type Parsed<S extends z.ZodType> = { ok: true; value: z.output<S> } | ({ ok: false } & QueryError);

/** Parses a query, or names the first parameter at fault. */
export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): Parsed<S> {
  const r = schema.safeParse(query ?? {});
  if (r.success) return { ok: true, value: r.data };
  const issue = r.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const parameter = issue.keys[0]!;
    return { ok: false, parameter, error: `${parameter}: unknown parameter` };
  }
  const parameter = String(issue.path[0]);
  return { ok: false, parameter, error: `${parameter}: ${issue.message}` };
}

/** The filter part of a parsed query, in the views' terms. */
export function toFilter(q: z.output<typeof TaskExportQuery>): TaskFilter {
  return { state: q.state, epic: q.epic, milestone: q.milestone, domain: q.domain, labels: q.label ?? [], q: q.q, sort: q.sort ?? 'id' };
}
