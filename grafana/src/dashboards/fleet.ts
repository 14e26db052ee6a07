/**
 * The fleet overview: one row per autopilot (exporter instance), each linking to the
 * per-autopilot dashboards with that instance selected, and the few totals that add up.
 */
import { dashboard, type DataLink } from '../builder.js';
import { orZero, withWorkspace } from '../promql.js';
import { thresholdsOf, unitOf } from '../style.js';

/** Per-autopilot dashboards a fleet row links to (uid, title). */
const TARGETS: [uid: string, title: string][] = [
  ['wvo-tasks', 'Task execution'],
  ['wvo-quality', 'Quality gates'],
  ['wvo-resolution', 'Resolution loops'],
  ['wvo-resources', 'Resources and providers'],
  ['wvo-budgets', 'Budgets and objectives'],
  ['wvo-exporter', 'Exporter health'],
];
const rowLinks: DataLink[] = TARGETS.map(([uid, title]) => ({
  title: `${title} · \${__data.fields.workspace}`,
  url: `/d/${uid}?\${datasource:queryparam}&\${job:queryparam}&var-instance=\${__data.fields.instance:percentencode}&\${__url_time_range}`,
  targetBlank: false,
}));

const column = (name: string, properties: { id: string; value: unknown }[]) => ({ matcher: { id: 'byName', options: name }, properties });
const cell = (type: string) => ({ id: 'custom.cellOptions', value: { type } });

