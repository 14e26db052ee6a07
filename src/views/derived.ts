import type { Snapshot } from '../collector/snapshot.js';
import { priceFor, type Pricing } from '../sources/pricing.js';
import { TASK_STATES, type TaskState } from '../sources/roadmap.js';
import type { ProviderUsage } from '../sources/usage.js';

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

/** The non-done state holding the most tasks, if it holds at least 25 % of the non-done tasks. */
export function bottleneck(counts: TaskCounts): TaskState | undefined {
  const open = TASK_STATES.filter((st) => st !== 'done');
  const total = open.reduce((n, st) => n + counts[st], 0);
  if (total === 0) return undefined;
  let best: TaskState | undefined;
  for (const st of open) if (best === undefined || counts[st] > counts[best]) best = st;
  return best !== undefined && counts[best] / total >= 0.25 ? best : undefined;
}

/** Quorum-satisfied history entries / entries (0 with none). */
export function consensusReachRate(s: Snapshot): number {
  const o = s.data.orchestration;
  return o.historyEntries === 0 ? 0 : o.quorumSatisfied / o.historyEntries;
}

/** Tokens of one provider account in a usage window, priced (WVO_PRICING_FILE, else the one price). */
export function providerCost(p: ProviderUsage, window: 'hour' | 'day', costPer1kTokens: number, pricing?: Pricing): number | undefined {
  const tokens = window === 'hour' ? p.hourlyTokens : p.dailyTokens;
  return tokens === undefined ? undefined : (tokens / 1000) * priceFor(pricing, costPer1kTokens, p.provider, p.model).per1k;
}

/** (Σ daily tokens / 1000 × price of their provider) / orchestration.totalDecisions; 0 with no decisions. */
export function estimatedCostPerTask(s: Snapshot, costPer1kTokens: number, pricing?: Pricing): number {
  const decisions = s.data.orchestration.totalDecisions;
  if (decisions === 0) return 0;
  const cost = s.data.usage.providers.reduce((n, p) => n + (providerCost(p, 'day', costPer1kTokens, pricing) ?? 0), 0);
  return cost / decisions;
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
