import { z } from 'zod';
import { executionLine as sourceExecutionLine } from '../sources/executions.js';
import { id, isObj, str, stringList, type Obj } from '../sources/fields.js';
import { decisionLine as sourceDecisionLine } from '../sources/quality-decisions.js';

/** Where a log line lives, enough to read it again (never the line itself). */
export interface LineRef {
  source: 'executions' | 'quality_decisions';
  /** `dev:ino` of the file: kept by a rename into the archives. */
  fileKey: string;
  /** Workspace-relative path of the file when the line was read. */
  path: string;
  /** Byte offset where the line starts. */
  offset: number;
  /** Bytes the line occupies, its newline included: offset + length is where the next line starts. */
  length: number;
}

/** One execution_summary line of a task. Times are epoch ms. */
export interface ExecutionEvent {
  kind: 'execution';
  taskId: string;
  timestamp: number;
  agentType?: string;
  agentId?: string;
  model?: string;
  success?: boolean;
  outcome?: string;
  failureType?: string;
  error?: string;
  durationSeconds?: number;
  inputTokens?: number;
  outputTokens?: number;
  costUsd?: number;
  qualityScore?: number;
  promptCacheHit?: boolean;
  phase?: string;
}

export interface GateReview {
  gate: string;
  approved: boolean;
  reviewer?: string;
  model?: string;
  rubric?: Record<string, number>;
  concerns?: string[];
  blockers?: string[];
  /** Adversarial detections that fired (`detected !== false`). */
  detections?: { category: string; severity?: string }[];
}

/** One quality-gate decision line of a task. */
export interface DecisionEvent {
  kind: 'decision';
  taskId: string;
  timestamp: number;
  /** Lower-case: approved, rejected, escalated, or what the writer wrote. */
  verdict: string;
  reasoning?: string;
  consensus?: boolean;
  runId?: string;
  reviews: GateReview[];
}

export type TaskEvent = ExecutionEvent | DecisionEvent;

const taskId = id.pipe(z.string().min(1).optional());

// The sources' own line schemas, plus the fields only a timeline or a span shows.
const executionLine = sourceExecutionLine.extend({ task_id: taskId, agent_id: id, error: str, project_phase: str });

/** The task event of a parsed execution line; undefined when it names no task or time. */
export function executionEvent(raw: unknown): ExecutionEvent | undefined {
  const r = executionLine.safeParse(raw);
  if (!r.success || r.data.task_id === undefined || r.data.timestamp === undefined) return undefined;
  const l = r.data;
  return {
    kind: 'execution',
    taskId: l.task_id!,
    timestamp: l.timestamp!,
    agentType: l.agent_type,
    agentId: l.agent_id,
    model: l.codex_model || l.model,
    success: l.success,
    outcome: l.final_status,
    failureType: l.failure_type,
    error: l.error,
    durationSeconds: l.duration_seconds,
    inputTokens: l.prompt_tokens,
    outputTokens: l.completion_tokens,
    costUsd: l.token_cost_usd,
    qualityScore: l.quality_score,
    promptCacheHit: l.prompt_cache_hit,
    phase: l.project_phase,
  };
}

const strings = (v: unknown) => stringList.parse(v);

function review(gate: string, rv: Obj): GateReview {
  const out: GateReview = { gate, approved: rv.approved === true || rv.passed === true };
  if (typeof rv.reviewer === 'string') out.reviewer = rv.reviewer;
  if (typeof rv.model === 'string') out.model = rv.model;
  if (isObj(rv.rubric)) {
    const rubric = Object.entries(rv.rubric).filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1]));
    if (rubric.length) out.rubric = Object.fromEntries(rubric);
  }
  const concerns = strings(rv.concerns);
  if (concerns?.length) out.concerns = concerns;
  const blockers = strings(rv.blockers);
  if (blockers?.length) out.blockers = blockers;
  const detections = isObj(rv.report) && Array.isArray(rv.report.detections) ? rv.report.detections : [];
  const fired = detections
    .filter((d): d is Obj => isObj(d) && d.detected !== false && typeof d.category === 'string' && d.category !== '')
    .map((d) => ({ category: d.category as string, ...(typeof d.severity === 'string' ? { severity: d.severity } : {}) }));
  if (fired.length) out.detections = fired;
  return out;
}

const decisionLine = sourceDecisionLine.extend({ taskId, runId: id });

/** The task event of a parsed decision line; undefined when it names no task or time. */
export function decisionEvent(raw: unknown): DecisionEvent | undefined {
  const r = decisionLine.safeParse(raw);
  if (!r.success || r.data.taskId === undefined || r.data.timestamp === undefined) return undefined;
  const l = r.data;
  const reviews = isObj(l.reviews) ? Object.entries(l.reviews).filter((e): e is [string, Obj] => isObj(e[1])).map(([g, rv]) => review(g, rv)) : [];
  return {
    kind: 'decision',
    taskId: l.taskId!,
    timestamp: l.timestamp!,
    verdict: l.decision.trim().toLowerCase(),
    reasoning: l.finalReasoning,
    consensus: l.consensusReached,
    runId: l.runId,
    reviews,
  };
}

/** The task event a log line of the given source carries, if any. */
export const taskEventOf = (source: LineRef['source'], raw: unknown): TaskEvent | undefined =>
  source === 'executions' ? executionEvent(raw) : decisionEvent(raw);
