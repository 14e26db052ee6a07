import { sources } from '../../src/sources/registry.js';
/**
 * A workspace whose every number is chosen here, for the route and metric suites. Tests compute
 * their expectations from these objects, never from the exporter's output.
 */
import type { FileContent } from './temp-workspace.js';

export const T0 = Date.UTC(2026, 10, 27, 12, 0, 0);

export interface FixtureTask {
  id: string;
  title: string;
  /** The status as written in the roadmap. */
  raw: string;
  /** What SPEC §2's normalisation makes of it. */
  status: 'pending' | 'ready' | 'in_progress' | 'blocked' | 'done';
  domain?: string;
  labels: string[];
  epic: string;
  milestone: string | null;
}

export interface QualityLine {
  taskId: string;
  decision: 'APPROVED' | 'REJECTED' | 'ESCALATED';
  timestamp: number | string;
  finalReasoning: string;
  consensusReached: boolean;
  reviews: Record<string, Record<string, unknown>>;
}

export interface ExecutionLine {
  timestamp: string;
  type: 'execution_summary';
  task_id: string;
  agent_id: string;
  agent_type: string;
  success: boolean;
  final_status: string;
  duration_seconds: number;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  token_cost_usd: number;
}

export function knownFixture() {
  const latest = {
    timestamp: T0,
    pendingCount: 9,
    readyCount: 4,
    inProgressCount: 3,
    doneCount: 7,
    blockedCount: 2,
    queueDepth: 13,
    wipUtilization: 0.6,
    throughputLastHour: 5,
    throughputLast5Min: 2,
    staleTaskCount: 3,
    maxStaleAgeMs: 90_500,
    busyAgents: 3,
    idleAgents: 2,
    totalAgents: 5,
  };
  const health = {
    running: true,
    lastCycle: 412,
    metricsHistory: [
      // Older snapshots must not count: only the newest (last) one does.
      { ...latest, timestamp: T0 - 600_000, pendingCount: 50, doneCount: 1, throughputLastHour: 99 },
      latest,
    ],
  };

  const history = Array.from({ length: 8 }, (_, i) => ({
    id: `dec-${i}`,
    taskId: `T-${i}`,
    type: i % 2 ? 'task_assignment' : 'critical_review',
    timestamp: new Date(T0 - i * 60_000).toISOString(),
    quorumSatisfied: i < 6, // 6 of 8
  }));
  const orchestration = {
    updatedAt: new Date(T0).toISOString(),
    totalDecisions: 40,
    byType: { task_assignment: 25, critical_review: 10, escalation: 5 },
    history,
  };

  // Rejection reasons with distinct counts around the top-10 cut.
  const reasonCounts: [string, number][] = [
    ['Unit tests failing on CI', 8],
    ['Missing integration tests', 7],
    ['Lint errors', 6],
    ['Breaks the public API, without a migration', 5],
    ['Adversarial review detected "test gaming"', 4],
    ['Hardcoded credential', 3],
    ['Flaky test introduced', 3],
    ['No changelog entry', 2],
    ['Typecheck errors', 2],
    ['Docs out of date', 2],
    ['Wrong branch', 1],
    ['Commit message style', 1],
  ];
  const quality: QualityLine[] = [];
  let n = 0;
  const ts = () => (n++ % 2 ? T0 - n * 1000 : new Date(T0 - n * 1000).toISOString());
  for (let i = 0; i < 14; i++) {
    quality.push({
      taskId: `A-${i}`,
      decision: 'APPROVED',
      timestamp: ts(),
      finalReasoning: 'All gates passed',
      consensusReached: i < 12,
      reviews: {
        automated: { passed: true },
        orchestrator: { approved: true, rubric: { correctness: 0.5 + i * 0.03, maintainability: 0.9 } },
        domainExpert: { approved: true, rubric: { correctness: 1 } },
        adversarial: { passed: true, report: { detections: [{ detected: false, severity: 'none', category: 'prompt_injection' }] } },
      },
    });
  }
  let r = 0;
  for (const [reason, count] of reasonCounts) {
    for (let i = 0; i < count; i++, r++) {
      quality.push({
        taskId: `R-${r}`,
        decision: 'REJECTED',
        timestamp: ts(),
        finalReasoning: reason,
        consensusReached: r % 3 === 0,
        reviews: {
          automated: { passed: r % 2 === 0 },
          peer: { approved: false, rubric: { correctness: 0.2, readability: (r % 5) * 0.2 } },
          adversarial: {
            passed: false,
            report: {
              detections: [
                { detected: true, severity: 'high', category: r % 4 === 0 ? 'prompt_injection' : 'test_gaming' },
                { detected: false, severity: 'none', category: 'secret_leak' },
                ...(r % 5 === 0 ? [{ severity: 'low', category: 'secret_leak' }] : []),
              ],
            },
          },
        },
      });
    }
  }
  for (let i = 0; i < 3; i++) {
    quality.push({
      taskId: `E-${i}`,
      decision: 'ESCALATED',
      timestamp: ts(),
      finalReasoning: 'Reviewers disagree',
      consensusReached: false,
      reviews: { orchestrator: { approved: true }, peer: { approved: false } },
    });
  }

  const activeLoops = [
    { taskId: 'L-two', attempts: 2, elapsedMs: 2_000 },
    { taskId: 'L-six', attempts: 6, elapsedMs: 6_000, infiniteLoopFlag: true },
    { taskId: 'L-one', attempts: 1, elapsedMs: 0 },
    { taskId: 'L-three', attempts: 3, elapsedMs: 3_000 },
  ].map((l, i) => ({
    ...l,
    firstAttemptAt: new Date(T0 - 3_600_000 - i * 1000).toISOString(),
    lastAttemptAt: new Date(T0 - i * 1000).toISOString(),
    lastLabel: 'tests_failed',
    labels: ['tests_failed'],
    runId: 'run-1',
    infiniteLoopFlag: l.infiniteLoopFlag ?? false,
  }));
  const closedDurationsMs = [60_000, 120_000, 30_000, 600_000, 90_000, 45_000, 300_000];
  const resolution = {
    updatedAt: new Date(T0).toISOString(),
    activeLoops,
    stats: {
      totalLoops: 12,
      closedLoops: 8,
      closedWithin3: 6,
      infiniteLoopCount: 1,
      incidentCount: 2,
      attemptHistogram: { '1': 12, '2': 9, '3': 5, '4': 2, '5': 1, '6': 1 },
    },
    recentEvents: [{ type: 'attempt', taskId: 'L-one', attempt: 1, timestamp: T0 }],
    recentlyClosed: closedDurationsMs.map((durationMs, i) => ({
      taskId: `C-${i}`,
      attempts: 1 + (i % 4),
      closedAt: new Date(T0 - i * 60_000).toISOString(),
      durationMs,
      runId: 'run-0',
    })),
  };

  const resources = {
    timestamp: new Date(T0).toISOString(),
    memory_used_pct: 66.25,
    cpu_used_pct: 42.5,
    // no disk_used_pct: the metrics summary's diskUsage is the fallback
    claude_processes: 3,
    node_processes: 9,
    throttle_level: 2,
    throttle_params: { level_name: 'medium', max_concurrent_agents: 4 },
  };
  const metricsSummary = { executions: { total: 9 }, operations: { latest_snapshot: { diskUsage: 73.5 } } };

  const providerCapacity = {
    lastUpdated: new Date(T0).toISOString(),
    providers: [
      {
        provider: 'claude',
        totalLimitHits: 5,
        totalRecoveries: 4,
        totalFailovers: 2,
        averageDowntimeMs: 30_000,
        longestDowntimeMs: 120_000,
        shortestDowntimeMs: 5_000,
        currentStatus: 'degraded',
      },
      {
        provider: 'codex',
        totalLimitHits: 1,
        totalRecoveries: 1,
        totalFailovers: 0,
        averageDowntimeMs: 1_000,
        longestDowntimeMs: 1_000,
        shortestDowntimeMs: 1_000,
        currentStatus: 'healthy',
      },
    ],
  };

  const usage = {
    last_saved: new Date(T0).toISOString(),
    providers: {
      'claude:primary': {
        provider: 'claude',
        account: 'primary',
        tier: 'max',
        limits: { hourly_requests: 100, daily_requests: 1000, hourly_tokens: 100_000, daily_tokens: 1_000_000 },
        usage: { current_hour: { requests: 10, tokens: 20_000 }, current_day: { requests: 150, tokens: 250_000 } },
        warnings: { approaching_hourly_limit: false, approaching_daily_limit: false, percentage_used: 25 },
      },
      'codex:team': {
        provider: 'codex',
        account: 'team',
        tier: 'pro',
        limits: { hourly_requests: 50, daily_requests: 500, hourly_tokens: 50_000, daily_tokens: 600_000 },
        usage: { current_hour: { requests: 4, tokens: 7_500 }, current_day: { requests: 60, tokens: 150_000 } },
        warnings: { percentage_used: 15 },
      },
    },
  };

  const durations: [string, number, boolean][] = [
    ['claude_code', 0.5, true],
    ['claude_code', 1, true], // exactly on a bucket bound: le="1"
    ['claude_code', 3, false],
    ['claude_code', 60, true],
    ['claude_code', 61, true],
    ['claude_code', 9000, false], // beyond the last bound: only +Inf
    ['codex', 15, true],
    ['codex', 4000, false],
  ];
  const executions: ExecutionLine[] = durations.map(([agent_type, duration_seconds, success], i) => ({
    timestamp: new Date(T0 - i * 1000).toISOString(),
    type: 'execution_summary',
    task_id: `T-${i}`,
    agent_id: `${agent_type}-worker-${i}`,
    agent_type,
    success,
    final_status: success ? 'completed' : 'failed',
    duration_seconds,
    prompt_tokens: 1000 * (i + 1),
    completion_tokens: 100 * (i + 1),
    total_tokens: 1100 * (i + 1),
    token_cost_usd: 0.25 * (i + 1),
  }));

  const tasks: FixtureTask[] = [];
  const add = (t: Omit<FixtureTask, 'labels' | 'title'> & Partial<FixtureTask>) => tasks.push({ title: `Task ${t.id}`, labels: [], ...t });
  const pendingRaw = ['pending', 'todo', 'planned', 'backlog'];
  for (let i = 0; i < 23; i++) {
    add({ id: `P-${i}`, raw: pendingRaw[i % 4]!, status: 'pending', epic: 'E-1', milestone: 'M-1.1', domain: 'ingestion', labels: ['a', `n${i}`] });
  }
  add({ id: 'IP-1', raw: 'in_progress', status: 'in_progress', epic: 'E-1', milestone: 'M-1.2', domain: 'storage' });
  add({ id: 'IP-2', raw: 'In Progress', status: 'in_progress', epic: 'E-1', milestone: 'M-1.2' });
  add({ id: 'D-1', raw: 'completed', status: 'done', epic: 'E-2', milestone: 'M-2.1', title: 'Done, "quoted"' });
  add({ id: 'D-2', raw: 'done', status: 'done', epic: 'E-2', milestone: 'M-2.1' });
  add({ id: 'B-1', raw: 'blocked', status: 'blocked', epic: 'E-2', milestone: 'M-2.1' });
  add({ id: 'B-2', raw: 'Blocked on review', status: 'blocked', epic: 'E-2', milestone: 'M-2.1' });
  add({ id: 'RD-1', raw: 'ready', status: 'ready', epic: 'E-3', milestone: null, domain: 'ops', labels: ['ops'] });
  add({ id: 'RD-2', raw: 'ready', status: 'ready', epic: 'none', milestone: null });

  const yamlTask = (t: FixtureTask) => ({ id: t.id, title: t.title, status: t.raw, ...(t.domain ? { domain: t.domain } : {}), labels: t.labels, dependencies: [] });
  const of = (epic: string, ms: string | null) => tasks.filter((t) => t.epic === epic && t.milestone === ms).map(yamlTask);
  const roadmap = {
    version: 3,
    epics: [
      {
        id: 'E-1',
        title: 'Ingestion',
        milestones: [
          { id: 'M-1.1', tasks: of('E-1', 'M-1.1') },
          // tasks under sets count too
          { id: 'M-1.2', sets: [{ id: 'S-1', tasks: of('E-1', 'M-1.2') }] },
        ],
      },
      { id: 'E-2', title: 'Storage', milestones: [{ id: 'M-2.1', tasks: of('E-2', 'M-2.1') }] },
    ],
    // top-level tasks: epic from epic_id, else none
    tasks: [
      { ...yamlTask(tasks.find((t) => t.id === 'RD-1')!), epic_id: 'E-3' },
      yamlTask(tasks.find((t) => t.id === 'RD-2')!),
    ],
  };

  const files: Record<string, FileContent> = {
    'state/analytics/autopilot_health_report.json': health,
    'state/analytics/orchestration_metrics.json': orchestration,
    // one malformed line, counted as bad and skipped
    'state/analytics/quality_gate_decisions.jsonl': [...quality.slice(0, 5), '{"taskId": "torn', ...quality.slice(5)],
    'state/analytics/resolution_metrics.json': resolution,
    'state/analytics/resource_metrics.json': resources,
    'state/analytics/provider_capacity_metrics.json': providerCapacity,
    'state/limits/usage_log.json': usage,
    // a line of another type (skipped, not bad) and one bad line
    'state/telemetry/executions.jsonl': [
      ...executions.slice(0, 3),
      { timestamp: new Date(T0).toISOString(), type: 'heartbeat', agent_type: 'claude_code' },
      'not json at all',
      ...executions.slice(3),
    ],
    'state/telemetry/metrics_summary.json': metricsSummary,
    'state/roadmap.yaml': roadmap,
    'state/.mcp.pid': `${process.pid}\n`,
  };
  return {
    files,
    health,
    latest,
    orchestration,
    quality,
    reasonCounts,
    resolution,
    closedDurationsMs,
    resources,
    metricsSummary,
    providerCapacity,
    usage,
    executions,
    tasks,
    roadmap,
  };
}

export type KnownFixture = ReturnType<typeof knownFixture>;

/** Every source file of the workspace, by SPEC §2 path. */
export const SOURCE_PATHS = sources.map((s) => s.path);
