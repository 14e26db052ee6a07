import { promises as fs } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../config.js';
import { ResolutionMetricsStore } from '../resolution-store.js';
import { appendLines, readJson, rotate, writeAtomic, writeJson } from './files.js';
import { DECISIONS_LOG, EXECUTIONS_LOG, LineFactory } from './lines.js';
import { pick, rng, SimulatedRoadmap, type Rand, type Transition } from './roadmap.js';
import { TaskStories } from './stories.js';

export interface SimulatorOptions {
  /** Workspace root; state/ is seeded from the bundled sample when it has no roadmap. */
  root: string;
  seed?: number;
  tickMs?: number;
  /** Tasks stepped through their life cycle each roadmap rewrite. */
  tasksPerTick?: number;
  decisionsPerTick?: number;
  executionsPerTick?: number;
  /** Every how many ticks the roadmap is rewritten (a big roadmap is costly to serialise). */
  roadmapEveryTicks?: number;
  /** Every how many ticks the execution log is rotated into state/telemetry/archives/ (0: never). */
  rotateEveryTicks?: number;
  /** Every how many ticks an anomaly is detected (0: never). */
  anomalyEveryTicks?: number;
  /** How long an anomaly stays active. */
  anomalyTtlMs?: number;
}

export interface SimulatorStats {
  ticks: number;
  lateTicks: number;
  documentWrites: number;
  roadmapWrites: number;
  transitions: number;
  decisions: number;
  executions: number;
  rotations: number;
  anomalies: number;
  startedAt: number;
  stoppedAt: number;
}

export const PATHS = {
  health: 'state/analytics/autopilot_health_report.json',
  orchestration: 'state/analytics/orchestration_metrics.json',
  decisions: DECISIONS_LOG,
  resources: 'state/analytics/resource_metrics.json',
  providerCapacity: 'state/analytics/provider_capacity_metrics.json',
  usage: 'state/limits/usage_log.json',
  executions: EXECUTIONS_LOG,
  archives: 'state/telemetry/archives',
  metricsSummary: 'state/telemetry/metrics_summary.json',
  roadmap: 'state/roadmap.yaml',
  mcpPid: 'state/.mcp.pid',
} as const;

const ANOMALIES = [
  { type: 'stale_tasks', severity: 'warning', action: 'recover_stale_tasks', description: (n: number) => `${n} task(s) stuck in in_progress state` },
  { type: 'stale_tasks', severity: 'critical', action: 'recover_stale_tasks', description: (n: number) => `${n} task(s) stuck in in_progress state` },
  { type: 'throughput_degradation', severity: 'warning', action: 'alert_only', description: () => 'Throughput below 50% of baseline' },
  { type: 'dependency_desync', severity: 'warning', action: 'resync_dependencies', description: () => 'Dependency sync ratio low: 72%' },
  { type: 'wip_starvation', severity: 'info', action: 'adjust_wip_limit', description: () => 'Agents idle while tasks are ready' },
] as const;

/** Tasks the simulated orchestrator keeps in progress (of its 8 agents). */
const WIP = 6;
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
type Json = Record<string, any>;

/** Copies the bundled sample state/ into a workspace that has no roadmap yet (existing files are kept). */
export async function seedWorkspace(root: string): Promise<boolean> {
  const roadmap = path.join(root, PATHS.roadmap);
  if (await fs.stat(roadmap).then(() => true, () => false)) return false;
  await fs.cp(path.join(REPO_ROOT, 'state'), path.join(root, 'state'), { recursive: true, force: false, errorOnExist: false });
  return true;
}

/**
 * A simulated autopilot: every tick it steps tasks through the roadmap, appends quality-gate
 * decisions and executions (cloned from the workspace's own lines, so shapes follow the real
 * writers and the sample), rewrites the JSON documents from what happened, now and then rotates
 * the execution log and detects an anomaly. Resolution loops go through ResolutionMetricsStore.
 */
