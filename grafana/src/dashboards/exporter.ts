import { dashboard } from '../builder.js';
import { thresholdsOf, unitOf } from '../style.js';

export default dashboard({
  uid: 'wvo-exporter',
  title: 'WVO Autopilot · Exporter health',
  description: 'Whether the numbers on the other dashboards can be trusted: is the exporter scraped, is every state file present, parsed and fresh, how long collection takes, and how the Node.js process behaves.',
  tags: ['wvo', 'exporter'],
  time: 'now-3h',
  links: [
    { title: 'Exporter /healthz', url: '${exporter_url}/healthz', tooltip: 'Readiness' },
    { title: 'Exporter /metrics', url: '${exporter_url}/metrics', tooltip: 'Raw Prometheus exposition' },
  ],
  variables: [{ name: 'source', labelValues: { metric: 'wvo_source_up', label: 'source' } }],
  rows: [
    {
      row: 'Scrape',
      panels: [
        {
          type: 'stat',
          title: 'Exporter scrape up',
          description: "Prometheus' own up{} for the exporter job: red when the last scrape failed.",
          w: 4,
          h: 5,
          unit: 'none',
          thresholds: 'upIsGood',
          queries: [{ expr: 'min by (instance) (up)', legend: 'up' }],
          mappings: [
            {
              type: 'value',
              options: { "0": { color: 'red', index: 0, text: 'Down' }, "1": { color: 'green', index: 1, text: 'Up' } },
            },
          ],
          options: { colorMode: 'background', graphMode: 'none' },
        },
        {
          type: 'stat',
          title: 'Sources failing to parse',
          description: 'Sources whose last read did not parse (wvo_source_up == 0); their last good value is still served. Red from 1.',
          w: 4,
          h: 5,
          unit: 'count',
          thresholds: 'anyIsBad',
          queries: [
            { expr: 'sum by (instance) (wvo_source_up{source=~"$source"} == bool 0)', legend: 'failing' },
          ],
          options: { colorMode: 'background', graphMode: 'none' },
          defaults: { decimals: 0 },
        },
        {
          type: 'stat',
          title: 'Sources missing',
          description: 'State files that do not exist (wvo_source_present == 0). Some (e.g. the MCP pid file) are legitimately absent at times. Amber from 1.',
          w: 4,
          h: 5,
          unit: 'count',
          thresholds: 'anyIsWarning',
          queries: [
            { expr: 'sum by (instance) (wvo_source_present{source=~"$source"} == bool 0)', legend: 'missing' },
          ],
          options: { graphMode: 'none' },
          defaults: { decimals: 0 },
        },
        {
          type: 'stat',
          title: 'SSE clients',
          description: 'Clients connected to the /api/metrics/stream Server-Sent-Events route.',
          w: 4,
          h: 5,
          unit: 'count',
          thresholds: 'info',
          queries: [{ expr: 'sum by (instance) (wvo_sse_clients)', legend: 'clients' }],
          defaults: { decimals: 0 },
        },
        {
          type: 'timeseries',
          title: 'Scrape duration',
          description: 'How long Prometheus takes to scrape the exporter (scrape_duration_seconds). Amber from 1 s, red from 5 s.',
          w: 4,
          h: 5,
          unit: 'seconds',
          thresholds: 'lineAttempts5',
          queries: [{ expr: 'max by (instance) (scrape_duration_seconds)', legend: 'scrape duration' }],
          defaults: { custom: { thresholdsStyle: { mode: 'dashed' } } },
        },
        {
          type: 'timeseries',
          title: 'Samples per scrape',
          description: 'Samples in each scrape (scrape_samples_scraped). A steady climb means a label is growing in cardinality.',
          w: 4,
          h: 5,
          unit: 'count',
          queries: [{ expr: 'sum by (instance) (scrape_samples_scraped)', legend: 'samples' }],
        },
      ],
    },
    {
      row: 'Sources',
      panels: [
        {
          type: 'table',
          title: 'Source status',
          description: 'One row per source: present (file exists), up (last read parsed), age since the file last changed, read errors and bad JSONL lines since the exporter started.',
          w: 12,
          h: 10,
          unit: 'count',
          thresholds: 'info',
          queries: [
            { expr: 'max by (instance, source) (wvo_source_present{source=~"$source"})', table: true },
            { expr: 'max by (instance, source) (wvo_source_up{source=~"$source"})', table: true },
            {
              expr: 'time() - max by (instance, source) (wvo_source_last_change_timestamp_seconds{source=~"$source"})',
              table: true,
            },
            { expr: 'sum by (instance, source) (wvo_source_errors_total{source=~"$source"})', table: true },
            { expr: 'sum by (instance, source) (wvo_source_bad_lines_total{source=~"$source"})', table: true },
          ],
          options: { sortBy: [{ desc: false, displayName: 'source' }] },
          overrides: [
            {
              matcher: { id: 'byName', options: 'present' },
              properties: [
                {
                  id: 'mappings',
                  value: [
                    {
                      type: 'value',
                      options: { "0": { color: 'red', index: 0, text: 'missing' }, "1": { color: 'green', index: 1, text: 'yes' } },
                    },
                  ],
                },
                { id: 'custom.cellOptions', value: { type: 'color-background' } },
                unitOf('none'),
              ],
            },
            {
              matcher: { id: 'byName', options: 'parsed' },
              properties: [
                {
                  id: 'mappings',
                  value: [
                    {
                      type: 'value',
                      options: { "0": { color: 'red', index: 0, text: 'failing' }, "1": { color: 'green', index: 1, text: 'ok' } },
                    },
                  ],
                },
                { id: 'custom.cellOptions', value: { type: 'color-background' } },
                unitOf('none'),
              ],
            },
            { matcher: { id: 'byName', options: 'age' }, properties: [unitOf('seconds')] },
            {
              matcher: { id: 'byName', options: 'errors' },
              properties: [
                { id: 'custom.cellOptions', value: { type: 'color-text' } },
                thresholdsOf('anyIsBad'),
                { id: 'decimals', value: 0 },
              ],
            },
            {
              matcher: { id: 'byName', options: 'bad lines' },
              properties: [
                { id: 'custom.cellOptions', value: { type: 'color-text' } },
                thresholdsOf('anyIsBad'),
                { id: 'decimals', value: 0 },
              ],
            },
          ],
          transformations: [
            { id: 'merge', options: {} },
            {
              id: 'organize',
              options: {
                excludeByName: { Time: true },
                indexByName: { instance: 0, source: 1, "Value #A": 2, "Value #B": 3, "Value #C": 4, "Value #D": 5, "Value #E": 6 },
                renameByName: {
                  "Value #A": 'present',
                  "Value #B": 'parsed',
                  "Value #C": 'age',
                  "Value #D": 'errors',
                  "Value #E": 'bad lines',
                },
              },
            },
          ],
        },
        {
          type: 'state-timeline',
          title: 'Source parse status',
          description: 'Per source, whether its last read parsed (green) or failed (red) over time (wvo_source_up).',
          w: 12,
          h: 10,
          unit: 'none',
          thresholds: 'upIsGood',
          queries: [{ expr: 'max by (instance, source) (wvo_source_up{source=~"$source"})', legend: '{{source}}' }],
          mappings: [
            {
              type: 'value',
              options: { "0": { color: 'red', index: 0, text: 'failing' }, "1": { color: 'green', index: 1, text: 'ok' } },
            },
          ],
        },
        {
          type: 'timeseries',
          title: 'Source file age',
          description: 'Seconds since each state file last changed (time() − wvo_source_last_change_timestamp_seconds). Files rewritten every cycle should stay low; a rising line means the writer stopped.',
          w: 12,
          h: 8,
          unit: 'seconds',
          queries: [
            {
              expr: 'time() - max by (instance, source) (wvo_source_last_change_timestamp_seconds{source=~"$source"})',
              legend: '{{source}}',
            },
          ],
        },
        {
          type: 'timeseries',
          title: 'Source errors and bad lines',
          description: 'Failed reads and skipped malformed JSONL lines per $__rate_interval, by source (increase of wvo_source_errors_total / wvo_source_bad_lines_total). Zero when healthy.',
          w: 12,
          h: 8,
          unit: 'count',
          queries: [
            {
              expr: 'sum by (instance, source) (increase(wvo_source_errors_total{source=~"$source"}[$__rate_interval]))',
              legend: 'errors {{source}}',
            },
            {
              expr: 'sum by (instance, source) (increase(wvo_source_bad_lines_total{source=~"$source"}[$__rate_interval]))',
              legend: 'bad lines {{source}}',
            },
          ],
          defaults: { custom: { drawStyle: 'bars', fillOpacity: 80, lineWidth: 1 } },
        },
      ],
    },
    {
      row: 'Collector',
      panels: [
        {
          type: 'timeseries',
          title: 'Collector cycle duration p50 / p95 / p99',
          description: 'Duration of a collection cycle (read changed files, update metrics): quantiles over cycles in $__rate_interval, from wvo_collector_cycle_duration_seconds. Amber from 0.5 s.',
          w: 12,
          h: 8,
          unit: 'seconds',
          thresholds: 'line50',
          queries: [
            {
              expr: 'histogram_quantile(0.5, sum by (instance, le) (rate(wvo_collector_cycle_duration_seconds_bucket[$__rate_interval])))',
              legend: 'p50',
            },
            {
              expr: 'histogram_quantile(0.95, sum by (instance, le) (rate(wvo_collector_cycle_duration_seconds_bucket[$__rate_interval])))',
              legend: 'p95',
            },
            {
              expr: 'histogram_quantile(0.99, sum by (instance, le) (rate(wvo_collector_cycle_duration_seconds_bucket[$__rate_interval])))',
              legend: 'p99',
            },
          ],
          defaults: { custom: { thresholdsStyle: { mode: 'dashed' } } },
        },
        {
          type: 'timeseries',
          title: 'Collector cycles and mean duration',
          description: 'Collection cycles per second (left) and their mean duration (right axis, rate of _sum / rate of _count).',
          w: 12,
          h: 8,
          unit: 'perSecond',
          queries: [
            {
              expr: 'sum by (instance) (rate(wvo_collector_cycle_duration_seconds_count[$__rate_interval]))',
              legend: 'cycles/s',
            },
            {
              expr: 'sum by (instance) (rate(wvo_collector_cycle_duration_seconds_sum[$__rate_interval])) / sum by (instance) (rate(wvo_collector_cycle_duration_seconds_count[$__rate_interval]))',
              legend: 'mean duration',
            },
          ],
          overrides: [
            {
              matcher: { id: 'byName', options: 'mean duration' },
              properties: [unitOf('seconds'), { id: 'custom.axisPlacement', value: 'right' }],
            },
          ],
        },
        {
          type: 'timeseries',
          title: 'Snapshot updates',
          description: 'How often the served snapshot changed (changes of wvo_snapshot_version per $__rate_interval): each change means at least one source file changed and was re-read. Flat zero means the autopilot wrote nothing.',
          w: 24,
          h: 6,
          unit: 'count',
          queries: [
            { expr: 'sum by (instance) (changes(wvo_snapshot_version[$__rate_interval]))', legend: 'snapshot updates' },
          ],
          defaults: { custom: { drawStyle: 'bars', fillOpacity: 80, lineWidth: 1 } },
        },
      ],
    },
    {
      row: 'Node.js process',
      collapsed: true,
      panels: [
        {
          type: 'timeseries',
          title: 'Resident memory and heap',
          description: 'Resident set size of the exporter process and the V8 heap in use / allocated (prom-client default metrics).',
          w: 8,
          h: 8,
          unit: 'bytes',
          queries: [
            { expr: 'sum by (instance) (process_resident_memory_bytes)', legend: 'resident' },
            { expr: 'sum by (instance) (nodejs_heap_size_used_bytes)', legend: 'heap used' },
            { expr: 'sum by (instance) (nodejs_heap_size_total_bytes)', legend: 'heap total' },
          ],
        },
        {
          type: 'timeseries',
          title: 'CPU usage',
          description: 'CPU seconds used per second by the exporter (rate of process_cpu_seconds_total); 100 % = one full core.',
          w: 8,
          h: 8,
          unit: 'ratio',
          thresholds: 'line80',
          queries: [{ expr: 'sum by (instance) (rate(process_cpu_seconds_total[$__rate_interval]))', legend: 'CPU' }],
          defaults: { custom: { thresholdsStyle: { mode: 'dashed' } } },
        },
        {
          type: 'timeseries',
          title: 'Event-loop lag p99',
          description: 'p99 event-loop delay (nodejs_eventloop_lag_p99_seconds). Sustained lag means file parsing or HTTP work is blocking the loop. Amber from 0.1 s, red from 0.5 s.',
          w: 8,
          h: 8,
          unit: 'seconds',
          thresholds: 'line10_50',
          queries: [{ expr: 'max by (instance) (nodejs_eventloop_lag_p99_seconds)', legend: 'p99 lag' }],
          defaults: { custom: { thresholdsStyle: { mode: 'dashed' } } },
        },
        {
          type: 'timeseries',
          title: 'Open file descriptors',
          description: 'File descriptors held by the exporter (process_open_fds). The tailer keeps JSONL files open; a climb means a leak.',
          w: 12,
          h: 7,
          unit: 'count',
          queries: [{ expr: 'sum by (instance) (process_open_fds)', legend: 'open fds' }],
        },
        {
          type: 'stat',
          title: 'Exporter uptime',
          description: 'Time since the exporter process started (time() − process_start_time_seconds). A small value after an incident means it restarted.',
          w: 12,
          h: 7,
          unit: 'seconds',
          thresholds: 'uptime',
          queries: [{ expr: 'time() - max by (instance) (process_start_time_seconds)', legend: 'uptime' }],
        },
      ],
    },
  ],
});
