import type { Snapshot } from '../collector/snapshot.js';
import { CYCLE_BUCKETS } from '../collector/collector.js';
import type { HistogramData } from '../sources/aggregate.js';
import { CappedPairs, labelValue } from '../sources/aggregate.js';
import { DURATION_BUCKETS, QUALITY_BUCKETS, type DurationExemplar } from '../sources/executions.js';
import { RUBRIC_BUCKETS, DECISIONS } from '../sources/quality-decisions.js';
import { budgetScope, type Budgets } from '../sources/budgets.js';
import type { Pricing } from '../sources/pricing.js';
import type { TraceStats } from '../traces/pipeline.js';
import { SOURCE_IDS } from '../sources/registry.js';
import { TASK_STATES } from '../sources/roadmap.js';
import {
  consensusReachRate,
  diskPercent,
  estimatedCostPerTask,
  mcpServerUp,
  providerCost,
  quantile,
  ratios,
  taskCounts,
} from '../views/derived.js';

export type Labels = Record<string, string>;
export interface Sample {
  labels: Labels;
  value: number;
}
/** An observation that names the task it came from: an OpenMetrics exemplar once the task id is a trace id. */
export type TaskExemplar = DurationExemplar;
export interface HistogramSample {
  labels: Labels;
  data: HistogramData;
  /** Per bucket (as `data.counts`), the latest observation of a task in it. */
  exemplars?: readonly (TaskExemplar | null)[];
}

/** What the exporter knows about itself, beside the snapshot. */
export interface ExporterStats {
  cycleDurations: HistogramData;
  sseClients: number;
  /** The OTLP trace pipeline's counts; absent while traces are off. */
  traces?: TraceStats;
}

export interface MetricInput {
  snapshot: Snapshot;
  exporter: ExporterStats;
  costPer1kTokens: number;
  /** WVO_PRICING_FILE's prices; unset: costPer1kTokens for every token. */
  pricing?: Pricing;
  /** WVO_BUDGETS_FILE's last good budgets and objectives; unset: none. */
  budgets?: Budgets;
  maxTaskSeries: number;
  /** Who this exporter is, for fleet views; absent in library use without a config. */
  identity?: { workspace: string; version: string };
}

interface Common {
  /** Prometheus name (counters end in _total). */
  name: string;
  help: string;
  labels: readonly string[];
  /** UCUM unit for OTLP. */
  unit: string;
}
export type ScalarMetric = Common & { type: 'gauge' | 'counter'; collect(input: MetricInput): Sample[] };
export type HistogramMetric = Common & { type: 'histogram'; buckets: readonly number[]; collect(input: MetricInput): HistogramSample[] };
/** Quantiles over a window of observations, with their sum and count (rendered as a Prometheus summary). */
export interface SummarySample {
  labels: Labels;
  quantiles: Record<string, number>;
  sum: number;
  count: number;
}
export type SummaryMetric = Common & { type: 'summary'; collect(input: MetricInput): SummarySample[] };
export type MetricDef = ScalarMetric | HistogramMetric | SummaryMetric;

const gauge = (name: string, help: string, unit: string, labels: readonly string[], collect: ScalarMetric['collect']): ScalarMetric => ({
  type: 'gauge',
  name,
  help,
  unit,
  labels,
  collect,
});
const counter = (name: string, help: string, unit: string, labels: readonly string[], collect: ScalarMetric['collect']): ScalarMetric => ({
  type: 'counter',
  name,
  help,
  unit,
  labels,
  collect,
});

/** One unlabelled sample, or none when the value is unknown (absent beats a made-up 0). */
const one = (value: number | boolean | undefined): Sample[] =>
  value === undefined ? [] : [{ labels: {}, value: typeof value === 'boolean' ? Number(value) : value }];

const per = <T>(entries: Iterable<[string, T]>, label: string, value: (v: T) => number | undefined): Sample[] => {
  const out: Sample[] = [];
  for (const [k, v] of entries) {
    const n = value(v);
    if (n !== undefined) out.push({ labels: { [label]: k }, value: n });
  }
  return out;
};

const msToSeconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);
const pctToRatio = (pct: number | undefined) => (pct === undefined ? undefined : pct / 100);
const PROVIDER_STATUSES = ['healthy', 'degraded', 'down'] as const;

