/**
 * A workspace telling one task's story in the writers' shapes: executions (ExecutionTelemetryRecord
 * lines, one in a rotated archive), quality-gate decisions (the orchestrator's decision lines) and
 * the resolution file written by the real ResolutionMetricsStore, with noise around it.
 */
import { promises as fs } from 'node:fs';
import { ResolutionMetricsStore } from '../../src/resolution-store.js';
import { archiveName, executionRecord, EXECUTIONS, jsonl, type Execution } from './autopilot-fixture.js';
import { T0 } from './fixtures.js';
import type { Workspace } from './temp-workspace.js';

export const DECISIONS = 'state/analytics/quality_gate_decisions.jsonl';
export const ROADMAP = 'state/roadmap.yaml';

/** An execution line of `task` at T0 + `s` seconds. */
export function execution(task: string, s: number, e: Execution): Record<string, unknown> {
  const at = T0 + s * 1000;
  return { ...executionRecord(e), task_id: task, timestamp: new Date(at).toISOString(), timestamp_ms: at, timestamp_iso: new Date(at).toISOString() };
}

/** A decision line of `task` at T0 + `s` seconds (epoch ms, as the orchestrator writes it). */
export function decision(task: string, s: number, verdict: 'APPROVED' | 'REJECTED' | 'ESCALATED', reviews: Record<string, unknown>, reasoning: string): Record<string, unknown> {
  return { taskId: task, decision: verdict, timestamp: T0 + s * 1000, finalReasoning: reasoning, consensusReached: verdict !== 'ESCALATED', runId: 'run-7', reviews };
}

const failed: Execution = { agent_type: 'codex', codex_model: 'gpt-5-codex', success: false, failure_type: 'timeout', final_status: 'failed', quality_score: 0.1, prompt_cache_hit: false, prompt_tokens: 1000, completion_tokens: 200, token_cost_usd: 0.5, duration_seconds: 30 };
const succeeded: Execution = { agent_type: 'claude_code', model: 'claude-sonnet-4-5', success: true, quality_score: 0.9, prompt_cache_hit: true, prompt_tokens: 1500, completion_tokens: 300, token_cost_usd: 0.75, duration_seconds: 45 };

const rejectedReviews = {
  automated: { passed: true },
  peer: { approved: false, reviewer: 'peer-1', model: 'gpt-5', rubric: { correctness: 0.2, readability: 0.6 }, concerns: ['no tests'], blockers: ['missing tests'] },
  adversarial: { passed: false, report: { detections: [{ detected: true, severity: 'high', category: 'test_gaming' }, { detected: false, severity: 'none', category: 'secret_leak' }] } },
};
const approvedReviews = { automated: { passed: true }, peer: { approved: true, rubric: { correctness: 0.9 } } };

/** The story of T-7 and its neighbours; every number chosen so the totals have a known answer. */
export async function writeTimelineFixture(ws: Workspace): Promise<void> {
  const archive = archiveName(T0 - 86_400_000);
  await ws.write(archive, jsonl([execution('T-7', 1, failed), execution('T-8', 1.5, succeeded)]));
  const past = new Date(Date.now() - 3_600_000);
  await fs.utimes(ws.abs(archive), past, past);
  await ws.write(EXECUTIONS, [
    execution('T-7', 3, succeeded),
    'not json at all',
    { timestamp: new Date(T0).toISOString(), type: 'heartbeat', task_id: 'T-7' },
    execution('X-1', 2, succeeded),
    execution('T-8', 4, failed),
  ]);
  await ws.write(DECISIONS, [
    decision('T-7', 2, 'REJECTED', rejectedReviews, 'Tests missing'),
    '{"taskId": "T-7", "decision": "APPR',
    decision('T-8', 2, 'ESCALATED', approvedReviews, 'Reviewers disagree'),
    decision('T-7', 4, 'APPROVED', approvedReviews, 'All gates passed'),
  ]);
  await ws.write(ROADMAP, {
    tasks: [
      { id: 'T-7', title: 'Fix the parser', status: 'completed', domain: 'core', labels: ['p1'] },
      { id: 'T-8', title: 'Speed up the cache', status: 'In Progress' },
    ],
  });
  const store = new ResolutionMetricsStore({ workspaceRoot: ws.root });
  await store.recordAttempt({ taskId: 'T-7', attempt: 1, timestamp: T0 + 2500, runId: 'run-7', label: 'tests_failed' });
  await store.recordAttempt({ taskId: 'T-7', attempt: 2, timestamp: T0 + 3500, runId: 'run-7', label: 'lint' });
  await store.markClosed({ taskId: 'T-7', attempt: 2, timestamp: T0 + 5000, runId: 'run-7' });
  for (let a = 1; a <= 6; a++) await store.recordAttempt({ taskId: 'L-1', attempt: a, timestamp: T0 + a * 60_000, runId: 'run-9', label: 'build_failed' });
}
