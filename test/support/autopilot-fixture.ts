/**
 * Files in the real writers' shapes (WeatherVane's execution_telemetry.ts,
 * autopilot_health_monitor.ts, model_router_telemetry.ts) with numbers chosen so each new
 * metric has a known answer.
 */
import { T0 } from './server.js';

export const EXECUTIONS = 'state/telemetry/executions.jsonl';
export const ARCHIVES = 'state/telemetry/archives';
export const HEALTH = 'state/analytics/autopilot_health_report.json';
export const MODEL_ROUTER = 'state/analytics/model_router_telemetry.json';

/** The archive name the writer's TelemetryExporter.archiveAndReset gives a rotated log. */
export const archiveName = (at: number) => `${ARCHIVES}/executions_${new Date(at).toISOString().replace(/[:.]/g, '-').slice(0, 19)}.jsonl`;

export interface Execution {
  agent_type: string;
  success: boolean;
  codex_model?: string | null;
  model?: string;
  failure_type?: string | null;
  final_status?: string;
  quality_score?: number;
  prompt_cache_hit?: boolean | null;
  prompt_tokens?: number;
  completion_tokens?: number;
  token_cost_usd?: number | null;
  duration_seconds?: number;
}

/** One line as ExecutionTelemetryRecord writes it (plus TelemetryExporter's `timestamp`). */
export function executionRecord(e: Execution, i = 0): Record<string, unknown> {
  const at = T0 - i * 1000;
  return {
    timestamp: new Date(at).toISOString(),
    type: 'execution_summary',
    task_id: `T-${i}`,
    agent_id: `${e.agent_type}-worker-${i % 4}`,
    agent_type: e.agent_type,
    coordinator_type: null,
    coordinator_available: null,
    coordinator_reason: null,
    success: e.success,
    failure_type: e.failure_type ?? null,
    final_status: e.final_status ?? (e.success ? 'done' : 'failed'),
    duration_seconds: e.duration_seconds ?? 10,
    quality_score: e.quality_score ?? 0.5,
    issues: [],
    timestamp_ms: at,
    timestamp_iso: new Date(at).toISOString(),
    project_phase: 'implementation',
    prompt_tokens: e.prompt_tokens ?? 100,
    completion_tokens: e.completion_tokens ?? 10,
    total_tokens: (e.prompt_tokens ?? 100) + (e.completion_tokens ?? 10),
    token_cost_usd: e.token_cost_usd === undefined ? 0.01 : e.token_cost_usd,
    token_estimate_strategy: 'tokenizer',
    codex_preset: e.codex_model ? 'gpt-5-codex-high' : null,
    codex_model: e.codex_model ?? null,
    codex_reasoning: null,
    critics_required: [],
    critics_failed: [],
    correlation_id: null,
    prompt_cache_status: null,
    prompt_cache_tier: null,
    prompt_cache_id: null,
    prompt_cache_hit: e.prompt_cache_hit ?? null,
    prompt_cache_store: null,
    prompt_cache_eligible: null,
    prompt_cache_raw: null,
    ...(e.model !== undefined ? { model: e.model } : {}),
  };
}

export const jsonl = (records: readonly Record<string, unknown>[]) => records.map((r) => JSON.stringify(r) + '\n').join('');

/**
 * Nine executions: codex on two codex_models (one line with codex_model null but `model` set),
 * claude_code with `model` only, and one line naming no model at all.
 */