/** Every metric the exporter publishes, declared once; Prometheus and OTLP both render this list. */
export const catalog: readonly MetricDef[] = [
  gauge('wvo_autopilot_running', 'Whether the autopilot reports itself running (1) or not (0).', '1', [], ({ snapshot: s }) =>
    one(s.status.health.present || s.status.health.up ? (s.data.health.running ?? false) : undefined),
  ),
  gauge('wvo_autopilot_last_cycle', 'Number of the last autopilot cycle.', '{cycle}', [], ({ snapshot: s }) => one(s.data.health.lastCycle)),
  gauge('wvo_tasks', 'Tasks by state, from the newest health snapshot (roadmap as fallback).', '{task}', ['state'], ({ snapshot: s }) =>
    per(Object.entries(taskCounts(s)), 'state', (v) => v),
  ),
  gauge('wvo_task_queue_depth', 'Tasks waiting in the queue.', '{task}', [], ({ snapshot: s }) => one(s.data.health.latest?.queueDepth)),
  gauge('wvo_task_wip_utilization_ratio', 'Work-in-progress slots in use, 0..1.', '1', [], ({ snapshot: s }) =>
    one(s.data.health.latest?.wipUtilization),
  ),
  gauge('wvo_task_throughput', 'Tasks completed in the trailing window.', '{task}', ['window'], ({ snapshot: s }) => {
    const h = s.data.health.latest;
    return per(
      [
        ['5m', h?.throughputLast5Min],
        ['1h', h?.throughputLastHour],
      ],
      'window',
      (v) => v,
    );
  }),
  gauge('wvo_tasks_stale', 'Tasks considered stale by the autopilot.', '{task}', [], ({ snapshot: s }) => one(s.data.health.latest?.staleTaskCount)),
  gauge('wvo_task_max_stale_age_seconds', 'Age of the stalest task.', 's', [], ({ snapshot: s }) =>
    one(msToSeconds(s.data.health.latest?.maxStaleAgeMs)),
  ),
  gauge('wvo_agents', 'Agents by status.', '{agent}', ['status'], ({ snapshot: s }) => {
    const h = s.data.health.latest;
    return per(
      [
        ['busy', h?.busyAgents],
        ['idle', h?.idleAgents],
      ],
      'status',
      (v) => v,
    );
  }),
  gauge('wvo_task_dependency_sync_ratio', 'Task dependencies synced into the task table / dependencies in the roadmap (1 = in sync).', '1', [], ({ snapshot: s }) =>
    one(s.data.health.latest?.dependencySyncRatio),
  ),
  gauge('wvo_autopilot_anomalies', 'Anomalies the autopilot health monitor reports active now, by type and severity.', '{anomaly}', ['type', 'severity'], ({ snapshot: s }) => {
    const counts = new CappedPairs(50, () => ({ n: 0 }));
    for (const a of s.data.health.activeAnomalies) counts.get(a.type, a.severity).n++;
    return counts.map((type, severity, c) => ({ labels: { type, severity }, value: c.n }));
  }),
  counter(
    'wvo_autopilot_remediations_total',
    'Remediations the autopilot health monitor ran, each counted once, since the exporter started (seeded from the report it found).',
    '{remediation}',
    ['action', 'outcome'],
    ({ snapshot: s }) =>
      Object.entries(s.data.health.remediations.byAction).flatMap(([action, c]) => [
        { labels: { action, outcome: 'success' }, value: c.success },
        { labels: { action, outcome: 'failure' }, value: c.failure },
      ]),
  ),
  gauge('wvo_task_success_ratio', 'Approved quality-gate decisions / all decisions.', '1', [], ({ snapshot: s }) => one(ratios(s).success)),
  gauge('wvo_task_failure_ratio', '1 − success ratio (0 with no decisions).', '1', [], ({ snapshot: s }) => one(ratios(s).failure)),
  gauge('wvo_task_retry_ratio', 'Resolution loops / quality-gate decisions.', '1', [], ({ snapshot: s }) => one(ratios(s).retry)),
  gauge('wvo_roadmap_tasks', 'Roadmap tasks by epic and normalised status.', '{task}', ['epic', 'status'], ({ snapshot: s, maxTaskSeries }) => {
    const byEpic = new Map<string, Record<string, number>>();
    for (const t of s.data.roadmap.tasks) {
      let epic = labelValue(t.epic, 'none');
      if (!byEpic.has(epic) && byEpic.size >= maxTaskSeries) epic = 'other';
      let counts = byEpic.get(epic);
      if (!counts) byEpic.set(epic, (counts = Object.fromEntries(TASK_STATES.map((st) => [st, 0]))));
      counts[t.status]!++;
    }
    const out: Sample[] = [];
    for (const [epic, counts] of byEpic) for (const st of TASK_STATES) out.push({ labels: { epic, status: st }, value: counts[st]! });
    return out;
  }),
  counter('wvo_consensus_decisions_total', 'Orchestrator consensus decisions by type.', '{decision}', ['type'], ({ snapshot: s }) =>
    per(
      Object.entries(s.data.orchestration.byType)
        .slice(0, 50)
        .map(([type, n]) => [labelValue(type), n] as [string, number]),
      'type',
      (v) => v,
    ),
  ),
  gauge('wvo_consensus_quorum_ratio', 'Share of recent consensus decisions that satisfied quorum.', '1', [], ({ snapshot: s }) =>
    one(s.data.orchestration.historyEntries > 0 ? consensusReachRate(s) : undefined),
  ),
  counter('wvo_quality_gate_decisions_total', 'Quality-gate decisions by outcome.', '{decision}', ['decision'], ({ snapshot: s }) => {
    const d = s.data.quality_decisions.decisions;
    const keys = new Set<string>([...DECISIONS, ...Object.keys(d)]);
    return per([...keys].map((k) => [k, d[k] ?? 0] as [string, number]), 'decision', (v) => v);
  }),
  counter('wvo_quality_gate_reviews_total', 'Reviews by gate and outcome.', '{review}', ['gate', 'outcome'], ({ snapshot: s }) =>
    Object.entries(s.data.quality_decisions.reviews).flatMap(([gate, v]) => [
      { labels: { gate, outcome: 'approved' }, value: v.approved },
      { labels: { gate, outcome: 'rejected' }, value: v.rejected },
    ]),
  ),
  counter('wvo_quality_gate_consensus_total', 'Decisions by whether reviewers reached consensus.', '{decision}', ['reached'], ({ snapshot: s }) => {
    const c = s.data.quality_decisions.consensus;
    return [
      { labels: { reached: 'true' }, value: c.true },
      { labels: { reached: 'false' }, value: c.false },
    ];
  }),
  {
    type: 'histogram',
    name: 'wvo_quality_gate_rubric_score',
    help: 'Rubric scores given by reviewers, by dimension.',
    unit: '1',
    labels: ['dimension'],
    buckets: RUBRIC_BUCKETS,
    collect: ({ snapshot: s }) => Object.entries(s.data.quality_decisions.rubric).map(([dimension, data]) => ({ labels: { dimension }, data })),
  },
  counter('wvo_quality_gate_adversarial_catches_total', 'Adversarial-gate detections by category.', '{detection}', ['category'], ({ snapshot: s }) =>
    per(Object.entries(s.data.quality_decisions.adversarial), 'category', (v) => v),
  ),
  gauge('wvo_resolution_active_loops', 'Resolution loops currently open.', '{loop}', [], ({ snapshot: s }) => one(s.data.resolution.activeLoops.length)),
  counter('wvo_resolution_loops_total', 'Resolution loops ever opened.', '{loop}', [], ({ snapshot: s }) => one(s.data.resolution.stats.totalLoops)),
  counter('wvo_resolution_loops_closed_total', 'Resolution loops closed.', '{loop}', [], ({ snapshot: s }) => one(s.data.resolution.stats.closedLoops)),
  counter('wvo_resolution_loops_closed_within_3_total', 'Resolution loops closed within 3 attempts.', '{loop}', [], ({ snapshot: s }) =>
    one(s.data.resolution.stats.closedWithin3),
  ),
  counter('wvo_resolution_infinite_loops_total', 'Loops flagged as infinite (more than 5 attempts).', '{loop}', [], ({ snapshot: s }) =>
    one(s.data.resolution.stats.infiniteLoopCount),
  ),
  counter('wvo_resolution_incidents_total', 'Resolution incidents recorded.', '{incident}', [], ({ snapshot: s }) =>
    one(s.data.resolution.stats.incidentCount),
  ),
  gauge('wvo_resolution_attempt_events', 'Attempts recorded, by attempt number.', '{attempt}', ['attempt'], ({ snapshot: s }) =>
    per(Object.entries(s.data.resolution.stats.attemptHistogram), 'attempt', (v) => v),
  ),
  gauge('wvo_resolution_loop_attempts', 'Attempts of each active loop (the most-attempted, capped).', '{attempt}', ['task_id'], ({ snapshot: s, maxTaskSeries }) =>
    [...s.data.resolution.activeLoops]
      .sort((a, b) => (b.attempts ?? 0) - (a.attempts ?? 0))
      .slice(0, maxTaskSeries)
      .map((l) => ({ labels: { task_id: l.taskId!.slice(0, 128) }, value: l.attempts ?? 0 })),
  ),
  gauge('wvo_resolution_loop_attempts_truncated', 'Active loops left out of wvo_resolution_loop_attempts by the series cap.', '{loop}', [], ({ snapshot: s, maxTaskSeries }) =>
    one(Math.max(0, s.data.resolution.activeLoops.length - maxTaskSeries)),
  ),
  {
    type: 'summary',
    name: 'wvo_resolution_duration_seconds',
    help: 'Time to resolution of recently closed loops (the newest 50), by quantile.',
    unit: 's',
    labels: ['quantile'],
    collect: ({ snapshot: s }) => {
      const durations = s.data.resolution.recentlyClosed.flatMap((c) => (c.durationMs === undefined ? [] : [c.durationMs / 1000]));
      if (durations.length === 0) return [];
      const quantiles = Object.fromEntries(['0.5', '0.95', '0.99'].map((q) => [q, quantile(durations, Number(q))!]));
      return [{ labels: {}, quantiles, sum: durations.reduce((a, b) => a + b, 0), count: durations.length }];
    },
  },
  gauge('wvo_host_cpu_utilization_ratio', 'Host CPU in use, 0..1.', '1', [], ({ snapshot: s }) => one(pctToRatio(s.data.resources.cpu_used_pct))),
  gauge('wvo_host_memory_utilization_ratio', 'Host memory in use, 0..1.', '1', [], ({ snapshot: s }) => one(pctToRatio(s.data.resources.memory_used_pct))),
  gauge('wvo_host_disk_utilization_ratio', 'Host disk in use, 0..1 (metrics summary as fallback).', '1', [], ({ snapshot: s }) => one(pctToRatio(diskPercent(s)))),
  gauge('wvo_agent_processes', 'Agent processes running, by kind.', '{process}', ['kind'], ({ snapshot: s }) =>
    per(
      [
        ['claude', s.data.resources.claude_processes],
        ['node', s.data.resources.node_processes],
      ],
      'kind',
      (v) => v,
    ),
  ),
  gauge('wvo_throttle_level', 'Current throttle level of the autopilot.', '1', [], ({ snapshot: s }) => one(s.data.resources.throttle_level)),
  ...(['requests', 'tokens'] as const).flatMap((what) => {
    const unit = what === 'requests' ? '{request}' : '{token}';
    const used = (p: import('../sources/usage.js').ProviderUsage, w: 'hour' | 'day') =>
      what === 'requests' ? (w === 'hour' ? p.hourlyRequests : p.dailyRequests) : w === 'hour' ? p.hourlyTokens : p.dailyTokens;
    const limit = (p: import('../sources/usage.js').ProviderUsage, w: 'hour' | 'day') =>
      what === 'requests'
        ? w === 'hour'
          ? p.limits.hourlyRequests
          : p.limits.dailyRequests
        : w === 'hour'
          ? p.limits.hourlyTokens
          : p.limits.dailyTokens;
    const series = (input: MetricInput, f: typeof used) =>
      input.snapshot.data.usage.providers.slice(0, 100).flatMap((p) =>
        (['hour', 'day'] as const).flatMap((w) => {
          const v = f(p, w);
          return v === undefined ? [] : [{ labels: { provider: labelValue(p.provider), account: labelValue(p.account), window: w }, value: v }];
        }),
      );
    const singular = what.slice(0, -1);
    return [
      gauge(`wvo_provider_${what}`, `Provider ${what} used in the current window.`, unit, ['provider', 'account', 'window'], (i) => series(i, used)),
      gauge(`wvo_provider_${singular}_limit`, `Provider ${singular} limit for the window.`, unit, ['provider', 'account', 'window'], (i) => series(i, limit)),
    ];
  }),
  gauge('wvo_provider_usage_ratio', 'Share of the provider limit used, 0..1, as the writer reports it.', '1', ['provider', 'account'], ({ snapshot: s }) =>
    s.data.usage.providers.slice(0, 100).flatMap((p) =>
      p.percentageUsed === undefined ? [] : [{ labels: { provider: labelValue(p.provider), account: labelValue(p.account) }, value: p.percentageUsed / 100 }],
    ),
  ),
  ...(
    [
      ['wvo_provider_limit_hits_total', 'Times the provider hit its rate limit.', 'totalLimitHits'],
      ['wvo_provider_recoveries_total', 'Times the provider recovered from a limit.', 'totalRecoveries'],
      ['wvo_provider_failovers_total', 'Failovers away from the provider.', 'totalFailovers'],
    ] as const
  ).map(([name, help, field]) =>
    counter(name, help, '{event}', ['provider'], ({ snapshot: s }) =>
      s.data.provider_capacity.providers.slice(0, 100).flatMap((p) => {
        const v = p[field];
        return v === undefined ? [] : [{ labels: { provider: labelValue(p.provider) }, value: v }];
      }),
    ),
  ),
  gauge('wvo_provider_downtime_seconds', 'Provider downtime statistics.', 's', ['provider', 'stat'], ({ snapshot: s }) =>
    s.data.provider_capacity.providers.slice(0, 100).flatMap((p) =>
      (
        [
          ['avg', p.averageDowntimeMs],
          ['max', p.longestDowntimeMs],
          ['min', p.shortestDowntimeMs],
        ] as const
      ).flatMap(([stat, ms]) => (ms === undefined ? [] : [{ labels: { provider: labelValue(p.provider), stat }, value: ms / 1000 }])),
    ),
  ),
  gauge('wvo_provider_status', 'Provider status as a state set: 1 for the current status.', '1', ['provider', 'status'], ({ snapshot: s }) =>
    s.data.provider_capacity.providers.slice(0, 100).flatMap((p) => {
      const current = labelValue(p.currentStatus?.toLowerCase(), 'unknown');
      const states = new Set<string>([...PROVIDER_STATUSES, current]);
      return [...states].map((status) => ({ labels: { provider: labelValue(p.provider), status }, value: Number(status === current) }));
    }),
  ),
  gauge('wvo_provider_estimated_cost_usd', 'Estimated cost of the tokens used in the current window (WVO_PRICING_FILE, else WVO_COST_PER_1K_TOKENS).', 'USD', ['provider', 'account', 'window'], ({ snapshot: s, costPer1kTokens, pricing }) =>
    s.data.usage.providers.slice(0, 100).flatMap((p) =>
      (['hour', 'day'] as const).flatMap((window) => {
        const v = providerCost(p, window, costPer1kTokens, pricing);
        return v === undefined ? [] : [{ labels: { provider: labelValue(p.provider), account: labelValue(p.account), window }, value: v }];
      }),
    ),
  ),
  gauge('wvo_model_router_tasks', 'Tasks the model router sent to each tier.', '{task}', ['tier'], ({ snapshot: s }) =>
    per(Object.entries(s.data.model_router?.tierDistribution ?? {}), 'tier', (v) => v),
  ),
  gauge('wvo_model_router_routed_tasks', 'Tasks routed by the model router.', '{task}', [], ({ snapshot: s }) => one(s.data.model_router?.totalTasks)),
  gauge('wvo_model_router_cost_usd', 'Cost of routed tasks in US dollars: actual, and the baseline of always using the default model.', 'USD', ['kind'], ({ snapshot: s }) =>
    per(
      [
        ['actual', s.data.model_router?.totalCostActual],
        ['baseline', s.data.model_router?.totalCostBaseline],
      ],
      'kind',
      (v) => v,
    ),
  ),
  gauge('wvo_model_router_savings_ratio', 'Share of the baseline cost saved by model routing (negative when it cost more).', '1', [], ({ snapshot: s }) =>
    one(pctToRatio(s.data.model_router?.savingsPercent)),
  ),
  counter('wvo_executions_total', 'Agent executions by agent type, outcome and model.', '{execution}', ['agent_type', 'status', 'model'], ({ snapshot: s }) =>
    s.data.executions.byModel.flatMap(({ agentType: agent_type, model, success, failure }) => [
      { labels: { agent_type, status: 'success', model }, value: success },
      { labels: { agent_type, status: 'failure', model }, value: failure },
    ]),
  ),
  counter('wvo_execution_tokens_total', 'Tokens used by executions, by agent type, kind and model.', '{token}', ['agent_type', 'kind', 'model'], ({ snapshot: s }) =>
    s.data.executions.byModel.flatMap(({ agentType: agent_type, model, promptTokens, completionTokens }) => [
      { labels: { agent_type, kind: 'prompt', model }, value: promptTokens },
      { labels: { agent_type, kind: 'completion', model }, value: completionTokens },
    ]),
  ),
  counter('wvo_execution_cost_usd_total', 'Token cost of executions in US dollars, by agent type and model.', 'USD', ['agent_type', 'model'], ({ snapshot: s }) =>
    s.data.executions.byModel.map(({ agentType: agent_type, model, costUsd }) => ({ labels: { agent_type, model }, value: costUsd })),
  ),
  {
    type: 'histogram',
    name: 'wvo_execution_duration_seconds',
    help: 'Execution duration by agent type and model.',
    unit: 's',
    labels: ['agent_type', 'model'],
    buckets: DURATION_BUCKETS,
    collect: ({ snapshot: s }) =>
      s.data.executions.byModel.map(({ agentType: agent_type, model, duration, durationExemplars }) => ({
        labels: { agent_type, model },
        data: duration,
        exemplars: durationExemplars,
      })),
  },
  counter('wvo_execution_failures_total', 'Failed executions by agent type and failure_type.', '{execution}', ['agent_type', 'failure_type'], ({ snapshot: s }) =>
    s.data.executions.failures.map(({ agentType: agent_type, value: failure_type, count }) => ({ labels: { agent_type, failure_type }, value: count })),
  ),
  counter('wvo_execution_outcomes_total', 'Executions by agent type and final_status.', '{execution}', ['agent_type', 'final_status'], ({ snapshot: s }) =>
    s.data.executions.outcomes.map(({ agentType: agent_type, value: final_status, count }) => ({ labels: { agent_type, final_status }, value: count })),
  ),
  {
    type: 'histogram',
    name: 'wvo_execution_quality_score',
    help: 'Quality score (0..1) of executions, by agent type.',
    unit: '1',
    labels: ['agent_type'],
    buckets: QUALITY_BUCKETS,
    collect: ({ snapshot: s }) => Object.entries(s.data.executions.quality).map(([agent_type, data]) => ({ labels: { agent_type }, data })),
  },
  counter('wvo_execution_prompt_cache_total', 'Executions whose prompt cache was hit or missed, by agent type.', '{execution}', ['agent_type', 'result'], ({ snapshot: s }) =>
    Object.entries(s.data.executions.promptCache).flatMap(([agent_type, c]) => [
      { labels: { agent_type, result: 'hit' }, value: c.hit },
      { labels: { agent_type, result: 'miss' }, value: c.miss },
    ]),
  ),
  gauge('wvo_estimated_cost_per_task_usd', 'Estimated token cost per task in US dollars (SPEC §4 formula).', 'USD', [], ({ snapshot: s, costPer1kTokens, pricing }) =>
    one(estimatedCostPerTask(s, costPer1kTokens, pricing)),
  ),
  gauge('wvo_budget_usd', 'Spend budget in US dollars per calendar period (UTC day, ISO week, month) and scope (all, model:<model>, provider:<agent_type>), from WVO_BUDGETS_FILE.', 'USD', ['period', 'scope'], ({ budgets }) =>
    (budgets?.budgets ?? []).map((b) => ({ labels: { period: b.period, scope: budgetScope(b) }, value: b.usd })),
  ),
  gauge('wvo_objective_ratio', 'Target share of good events of an objective over its window, 0..1, from WVO_BUDGETS_FILE.', '1', ['objective', 'window'], ({ budgets }) =>
    (budgets?.objectives ?? []).map((o) => ({ labels: { objective: o.name, window: o.window }, value: o.target })),
  ),
  gauge('wvo_mcp_server_up', 'Whether the MCP server pid file exists and its process is alive.', '1', [], ({ snapshot: s }) => one(mcpServerUp(s))),
  gauge('wvo_source_up', 'Whether the last read of the source parsed.', '1', ['source'], ({ snapshot: s }) =>
    SOURCE_IDS.map((source) => ({ labels: { source }, value: Number(s.status[source].up) })),
  ),
  gauge('wvo_source_present', 'Whether the source file exists.', '1', ['source'], ({ snapshot: s }) =>
    SOURCE_IDS.map((source) => ({ labels: { source }, value: Number(s.status[source].present) })),
  ),
  gauge('wvo_source_last_change_timestamp_seconds', 'Modification time of the source file.', 's', ['source'], ({ snapshot: s }) =>
    SOURCE_IDS.flatMap((source) => {
      const ms = s.status[source].lastChangeMs;
      return ms === undefined ? [] : [{ labels: { source }, value: ms / 1000 }];
    }),
  ),
  counter('wvo_source_errors_total', 'Failed reads or parses of the source.', '{error}', ['source'], ({ snapshot: s }) =>
    SOURCE_IDS.map((source) => ({ labels: { source }, value: s.status[source].errors })),
  ),
  counter('wvo_source_bad_lines_total', 'Log lines skipped as malformed or oversized.', '{line}', ['source'], ({ snapshot: s }) =>
    SOURCE_IDS.map((source) => ({ labels: { source }, value: s.status[source].badLines })),
  ),
  {
    type: 'histogram',
    name: 'wvo_collector_cycle_duration_seconds',
    help: 'Duration of collector cycles (stat every source, parse what changed).',
    unit: 's',
    labels: [],
    buckets: CYCLE_BUCKETS,
    collect: ({ exporter }) => [{ labels: {}, data: exporter.cycleDurations }],
  },
  // Zero while traces are off: none were sent, which is a fact, and rate() works from the start.
  counter('wvo_exporter_trace_spans_exported_total', 'Spans the OTLP trace receiver accepted (0 while traces are off).', '{span}', [], ({ exporter }) =>
    one(exporter.traces?.exported ?? 0),
  ),
  counter(
    'wvo_exporter_trace_spans_dropped_total',
    'Spans given up: queue_full (the batch queue, OTEL_BSP_MAX_QUEUE_SIZE, was full) or export_failed (the receiver refused or did not answer, after the OTLP exporter retried).',
    '{span}',
    ['reason'],
    ({ exporter }) => Object.entries(exporter.traces?.dropped ?? { queue_full: 0, export_failed: 0 }).map(([reason, value]) => ({ labels: { reason }, value })),
  ),
  gauge('wvo_sse_clients', 'Connected Server-Sent-Events clients.', '{client}', [], ({ exporter }) => one(exporter.sseClients)),
  gauge('wvo_exporter_info', 'Identity of this exporter: the workspace it reads and its version (value 1).', '1', ['workspace', 'version'], ({ identity }) =>
    identity ? [{ labels: { workspace: labelValue(identity.workspace), version: identity.version }, value: 1 }] : [],
  ),
  gauge('wvo_snapshot_version', 'Version of the snapshot being served; increases whenever a source changes.', '1', [], ({ snapshot: s }) => one(s.version)),
];

/** Every series name the catalog produces (histograms expand to _bucket, _sum and _count). */
export function exportedSeriesNames(): Set<string> {
  const names = new Set<string>();
  for (const m of catalog) {
    names.add(m.name);
    if (m.type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(m.name + suffix);
    if (m.type === 'summary') for (const suffix of ['_sum', '_count']) names.add(m.name + suffix);
  }
  return names;
}
