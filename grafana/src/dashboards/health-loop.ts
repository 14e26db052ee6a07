/** Issue 8's panels on the autopilot's own health loop: anomalies it detected, remediations it ran. */
import type { Json, RowSpec } from '../builder.js';
import { orZero } from '../promql.js';
import { thresholdsOf } from '../style.js';

const HEALTH = { title: 'Anomalies and remediations (REST)', url: '${exporter_url}/api/metrics/health' };

export const healthLoop: RowSpec = {
  row: 'Autopilot health loop',
  panels: [
    {
      type: 'stat',
      title: 'Active anomalies',
      description: 'Anomalies the autopilot itself reports as active now (health report activeAnomalies), by severity. Red when any is critical.',
      w: 6,
      h: 6,
      unit: 'count',
      thresholds: 'anyIsWarning',
      queries: [
        { expr: orZero('sum by (instance) (wvo_autopilot_anomalies{severity="critical"})'), legend: 'critical' },
        { expr: orZero('sum by (instance) (wvo_autopilot_anomalies{severity!="critical"})'), legend: 'other' },
      ],
      panelLinks: [HEALTH],
      options: { colorMode: 'background', graphMode: 'none', textMode: 'value_and_name' },
      overrides: [{ matcher: { id: 'byFrameRefID', options: 'A' }, properties: [thresholdsOf('anyIsBad')] }],
      defaults: { decimals: 0 },
    },
    {
      type: 'table',
      title: 'Active anomalies by type',
      description: 'Each active anomaly type and severity with its count; descriptions are in /api/metrics/health (free text is never a label).',
      w: 9,
      h: 6,
      unit: 'count',
      thresholds: 'info',
      queries: [{ expr: 'sum by (instance, type, severity) (wvo_autopilot_anomalies) > 0', table: true }],
      panelLinks: [HEALTH],
      links: [HEALTH],
      transformations: [{ id: 'organize', options: { excludeByName: { Time: true }, renameByName: { Value: 'active' } } }],
    },
    {
      type: 'stat',
      title: 'Dependency sync ratio',
      description: 'Share of roadmap dependencies the autopilot has in sync (dependencySyncRatio); it flags a desync below 80 %.',
      w: 3,
      h: 6,
      unit: 'ratio',
      thresholds: 'highIsGood',
      queries: [{ expr: 'wvo_task_dependency_sync_ratio', legend: 'sync' }],
      options: { graphMode: 'none' },
      defaults: { decimals: 0 },
    },
    {
      type: 'stat',
      title: 'Remediations (total)',
      description: 'Remediations the autopilot ran, each counted once, by outcome.',
      w: 6,
      h: 6,
      unit: 'count',
      thresholds: 'info',
      queries: [{ expr: 'sum by (instance, outcome) (wvo_autopilot_remediations_total)', legend: '{{outcome}}' }],
      options: { textMode: 'value_and_name' },
      defaults: { decimals: 0 },
    },
    {
      type: 'table',
      title: 'Remediations by action and outcome',
      description: 'Remediations per action (recover_stale_tasks, resync_dependencies, adjust_wip_limit, alert_only…) and outcome; rationales and messages are in /api/metrics/health.',
      w: 12,
      h: 7,
      unit: 'count',
      thresholds: 'info',
      queries: [{ expr: 'sum by (instance, action, outcome) (wvo_autopilot_remediations_total)', table: true }],
      panelLinks: [HEALTH],
      links: [HEALTH],
      transformations: [{ id: 'organize', options: { excludeByName: { Time: true }, renameByName: { Value: 'remediations' } } }],
    },
    {
      type: 'timeseries',
      title: 'Active anomalies over time',
      description: 'Active anomalies over time per type and severity; remediations are drawn as annotations.',
      w: 12,
      h: 7,
      unit: 'count',
      queries: [{ expr: 'sum by (instance, type, severity) (wvo_autopilot_anomalies)', legend: '{{type}} ({{severity}})' }],
      defaults: { custom: { lineInterpolation: 'stepAfter' } },
    },
  ],
};

/** Remediations as annotations: a marker whenever the counter of an action grew. */
export const remediationAnnotations: Json[] = [
  {
    name: 'Remediations',
    iconColor: 'orange',
    expr: 'sum by (instance, action, outcome) (increase(wvo_autopilot_remediations_total[$__rate_interval])) > 0',
    step: '1m',
    titleFormat: 'Remediation {{action}}',
    textFormat: '{{instance}}: {{action}} ({{outcome}})',
    tagKeys: 'action,outcome',
    useValueForTime: false,
  },
];
