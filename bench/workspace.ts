// Generates a large, realistic workspace for the benchmark; shapes follow the samples in state/.
import { createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { rng } from '../src/simulator/roadmap.js';

export const PATHS = {
  health: 'state/analytics/autopilot_health_report.json',
  orchestration: 'state/analytics/orchestration_metrics.json',
  decisions: 'state/analytics/quality_gate_decisions.jsonl',
  resolution: 'state/analytics/resolution_metrics.json',
  resources: 'state/analytics/resource_metrics.json',
  providerCapacity: 'state/analytics/provider_capacity_metrics.json',
  usage: 'state/limits/usage_log.json',
  executions: 'state/telemetry/executions.jsonl',
  // The writer's rotation name: executions_<ISO time, ':' and '.' as '-'>.jsonl
  archive: 'state/telemetry/archives/executions_2026-11-19T23-59-59.jsonl',
  archivesDir: 'state/telemetry/archives',
  metricsSummary: 'state/telemetry/metrics_summary.json',
  roadmap: 'state/roadmap.yaml',
  mcpPid: 'state/.mcp.pid',
  modelRouter: 'state/analytics/model_router_telemetry.json',
} as const;

/** The JSON documents a writer rewrites whole. */
export const JSON_DOCS = ['health', 'orchestration', 'resolution', 'resources', 'providerCapacity', 'usage', 'metricsSummary', 'modelRouter'] as const;
export type JsonDoc = (typeof JSON_DOCS)[number];

/** Deterministic PRNG (mulberry32), so every run generates the same workspace: the simulator's. */
export { rng };

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

const BASE_MS = Date.parse('2026-11-20T00:00:00.000Z');
const AGENTS = ['claude_code', 'codex', 'gemini_cli'] as const;
const MODELS: Record<string, readonly string[]> = {
  claude_code: ['claude-sonnet-4-5', 'claude-opus-4-1'],
  codex: ['gpt-5-codex', 'gpt-5'],
  gemini_cli: ['gemini-2.5-pro'],
};
const FAILURE_TYPES = ['timeout', 'test_failure', 'provider_error', 'tool_error', null] as const;
const ERRORS: Record<string, string> = {
  timeout: 'timeout after 1800s',
  test_failure: 'tests failed after 3 fix attempts',
  provider_error: 'provider returned 529 overloaded',
  tool_error: 'apply_patch rejected: context mismatch',
};
const ANOMALIES = [
  ['stale_tasks', 'warning', 'recover_stale_tasks', 'Stale tasks prevent WIP limit from freeing up. Safe to recover to pending state.'],
  ['dependency_desync', 'critical', 'resync_dependencies', 'Dependencies not synced from YAML. May cause tasks to execute out of order.'],
  ['throughput_degradation', 'critical', 'alert_only', 'Throughput degradation is often a symptom of other issues. Investigate manually.'],
  ['wip_starvation', 'warning', 'alert_only', 'WIP starvation may indicate dependency blocking or prefetch issues. Monitor for now.'],
  ['queue_empty', 'info', 'none', 'Queue empty with pending tasks is expected when all are dependency-blocked.'],
] as const;
const DOMAINS = ['ingestion', 'storage', 'streaming', 'quality', 'orchestration', 'observability', 'finops', 'ops', 'ml', 'api'];
const STATUSES = ['completed', 'done', 'complete', 'in_progress', 'In Progress', 'ready', 'pending', 'blocked', 'blocked_by_dependency', 'needs_review', 'todo'];
const LABELS = ['adapter', 'schema', 'parquet', 'kafka', 'gates', 'rubric', 'consensus', 'alerting', 'grafana', 'otel', 'cost', 'security', 'migration', 'data-quality', 'resilience'];
const WORDS = ['station', 'provider', 'adapter', 'backfill', 'compaction', 'watermark', 'quorum', 'rubric', 'alert', 'dashboard', 'ledger', 'retry', 'schema', 'partition', 'forecast', 'ensemble', 'calibration', 'pipeline', 'gate', 'throttle'];
const APPROVE_REASONS = [
  'All gates passed; implementation matches acceptance criteria',
  'Automated checks green and rubric scores above threshold',
  'Approved after peer follow-up; minor nits deferred to a follow-up task',
];
const REJECT_REASONS = [
  'Unit tests failing on CI',
  'Lint and typecheck errors',
  'Missing integration tests for new endpoint',
  'Breaks public API contract without a migration path',
  'Hardcoded credential in configuration',
  'Adversarial review detected test gaming',
];
const ESCALATE_REASONS = [
  'Reviewers split on architecture approach; escalated for human decision',
  'Domain expert review timed out; escalated to human reviewer',
];
const CATEGORIES = ['test_gaming', 'hardcoded_secret', 'prompt_injection', 'dependency_confusion'];
const CONCERNS = ['consider extracting helper for retry logic', 'prefer event sourcing over snapshot rewrite', 'naming could be clearer'];
const LABELS_FAIL = ['tests_failed', 'review_rejected', 'typecheck_failed', 'timeout', 'merge_conflict', 'lint_failed'];

export const taskId = (i: number) => `T-${1 + (i % 20)}.${1 + (Math.floor(i / 20) % 5)}.${1 + Math.floor(i / 100)}`;
const iso = (ms: number) => new Date(ms).toISOString();

const rubric = (r: Rand, dims: string[], good: boolean) =>
  Object.fromEntries(dims.map((d) => [d, round(good ? 0.7 + r() * 0.3 : 0.3 + r() * 0.4)]));

/** One quality-gate decision, like the sample log (5 gates, numeric or ISO timestamps). */
export function decisionLine(r: Rand, i: number, at = BASE_MS + i * 6000): string {
  const roll = r();
  const decision = roll < 0.6 ? 'APPROVED' : roll < 0.88 ? 'REJECTED' : 'ESCALATED';
  const ok = decision === 'APPROVED';
  const reason = pick(r, ok ? APPROVE_REASONS : decision === 'REJECTED' ? REJECT_REASONS : ESCALATE_REASONS);
  const worker = `${pick(r, AGENTS)}-worker-${int(r, 1, 4)}`;
  const domain = pick(r, DOMAINS);
  const detections = Array.from({ length: int(r, 1, 2) }, () => ({
    detected: r() < 0.08,
    severity: r() < 0.08 ? 'medium' : 'none',
    category: pick(r, CATEGORIES),
  }));
  const reviews: Record<string, unknown> = {
    automated: {
      [r() < 0.5 ? 'passed' : 'approved']: ok || r() < 0.5,
      reviewer: 'ci-runner',
      durationMs: int(r, 20_000, 400_000),
      checks: { lint: true, typecheck: ok || r() < 0.7, unit: ok || r() < 0.5 },
      ...(ok ? {} : { blockers: [reason] }),
    },
    orchestrator: {
      approved: ok,
      reviewer: 'orchestrator',
      model: 'claude-opus-4',
      rubric: rubric(r, ['correctness', 'maintainability', 'test_coverage'], ok),
      concerns: ok ? [] : [reason],
      blockers: ok ? [] : [reason],
    },
    peer: {
      approved: ok || r() < 0.3,
      reviewer: worker,
      rubric: rubric(r, ['correctness', 'readability', 'test_coverage', 'maintainability'], ok),
      concerns: r() < 0.3 ? [pick(r, CONCERNS)] : [],
      blockers: [],
    },
    adversarial: {
      passed: !detections.some((d) => d.detected),
      reviewer: 'adversarial-reviewer',
      report: { detections, scannedFiles: int(r, 2, 30) },
      concerns: [],
      blockers: [],
    },
  };
  if (r() < 0.6) {
    reviews.domainExpert = {
      approved: ok || r() < 0.4,
      reviewer: `domain-expert:${domain}`,
      rubric: rubric(r, ['correctness', 'security', 'performance', 'domain_fit', 'test_coverage'].slice(0, int(r, 3, 5)), ok),
      concerns: [],
      blockers: [],
    };
  }
  return JSON.stringify({
    id: `qg-${100000 + i}`,
    taskId: taskId(int(r, 0, 1999)),
    decision,
    timestamp: i % 2 === 0 ? at : iso(at),
    finalReasoning: reason,
    consensusReached: decision !== 'ESCALATED' && r() < 0.95,
    reviews,
    runId: `run-${20261120 + Math.floor(i / 20000)}-${(i % 4096).toString(16).padStart(3, '0')}`,
  });
}

/** One telemetry line: mostly execution summaries, with the other event types of the sample. */
export function executionLine(r: Rand, i: number, at = BASE_MS + i * 5000): { text: string; summary: boolean } {
  const roll = r();
  const agentType = pick(r, AGENTS);
  const agent = `${agentType}-worker-${int(r, 1, 4)}`;
  if (roll < 0.05) {
    return { text: JSON.stringify({ timestamp: iso(at), type: 'heartbeat', agents_busy: int(r, 0, 8), agents_idle: int(r, 0, 8), queue_depth: int(r, 0, 40) }), summary: false };
  }
  if (roll < 0.08) {
    return { text: JSON.stringify({ timestamp: iso(at), type: 'execution_started', task_id: taskId(int(r, 0, 1999)), agent_id: agent, agent_type: agentType }), summary: false };
  }
  const success = r() < 0.75;
  const prompt = int(r, 5_000, 60_000);
  const completion = int(r, 500, 12_000);
  const model = pick(r, MODELS[agentType]!);
  const failureType = success ? null : pick(r, FAILURE_TYPES);
  return {
    // The shape of ExecutionTelemetryRecord: codex names its model in codex_model, the others in model.
    text: JSON.stringify({
      timestamp: iso(at),
      type: 'execution_summary',
      task_id: taskId(int(r, 0, 1999)),
      agent_id: agent,
      agent_type: agentType,
      ...(agentType === 'codex' ? { codex_model: model, codex_preset: pick(r, ['gpt-5-codex-medium', 'gpt-5-codex-high']) } : { model }),
      success,
      failure_type: failureType,
      final_status: success ? 'completed' : pick(r, ['failed', 'failed', 'timeout', 'blocked']),
      duration_seconds: round(10 + r() * 1200, 1),
      quality_score: round(success ? 0.6 + r() * 0.4 : r() * 0.5),
      prompt_tokens: prompt,
      completion_tokens: completion,
      total_tokens: prompt + completion,
      token_cost_usd: round((prompt + completion) * 0.000004, 4),
      project_phase: pick(r, ['planning', 'implementation', 'testing', 'review']),
      prompt_cache_hit: agentType === 'gemini_cli' ? null : r() < 0.6,
      ...(failureType ? { error: ERRORS[failureType] } : {}),
    }),
    summary: true,
  };
}

const yamlStr = (s: string) => JSON.stringify(s);

/** roadmap.yaml: epics → milestones → tasks or sets → tasks, plus top-level tasks. */
export function roadmapYaml(r: Rand, epics: number, milestonesPerEpic: number, tasksPerMilestone: number, topLevel: number): { text: string; tasks: number } {
  const out: string[] = [
    '# WeatherVane autopilot roadmap — rewritten by the orchestrator every cycle.',
    '# Do not edit by hand while the autopilot is running.',
    'version: 3',
    `generated_at: "${iso(BASE_MS)}"`,
    'generated_by: wvo-orchestrator/2.14.0',
    'project: weathervane',
    'epics:',
  ];
  let n = 0;
  const task = (indent: string, id: string, extra: string[] = []) => {
    n++;
    const status = pick(r, STATUSES);
    const title = `${pick(r, WORDS)} ${pick(r, WORDS)} ${pick(r, ['adapter', 'job', 'gate', 'dashboard', 'migration', 'policy'])} #${n}`;
    out.push(
      `${indent}- id: ${id}`,
      ...extra.map((e) => `${indent}  ${e}`),
      `${indent}  title: ${yamlStr(title[0]!.toUpperCase() + title.slice(1))}`,
      `${indent}  status: ${status}`,
      `${indent}  domain: ${pick(r, DOMAINS)}`,
      `${indent}  labels: [${pick(r, LABELS)}, ${pick(r, LABELS)}]`,
      `${indent}  dependencies: [${n > 1 ? `T-dep-${n - 1}` : ''}]`,
    );
    if (r() < 0.3) out.push(`${indent}  estimate_hours: ${int(r, 1, 16)}`);
    if (status.includes('progress')) out.push(`${indent}  assignee: ${pick(r, AGENTS)}-worker-${int(r, 1, 4)}`);
    if (status.includes('block')) out.push(`${indent}  blocked_reason: ${yamlStr('waiting on ' + pick(r, WORDS) + ' sign-off')}`);
  };
  for (let e = 1; e <= epics; e++) {
    out.push(`  - id: E-${e}`, `    title: ${yamlStr(`Epic ${e}: ${pick(r, WORDS)} platform`)}`, `    status: ${pick(r, STATUSES)}`, `    owner: ${pick(r, DOMAINS)}`, '    milestones:');
    for (let m = 1; m <= milestonesPerEpic; m++) {
      out.push(`      - id: M-${e}.${m}`, `        title: ${yamlStr(`${pick(r, WORDS)} milestone`)}`, `        status: ${pick(r, STATUSES)}`);
      if (m % 3 === 0) {
        out.push('        sets:');
        for (const set of ['a', 'b']) {
          out.push(`          - id: S-${e}.${m}.${set}`, `            title: ${yamlStr(`${pick(r, WORDS)} set`)}`, '            tasks:');
          for (let t = 1; t <= tasksPerMilestone / 2; t++) task('              ', `T-${e}.${m}.${set}${t}`);
        }
      } else {
        out.push('        tasks:');
        for (let t = 1; t <= tasksPerMilestone; t++) task('          ', `T-${e}.${m}.${t}`);
      }
    }
  }
  out.push('tasks:');
  for (let t = 1; t <= topLevel; t++) task('  ', `OPS-${t}`, t % 2 ? [`epic_id: E-${1 + (t % epics)}`] : []);
  return { text: out.join('\n') + '\n', tasks: n };
}

const anomaly = (type: string, severity: string, detectedAt: number) => ({
  type,
  severity,
  description: `${type.replace(/_/g, ' ')} detected by the health monitor`,
  metrics: { observed: 1 },
  detectedAt,
});

/** The whole-file JSON documents; `tick` varies the values a writer changes. */
export function jsonDoc(doc: JsonDoc, r: Rand, tick: number, now = BASE_MS + tick * 100): unknown {
  switch (doc) {
    case 'health':
      return {
        generatedAt: iso(now),
        running: true,
        lastCycle: 1800 + tick,
        pid: 48211,
        uptimeMs: 187_420_331 + tick * 100,
        metricsHistory: Array.from({ length: 60 }, (_, k) => {
          const busy = int(r, 2, 8);
          return {
            timestamp: now - (59 - k) * 300_000,
            cycle: 1800 + tick - 59 + k,
            pendingCount: int(r, 300, 500),
            readyCount: int(r, 100, 200),
            inProgressCount: int(r, 100, 200),
            doneCount: 900 + k,
            blockedCount: int(r, 100, 200),
            queueDepth: int(r, 10, 40),
            wipUtilization: round(busy / 8, 3),
            throughputLastHour: int(r, 0, 12),
            throughputLast5Min: int(r, 0, 2),
            staleTaskCount: int(r, 0, 5),
            maxStaleAgeMs: int(r, 0, 6_000_000),
            busyAgents: busy,
            idleAgents: 8 - busy,
            totalAgents: 8,
            dependencySyncRatio: round(0.6 + r() * 0.4, 3),
          };
        }),
        // The monitor's last 10 remediations: each tick (a cycle) adds one and drops the oldest.
        activeAnomalies: ANOMALIES.slice(0, 1 + (tick % 4)).map(([type, severity]) => anomaly(type, severity, now)),
        recentRemediations: Array.from({ length: 10 }, (_, k) => {
          const cycle = tick + k;
          const [type, severity, action, rationale] = ANOMALIES[cycle % ANOMALIES.length]!;
          const success = cycle % 7 !== 0;
          return {
            plan: { anomaly: anomaly(type, severity, BASE_MS + cycle * 300_000), action, rationale, estimatedImpact: 'low', safe: true },
            success,
            message: success ? 'Alert logged, no action taken' : `Remediation ${action} failed: state machine busy`,
          };
        }),
        alerts: [{ level: 'warning', message: '2 tasks stale for more than 60 minutes', since: iso(now - 3_600_000) }],
      };
    case 'orchestration': {
      const types = ['task_assignment', 'critical_review', 'escalation', 'wip_rebalance'];
      const history = Array.from({ length: 200 }, (_, k) => {
        const quorum = r() < 0.85;
        return {
          id: `dec-${String(10_000 + tick + k).padStart(6, '0')}`,
          taskId: taskId(int(r, 0, 1999)),
          type: pick(r, types),
          timestamp: iso(now - (199 - k) * 60_000),
          quorumSatisfied: quorum,
          participants: ['orchestrator', 'peer', 'adversarial'].slice(0, int(r, 2, 3)),
          ...(quorum ? {} : { note: 'quorum not reached within 120s; proceeding with orchestrator decision' }),
        };
      });
      return {
        updatedAt: iso(now),
        totalDecisions: 12_800 + tick,
        byType: { task_assignment: 7100 + tick, critical_review: 3300, escalation: 1400, wip_rebalance: 1000 },
        history,
      };
    }
    case 'resolution': {
      const activeLoops = Array.from({ length: 30 }, (_, k) => {
        const attempts = int(r, 1, 7);
        const labels = Array.from({ length: attempts }, () => pick(r, LABELS_FAIL));
        const first = now - int(r, 600_000, 9_000_000);
        return {
          taskId: taskId(k * 61),
          attempts,
          firstAttemptAt: iso(first),
          lastAttemptAt: iso(now - int(r, 0, 500_000)),
          lastLabel: labels[labels.length - 1],
          labels,
          elapsedMs: now - first,
          runId: `run-20261127-${k.toString(16)}`,
          infiniteLoopFlag: attempts > 5,
        };
      });
      const recentEvents = Array.from({ length: 200 }, (_, k) =>
        k % 3 === 2
          ? { type: 'closed', taskId: taskId(k * 7), attempt: int(r, 1, 4), runId: `run-20261126-${k}`, timestamp: iso(now - (200 - k) * 90_000) }
          : { type: 'attempt', taskId: taskId(k * 7), attempt: int(r, 1, 4), label: pick(r, LABELS_FAIL), runId: `run-20261126-${k}`, timestamp: iso(now - (200 - k) * 90_000) },
      );
      const recentlyClosed = Array.from({ length: 100 }, (_, k) => ({
        taskId: taskId(k * 13),
        attempts: int(r, 1, 5),
        closedAt: iso(now - (100 - k) * 180_000),
        durationMs: int(r, 600_000, 12_000_000),
        runId: `run-20261126-${k}`,
      }));
      return {
        updatedAt: iso(now),
        activeLoops,
        stats: {
          totalLoops: 1400 + tick,
          closedLoops: 1370,
          closedWithin3: 1100,
          infiniteLoopCount: 12,
          incidentCount: 20,
          attemptHistogram: { '1': 1400, '2': 900, '3': 500, '4': 300, '5': 200, '6': 100 },
        },
        recentEvents,
        recentlyClosed,
      };
    }
    case 'resources':
      return {
        timestamp: iso(now),
        hostname: 'wvo-runner-02',
        memory_used_pct: round(50 + r() * 40, 1),
        cpu_used_pct: round(20 + r() * 70, 1),
        disk_used_pct: round(40 + r() * 30, 1),
        memory_total_mb: 65536,
        memory_available_mb: int(r, 8000, 30000),
        load_average: [round(r() * 8), round(r() * 8), round(r() * 8)],
        claude_processes: int(r, 2, 8),
        node_processes: int(r, 8, 20),
        throttle_level: int(r, 0, 2),
        throttle_params: { level_name: 'light', max_concurrent_agents: 6, spawn_cooldown_ms: 15000, batch_size: 3, reason: 'memory_used_pct above 70' },
      };
    case 'providerCapacity':
      return {
        lastUpdated: iso(now),
        providers: ['claude', 'codex', 'gemini'].map((provider) => ({
          provider,
          totalLimitHits: int(r, 0, 20) + tick,
          totalRecoveries: int(r, 0, 20),
          totalFailovers: int(r, 0, 10),
          averageDowntimeMs: int(r, 60_000, 900_000),
          longestDowntimeMs: int(r, 900_000, 3_600_000),
          shortestDowntimeMs: int(r, 10_000, 60_000),
          currentStatus: pick(r, ['healthy', 'degraded', 'down']),
          lastLimitHitAt: iso(now - int(r, 0, 86_400_000)),
          lastRecoveryAt: iso(now - int(r, 0, 86_400_000)),
        })),
      };
    case 'usage': {
      const accounts: [string, string, string][] = [
        ['claude', 'primary', 'max_20x'],
        ['claude', 'team-b', 'team'],
        ['codex', 'openai-org-main', 'tier-4'],
        ['gemini', 'free', 'free'],
      ];
      return {
        last_saved: iso(now),
        providers: Object.fromEntries(
          accounts.map(([provider, account, tier]) => {
            const hourlyTokens = int(r, 0, 400_000);
            return [
              `${provider}:${account}`,
              {
                provider,
                account,
                tier,
                limits: { hourly_requests: 900, daily_requests: 12000, hourly_tokens: 400000, daily_tokens: 5000000 },
                usage: {
                  current_hour: { requests: int(r, 0, 900), tokens: hourlyTokens, reset_at: iso(now + 3_600_000) },
                  current_day: { requests: int(r, 0, 12000) + tick, tokens: int(r, 0, 5_000_000), reset_at: iso(now + 86_400_000) },
                },
                warnings: { approaching_hourly_limit: hourlyTokens > 320_000, approaching_daily_limit: false, percentage_used: round((hourlyTokens / 400_000) * 100, 1) },
                last_request_at: iso(now - int(r, 0, 60_000)),
              },
            ];
          }),
        ),
      };
    }
    case 'modelRouter': {
      const tiers = { haiku: 400 + tick, 'sonnet-3.5': 300, 'sonnet-4.5': 250, 'sonnet-4.5-reasoning': 50 };
      const totalTasks = Object.values(tiers).reduce((a, b) => a + b, 0);
      const baseline = round(totalTasks * 0.075, 4);
      const actual = round(totalTasks * 0.041, 4);
      return {
        version: '1.0',
        startedAt: iso(BASE_MS),
        lastUpdatedAt: iso(now),
        totalTasks,
        totalCostActual: actual,
        totalCostBaseline: baseline,
        totalSavings: round(baseline - actual, 4),
        savingsPercent: ((baseline - actual) / baseline) * 100,
        tierDistribution: tiers,
        recentTasks: Array.from({ length: 100 }, (_, k) => ({
          taskId: taskId(k * 17),
          timestamp: iso(now - k * 60_000),
          tier: pick(r, Object.keys(tiers)),
          complexity: int(r, 0, 10),
          costActual: round(r() * 0.1, 4),
          costBaseline: 0.075,
          savings: round(0.075 - r() * 0.1, 4),
        })),
      };
    }
    case 'metricsSummary':
      return {
        generated_at: iso(now),
        executions: { total: 100_000 + tick, successful: 75_000, failed: 25_000 + tick, success_rate: 0.75, avg_duration_seconds: 420.8, total_tokens: 185_654_700, total_cost_usd: 675.88 },
        operations: { latest_snapshot: { timestamp: iso(now), diskUsage: round(40 + r() * 30, 1), memoryUsage: 71, cpuUsage: 61.8, activeAgents: int(r, 2, 8) } },
      };
  }
}

export interface WorkspaceSpec {
  /** Roadmap size: epics × milestones × tasks per milestone, plus top-level tasks. */
  roadmap: [epics: number, milestones: number, tasksPerMilestone: number, topLevel: number];
  /** Decision log: a line count, or a byte size to reach. */
  decisions: { lines: number } | { bytes: number };
  /** Execution summaries to write (other telemetry types are interleaved on top). */
  executionSummaries: number;
  /** Rotated logs in state/telemetry/archives/ and the summaries they hold in all (default: 1 file, 500). */
  archives?: { files: number; summaries: number };
  /** Epoch ms of the first decision and execution; the archives are the days before (default 2026-11-20, the same run to run). */
  startsAt?: number;
  /** Distance between two decision lines and between two execution lines (default 6 s and 5 s). */
  everyMs?: number;
}

export interface WorkspaceInfo {
  root: string;
  tasks: number;
  decisionLines: number;
  decisionBytes: number;
  executionLines: number;
  executionSummaries: number;
  executionBytes: number;
  roadmapBytes: number;
  /** Summaries in the archives (the exporter counts them too) and the archives' size. */
  archiveSummaries: number;
  archiveFiles: number;
  archiveBytes: number;
}

async function writeLines(file: string, next: () => string | undefined): Promise<number> {
  const out = createWriteStream(file);
  let bytes = 0;
  let batch: string[] = [];
  const flush = async () => {
    const chunk = batch.join('');
    batch = [];
    bytes += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await new Promise<void>((res) => out.once('drain', () => res()));
  };
  for (let line = next(); line !== undefined; line = next()) {
    batch.push(line + '\n');
    if (batch.length >= 2000) await flush();
  }
  await flush();
  await new Promise<void>((res, rej) => {
    out.once('error', rej);
    out.end(() => res());
  });
  return bytes;
}

export async function atomicWrite(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, text);
  await fs.rename(tmp, file);
}