export default dashboard({
  uid: 'wvo-fleet',
  title: 'WVO Autopilot · Fleet overview',
  description: 'Every autopilot scraped by this Prometheus, one row each: is it running, how much work waits or is blocked, how well and how expensively it works, and what is firing. Click a workspace for its dashboards.',
  tags: ['wvo', 'fleet'],
  rows: [
    {
      row: 'Autopilots',
      panels: [
        {
          type: 'table',
          title: 'Autopilots (cost over 24h)',
          description: 'One row per autopilot: workspace (WVO_WORKSPACE_NAME), running, queue depth, blocked tasks, success ratio, execution cost in the last 24h, the highest token usage against a provider limit, firing alerts, state sources that fail to parse, and — with a budgets file — the most-spent day and month budget and the fastest-burning objective over the last hour. Click the workspace to open its dashboards with that instance selected.',
          w: 24,
          h: 9,
          unit: 'count',
          queries: [
            { expr: 'max by (instance, workspace) (wvo_exporter_info)', table: true },
            { expr: 'max by (instance) (wvo_autopilot_running)', table: true },
            { expr: 'max by (instance) (wvo_task_queue_depth)', table: true },
            { expr: orZero('sum by (instance) (wvo_tasks{state="blocked"})'), table: true },
            { expr: 'max by (instance) (wvo_task_success_ratio)', table: true },
            { expr: orZero('sum by (instance) (increase(wvo_execution_cost_usd_total[24h]))'), table: true },
            { expr: 'max by (instance) (wvo_provider_tokens / (wvo_provider_token_limit > 0))', table: true },
            { expr: orZero('count by (instance) (ALERTS{alertstate="firing"})'), table: true },
            { expr: 'sum by (instance) ((wvo_source_up == bool 0) * on(job, instance, source) wvo_source_present)', table: true },
            // Budgets (docs/budgets.md): empty for an autopilot without WVO_BUDGETS_FILE.
            { expr: 'max by (instance) (wvo:budget_spend_usd:period_to_date{period="day"} / on (job, instance, period, scope) wvo_budget_usd)', table: true },
            { expr: 'max by (instance) (wvo:budget_spend_usd:period_to_date{period="month"} / on (job, instance, period, scope) wvo_budget_usd)', table: true },
            { expr: 'max by (instance) (wvo:objective_error_budget:burn_rate1h)', table: true },
          ],
          options: { sortBy: [{ desc: false, displayName: 'workspace' }] },
          overrides: [
            column('workspace', [{ id: 'links', value: rowLinks }]),
            column('running', [
              { id: 'mappings', value: [{ type: 'value', options: { 0: { color: 'red', index: 0, text: 'stopped' }, 1: { color: 'green', index: 1, text: 'running' } } }] },
              cell('color-background'),
            ]),
            column('blocked', [cell('color-text'), thresholdsOf('anyIsWarning')]),
            column('success', [unitOf('ratio'), cell('color-text'), thresholdsOf('highIsGood')]),
            column('cost 24h', [unitOf('usd'), { id: 'decimals', value: 2 }]),
            column('top token usage', [unitOf('ratio'), cell('color-text'), thresholdsOf('usage')]),
            column('firing alerts', [cell('color-background'), thresholdsOf('anyIsBad'), { id: 'decimals', value: 0 }]),
            column('sources down', [cell('color-text'), thresholdsOf('anyIsBad'), { id: 'decimals', value: 0 }]),
            column('day budget spent', [unitOf('ratio'), cell('color-text'), thresholdsOf('usage')]),
            column('month budget spent', [unitOf('ratio'), cell('color-text'), thresholdsOf('usage')]),
            column('worst burn rate 1h', [cell('color-text'), thresholdsOf('burnRate'), { id: 'decimals', value: 1 }]),
          ],
          transformations: [
            { id: 'merge', options: {} },
            {
              id: 'organize',
              options: {
                excludeByName: { Time: true, 'Value #A': true },
                indexByName: { workspace: 0, instance: 1, 'Value #B': 2, 'Value #C': 3, 'Value #D': 4, 'Value #E': 5, 'Value #F': 6, 'Value #G': 7, 'Value #H': 8, 'Value #I': 9, 'Value #J': 10, 'Value #K': 11, 'Value #L': 12 },
                renameByName: {
                  'Value #B': 'running',
                  'Value #C': 'queue depth',
                  'Value #D': 'blocked',
                  'Value #E': 'success',
                  'Value #F': 'cost 24h',
                  'Value #G': 'top token usage',
                  'Value #H': 'firing alerts',
                  'Value #I': 'sources down',
                  'Value #J': 'day budget spent',
                  'Value #K': 'month budget spent',
                  'Value #L': 'worst burn rate 1h',
                },
              },
            },
          ],
        },
      ],
    },
    {
      row: 'Fleet totals',
      panels: [
        {
          type: 'stat',
          title: 'Autopilots up',
          description: 'Exporters Prometheus scrapes successfully, of all it scrapes (a sum across autopilots).',
          w: 6,
          h: 5,
          unit: 'count',
          thresholds: 'info',
          queries: [
            { expr: 'sum(up)', legend: 'up' },
            { expr: 'count(up)', legend: 'scraped' },
          ],
          options: { graphMode: 'none', textMode: 'value_and_name' },
        },
        {
          type: 'stat',
          title: 'Queue depth (all autopilots)',
          description: 'Tasks waiting across the selected autopilots (a sum: the fleet backlog).',
          w: 6,
          h: 5,
          unit: 'count',
          thresholds: 'info',
          queries: [{ expr: 'sum(wvo_task_queue_depth)', legend: 'queued' }],
        },
        {
          type: 'stat',
          title: 'Blocked tasks (all autopilots)',
          description: 'Blocked tasks across the selected autopilots (a sum).',
          w: 6,
          h: 5,
          unit: 'count',
          thresholds: 'anyIsWarning',
          queries: [{ expr: 'sum(wvo_tasks{state="blocked"})', legend: 'blocked' }],
        },
        {
          type: 'stat',
          title: 'Execution cost over 24h (all autopilots)',
          description: 'What the executions of the selected autopilots cost in the last 24h (a sum).',
          w: 6,
          h: 5,
          unit: 'usd',
          thresholds: 'info',
          queries: [{ expr: 'sum(increase(wvo_execution_cost_usd_total[24h]))', legend: 'cost' }],
          defaults: { decimals: 2 },
        },
      ],
    },
    {
      row: 'Per autopilot over time',
      panels: [
        {
          type: 'timeseries',
          title: 'Queue depth by autopilot',
          description: 'Queue depth of each autopilot, named by workspace.',
          w: 8,
          h: 8,
          unit: 'count',
          queries: [{ expr: withWorkspace('max by (instance) (wvo_task_queue_depth)'), legend: '{{workspace}}' }],
        },
        {
          type: 'timeseries',
          title: 'Success ratio by autopilot',
          description: 'Quality-gate success ratio of each autopilot.',
          w: 8,
          h: 8,
          unit: 'ratio',
          thresholds: 'line90',
          queries: [{ expr: withWorkspace('max by (instance) (wvo_task_success_ratio)'), legend: '{{workspace}}' }],
          defaults: { min: 0, max: 1, custom: { thresholdsStyle: { mode: 'dashed' } } },
        },
        {
          type: 'timeseries',
          title: 'Execution cost rate by autopilot (per hour)',
          description: 'Dollars per hour spent by each autopilot’s executions (rate over $__rate_interval).',
          w: 8,
          h: 8,
          unit: 'usd',
          queries: [{ expr: withWorkspace('3600 * sum by (instance) (rate(wvo_execution_cost_usd_total[$__rate_interval]))'), legend: '{{workspace}}' }],
        },
      ],
    },
  ],
});
