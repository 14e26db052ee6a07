import { dashboard } from '../builder.js';
import { orZero } from '../promql.js';
import { thresholdsOf, unitOf } from '../style.js';

export default dashboard({
  uid: 'wvo-quality',
  title: 'WVO Autopilot · Quality gates',
  description: "How the quality gates judge the agents' work: approvals and rejections per gate, consensus against the 95 % target, rubric scores and adversarial catches.",
  tags: ['wvo', 'quality'],
  time: 'now-6h',
  links: [
    {
      title: 'Quality gates (REST)',
      url: '${exporter_url}/api/metrics/quality_gates',
      tooltip: 'Rejection reasons, rubric averages, gate breakdown',
    },
  ],
  variables: [
    { name: 'gate', labelValues: { metric: 'wvo_quality_gate_reviews_total', label: 'gate' } },
    { name: 'dimension', labelValues: { metric: 'wvo_quality_gate_rubric_score_count', label: 'dimension' } },
  ],
  rows: [
    {
      row: 'Consensus',
      panels: [
        {
          type: 'gauge',
          title: 'Consensus reach rate (decision log)',
          description: 'Share of quality-gate decisions in the log that reached consensus: consensus_total{reached="true"} / all. Target 95 % (red below).',
          w: 5,
          h: 7,
          unit: 'ratio',
          thresholds: 'target95',
          queries: [
            {
              expr: `${orZero('sum by (instance) (wvo_quality_gate_consensus_total{reached="true"})')} / sum by (instance) (wvo_quality_gate_consensus_total)`,
              legend: 'reach rate',
            },
          ],
          defaults: { decimals: 1 },
        },
        {
          type: 'gauge',
          title: 'Orchestrator quorum ratio',
          description: 'Share of orchestration decisions in orchestration_metrics.json history that satisfied quorum (wvo_consensus_quorum_ratio). Target 95 %.',
          w: 5,
          h: 7,
          unit: 'ratio',
          thresholds: 'target95',
          queries: [{ expr: 'wvo_consensus_quorum_ratio', legend: 'quorum' }],
          defaults: { decimals: 1 },
        },
        {
          type: 'timeseries',
          title: 'Consensus vs 95 % target',
          description: 'Consensus reach rate from the decision log and the orchestrator quorum ratio over time; the dashed line is the 95 % target.',
          w: 14,
          h: 7,
          unit: 'ratio',
          thresholds: 'line95',
          queries: [
            {
              expr: `${orZero('sum by (instance) (wvo_quality_gate_consensus_total{reached="true"})')} / sum by (instance) (wvo_quality_gate_consensus_total)`,
              legend: 'consensus reach rate',
            },
            { expr: 'wvo_consensus_quorum_ratio', legend: 'orchestrator quorum ratio' },
          ],
          defaults: { custom: { thresholdsStyle: { mode: 'dashed' } }, min: 0, max: 1 },
        },
      ],
    },
    {
      row: 'Decisions',
      panels: [
        {
          type: 'stat',
          title: 'Decisions by outcome',
          description: 'Quality-gate decisions in the log by outcome (approved, rejected, escalated; anything else counts as other), counted since the exporter started reading the log.',
          w: 8,
          h: 6,
          unit: 'count',
          thresholds: 'info',
          queries: [
            { expr: 'sum by (instance, decision) (wvo_quality_gate_decisions_total)', legend: '{{decision}}' },
          ],
          options: { textMode: 'value_and_name' },
          defaults: { decimals: 0 },
        },
        {
          type: 'stat',
          title: 'Approval ratio',
          description: 'Approved decisions / all decisions in the log. Amber below 90 %, red below 80 %.',
          w: 4,
          h: 6,
          unit: 'ratio',
          thresholds: 'highIsGood',
          queries: [
            {
              expr: `${orZero('sum by (instance) (wvo_quality_gate_decisions_total{decision="approved"})')} / sum by (instance) (wvo_quality_gate_decisions_total)`,
              legend: 'approved',
            },
          ],
          defaults: { decimals: 1 },
        },
        {
          type: 'timeseries',
          title: 'Decision rate by outcome (per hour)',
          description: 'Quality-gate decisions per hour by outcome: 3600 × rate(wvo_quality_gate_decisions_total[$__rate_interval]). Zero while no decision is logged.',
          w: 12,
          h: 6,
          unit: 'perHour',
          queries: [
            {
              expr: '3600 * sum by (instance, decision) (rate(wvo_quality_gate_decisions_total[$__rate_interval]))',
              legend: '{{decision}}',
            },
          ],
          defaults: { custom: { fillOpacity: 50, stacking: { mode: 'normal' } } },
          overrides: [
            {
              matcher: { id: 'byName', options: 'approved' },
              properties: [{ id: 'color', value: { fixedColor: 'green', mode: 'fixed' } }],
            },
            {
              matcher: { id: 'byName', options: 'rejected' },
              properties: [{ id: 'color', value: { fixedColor: 'red', mode: 'fixed' } }],
            },
            {
              matcher: { id: 'byName', options: 'escalated' },
              properties: [{ id: 'color', value: { fixedColor: 'orange', mode: 'fixed' } }],
            },
          ],
        },
      ],
    },
    {
      row: 'Gates',
      panels: [
        {
          type: 'timeseries',
          title: 'Reviews per gate and outcome',
          description: 'Gate reviews logged per $__rate_interval, by gate and outcome, stacked (increase of wvo_quality_gate_reviews_total). Zero while no review is logged.',
          w: 12,
          h: 8,
          unit: 'count',
          queries: [
            {
              expr: 'sum by (instance, gate, outcome) (increase(wvo_quality_gate_reviews_total{gate=~"$gate"}[$__rate_interval]))',
              legend: '{{gate}} · {{outcome}}',
            },
          ],
          defaults: { custom: { drawStyle: 'bars', fillOpacity: 80, lineWidth: 1, stacking: { mode: 'normal' } } },
        },
        {
          type: 'table',
          title: 'Approvals and rejections per gate',
          panelLinks: [
            { title: 'Quality-gate breakdown (CSV)', url: '${exporter_url}/api/metrics/export/quality_gates' },
            { title: 'Rejection reasons (CSV)', url: '${exporter_url}/api/metrics/export/rejection_reasons' },
          ],
          links: [{ title: 'Quality-gate breakdown (CSV)', url: '${exporter_url}/api/metrics/export/quality_gates' }],
          description: 'Reviews per gate since the exporter started reading the log, approved vs rejected, with the rejection share (amber from 30 %, red from 50 %).',
          w: 12,
          h: 8,
          unit: 'count',
          thresholds: 'info',
          queries: [
            {
              expr: 'sum by (instance, gate) (wvo_quality_gate_reviews_total{gate=~"$gate", outcome="approved"})',
              table: true,
            },
            {
              expr: 'sum by (instance, gate) (wvo_quality_gate_reviews_total{gate=~"$gate", outcome="rejected"})',
              table: true,
            },
            {
              expr: 'sum by (instance, gate) (wvo_quality_gate_reviews_total{gate=~"$gate", outcome="rejected"}) / sum by (instance, gate) (wvo_quality_gate_reviews_total{gate=~"$gate"})',
              table: true,
            },
          ],
          options: { sortBy: [{ desc: true, displayName: 'rejected' }] },
          overrides: [
            {
              matcher: { id: 'byName', options: 'rejection share' },
              properties: [
                unitOf('ratio'),
                { id: 'custom.cellOptions', value: { type: 'color-text' } },
                thresholdsOf('rejectionShare'),
              ],
            },
          ],
          transformations: [
            { id: 'merge', options: {} },
            {
              id: 'organize',
              options: {
                excludeByName: { Time: true },
                renameByName: { "Value #A": 'approved', "Value #B": 'rejected', "Value #C": 'rejection share' },
              },
            },
          ],
        },
      ],
    },
    {
      row: 'Rubric',
      panels: [
        {
          type: 'timeseries',
          title: 'Average rubric score by dimension',
          description: "Mean rubric score per dimension over every review since the exporter started (sum / count of wvo_quality_gate_rubric_score). Scores are in the writer's own scale.",
          w: 12,
          h: 8,
          unit: 'count',
          queries: [
            {
              expr: 'sum by (instance, dimension) (wvo_quality_gate_rubric_score_sum{dimension=~"$dimension"}) / sum by (instance, dimension) (wvo_quality_gate_rubric_score_count{dimension=~"$dimension"} > 0)',
              legend: '{{dimension}}',
            },
          ],
          options: { legend: { calcs: ['lastNotNull', 'min'], displayMode: 'table' } },
          defaults: { decimals: 2 },
        },
        {
          type: 'bargauge',
          title: 'Rubric score median and p10 by dimension',
          description: 'Median and 10th-percentile rubric score per dimension over all reviews (histogram_quantile over the cumulative buckets); the p10 shows how bad the weak reviews get.',
          w: 12,
          h: 8,
          unit: 'count',
          thresholds: 'info',
          queries: [
            {
              expr: 'histogram_quantile(0.5, sum by (instance, le, dimension) (wvo_quality_gate_rubric_score_bucket{dimension=~"$dimension"}))',
              legend: 'median {{dimension}}',
              instant: true,
            },
            {
              expr: 'histogram_quantile(0.1, sum by (instance, le, dimension) (wvo_quality_gate_rubric_score_bucket{dimension=~"$dimension"}))',
              legend: 'p10 {{dimension}}',
              instant: true,
            },
          ],
          defaults: { decimals: 2 },
        },
        {
          type: 'timeseries',
          title: 'Recent rubric score by dimension',
          description: 'Mean rubric score per dimension over reviews logged within $__rate_interval (rate of _sum / rate of _count); gaps while no review is logged.',
          w: 24,
          h: 7,
          unit: 'count',
          queries: [
            {
              expr: 'sum by (instance, dimension) (rate(wvo_quality_gate_rubric_score_sum{dimension=~"$dimension"}[$__rate_interval])) / sum by (instance, dimension) (rate(wvo_quality_gate_rubric_score_count{dimension=~"$dimension"}[$__rate_interval]))',
              legend: '{{dimension}}',
            },
          ],
          defaults: { decimals: 2 },
        },
      ],
    },
    {
      row: 'Adversarial and consensus types',
      panels: [
        {
          type: 'stat',
          title: 'Adversarial catches',
          description: 'Detections by the adversarial gate (detected !== false) since the exporter started reading the log; 0 when none.',
          w: 4,
          h: 8,
          unit: 'count',
          thresholds: 'anyIsWarning',
          queries: [
            { expr: orZero('sum by (instance) (wvo_quality_gate_adversarial_catches_total)'), legend: 'catches' },
          ],
          defaults: { decimals: 0 },
        },
        {
          type: 'timeseries',
          title: 'Adversarial catches by category',
          description: 'Adversarial detections per $__rate_interval by category, stacked (increase of wvo_quality_gate_adversarial_catches_total).',
          w: 10,
          h: 8,
          unit: 'count',
          queries: [
            {
              expr: 'sum by (instance, category) (increase(wvo_quality_gate_adversarial_catches_total[$__rate_interval]))',
              legend: '{{category}}',
            },
          ],
          defaults: { custom: { drawStyle: 'bars', fillOpacity: 80, lineWidth: 1, stacking: { mode: 'normal' } } },
        },
        {
          type: 'piechart',
          title: 'Adversarial catches by category (total)',
          description: 'Share of all adversarial detections per category since the exporter started reading the log.',
          w: 10,
          h: 8,
          unit: 'count',
          queries: [
            {
              expr: 'sum by (instance, category) (wvo_quality_gate_adversarial_catches_total)',
              legend: '{{category}}',
              instant: true,
            },
          ],
        },
        {
          type: 'timeseries',
          title: 'Consensus decisions by type (per hour)',
          description: 'Orchestrator consensus decisions per hour by type (3600 × rate of wvo_consensus_decisions_total, from orchestration_metrics.json byType).',
          w: 14,
          h: 8,
          unit: 'perHour',
          queries: [
            {
              expr: '3600 * sum by (instance, type) (rate(wvo_consensus_decisions_total[$__rate_interval]))',
              legend: '{{type}}',
            },
          ],
          defaults: { custom: { fillOpacity: 50, stacking: { mode: 'normal' } } },
        },
        {
          type: 'bargauge',
          title: 'Consensus decisions by type (total)',
          description: 'Orchestrator consensus decisions by type, as totalled in orchestration_metrics.json.',
          w: 10,
          h: 8,
          unit: 'count',
          thresholds: 'info',
          queries: [
            { expr: 'sum by (instance, type) (wvo_consensus_decisions_total)', legend: '{{type}}', instant: true },
          ],
          defaults: { decimals: 0 },
        },
      ],
    },
  ],
});
