import { dashboard, taskLinks, TRACES } from '../builder.js';
import { orZero } from '../promql.js';
import { thresholdsOf } from '../style.js';

export default dashboard({
  uid: 'wvo-resolution',
  title: 'WVO Autopilot · Resolution loops',
  description: 'Resolution loops (a task retried until the gates accept it): which loops are open, how many attempts they take, whether they close within 3 attempts (95 % target), and which never end.',
  tags: ['wvo', 'resolution'],
  time: 'now-6h',
  links: [
    {
      title: 'Resolution state (REST)',
      url: '${exporter_url}/api/metrics/resolution',
      tooltip: 'Active loops, stats, recent events',
    },
    {
      title: 'Active loops CSV',
      url: '${exporter_url}/api/metrics/export/resolution',
      tooltip: 'task_id,attempts,… as CSV',
    },
  ],
  variables: [TRACES],
  rows: [
    {
      row: 'Now',
      panels: [
        {
          type: 'stat',
          title: 'Active loops',
          description: 'Resolution loops currently open (resolution.activeLoops).',
          w: 4,
          h: 5,
          unit: 'count',
          thresholds: 'info',
          queries: [{ expr: 'wvo_resolution_active_loops', legend: 'active' }],
        },
        {
          type: 'gauge',
          title: 'Closed within 3 attempts',
          description: 'Closed loops that needed at most 3 attempts / all closed loops. Target 95 % (red below). Empty until a loop has closed.',
          w: 4,
          h: 5,
          unit: 'ratio',
          thresholds: 'target95',
          queries: [
            {
              expr: 'wvo_resolution_loops_closed_within_3_total / (wvo_resolution_loops_closed_total > 0)',
              legend: 'within 3',
            },
          ],
          defaults: { decimals: 1, noValue: 'No closed loops' },
        },
        {
          type: 'stat',
          title: 'Infinite loops',
          description: 'Loops ever flagged as infinite (more than 5 attempts), wvo_resolution_infinite_loops_total. Red from 1.',
          w: 4,
          h: 5,
          unit: 'count',
          thresholds: 'anyIsBad',
          queries: [{ expr: 'wvo_resolution_infinite_loops_total', legend: 'flagged' }],
          options: { colorMode: 'background' },
          defaults: { decimals: 0 },
        },
        {
          type: 'stat',
          title: 'Open loops over 5 attempts',
          description: 'Active loops currently past 5 attempts (count of wvo_resolution_loop_attempts > 5); 0 when none. Red from 1.',
          w: 4,
          h: 5,
          unit: 'count',
          thresholds: 'anyIsBad',
          queries: [
            { expr: orZero('count by (instance) (wvo_resolution_loop_attempts > 5)'), legend: 'over 5 attempts' },
          ],
          options: { colorMode: 'background' },
          defaults: { decimals: 0 },
        },
        {
          type: 'stat',
          title: 'Incidents',
          description: 'Incidents recorded by the resolution store (wvo_resolution_incidents_total). Amber from 1.',
          w: 4,
          h: 5,
          unit: 'count',
          thresholds: 'anyIsWarning',
          queries: [{ expr: 'wvo_resolution_incidents_total', legend: 'incidents' }],
          defaults: { decimals: 0 },
        },
        {
          type: 'stat',
          title: 'Loops left out (series cap)',
          description: 'Active loops left out of the per-task series wvo_resolution_loop_attempts by the series cap (wvo_resolution_loop_attempts_truncated): when above 0 the Active loops by task table is incomplete — the REST route has the full list.',
          w: 4,
          h: 5,
          unit: 'count',
          thresholds: 'anyIsWarning',
          queries: [
            { expr: orZero('max by (instance) (wvo_resolution_loop_attempts_truncated)'), legend: 'left out' },
          ],
          mappings: [{ type: 'value', options: { "0": { color: 'green', index: 0, text: 'None' } } }],
          links: [{ title: 'Full resolution state (REST)', url: '${exporter_url}/api/metrics/resolution' }],
          options: { graphMode: 'none' },
          defaults: { decimals: 0 },
        },
      ],
    },
    {
      row: 'Active loops',
      panels: [
        {
          type: 'table',
          title: 'Active loops by task',
          panelLinks: [
            { title: 'Resolution (CSV)', url: '${exporter_url}/api/metrics/export/resolution' },
            { title: 'Recently closed loops (CSV)', url: '${exporter_url}/api/metrics/export/resolution_closed' },
          ],
          description: 'Open resolution loops by task id and attempt count (instant query of wvo_resolution_loop_attempts), most attempts first. Amber from 3 attempts, red past 5. Click a task id for its trace (the Traces data source, a TraceQL search on wvo.task.id), its REST timeline or the REST detail.',
          w: 10,
          h: 9,
          unit: 'count',
          thresholds: 'info',
          queries: [{ expr: 'max by (instance, task_id) (wvo_resolution_loop_attempts)', table: true }],
          options: { sortBy: [{ desc: true, displayName: 'attempts' }] },
          overrides: [
            {
              matcher: { id: 'byName', options: 'attempts' },
              properties: [
                { id: 'custom.cellOptions', value: { type: 'color-background' } },
                thresholdsOf('attempts'),
                { id: 'decimals', value: 0 },
              ],
            },
            {
              matcher: { id: 'byName', options: 'task' },
              properties: [
                {
                  id: 'links',
                  value: [
                    {
                      title: 'Resolution state for ${__value.text} (REST)',
                      url: '${exporter_url}/api/metrics/resolution#${__value.text:percentencode}',
                      targetBlank: true,
                    },
                    { title: 'Task ${__value.text} (REST)', url: '${exporter_url}/api/tasks/${__value.text:percentencode}', targetBlank: true },
                    ...taskLinks('__value.text').map((l) => ({ targetBlank: true, ...l })),
                  ],
                },
              ],
            },
          ],
          transformations: [
            {
              id: 'organize',
              options: { excludeByName: { Time: true }, renameByName: { task_id: 'task', Value: 'attempts' } },
            },
          ],
        },
        {
          type: 'timeseries',
          title: 'Attempts of the 10 longest open loops',
          description: 'Attempt count over time of the 10 active loops with the most attempts; the dashed red line marks the infinite-loop flag (> 5). Click a line for its task\'s trace or REST timeline.',
          w: 14,
          h: 9,
          unit: 'count',
          thresholds: 'line6',
          queries: [{ expr: 'topk by (instance) (10, wvo_resolution_loop_attempts)', legend: '{{task_id}}' }],
          links: taskLinks('__field.labels.task_id'),
          defaults: { custom: { lineInterpolation: 'stepAfter', thresholdsStyle: { mode: 'dashed' } } },
        },
      ],
    },
    {
      row: 'Attempts and closure',
      panels: [
        {
          type: 'barchart',
          title: 'Attempt distribution',
          description: 'How many recorded attempts were attempt #1, #2, … (stats.attemptHistogram, wvo_resolution_attempt_events). A heavy tail past 3 means loops rarely close fast.',
          w: 10,
          h: 8,
          unit: 'count',
          queries: [{ expr: 'sum by (instance, attempt) (wvo_resolution_attempt_events)', table: true }],
          options: { xField: 'attempt' },
          defaults: {
            custom: {
              axisBorderShow: false,
              axisCenteredZero: false,
              axisColorMode: 'text',
              axisLabel: '',
              axisPlacement: 'auto',
              fillOpacity: 80,
              gradientMode: 'none',
              hideFrom: { legend: false, tooltip: false, viz: false },
              lineWidth: 1,
              scaleDistribution: { type: 'linear' },
              thresholdsStyle: { mode: 'off' },
            },
          },
          transformations: [
            { id: 'organize', options: { excludeByName: { Time: true }, renameByName: { Value: 'attempt events' } } },
            {
              id: 'convertFieldType',
              options: { conversions: [{ targetField: 'attempt', destinationType: 'number' }], fields: {} },
            },
            { id: 'sortBy', options: { fields: {}, sort: [{ field: 'attempt', desc: false }] } },
            {
              id: 'convertFieldType',
              options: { conversions: [{ targetField: 'attempt', destinationType: 'string' }], fields: {} },
            },
          ],
        },
        {
          type: 'timeseries',
          title: 'Closure within 3 attempts vs 95 % target',
          description: 'Share of closed loops that closed within 3 attempts (closed_within_3_total / closed_total) over time; the dashed line is the 95 % target.',
          w: 14,
          h: 8,
          unit: 'ratio',
          thresholds: 'line95',
          queries: [
            {
              expr: 'wvo_resolution_loops_closed_within_3_total / (wvo_resolution_loops_closed_total > 0)',
              legend: 'closed within 3 attempts',
            },
          ],
          defaults: { custom: { thresholdsStyle: { mode: 'dashed' } }, min: 0, max: 1 },
        },
        {
          type: 'timeseries',
          title: 'Loops opened, closed and closed fast',
          description: 'Cumulative loops opened, closed, and closed within 3 attempts (resolution.stats). The gap between opened and closed is the open backlog.',
          w: 12,
          h: 8,
          unit: 'count',
          queries: [
            { expr: 'wvo_resolution_loops_total', legend: 'opened' },
            { expr: 'wvo_resolution_loops_closed_total', legend: 'closed' },
            { expr: 'wvo_resolution_loops_closed_within_3_total', legend: 'closed within 3' },
          ],
        },
        {
          type: 'timeseries',
          title: 'Loop activity per interval',
          description: 'Loops opened and closed, infinite-loop flags and incidents per $__rate_interval (increase of the resolution counters); zero while nothing happens.',
          w: 12,
          h: 8,
          unit: 'count',
          queries: [
            { expr: 'increase(wvo_resolution_loops_total[$__rate_interval])', legend: 'opened' },
            { expr: 'increase(wvo_resolution_loops_closed_total[$__rate_interval])', legend: 'closed' },
            { expr: 'increase(wvo_resolution_infinite_loops_total[$__rate_interval])', legend: 'infinite-loop flags' },
            { expr: 'increase(wvo_resolution_incidents_total[$__rate_interval])', legend: 'incidents' },
          ],
          defaults: { custom: { drawStyle: 'bars', fillOpacity: 80, lineWidth: 1 } },
          overrides: [
            {
              matcher: { id: 'byName', options: 'infinite-loop flags' },
              properties: [{ id: 'color', value: { fixedColor: 'red', mode: 'fixed' } }],
            },
            {
              matcher: { id: 'byName', options: 'incidents' },
              properties: [{ id: 'color', value: { fixedColor: 'orange', mode: 'fixed' } }],
            },
          ],
        },
      ],
    },
    {
      row: 'Time to resolution',
      panels: [
        {
          type: 'timeseries',
          title: 'Time to resolution p50 / p95 / p99',
          description: "Duration from a loop's first attempt to its close, quantiles over the recently closed loops (resolution.recentlyClosed, newest 50).",
          w: 18,
          h: 8,
          unit: 'seconds',
          queries: [
            { expr: 'max by (instance) (wvo_resolution_duration_seconds{quantile="0.5"})', legend: 'p50' },
            { expr: 'max by (instance) (wvo_resolution_duration_seconds{quantile="0.95"})', legend: 'p95' },
            { expr: 'max by (instance) (wvo_resolution_duration_seconds{quantile="0.99"})', legend: 'p99' },
          ],
          options: { legend: { calcs: ['lastNotNull', 'max'], displayMode: 'table' } },
        },
        {
          type: 'stat',
          title: 'Time to resolution p95',
          description: 'Current p95 time from first attempt to close over recently closed loops.',
          w: 6,
          h: 8,
          unit: 'seconds',
          thresholds: 'info',
          queries: [{ expr: 'max by (instance) (wvo_resolution_duration_seconds{quantile="0.95"})', legend: 'p95' }],
        },
      ],
    },
  ],
});
