/**
 * The CSV exports, each declared once as data (file name, columns, rows from the snapshot):
 * the HTTP layer routes and streams them and the OpenAPI document lists their columns.
 * csv-stringify writes RFC 4180 (CRLF, quoting fields with `,` `"` CR or LF, quotes doubled)
 * and neutralises spreadsheet formulas (a field starting with = + - @ tab or CR gets a `'`).
 */
import { Readable } from 'node:stream';
import { stringify, type Options } from 'csv-stringify';
import type { Snapshot } from '../collector/snapshot.js';
import { TASK_STATES, type RoadmapTask } from '../sources/roadmap.js';
import type { ModelExecutions } from '../sources/executions.js';
import type { ProviderUsage } from '../sources/usage.js';
import type { ActiveLoop, ClosedLoop } from '../sources/resolution.js';
import { taskCounts } from './derived.js';
import { filterTasks, taskIndex, titleOf, type TaskFilter } from './tasks.js';

/** A column: its header and how a row gives its value (null/undefined → empty field). */
type Column<R> = readonly [header: string, value: (row: R) => unknown];

export interface CsvExport {
  /** The route is /api/metrics/export/<name>; the file wvo-<name>-<date>.csv. */
  readonly name: string;
  readonly description: string;
  /** Takes the task filters of /api/tasks. */
  readonly filtered: boolean;
  readonly headers: readonly string[];
  records(s: Snapshot, filter: TaskFilter): Iterable<unknown[]>;
}

function csvExport<R>(def: {
  name: string;
  description: string;
  filtered?: boolean;
  columns: readonly Column<R>[];
  rows: (s: Snapshot, filter: TaskFilter) => Iterable<R>;
}): CsvExport {
  const values = def.columns.map(([, value]) => value);
  return {
    name: def.name,
    description: def.description,
    filtered: def.filtered ?? false,
    headers: def.columns.map(([header]) => header),
    *records(s, filter) {
      for (const row of def.rows(s, filter)) yield values.map((v) => v(row));
    },
  };
}

const iso = (ms: number | undefined) => (ms === undefined ? '' : new Date(ms).toISOString());
const list = (items: readonly string[]) => items.join(';');
const byCountDesc = <T>(key: (x: T) => string) => (a: [T, number], b: [T, number]) => b[1] - a[1] || key(a[0]).localeCompare(key(b[0]));

type Titled = RoadmapTask & { epicTitle?: string; milestoneTitle?: string };

