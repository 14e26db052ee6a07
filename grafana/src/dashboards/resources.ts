import { dashboard } from '../builder.js';
import { orZero } from '../promql.js';
import { modelsAndRouting } from './models.js';

export default dashboard({
  uid: 'wvo-resources',
  title: 'WVO Autopilot · Resources and providers',
  description: 'What the autopilot consumes: host CPU/memory/disk, agent processes and throttling, model-provider tokens and requests against their limits, provider status and failovers, and what executions cost.',
  tags: ['wvo', 'resources', 'providers'],
  time: 'now-6h',
  links: [
    {
      title: 'Resources (REST)',
      url: '${exporter_url}/api/metrics/resources',
      tooltip: 'Host, processes, throttle, providers',
    },
    { title: 'Usage (REST)', url: '${exporter_url}/api/metrics/usage', tooltip: 'Per provider account usage' },
  ],
  variables: [
    { name: 'provider', labelValues: { metric: 'wvo_provider_tokens', label: 'provider' } },
    { name: 'window', custom: ['hour', 'day'] },
    { name: 'agent_type', labelValues: { metric: 'wvo_execution_cost_usd_total', label: 'agent_type' } },
  ],
  rows: [
    {
      row: 'Host',
      panels: [
        {
          type: 'gauge',
          title: 'Host CPU / memory / disk',
          description: 'Current host utilisation reported by the autopilot (resource_metrics.json, 0..1). Amber from 80 %, red from 90 %.',
          w: 8,
          h: 7,
          unit: 'ratio',
          thresholds: 'usage90',
          queries: [
            { expr: 'wvo_host_cpu_utilization_ratio', legend: 'CPU' },
            { expr: 'wvo_host_memory_utilization_ratio', legend: 'memory' },
            { expr: 'wvo_host_disk_utilization_ratio', legend: 'disk' },
          ],
          defaults: { decimals: 0 },
        },
        {
          type: 'timeseries',
          title: 'Host utilisation',
          description: 'Host CPU, memory and disk utilisation over time; dashed lines at the 80 % and 90 % thresholds.',
          w: 8,
          h: 7,
          unit: 'ratio',
          thresholds: 'line80_90',
          queries: [
            { expr: 'wvo_host_cpu_utilization_ratio', legend: 'CPU' },
            { expr: 'wvo_host_memory_utilization_ratio', legend: 'memory' },
            { expr: 'wvo_host_disk_utilization_ratio', legend: 'disk' },
          ],
          defaults: { custom: { thresholdsStyle: { mode: 'dashed' } }, min: 0, max: 1 },
        },
        {
          type: 'stat',
          title: 'MCP server',
          description: 'Whether the MCP server is up: state/.mcp.pid exists and names a live process (wvo_mcp_server_up). Red when down.',
          w: 4,
          h: 7,
          unit: 'none',
          thresholds: 'upIsGood',
          queries: ['wvo_mcp_server_up'],
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
          title: 'Throttle level',
          description: "The autopilot's current throttle level (0 = not throttled). Amber from 1, red from 2.",
          w: 4,
          h: 7,
          unit: 'count',
          thresholds: 'moreThanOneIsBad',
          queries: [{ expr: 'wvo_throttle_level', legend: 'level' }],
          defaults: { decimals: 0 },
        },
        {
          type: 'timeseries',
          title: 'Agent processes',
          description: 'Running Claude and Node processes on the host (resource_metrics.json), stacked by kind.',
          w: 12,
          h: 7,
          unit: 'count',
          queries: [{ expr: 'sum by (instance, kind) (wvo_agent_processes)', legend: '{{kind}}' }],
          defaults: { custom: { fillOpacity: 50, stacking: { mode: 'normal' } } },
        },
        {
          type: 'timeseries',
          title: 'Throttle level over time',
          description: 'Throttle level over time, to correlate throttling with host load and provider limits.',
          w: 12,
          h: 7,
          unit: 'count',
          thresholds: 'lineAttempts',
          queries: [{ expr: 'wvo_throttle_level', legend: 'throttle level' }],
          defaults: { custom: { lineInterpolation: 'stepAfter', thresholdsStyle: { mode: 'area' } } },
        },
      ],
    },
    {
      row: 'Provider usage',
      panels: [
        {
          type: 'timeseries',
          title: 'Tokens by provider',
          description: 'Tokens used per provider in the current $window (usage_log.json), stacked across accounts. The gauge drops back at each window reset.',
          w: 12,
          h: 8,
          unit: 'count',
          queries: [
            {
              expr: 'sum by (instance, provider) (wvo_provider_tokens{provider=~"$provider", window=~"$window"})',
              legend: '{{provider}}',
            },
          ],
          defaults: { custom: { fillOpacity: 50, stacking: { mode: 'normal' } } },
        },
        {
          type: 'bargauge',
          title: 'Token usage vs limit',
          description: 'Tokens used / token limit per provider account for the current $window. Amber from 80 %, red from 95 %. Accounts without a limit are not shown.',
          w: 6,
          h: 8,
          unit: 'ratio',
          thresholds: 'usage',
          queries: [
            {
              expr: 'wvo_provider_tokens{provider=~"$provider", window=~"$window"} / (wvo_provider_token_limit{provider=~"$provider", window=~"$window"} > 0)',
              legend: '{{provider}} · {{account}}',
              instant: true,
            },
          ],
          defaults: { max: 1 },
        },
        {
          type: 'bargauge',
          title: 'Request usage vs limit',
          description: 'Requests made / request limit per provider account for the current $window. Amber from 80 %, red from 95 %.',
          w: 6,
          h: 8,
          unit: 'ratio',
          thresholds: 'usage',
          queries: [
            {
              expr: 'wvo_provider_requests{provider=~"$provider", window=~"$window"} / (wvo_provider_request_limit{provider=~"$provider", window=~"$window"} > 0)',
              legend: '{{provider}} · {{account}}',
              instant: true,
            },
          ],
          defaults: { max: 1 },
        },
        {
          type: 'timeseries',
          title: 'Provider usage ratio (reported)',
          description: 'The usage share each provider account reports itself (warnings.percentage_used ÷ 100, wvo_provider_usage_ratio); the dashed line is the 80 % warning level.',
          w: 12,
          h: 8,
          unit: 'ratio',
          thresholds: 'line80',
          queries: [{ expr: 'wvo_provider_usage_ratio{provider=~"$provider"}', legend: '{{provider}} · {{account}}' }],
          defaults: { custom: { thresholdsStyle: { mode: 'dashed' } }, min: 0 },
        },
        {
          type: 'timeseries',
          title: 'Requests by provider',
          description: 'Requests made per provider in the current $window, stacked across accounts.',
          w: 12,
          h: 8,
          unit: 'count',
          queries: [
            {
              expr: 'sum by (instance, provider) (wvo_provider_requests{provider=~"$provider", window=~"$window"})',
              legend: '{{provider}}',
            },
          ],
          defaults: { custom: { fillOpacity: 50, stacking: { mode: 'normal' } } },
        },
      ],
    },
    {
      row: 'Provider capacity',
      panels: [
        {
          type: 'table',
          title: 'Provider status',
          panelLinks: [{ title: 'Provider usage (CSV)', url: '${exporter_url}/api/metrics/export/usage' }],
          description: "Each provider's current status (provider_capacity_metrics.json currentStatus; the series wvo_provider_status == 1).",
          w: 8,
          h: 8,
          unit: 'none',
          thresholds: 'info',
          queries: [
            {
              expr: 'max by (instance, provider, status) (wvo_provider_status{provider=~"$provider"} == 1)',
              table: true,
            },
          ],
          overrides: [
            {
              matcher: { id: 'byName', options: 'status' },
              properties: [
                {
                  id: 'mappings',
                  value: [
                    {
                      type: 'regex',
                      options: {
                        pattern: '/^(healthy|available|active|normal|online|recovered|ok|up)$/i',
                        result: { color: 'green', index: 0 },
                      },
                    },
                    {
                      type: 'regex',
                      options: {
                        pattern: '/^(degraded|throttled|rate_limited|limited|slow|recovering|warning|cooldown|backoff)$/i',
                        result: { color: 'orange', index: 1 },
                      },
                    },
                    {
                      type: 'regex',
                      options: {
                        pattern: '/^(down|unavailable|failed|failing|error|exhausted|outage|offline)$/i',
                        result: { color: 'red', index: 2 },
                      },
                    },
                  ],
                },
                { id: 'custom.cellOptions', value: { type: 'color-background' } },
              ],
            },
          ],
          transformations: [{ id: 'organize', options: { excludeByName: { Time: true, Value: true } } }],
        },
        {
          type: 'state-timeline',
          title: 'Provider status history',
          description: 'Which status each provider was in over time: one lane per provider and status, filled while that status is current.',
          w: 16,
          h: 8,
          unit: 'none',
          thresholds: 'info',
          queries: [
            {
              expr: 'max by (instance, provider, status) (wvo_provider_status{provider=~"$provider"} == 1)',
              legend: '{{provider}} · {{status}}',
            },
          ],
          mappings: [{ type: 'value', options: { "1": { color: 'blue', index: 0, text: 'current' } } }],
          overrides: [
            {
              matcher: { id: 'byRegexp', options: '/ · (healthy|available|active|normal|online|recovered|ok|up)$/i' },
              properties: [{ id: 'color', value: { fixedColor: 'green', mode: 'fixed' } }],
            },
            {
              matcher: {
                id: 'byRegexp',
                options: '/ · (degraded|throttled|rate_limited|limited|slow|recovering|warning|cooldown|backoff)$/i',
              },
              properties: [{ id: 'color', value: { fixedColor: 'orange', mode: 'fixed' } }],
            },
            {
              matcher: { id: 'byRegexp', options: '/ · (down|unavailable|failed|failing|error|exhausted|outage|offline)$/i' },
              properties: [{ id: 'color', value: { fixedColor: 'red', mode: 'fixed' } }],
            },
          ],
        },
        {
          type: 'timeseries',
          title: 'Failovers and limit hits',
          description: 'Provider failovers and rate-limit hits per $__rate_interval, by provider (increase of wvo_provider_failovers_total / wvo_provider_limit_hits_total). Zero while nothing happens.',
          w: 12,
          h: 8,
          unit: 'count',
          queries: [
            {
              expr: 'sum by (instance, provider) (increase(wvo_provider_failovers_total{provider=~"$provider"}[$__rate_interval]))',
              legend: 'failovers {{provider}}',
            },
            {
              expr: 'sum by (instance, provider) (increase(wvo_provider_limit_hits_total{provider=~"$provider"}[$__rate_interval]))',
              legend: 'limit hits {{provider}}',
            },
          ],
          defaults: { custom: { drawStyle: 'bars', fillOpacity: 80, lineWidth: 1 } },
        },
        {
          type: 'table',
          title: 'Capacity events per provider',
          panelLinks: [{ title: 'Provider usage (CSV)', url: '${exporter_url}/api/metrics/export/usage' }],
          description: 'Totals per provider from provider_capacity_metrics.json: limit hits, recoveries and failovers.',
          w: 6,
          h: 8,
          unit: 'count',
          thresholds: 'info',
          queries: [
            { expr: 'sum by (instance, provider) (wvo_provider_limit_hits_total{provider=~"$provider"})', table: true },
            { expr: 'sum by (instance, provider) (wvo_provider_recoveries_total{provider=~"$provider"})', table: true },
            { expr: 'sum by (instance, provider) (wvo_provider_failovers_total{provider=~"$provider"})', table: true },
          ],
          options: { sortBy: [{ desc: true, displayName: 'limit hits' }] },
          transformations: [
            { id: 'merge', options: {} },
            {
              id: 'organize',
              options: {
                excludeByName: { Time: true },
                renameByName: { "Value #A": 'limit hits', "Value #B": 'recoveries', "Value #C": 'failovers' },
              },
            },
          ],
        },
        {
          type: 'bargauge',
          title: 'Provider downtime',
          description: 'Average and longest downtime per provider (provider_capacity_metrics.json averageDowntimeMs / longestDowntimeMs).',
          w: 6,
          h: 8,
          unit: 'seconds',
          thresholds: 'info',
          queries: [
            {
              expr: 'max by (instance, provider) (wvo_provider_downtime_seconds{provider=~"$provider", stat="avg"})',
              legend: 'avg {{provider}}',
              instant: true,
            },
            {
              expr: 'max by (instance, provider) (wvo_provider_downtime_seconds{provider=~"$provider", stat="max"})',
              legend: 'max {{provider}}',
              instant: true,
            },
          ],
        },
      ],
    },
    {
      row: 'Cost',
      panels: [
        {
          type: 'stat',
          title: 'Estimated cost per task',
          description: "Daily tokens of all providers ÷ 1000 × price per 1K tokens (WVO_COST_PER_1K_TOKENS), divided by the orchestrator's total decisions.",
          w: 6,
          h: 7,
          unit: 'usd',
          thresholds: 'info',
          queries: [{ expr: 'wvo_estimated_cost_per_task_usd', legend: 'per task' }],
          defaults: { decimals: 3 },
        },
        {
          type: 'stat',
          title: 'Execution cost in the last 24h',
          description: 'Token cost of executions logged within a fixed 24h window (increase of wvo_execution_cost_usd_total[24h]), selected agent types. Only cost Prometheus saw arrive counts; lines already in the log at exporter start are in the per-agent totals.',
          w: 6,
          h: 7,
          unit: 'usd',
          thresholds: 'info',
          queries: [
            {
              expr: orZero('sum by (instance) (increase(wvo_execution_cost_usd_total{agent_type=~"$agent_type"}[24h]))'),
              legend: 'last 24h',
            },
          ],
          defaults: { decimals: 2 },
        },
        {
          type: 'bargauge',
          title: 'Execution cost by agent type',
          description: 'Token cost of every execution since the exporter started reading the log, by agent type (wvo_execution_cost_usd_total).',
          w: 12,
          h: 7,
          unit: 'usd',
          thresholds: 'info',
          queries: [
            {
              expr: 'sum by (instance, agent_type) (wvo_execution_cost_usd_total{agent_type=~"$agent_type"})',
              legend: '{{agent_type}}',
              instant: true,
            },
          ],
          defaults: { decimals: 2 },
        },
        {
          type: 'timeseries',
          title: 'Execution cost rate by agent type (per hour)',
          description: 'Execution cost per hour by agent type: 3600 × rate(wvo_execution_cost_usd_total[$__rate_interval]), stacked.',
          w: 12,
          h: 8,
          unit: 'usd',
          queries: [
            {
              expr: '3600 * sum by (instance, agent_type) (rate(wvo_execution_cost_usd_total{agent_type=~"$agent_type"}[$__rate_interval]))',
              legend: '{{agent_type}}',
            },
          ],
          defaults: { custom: { fillOpacity: 50, stacking: { mode: 'normal' } } },
        },
        {
          type: 'timeseries',
          title: 'Execution tokens by agent type (per hour)',
          description: 'Prompt and completion tokens per hour by agent type: 3600 × rate(wvo_execution_tokens_total[$__rate_interval]), stacked.',
          w: 12,
          h: 8,
          unit: 'count',
          queries: [
            {
              expr: '3600 * sum by (instance, agent_type, kind) (rate(wvo_execution_tokens_total{agent_type=~"$agent_type"}[$__rate_interval]))',
              legend: '{{agent_type}} · {{kind}}',
            },
          ],
          defaults: { custom: { fillOpacity: 50, stacking: { mode: 'normal' } } },
        },
      ],
    },
    modelsAndRouting,
  ],
});