export class AutopilotSimulator {
  readonly stats: SimulatorStats = {
    ticks: 0, lateTicks: 0, documentWrites: 0, roadmapWrites: 0, transitions: 0, decisions: 0,
    executions: 0, rotations: 0, anomalies: 0, startedAt: 0, stoppedAt: 0,
  };
  private readonly o: Required<Omit<SimulatorOptions, 'root' | 'seed'>>;
  private readonly r: Rand;
  private readonly abs: (rel: string) => string;
  private roadmap!: SimulatedRoadmap;
  private docs: Json = {};
  private lines!: LineFactory;
  private readonly store: ResolutionMetricsStore;
  private readonly attempts = new Map<string, number>();
  private readonly stories = new TaskStories();
  /** Approved since the roadmap was last stepped: done at its next rewrite. */
  private readonly approved = new Set<string>();
  private lastTickAt = 0;
  private readonly doneAt: number[] = [];
  private anomalies: Json[] = [];
  private remediations: Json[] = [];
  private degradedUntil = new Map<string, number>();
  private running = false;
  private loop: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly options: SimulatorOptions) {
    this.o = {
      tickMs: 1000, tasksPerTick: 1, decisionsPerTick: 1, executionsPerTick: 2, roadmapEveryTicks: 1,
      rotateEveryTicks: 120, anomalyEveryTicks: 45, anomalyTtlMs: 120_000,
      ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
    } as typeof this.o;
    this.r = rng(options.seed ?? 1);
    this.abs = (rel) => path.join(options.root, rel);
    this.store = new ResolutionMetricsStore({ workspaceRoot: options.root });
  }

  /** Seeds the workspace if needed and loads what the writers would hold in memory. */
  async init(): Promise<void> {
    await seedWorkspace(this.options.root);
    this.roadmap = SimulatedRoadmap.parse(await fs.readFile(this.abs(PATHS.roadmap), 'utf8'));
    for (const key of ['health', 'orchestration', 'resources', 'providerCapacity', 'usage', 'metricsSummary'] as const) {
      this.docs[key] = (await readJson(this.abs(PATHS[key]))) ?? {};
    }
    this.lines = await LineFactory.load(this.options.root, this.r, `run-sim-${this.options.seed ?? 1}`);
    this.anomalies = (this.docs.health.activeAnomalies as Json[] | undefined) ?? [];
    this.remediations = (this.docs.health.recentRemediations as Json[] | undefined) ?? [];
    await writeAtomic(this.abs(PATHS.mcpPid), `${process.pid}\n`);
  }

  /** What the simulated executions cost per day on average, in USD (after init()). */
  spendPerDayUsd(): number {
    return this.lines.meanExecutionCostUsd() * this.o.executionsPerTick * (86_400_000 / this.o.tickMs);
  }

  /** Runs ticks every tickMs until stop(). */
  async start(): Promise<void> {
    await this.init();
    this.running = true;
    this.stats.startedAt = Date.now();
    this.loop = (async () => {
      let next = Date.now();
      while (this.running) {
        await this.tick();
        next += this.o.tickMs;
        const wait = next - Date.now();
        if (wait < 0) this.stats.lateTicks++;
        if (!this.running) break;
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          this.timer = setTimeout(resolve, Math.max(0, wait));
        });
      }
    })();
  }

  async stop(): Promise<SimulatorStats> {
    this.running = false;
    clearTimeout(this.timer);
    this.wake?.();
    await this.loop;
    await this.store.close();
    this.stats.stoppedAt = Date.now();
    return this.stats;
  }

  /**
   * One cycle of the autopilot: tasks in progress run, then the gate reviews tasks that ran since
   * its last look (a millisecond after the runs, and a cycle is at least 2 ms after the last), so
   * each task's lines tell its story in order: executions, a verdict, the retry's executions, a
   * verdict; an approval finishes the task at the roadmap's next rewrite.
   */
  async tick(): Promise<void> {
    const n = ++this.stats.ticks;
    const now = (this.lastTickAt = Math.max(Date.now(), this.lastTickAt + 2));
    const every = (k: number) => k > 0 && n % k === 0;
    // An approved task is done at the next roadmap rewrite: it neither runs nor is reviewed again.
    const inProgress = this.roadmap.idsIn('in_progress').filter((id) => !this.approved.has(id));
    const executions = Array.from({ length: this.o.executionsPerTick }, () => {
      const taskId = inProgress.length ? pick(this.r, inProgress) : this.taskId();
      this.stories.ran(taskId);
      return this.lines.execution(now, taskId);
    });
    const reviewed = new Set<string>();
    const rejected: string[] = [];
    const decisions = Array.from({ length: this.o.decisionsPerTick }, () => {
      // More decisions per cycle than tasks that ran (the bench's rates): the rest review any task in progress.
      const candidates = this.stories.reviewable(inProgress).filter((id) => !reviewed.has(id));
      const taskId = candidates.length ? pick(this.r, candidates) : this.taskId();
      reviewed.add(taskId);
      const verdict = this.stories.review(this.r, taskId);
      if (verdict === 'APPROVED' && this.o.roadmapEveryTicks > 0) this.approved.add(taskId);
      else if (verdict === 'REJECTED') rejected.push(taskId);
      return this.lines.decision(now + 1, taskId, verdict);
    });
    let moves: Transition[] = [];
    if (every(this.o.roadmapEveryTicks)) {
      moves = this.roadmap.step(this.r, this.o.tasksPerTick);
      for (const id of this.approved) {
        const done = this.roadmap.finish(id);
        if (done) moves.push(done);
      }
      this.approved.clear();
      // Idle agents pick up work: tasks in progress stay about WIP, so the gate always has work to review.
      for (let started = 0; started < 2 && this.roadmap.counts().in_progress < WIP; started++) {
        const move = this.roadmap.start(this.r);
        if (!move) break;
        moves.push(move);
      }
      for (const m of moves) if (m.to !== 'done' && m.from === 'in_progress') this.stories.forget(m.id);
      this.stats.transitions += moves.length;
      await writeAtomic(this.abs(PATHS.roadmap), this.roadmap.toString());
      this.stats.roadmapWrites++;
    }
    await this.resolution(moves, rejected, now + 1);
    await appendLines(this.abs(PATHS.decisions), decisions.map((d) => JSON.stringify(d)));
    if (every(this.o.rotateEveryTicks) && (await rotate(this.abs(PATHS.executions), this.abs(PATHS.archives), new Date(now)))) this.stats.rotations++;
    await appendLines(this.abs(PATHS.executions), executions.map((e) => JSON.stringify(e)));
    this.stats.decisions += decisions.length;
    this.stats.executions += executions.length;
    if (every(this.o.anomalyEveryTicks)) this.detectAnomaly(now);
    await this.writeDocuments(now, decisions, executions);
  }

  private taskId(): string {
    const ids = this.roadmap.idsIn('in_progress');
    return ids.length ? pick(this.r, ids) : `T-sim-${Math.floor(this.r() * 100)}`;
  }

  /** Attempts on tasks in progress and on gate rejections, closes on done, through the real store. */
  private async resolution(moves: Transition[], rejected: readonly string[], now: number): Promise<void> {
    for (const id of rejected) {
      const attempt = (this.attempts.get(id) ?? 0) + 1;
      this.attempts.set(id, attempt);
      await this.store.recordAttempt({ taskId: id, attempt, timestamp: now, label: 'review_rejected', runId: 'run-sim' });
    }
    for (const m of moves) {
      if (m.to === 'done' && this.attempts.has(m.id)) {
        await this.store.markClosed({ taskId: m.id, attempt: this.attempts.get(m.id)!, timestamp: now });
        this.attempts.delete(m.id);
        this.doneAt.push(now);
      } else if (m.to === 'done') this.doneAt.push(now);
      if (m.to === 'in_progress' || (m.from === 'in_progress' && m.to === 'blocked')) {
        const attempt = (this.attempts.get(m.id) ?? 0) + 1;
        this.attempts.set(m.id, attempt);
        await this.store.recordAttempt({ taskId: m.id, attempt, timestamp: now, label: m.to === 'blocked' ? 'tests_failed' : 'started', runId: 'run-sim' });
      }
    }
  }

  private detectAnomaly(now: number): void {
    const kind = pick(this.r, ANOMALIES);
    const stale = 1 + Math.floor(this.r() * 4);
    const metrics = kind.type === 'stale_tasks' ? { staleCount: stale } : kind.type === 'dependency_desync' ? { syncRatio: 0.72 } : {};
    const anomaly = { type: kind.type, severity: kind.severity, description: kind.description(stale), metrics, detectedAt: now };
    this.anomalies.push(anomaly);
    this.remediations = [
      ...this.remediations,
      {
        plan: { anomaly, action: kind.action, rationale: `simulated ${kind.type}`, estimatedImpact: 'medium', safe: true },
        success: this.r() < 0.85,
        message: kind.action === 'alert_only' ? 'Alert logged, no action taken' : `Ran ${kind.action}`,
      },
    ].slice(-10);
    this.stats.anomalies++;
    // A provider hits its limit now and then too, and recovers a few ticks later.
    const providers = (this.docs.providerCapacity.providers as Json[] | undefined) ?? [];
    const p = providers.length ? pick(this.r, providers) : undefined;
    if (p) {
      p.totalLimitHits = (p.totalLimitHits ?? 0) + 1;
      p.currentStatus = 'degraded';
      p.lastLimitHitAt = new Date(now).toISOString();
      this.degradedUntil.set(p.provider, now + 10 * this.o.tickMs);
    }
  }

  private async writeDocuments(now: number, decisions: Json[], executions: Json[]): Promise<void> {
    const iso = new Date(now).toISOString();
    const d = this.docs;
    this.anomalies = this.anomalies.filter((a) => now - Number(a.detectedAt) < this.o.anomalyTtlMs);

    // Health: the monitor's status export, counts from the roadmap.
    const c = this.roadmap.counts();
    const totalAgents = 8;
    const busy = Math.min(c.in_progress, totalAgents);
    const staleAnomaly = this.anomalies.find((a) => a.type === 'stale_tasks');
    const lastHour = this.doneAt.filter((t) => now - t < 3_600_000);
    this.doneAt.splice(0, this.doneAt.length - lastHour.length);
    const snapshot = {
      timestamp: now,
      pendingCount: c.pending,
      readyCount: c.ready,
      inProgressCount: c.in_progress,
      doneCount: c.done,
      blockedCount: c.blocked,
      queueDepth: c.ready,
      wipUtilization: round(busy / totalAgents, 3),
      throughputLastHour: lastHour.length,
      throughputLast5Min: lastHour.filter((t) => now - t < 300_000).length * 12,
      staleTaskCount: staleAnomaly ? Number(staleAnomaly.metrics?.staleCount) || 1 : 0,
      maxStaleAgeMs: staleAnomaly ? now - staleAnomaly.detectedAt + 3_600_000 : 0,
      dependencySyncRatio: this.anomalies.some((a) => a.type === 'dependency_desync') ? 0.72 : 1,
      busyAgents: busy,
      idleAgents: totalAgents - busy,
      totalAgents,
    };
    d.health = {
      ...d.health,
      generatedAt: iso,
      running: true,
      lastCycle: (Number(d.health.lastCycle) || 0) + 1,
      metricsHistory: [...((d.health.metricsHistory as Json[] | undefined) ?? []), snapshot].slice(-10),
      activeAnomalies: this.anomalies,
      recentRemediations: this.remediations,
    };

    // Orchestration: one consensus decision per quality-gate decision.
    const o = d.orchestration;
    o.byType ??= {};
    o.history ??= [];
    for (const q of decisions) {
      const type = q.decision === 'ESCALATED' ? 'escalation' : q.decision === 'REJECTED' ? 'critical_review' : 'task_assignment';
      o.totalDecisions = (Number(o.totalDecisions) || 0) + 1;
      o.byType[type] = (Number(o.byType[type]) || 0) + 1;
      o.history.push({ id: `dec-sim-${o.totalDecisions}`, taskId: q.taskId, type, timestamp: iso, quorumSatisfied: this.r() < 0.85, participants: ['orchestrator', 'planner'] });
    }
    o.history = o.history.slice(-50);
    o.updatedAt = iso;

    // Resources: a random walk; the throttle follows memory as the real one does.
    const res = d.resources;
    res.timestamp = iso;
    res.memory_used_pct = round(clamp((res.memory_used_pct ?? 60) + (this.r() - 0.5) * 4, 20, 95), 1);
    res.cpu_used_pct = round(clamp((res.cpu_used_pct ?? 50) + (this.r() - 0.5) * 10, 5, 99), 1);
    res.disk_used_pct = round(clamp((res.disk_used_pct ?? 55) + (this.r() - 0.45) * 0.2, 10, 95), 1);
    res.claude_processes = busy;
    res.node_processes = busy + 6;
    res.throttle_level = res.memory_used_pct > 85 ? 2 : res.memory_used_pct > 70 ? 1 : 0;
    res.throttle_params = { ...(res.throttle_params ?? {}), level_name: ['none', 'light', 'heavy'][res.throttle_level] };

    // Usage: every execution is a request on its provider; an hour's window resets when full.
    const providers = Object.values((d.usage.providers as Record<string, Json> | undefined) ?? {});
    for (const e of executions) {
      const name = String(e.agent_type ?? '').split('_')[0];
      const p = providers.find((x) => x.provider === name) ?? providers[0];
      if (!p) break;
      p.usage ??= {};
      for (const w of ['current_hour', 'current_day'] as const) {
        const u = (p.usage[w] ??= { requests: 0, tokens: 0 });
        u.requests = (u.requests ?? 0) + 1;
        u.tokens = (u.tokens ?? 0) + (Number(e.total_tokens) || 1000);
      }
      const limits = p.limits ?? {};
      if (limits.hourly_tokens && p.usage.current_hour.tokens > limits.hourly_tokens) p.usage.current_hour = { ...p.usage.current_hour, requests: 0, tokens: 0 };
      if (limits.daily_tokens && p.usage.current_day.tokens > limits.daily_tokens) p.usage.current_day = { ...p.usage.current_day, requests: 0, tokens: 0 };
      const pct = limits.hourly_tokens ? (100 * p.usage.current_hour.tokens) / limits.hourly_tokens : 0;
      p.warnings = { ...(p.warnings ?? {}), percentage_used: round(pct, 1), approaching_hourly_limit: pct > 80 };
      p.last_request_at = iso;
    }
    d.usage.last_saved = iso;

    // Provider capacity: degraded providers recover.
    const cap = d.providerCapacity;
    for (const p of (cap.providers as Json[] | undefined) ?? []) {
      const until = this.degradedUntil.get(p.provider);
      if (until !== undefined && now >= until) {
        this.degradedUntil.delete(p.provider);
        p.totalRecoveries = (p.totalRecoveries ?? 0) + 1;
        p.currentStatus = 'healthy';
        p.lastRecoveryAt = iso;
      }
    }
    cap.lastUpdated = iso;

    // Metrics summary: running totals of what was appended.
    const s = d.metricsSummary;
    const ex = (s.executions ??= {});
    for (const e of executions) {
      ex.total = (ex.total ?? 0) + 1;
      if (e.success) ex.successful = (ex.successful ?? 0) + 1;
      else ex.failed = (ex.failed ?? 0) + 1;
      ex.total_tokens = (ex.total_tokens ?? 0) + (Number(e.total_tokens) || 0);
      ex.total_cost_usd = round((ex.total_cost_usd ?? 0) + (Number(e.token_cost_usd) || 0), 4);
    }
    if (ex.total) ex.success_rate = round((ex.successful ?? 0) / ex.total, 3);
    s.generated_at = iso;
    s.operations = { ...(s.operations ?? {}), latest_snapshot: { timestamp: iso, diskUsage: res.disk_used_pct, memoryUsage: res.memory_used_pct, cpuUsage: res.cpu_used_pct, activeAgents: busy } };

    await Promise.all((['health', 'orchestration', 'resources', 'providerCapacity', 'usage', 'metricsSummary'] as const).map((k) => writeJson(this.abs(PATHS[k]), d[k])));
    this.stats.documentWrites += 6;
  }
}