const exportsList: CsvExport[] = [
  csvExport<[string, number]>({
    name: 'tasks',
    description: 'Tasks per state (the newest health snapshot, else the roadmap).',
    columns: [
      ['state', ([state]) => state],
      ['count', ([, n]) => n],
    ],
    rows: (s) => {
      const counts = taskCounts(s);
      return TASK_STATES.map((st) => [st, counts[st]]);
    },
  }),
  csvExport<ActiveLoop>({
    name: 'resolution',
    description: 'Active resolution loops.',
    columns: [
      ['task_id', (l) => l.taskId],
      ['attempts', (l) => l.attempts],
      ['last_label', (l) => l.lastLabel],
      ['elapsed_ms', (l) => l.elapsedMs],
      ['first_attempt_at', (l) => iso(l.firstAttemptAt)],
      ['last_attempt_at', (l) => iso(l.lastAttemptAt)],
    ],
    rows: (s) => s.data.resolution.activeLoops,
  }),
  csvExport<Titled>({
    name: 'roadmap',
    description: 'Every roadmap task matching the filters of GET /api/tasks, in its sort order; lists are `;`-separated.',
    filtered: true,
    columns: [
      ['id', (t) => t.id],
      ['title', (t) => t.title],
      ['status', (t) => t.status],
      ['epic', (t) => t.epic],
      ['epic_title', (t) => t.epicTitle],
      ['milestone', (t) => t.milestone],
      ['milestone_title', (t) => t.milestoneTitle],
      ['domain', (t) => t.domain],
      ['labels', (t) => list(t.labels)],
      ['dependencies', (t) => list(t.dependencies)],
    ],
    *rows(s, filter) {
      const r = s.data.roadmap;
      for (const t of filterTasks(taskIndex(r), filter)) {
        yield { ...t, epicTitle: titleOf(r.epicTitles, t.epic), milestoneTitle: titleOf(r.milestoneTitles, t.milestone) };
      }
    },
  }),
  csvExport<[string, { approved: number; rejected: number }]>({
    name: 'quality_gates',
    description: 'Reviews per quality gate.',
    columns: [
      ['gate', ([gate]) => gate],
      ['approvals', ([, g]) => g.approved],
      ['rejections', ([, g]) => g.rejected],
    ],
    rows: (s) => Object.entries(s.data.quality_decisions.reviews).sort(([a], [b]) => a.localeCompare(b)),
  }),
  csvExport<[string, number]>({
    name: 'rejection_reasons',
    description: 'Every rejection reason with its count, most frequent first.',
    columns: [
      ['reason', ([reason]) => reason],
      ['count', ([, n]) => n],
    ],
    rows: (s) => Object.entries(s.data.quality_decisions.rejectionReasons).sort(byCountDesc((r: string) => r)),
  }),
  csvExport<ModelExecutions>({
    name: 'executions',
    description: 'Executions by agent type and model: outcomes, tokens, cost and time.',
    columns: [
      ['agent_type', (a) => a.agentType],
      ['model', (a) => a.model],
      ['executions', (a) => a.success + a.failure],
      ['success', (a) => a.success],
      ['failure', (a) => a.failure],
      ['prompt_tokens', (a) => a.promptTokens],
      ['completion_tokens', (a) => a.completionTokens],
      ['cost_usd', (a) => a.costUsd],
      ['duration_seconds_total', (a) => a.duration.sum],
    ],
    rows: (s) => [...s.data.executions.byModel].sort((a, b) => a.agentType.localeCompare(b.agentType) || a.model.localeCompare(b.model)),
  }),
  csvExport<ProviderUsage>({
    name: 'usage',
    description: 'Provider usage in the current hour and day, with the limits.',
    columns: [
      ['id', (p) => p.id],
      ['provider', (p) => p.provider],
      ['account', (p) => p.account],
      ['tier', (p) => p.tier],
      ['hourly_requests', (p) => p.hourlyRequests],
      ['hourly_tokens', (p) => p.hourlyTokens],
      ['daily_requests', (p) => p.dailyRequests],
      ['daily_tokens', (p) => p.dailyTokens],
      ['hourly_request_limit', (p) => p.limits.hourlyRequests],
      ['hourly_token_limit', (p) => p.limits.hourlyTokens],
      ['daily_request_limit', (p) => p.limits.dailyRequests],
      ['daily_token_limit', (p) => p.limits.dailyTokens],
      ['utilization_percent', (p) => p.percentageUsed],
    ],
    rows: (s) => s.data.usage.providers,
  }),
  csvExport<ClosedLoop>({
    name: 'resolution_closed',
    description: 'Recently closed resolution loops.',
    columns: [
      ['task_id', (c) => c.taskId],
      ['attempts', (c) => c.attempts],
      ['closed_at', (c) => iso(c.closedAt)],
      ['duration_ms', (c) => c.durationMs],
      ['run_id', (c) => c.runId],
    ],
    rows: (s) => s.data.resolution.recentlyClosed,
  }),
];

export const CSV_EXPORTS: ReadonlyMap<string, CsvExport> = new Map(exportsList.map((e) => [e.name, e]));

const options: Options = {
  record_delimiter: 'windows',
  quote_record_delimiter: true,
  escape_formulas: true,
  cast: { boolean: (v) => String(v) },
};

/** The export as a stream of CSV text. */
export function csvStream(e: CsvExport, s: Snapshot, filter: TaskFilter): Readable {
  const out = stringify(options);
  const source = Readable.from(withHeader(e, s, filter));
  source.on('error', (err) => out.destroy(err));
  return source.pipe(out);
}

function* withHeader(e: CsvExport, s: Snapshot, filter: TaskFilter): Generator<readonly unknown[]> {
  yield e.headers;
  yield* e.records(s, filter);
}

/** `wvo-<name>-YYYY-MM-DD.csv`, dated by the UTC day of the export. */
export const csvFileName = (e: CsvExport, now = new Date()) => `wvo-${e.name}-${now.toISOString().slice(0, 10)}.csv`;
