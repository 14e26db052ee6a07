import type { Snapshot } from '../collector/snapshot.js';
import type { Pricing } from '../sources/pricing.js';
import type { Resolution } from '../sources/resolution.js';
import { TASK_STATES, type RoadmapTask } from '../sources/roadmap.js';
import {
  bottleneck,
  consensusReachRate,
  diskPercent,
  estimatedCostPerTask,
  ratios,
  taskCounts,
} from './derived.js';

export interface ViewOptions {
  costPer1kTokens: number;
  pricing?: Pricing;
}

const DRILLDOWN_PER_STATE = 20;
const iso = (ms: number | undefined, fallback: number) => new Date(ms ?? fallback).toISOString();
const isoOrNull = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

export function tasksView(s: Snapshot) {
  const h = s.data.health;
  const latest = h.latest;
  const counts = taskCounts(s);
  const r = ratios(s);
  const perHour = latest?.throughputLastHour ?? 0;
  const drilldown = Object.fromEntries(TASK_STATES.map((st) => [st, [] as ReturnType<typeof drill>[]]));
  for (const t of s.data.roadmap.tasks) {
    const list = drilldown[t.status]!;
    if (list.length < DRILLDOWN_PER_STATE) list.push(drill(t));
  }
  return {
    updatedAt: iso(latest?.timestamp, s.takenAt),
    running: h.running ?? false,
    tasksByState: {
      pending: counts.pending,
      ready: counts.ready,
      inProgress: counts.in_progress,
      blocked: counts.blocked,
      done: counts.done,
    },
    queueDepth: latest?.queueDepth ?? 0,
    throughputLastHour: perHour,
    throughputLast5Min: latest?.throughputLast5Min ?? 0,
    wipUtilization: latest?.wipUtilization ?? 0,
    completionRatePerHour: perHour,
    completionRatePerDay: perHour * 24,
    successRate: r.success,
    failureRate: r.failure,
    retryRate: r.retry,
    bottleneckStage: bottleneck(counts) ?? null,
    drilldown,
  };
}

function drill(t: RoadmapTask) {
  return { id: t.id, title: t.title, status: t.status, domain: t.domain ?? null, milestone: t.milestone ?? null, labels: t.labels };
}

const byCountDesc = <T extends { count: number }>(a: T, b: T) => b.count - a.count;

export function qualityView(s: Snapshot) {
  const o = s.data.orchestration;
  const q = s.data.quality_decisions;
  return {
    updatedAt: iso(q.lastTimestamp ?? o.updatedAt, s.takenAt),
    // Decisions in the log (the original backend's formula), not the orchestrator's own count.
    totalDecisions: q.total,
    byType: o.byType,
    consensusReachRate: consensusReachRate(s),
    rejectionReasons: Object.entries(q.rejectionReasons)
      .map(([reason, count]) => ({ reason, count }))
      .sort((a, b) => byCountDesc(a, b) || a.reason.localeCompare(b.reason))
      .slice(0, 10),
    approvals: q.decisions.approved ?? 0,
    // Every decision that is not APPROVED (escalated included), as gateBreakdown counts reviews.
    rejections: q.total - (q.decisions.approved ?? 0),
    gateBreakdown: Object.entries(q.reviews)
      .map(([gate, v]) => ({ gate, approvals: v.approved, rejections: v.rejected }))
      .sort((a, b) => a.gate.localeCompare(b.gate)),
    rubricAverages: Object.fromEntries(
      Object.entries(q.rubric)
        .filter(([, h]) => h.count > 0)
        .map(([dim, h]) => [dim, h.sum / h.count]),
    ),
    adversarialCategories: Object.entries(q.adversarial)
      .map(([category, count]) => ({ category, count }))
      .sort((a, b) => byCountDesc(a, b) || a.category.localeCompare(b.category)),
  };
}

/** The resolution file's own shape, timestamps back as ISO strings. */
export function resolutionView(s: Snapshot) {
  const r: Resolution = s.data.resolution;
  return {
    updatedAt: isoOrNull(r.updatedAt),
    activeLoops: r.activeLoops.map((l) => ({
      ...l,
      firstAttemptAt: isoOrNull(l.firstAttemptAt),
      lastAttemptAt: isoOrNull(l.lastAttemptAt),
    })),
    stats: r.stats,
    recentEvents: r.recentEvents,
    recentlyClosed: r.recentlyClosed.map((c) => ({ ...c, closedAt: isoOrNull(c.closedAt) })),
  };
}

export function resourcesView(s: Snapshot, options: ViewOptions) {
  const r = s.data.resources;
  return {
    updatedAt: iso(r.timestamp, s.takenAt),
    host: { cpuPercent: r.cpu_used_pct ?? null, memoryPercent: r.memory_used_pct ?? null, diskPercent: diskPercent(s) ?? null },
    processes: { claude: r.claude_processes ?? null, node: r.node_processes ?? null },
    throttle: { level: r.throttle_level ?? null, params: r.throttle_params ?? {} },
    providers: s.data.provider_capacity.providers,
    tokenUsage: s.data.usage.providers.map((p) => ({
      provider: p.id,
      hourlyTokens: p.hourlyTokens ?? 0,
      dailyTokens: p.dailyTokens ?? 0,
      utilizationPercent: p.percentageUsed ?? 0,
    })),
    estimatedCostPerTask: estimatedCostPerTask(s, options.costPer1kTokens, options.pricing),
    modelRouter: modelRouterView(s),
  };
}

function modelRouterView(s: Snapshot) {
  const m = s.data.model_router;
  if (!m) return null;
  return {
    totalTasks: m.totalTasks ?? null,
    totalCostActual: m.totalCostActual ?? null,
    totalCostBaseline: m.totalCostBaseline ?? null,
    totalSavings: m.totalSavings ?? null,
    savingsPercent: m.savingsPercent ?? null,
    tierDistribution: m.tierDistribution,
  };
}

/** The autopilot's own health loop: what it detected and what it did, with the text (never labels). */
export function healthView(s: Snapshot) {
  const h = s.data.health;
  return {
    updatedAt: iso(h.latest?.timestamp, s.takenAt),
    running: h.running ?? false,
    dependencySyncRatio: h.latest?.dependencySyncRatio ?? null,
    activeAnomalies: h.activeAnomalies.map((a) => ({
      type: a.type,
      severity: a.severity,
      description: a.description ?? null,
      detectedAt: isoOrNull(a.detectedAt),
      metrics: a.metrics,
    })),
    recentRemediations: h.recentRemediations.map((r) => ({
      anomalyType: r.anomalyType,
      anomalyDetectedAt: isoOrNull(r.anomalyDetectedAt),
      action: r.action,
      rationale: r.rationale ?? null,
      estimatedImpact: r.estimatedImpact ?? null,
      safe: r.safe ?? null,
      success: r.success,
      message: r.message ?? null,
    })),
  };
}

export function usageView(s: Snapshot) {
  const u = s.data.usage;
  return {
    updatedAt: iso(u.lastSaved, s.takenAt),
    providers: u.providers.map((p) => ({
      id: p.id,
      provider: p.provider,
      hourlyTokens: p.hourlyTokens ?? 0,
      hourlyRequests: p.hourlyRequests ?? 0,
      dailyTokens: p.dailyTokens ?? 0,
      dailyRequests: p.dailyRequests ?? 0,
      utilizationPercent: p.percentageUsed ?? 0,
    })),
  };
}

