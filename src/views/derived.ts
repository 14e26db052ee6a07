import type { Snapshot } from '../collector/snapshot.js';
import { TASK_STATES, type TaskState } from '../sources/roadmap.js';

/** Formulas shared by the REST views and the metric catalog (SPEC §4), so both always agree. */

export type TaskCounts = Record<TaskState, number>;

/** Tasks per state: the newest health snapshot, else the roadmap. */
export function taskCounts(s: Snapshot): TaskCounts {
  const h = s.data.health.latest;
  if (h) {
    return {
      pending: h.pendingCount ?? 0,
      ready: h.readyCount ?? 0,
      in_progress: h.inProgressCount ?? 0,
      blocked: h.blockedCount ?? 0,
      done: h.doneCount ?? 0,
    };
  }
  const counts: TaskCounts = { pending: 0, ready: 0, in_progress: 0, blocked: 0, done: 0 };
  for (const t of s.data.roadmap.tasks) counts[t.status]++;
  return counts;
}

export interface Ratios {
  success: number;
  failure: number;
  retry: number;
}

/** success = approved / decisions; failure = 1 − success; retry = totalLoops / decisions; all 0 with no decisions. */
export function ratios(s: Snapshot): Ratios {
  const q = s.data.quality_decisions;
  if (q.total === 0) return { success: 0, failure: 0, retry: 0 };
  const success = (q.decisions.approved ?? 0) / q.total;
  return { success, failure: 1 - success, retry: s.data.resolution.stats.totalLoops / q.total };
}

/** The non-done state holding the most tasks, if it holds at least 25 % of them. */
export function bottleneck(counts: TaskCounts): TaskState | undefined {
  const total = TASK_STATES.reduce((n, st) => n + counts[st], 0);
  if (total === 0) return undefined;
  let best: TaskState | undefined;
  for (const st of TASK_STATES) {
    if (st !== 'done' && (best === undefined || counts[st] > counts[best])) best = st;
  }
  return best !== undefined && counts[best] > 0 && counts[best] / total >= 0.25 ? best : undefined;
}

/** Quorum-satisfied history entries / entries (0 with none). */
export function consensusReachRate(s: Snapshot): number {
  const o = s.data.orchestration;
  return o.historyEntries === 0 ? 0 : o.quorumSatisfied / o.historyEntries;
}

/** (Σ daily tokens / 1000 × price) / orchestration.totalDecisions; 0 with no decisions. */
export function estimatedCostPerTask(s: Snapshot, costPer1kTokens: number): number {
  const decisions = s.data.orchestration.totalDecisions;
  if (decisions === 0) return 0;
  const tokens = s.data.usage.providers.reduce((n, p) => n + (p.dailyTokens ?? 0), 0);
  return ((tokens / 1000) * costPer1kTokens) / decisions;
}

/** Disk usage 0..100: resources first, metrics_summary as the fallback. */
export function diskPercent(s: Snapshot): number | undefined {
  return s.data.resources.disk_used_pct ?? s.data.metrics_summary.diskUsagePercent;
}

/** Nearest-rank quantile of a list of numbers. */
export function quantile(values: readonly number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1];
}

export const mcpServerUp = (s: Snapshot): boolean => s.status.mcp_pid.present && s.data.mcp_pid.alive;