/** Writes a workspace under `root` (which must exist). */
export async function generateWorkspace(root: string, spec: WorkspaceSpec, seed = 42): Promise<WorkspaceInfo> {
  const r = rng(seed);
  const base = spec.startsAt ?? BASE_MS;
  for (const dir of ['state/analytics', 'state/limits', 'state/telemetry/archives']) await fs.mkdir(path.join(root, dir), { recursive: true });
  const abs = (p: string) => path.join(root, p);

  for (const doc of JSON_DOCS) await fs.writeFile(abs(PATHS[doc]), JSON.stringify(jsonDoc(doc, r, 0, base), null, 2) + '\n');
  const roadmap = roadmapYaml(r, ...spec.roadmap);
  await fs.writeFile(abs(PATHS.roadmap), roadmap.text);
  await fs.writeFile(abs(PATHS.mcpPid), `${process.pid}\n`);

  let decisionLines = 0;
  let decisionBytes = 0;
  const d = spec.decisions;
  decisionBytes = await writeLines(abs(PATHS.decisions), () => {
    if ('lines' in d ? decisionLines >= d.lines : decisionBytes >= d.bytes) return undefined;
    const line = decisionLine(r, decisionLines, base + decisionLines++ * (spec.everyMs ?? 6000));
    decisionBytes += line.length + 1;
    return line;
  });

  let executionLines = 0;
  let executionSummaries = 0;
  const executionBytes = await writeLines(abs(PATHS.executions), () => {
    if (executionSummaries >= spec.executionSummaries) return undefined;
    const { text, summary } = executionLine(r, executionLines, base + executionLines++ * (spec.everyMs ?? 5000));
    if (summary) executionSummaries++;
    return text;
  });
  const archives = spec.archives ?? { files: 1, summaries: 500 };
  let archiveSummaries = 0;
  let archiveBytes = 0;
  for (let f = 0; f < archives.files; f++) {
    // Older sessions: one archive a day before the start, the first one under PATHS.archive.
    const name = f === 0 ? PATHS.archive : `${PATHS.archivesDir}/executions_${iso(base - (f + 1) * 86_400_000).replace(/[:.]/g, '-').slice(0, 19)}.jsonl`;
    const quota = Math.floor((archives.summaries * (f + 1)) / archives.files);
    let k = 0;
    archiveBytes += await writeLines(abs(name), () => {
      if (archiveSummaries >= quota) return undefined;
      const { text, summary } = executionLine(r, k, base - (f + 1) * 86_400_000 + k++ * 1000);
      if (summary) archiveSummaries++;
      return text;
    });
  }

  return {
    root,
    tasks: roadmap.tasks,
    decisionLines,
    decisionBytes,
    executionLines,
    executionSummaries,
    executionBytes,
    roadmapBytes: Buffer.byteLength(roadmap.text),
    archiveSummaries,
    archiveFiles: archives.files,
    archiveBytes,
  };
}
