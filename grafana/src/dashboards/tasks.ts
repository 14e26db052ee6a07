import { dashboard } from '../builder.js';
import { orZero } from '../promql.js';
import { unitOf } from '../style.js';
import { healthLoop, remediationAnnotations } from './health-loop.js';
import { executionsByModel } from './models.js';

export default dashboard({
  uid: 'wvo-tasks',
  title: 'WVO Autopilot · Task execution',
  description: "Where the autopilot's tasks are, how fast they finish, how often they succeed, and what the agents executing them are doing.",
  tags: ['wvo', 'tasks'],
  time: 'now-6h',
  links: [
    {
      title: 'Task drill-down (REST)',
      url: '${exporter_url}/api/metrics/tasks',
      tooltip: 'Per-state task lists from the exporter',
    },
    { title: 'Tasks CSV', url: '${exporter_url}/api/metrics/export/tasks', tooltip: 'state,count as CSV' },
    { title: 'All tasks (REST)', url: '${exporter_url}/api/tasks', tooltip: 'Every roadmap task, filtered and paginated' },
    { title: 'Roadmap CSV', url: '${exporter_url}/api/metrics/export/roadmap', tooltip: 'The roadmap task list as CSV' },
  ],
  annotations: remediationAnnotations,
  variables: [
    { name: 'agent_type', labelValues: { metric: 'wvo_executions_total', label: 'agent_type' } },
    { name: 'epic', labelValues: { metric: 'wvo_roadmap_tasks', label: 'epic' } },
  ],
  rows: [
    {
      row: 'Now',
      panels: [
        {
          type: 'stat',
          title: 'Autopilot running',
          description: 'Whether the autopilot reports itself running (health.running). Red when it has stopped.',
          w: 4,
          h: 5,
          unit: 'none',
          thresholds: 'upIsGood',
          queries: ['wvo_autopilot_running'],
          mappings: [
            {
              type: 'value',
              options: { "0": { color: 'red', index: 0, text: 'Stopped' }, "1": { color: 'green', index: 1, text: 'Running' } },
            },
          ],
          options: { colorMode: 'background', graphMode: 'none' },
        },
        {
          type: 'stat',
          title: 'Queue depth',
          description: 'Tasks waiting in the orchestrator queue (newest health snapshot).',
          w: 4,
          h: 5,
          unit: 'count',
          thresholds: 'info',
          queries: ['wvo_task_queue_depth'],
        },
        {
          type: 'gauge',
          title: 'WIP utilization',
          description: 'Share of work-in-progress slots in use (0..1). Near 100 % means agents are saturated and new work waits in the queue.',
          w: 4,
          h: 5,
          unit: 'ratio',
          thresholds: 'usage85',
          queries: ['wvo_task_wip_utilization_ratio'],
        },
        {
          type: 'stat',
          title: 'Completion rate (per hour / day / week)',
          description: "Tasks completed in the last hour (wvo_task_throughput{window=\"1h\"}), and that hourly rate extrapolated to a day (×24) and a week (×168) — the original backend's formula.",
          w: 8,
          h: 5,
          unit: 'count',
          thresholds: 'info',
          queries: [
            { expr: 'wvo_task_throughput{window="1h"}', legend: 'per hour' },
            { expr: 'wvo_task_throughput{window="1h"} * 24', legend: 'per day' },
            { expr: 'wvo_task_throughput{window="1h"} * 168', legend: 'per week' },
          ],
          options: { textMode: 'value_and_name' },
          defaults: { decimals: 1 },
        },
        {
          type: 'stat',
          title: 'Bottleneck stage',
          description: "The non-done state holding the most tasks, shown only when it holds at least 25 % of the non-done tasks (the original backend's bottleneck rule). Click for that state's tasks. Shows \"none\" when no state holds 25 % of the tasks.",
          w: 4,
          h: 5,
          unit: 'count',
          thresholds: 'orange',
          queries: [
            {
              expr: 'topk by (instance) (1, wvo_tasks{state!="done"} >= on(instance) group_left() (0.25 * sum by (instance) (wvo_tasks{state!="done"})))'
                + ' or on(instance) label_replace(0 * group by (instance) (up), "state", "none", "", "")',
              legend: '{{state}}',
              instant: true,
            },
          ],
          links: [
            {
              title: 'Tasks in state "${__field.labels.state}" (REST drill-down)',
              url: '${exporter_url}/api/metrics/tasks#${__field.labels.state}',
            },
          ],
          options: { graphMode: 'none', textMode: 'value_and_name' },
          defaults: { noValue: 'No bottleneck' },
        },
      ],
    },
    healthLoop,
    {
      row: 'Task states',
      panels: [
        {
          type: 'timeseries',
          title: 'Tasks by state',
          description: "Tasks in each state (pending, ready, in_progress, blocked, done) from the newest health snapshot, stacked. Click a series for that state's task list.",
          w: 12,
          h: 8,
          unit: 'count',
          queries: [{ expr: 'sum by (instance, state) (wvo_tasks)', legend: '{{state}}' }],
          links: [
            {
              title: 'Tasks in state "${__field.labels.state}" (REST drill-down)',
              url: '${exporter_url}/api/metrics/tasks#${__field.labels.state}',
            },
          ],
          defaults: { custom: { fillOpacity: 50, stacking: { mode: 'normal' } } },
        },
        {
          type: 'bargauge',
          title: 'Tasks by state (now)',
          description: 'Current task count per state. Each bar links to the REST drill-down for that state.',
          w: 6,
          h: 8,
          unit: 'count',
          thresholds: 'info',
          queries: [{ expr: 'sum by (instance, state) (wvo_tasks)', legend: '{{state}}', instant: true }],
          links: [
            {
              title: 'Tasks in state "${__field.labels.state}" (REST drill-down)',
              url: '${exporter_url}/api/metrics/tasks#${__field.labels.state}',
            },
          ],
        },
        {
          type: 'timeseries',
          title: 'Queue depth and WIP utilization',
          description: 'Queue depth (left axis) against WIP utilization (right axis, 0..100 %). A growing queue with WIP pinned near 100 % means the agent pool is the limit.',
          w: 6,
          h: 8,
          unit: 'count',
          queries: [
            { expr: 'wvo_task_queue_depth', legend: 'queue depth' },
            { expr: 'wvo_task_wip_utilization_ratio', legend: 'WIP utilization' },
          ],
          overrides: [
            {
              matcher: { id: 'byName', options: 'WIP utilization' },
              properties: [
                unitOf('ratio'),
                { id: 'min', value: 0 },
                { id: 'max', value: 1 },
                { id: 'custom.axisPlacement', value: 'right' },
              ],
            },
          ],
        },
        {
          type: 'timeseries',
          title: 'Stale tasks',
          description: 'Tasks the autopilot reports as stale (left) and the age of the stalest one (right axis). A rising age means something is stuck.',
          w: 12,
          h: 8,
          unit: 'count',
          queries: [
            { expr: 'wvo_tasks_stale', legend: 'stale tasks' },
            { expr: 'wvo_task_max_stale_age_seconds', legend: 'max stale age' },
          ],
          overrides: [
            {
              matcher: { id: 'byName', options: 'max stale age' },
              properties: [unitOf('seconds'), { id: 'custom.axisPlacement', value: 'right' }],
            },
          ],
        },
        {
          type: 'timeseries',
          title: 'Agents busy vs idle',
          description: 'Agents executing a task vs idle agents, stacked (total = agent pool size).',
          w: 12,
          h: 8,
          unit: 'count',
          queries: [{ expr: 'sum by (instance, status) (wvo_agents)', legend: '{{status}}' }],
          defaults: { custom: { fillOpacity: 50, stacking: { mode: 'normal' } } },
        },
      ],
    },
    {
      row: 'Outcomes',
      panels: [
        {
          type: 'gauge',
          title: 'Success ratio',
          description: 'Approved quality-gate decisions / all decisions (0 when none). Amber below 90 %, red below 80 %.',
          w: 4,
          h: 6,
          unit: 'ratio',
          thresholds: 'highIsGood',
          queries: ['wvo_task_success_ratio'],
        },
        {
          type: 'stat',
          title: 'Failure ratio',
          description: '1 − success ratio. Amber from 10 %, red from 20 %.',
          w: 4,
          h: 6,
          unit: 'ratio',
          thresholds: 'failure',
          queries: ['wvo_task_failure_ratio'],
        },
        {
          type: 'stat',
          title: 'Retry ratio',
          description: 'Resolution loops opened per quality-gate decision (stats.totalLoops / decisions). Amber from 25 %, red from 50 %; may exceed 100 %.',
          w: 4,
          h: 6,
          unit: 'ratio',
          thresholds: 'retry',
          queries: ['wvo_task_retry_ratio'],
        },
        {
          type: 'timeseries',
          title: 'Success, failure and retry ratios',
          description: 'The three outcome ratios over time, with the 90 % success target drawn as a dashed line.',
          w: 12,
          h: 6,
          unit: 'ratio',
          thresholds: 'line90',
          queries: [
            { expr: 'wvo_task_success_ratio', legend: 'success' },
            { expr: 'wvo_task_failure_ratio', legend: 'failure' },
            { expr: 'wvo_task_retry_ratio', legend: 'retry' },
          ],
          defaults: { custom: { thresholdsStyle: { mode: 'dashed' } } },
        },
      ],
    },
    {
      row: 'Executions',
      panels: [
        {
          type: 'timeseries',
          title: 'Executions by agent type and status',
          description: 'Executions finished per minute, by agent type and final status (rate of wvo_executions_total over $__rate_interval). Zero when the log is quiet.',
          w: 12,
          h: 8,
          unit: 'perMinute',
          queries: [
            {
              expr: '60 * sum by (instance, agent_type, status) (rate(wvo_executions_total{agent_type=~"$agent_type"}[$__rate_interval]))',
              legend: '{{agent_type}} · {{status}}',
            },
          ],
          defaults: { custom: { fillOpacity: 50, stacking: { mode: 'normal' } } },
        },
        {
          type: 'bargauge',
          title: 'Executions in the last 24h',
          description: 'Executions per agent type and status logged within a fixed 24h window (increase of wvo_executions_total[24h]). Only what Prometheus saw arrive counts: lines already in the log when the exporter started are in the totals, not here. Exporter restarts are handled by increase().',
          w: 12,
          h: 8,
          unit: 'count',
          thresholds: 'info',
          queries: [
            {
              expr: 'sum by (instance, agent_type, status) (increase(wvo_executions_total{agent_type=~"$agent_type"}[24h]))',
              legend: '{{agent_type}} · {{status}}',
              instant: true,
            },
          ],
          defaults: { decimals: 0 },
        },
        {
          type: 'bargauge',
          title: 'Execution success ratio by agent type',
          description: 'Successful executions / all executions per agent type, over every execution since the exporter started reading the log. Amber below 90 %, red below 80 %.',
          w: 8,
          h: 8,
          unit: 'ratio',
          thresholds: 'highIsGood',
          queries: [
            {
              expr: 'sum by (instance, agent_type) (wvo_executions_total{agent_type=~"$agent_type", status="success"}) / (sum by (instance, agent_type) (wvo_executions_total{agent_type=~"$agent_type"}) > 0)',
              legend: '{{agent_type}}',
              instant: true,
            },
          ],
          defaults: { max: 1 },
        },
        {
          type: 'timeseries',
          title: 'Execution duration p50 / p95',
          description: 'Execution duration quantiles from wvo_execution_duration_seconds, over executions finished within $__rate_interval (gaps while no execution finishes), and over every execution since the exporter started (always drawn). With traces on, the dots are exemplars: the latest execution in each duration bucket, a click opens its task\'s trace.',
          w: 8,
          h: 8,
          unit: 'seconds',
          queries: [
            {
              expr: 'histogram_quantile(0.5, sum by (instance, le) (rate(wvo_execution_duration_seconds_bucket{agent_type=~"$agent_type"}[$__rate_interval])))',
              exemplar: true,
              legend: 'p50 (recent)',
            },
            {
              expr: 'histogram_quantile(0.95, sum by (instance, le) (rate(wvo_execution_duration_seconds_bucket{agent_type=~"$agent_type"}[$__rate_interval])))',
              legend: 'p95 (recent)',
            },
            {
              expr: 'histogram_quantile(0.5, sum by (instance, le) (wvo_execution_duration_seconds_bucket{agent_type=~"$agent_type"}))',
              legend: 'p50 (all)',
            },
            {
              expr: 'histogram_quantile(0.95, sum by (instance, le) (wvo_execution_duration_seconds_bucket{agent_type=~"$agent_type"}))',
              legend: 'p95 (all)',
            },
          ],
        },
        {
          type: 'timeseries',
          title: 'Execution duration p95 by agent type',
          description: 'p95 execution duration per agent type over every execution since the exporter started, and the mean duration (sum / count). With traces on, the dots are exemplars: a click opens the task\'s trace.',
          w: 8,
          h: 8,
          unit: 'seconds',
          queries: [
            {
              expr: 'histogram_quantile(0.95, sum by (instance, le, agent_type) (wvo_execution_duration_seconds_bucket{agent_type=~"$agent_type"}))',
              exemplar: true,
              legend: 'p95 {{agent_type}}',
            },
            {
              expr: 'sum by (instance, agent_type) (wvo_execution_duration_seconds_sum{agent_type=~"$agent_type"}) / sum by (instance, agent_type) (wvo_execution_duration_seconds_count{agent_type=~"$agent_type"} > 0)',
              legend: 'mean {{agent_type}}',
            },
          ],
        },
      ],
    },
    executionsByModel,
    {
      row: 'Roadmap',
      panels: [
        {
          type: 'stat',
          title: 'Roadmap completion',
          description: 'Share of roadmap tasks (in the selected epics) whose status is done. Green from 90 %.',
          w: 4,
          h: 9,
          unit: 'ratio',
          thresholds: 'highIsGood90',
          queries: [
            {
              expr: `${orZero('sum by (instance) (wvo_roadmap_tasks{epic=~"$epic", status="done"})')} / sum by (instance) (wvo_roadmap_tasks{epic=~"$epic"})`,
              legend: 'done',
            },
          ],
          defaults: { decimals: 1 },
        },
        {
          type: 'piechart',
          title: 'Roadmap tasks by status',
          description: 'Roadmap tasks (selected epics) by normalised status: pending, ready, in_progress, blocked, done.',
          w: 8,
          h: 9,
          unit: 'count',
          queries: [
            { expr: 'sum by (instance, status) (wvo_roadmap_tasks{epic=~"$epic"})', legend: '{{status}}', instant: true },
          ],
        },
        {
          type: 'table',
          title: 'Roadmap tasks by epic and status · $instance',
          description: 'One row per epic, one column per status (instant query pivoted with the grouping-to-matrix transformation).',
          w: 12,
          h: 9,
          unit: 'count',
          thresholds: 'info',
          queries: [{ expr: 'sum by (instance, epic, status) (wvo_roadmap_tasks{epic=~"$epic"})', table: true }],
          repeatByInstance: true,
          links: [
            { title: 'Tasks of epic ${__data.fields.epic}', url: '${exporter_url}/api/tasks?epic=${__data.fields.epic:percentencode}' },
            { title: 'Tasks of epic ${__data.fields.epic} (CSV)', url: '${exporter_url}/api/metrics/export/roadmap?epic=${__data.fields.epic:percentencode}' },
          ],
          panelLinks: [{ title: 'Roadmap (CSV)', url: '${exporter_url}/api/metrics/export/roadmap' }],
          transformations: [
            {
              id: 'groupingToMatrix',
              options: { columnField: 'status', rowField: 'epic', valueField: 'Value', emptyValue: 'zero' },
            },
            { id: 'organize', options: { renameByName: { "epic\\status": 'epic' } } },
          ],
        },
      ],
    },
  ],
});