export const knownExecutions: Execution[] = [
  { agent_type: 'codex', codex_model: 'gpt-5-codex', success: true, quality_score: 0.9, prompt_cache_hit: true, prompt_tokens: 1000, completion_tokens: 200, token_cost_usd: 0.5 },
  { agent_type: 'codex', codex_model: 'gpt-5-codex', success: false, failure_type: 'timeout', final_status: 'failed', quality_score: 0.1, prompt_cache_hit: false, prompt_tokens: 2000, completion_tokens: 10, token_cost_usd: 0.25 },
  { agent_type: 'codex', codex_model: 'gpt-5-codex', success: false, failure_type: null, final_status: 'blocked', quality_score: 0.35, prompt_cache_hit: null },
  { agent_type: 'codex', codex_model: 'gpt-5', success: true, quality_score: 1, prompt_cache_hit: true },
  { agent_type: 'codex', codex_model: null, model: 'gpt-5-codex', success: false, failure_type: 'timeout', final_status: 'failed', quality_score: 0.2 },
  { agent_type: 'claude_code', model: 'claude-sonnet-4-5', success: true, quality_score: 0.75, prompt_cache_hit: false },
  { agent_type: 'claude_code', model: 'claude-sonnet-4-5', success: false, failure_type: 'tool_error', final_status: 'failed', quality_score: 0.05 },
  { agent_type: 'claude_code', success: true, quality_score: 0.55, token_cost_usd: null },
  // a quality score outside 0..1 is not observed; the rest of the line counts
  { agent_type: 'claude_code', model: 'claude-sonnet-4-5', success: true, quality_score: 7 },
];

/** An AnomalyDetection as the health monitor writes it. */
export const anomaly = (type: string, severity: string, detectedAt: number, description = `${type} detected`) => ({
  type,
  severity,
  description,
  metrics: { staleCount: 2, maxStaleAgeMs: 5_400_000 },
  detectedAt,
});

/** A RemediationResult as the health monitor writes it. */
export const remediation = (type: string, detectedAt: number, action: string, success = true) => ({
  plan: { anomaly: anomaly(type, 'warning', detectedAt), action, rationale: `why ${action}`, estimatedImpact: 'low', safe: true },
  success,
  message: success ? `${action} done` : `${action} failed`,
});

/** Ten remediations, one per cycle; the writer keeps the last ten and rewrites them each cycle. */
export const tenRemediations = (firstCycle: number) =>
  Array.from({ length: 10 }, (_, k) => {
    const cycle = firstCycle + k;
    const at = T0 + cycle * 300_000;
    return cycle % 3 === 0
      ? remediation('dependency_desync', at, 'resync_dependencies', cycle % 2 === 0)
      : remediation('stale_tasks', at, 'recover_stale_tasks', true);
  });

export function healthReport(opts: { remediations: unknown[]; anomalies?: unknown[]; syncRatio?: number }) {
  return {
    running: true,
    lastCycle: 42,
    metricsHistory: [
      { timestamp: T0, pendingCount: 3, readyCount: 1, inProgressCount: 2, doneCount: 5, blockedCount: 1, queueDepth: 1, dependencySyncRatio: opts.syncRatio ?? 0.75 },
    ],
    activeAnomalies: opts.anomalies ?? [
      anomaly('stale_tasks', 'warning', T0 - 300_000, '2 task(s) stuck in in_progress state'),
      anomaly('stale_tasks', 'warning', T0, '2 task(s) stuck in in_progress state'),
      anomaly('throughput_degradation', 'critical', T0, 'Throughput degraded to 0.0/hr (baseline: 10/hr)'),
      anomaly('dependency_desync', 'warning', T0, 'Dependency sync ratio low: 75%'),
    ],
    recentRemediations: opts.remediations,
  };
}

/** ModelRouterTelemetry as the tracker saves it. */
export const modelRouterDoc = {
  version: '1.0',
  startedAt: new Date(T0 - 86_400_000).toISOString(),
  lastUpdatedAt: new Date(T0).toISOString(),
  totalTasks: 40,
  totalCostActual: 1.8,
  totalCostBaseline: 3,
  totalSavings: 1.2,
  savingsPercent: 40,
  tierDistribution: { haiku: 20, 'sonnet-3.5': 10, 'sonnet-4.5': 8, 'sonnet-4.5-reasoning': 2 },
  recentTasks: [{ taskId: 'T-1', timestamp: new Date(T0).toISOString(), tier: 'haiku', complexity: 2, costActual: 0.01, costBaseline: 0.075, savings: 0.065 }],
};
