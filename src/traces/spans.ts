import { SpanKind, SpanStatusCode, type Attributes, type SpanStatus } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE, ERROR_TYPE_VALUE_OTHER } from '@opentelemetry/semantic-conventions';
import {
  ATTR_GEN_AI_AGENT_ID,
  ATTR_GEN_AI_AGENT_NAME,
  ATTR_GEN_AI_EVALUATION_NAME,
  ATTR_GEN_AI_EVALUATION_SCORE_LABEL,
  ATTR_GEN_AI_EVALUATION_SCORE_VALUE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_WORKFLOW_NAME,
  EVENT_GEN_AI_EVALUATION_RESULT,
  GEN_AI_OPERATION_NAME_VALUE_INVOKE_WORKFLOW,
} from '@opentelemetry/semantic-conventions/incubating';
import type { DecisionEvent, ExecutionEvent, GateReview, LineRef } from '../tasks/events.js';
import { executionGenAiAttributes } from '../tasks/genai.js';
import { lineSpanIdOf, rootSpanIdOf, traceIdOf } from '../tasks/ids.js';
import * as A from './attributes.js';

export interface SpanEventRecord {
  name: string;
  timeMs: number;
  attributes: Attributes;
}

/** One span as the exporter builds it, before it becomes an SDK ReadableSpan. Times are epoch ms. */
export interface SpanRecord {
  traceId: string;
  spanId: string;
  /** The task's root span; absent on the root itself. */
  parentSpanId?: string;
  name: string;
  kind: SpanKind;
  startMs: number;
  endMs: number;
  attributes: Attributes;
  events: SpanEventRecord[];
  status: SpanStatus;
}

/**
 * Attributes set one by one, absent values skipped (an absent field is no attribute, never an empty
 * one). Built imperatively: an object literal of computed keys and spreads costs ~10x as much, and
 * this runs for every line.
 */
class Attrs {
  readonly out: Attributes = {};
  set(key: string, v: Attributes[string] | undefined): this {
    if (v !== undefined && !(Array.isArray(v) && v.length === 0)) this.out[key] = v;
    return this;
  }
  all(entries: Record<string, Attributes[string] | undefined>): this {
    for (const k in entries) this.set(k, entries[k]);
    return this;
  }
  line(ref: LineRef): this {
    return this.set(A.WVO_LINE_SOURCE, ref.source).set(A.WVO_LINE_PATH, ref.path).set(A.WVO_LINE_OFFSET, ref.offset);
  }
}

/** A task's trace and root ids, remembered for the tasks seen lately: a task has many lines, each id is a SHA-256. */
const taskIdsCache = new Map<string, { traceId: string; parentSpanId: string }>();
function taskIds(workspace: string, taskId: string) {
  const key = workspace + '\0' + taskId;
  let ids = taskIdsCache.get(key);
  if (!ids) {
    if (taskIdsCache.size >= 10_000) taskIdsCache.clear();
    ids = { traceId: traceIdOf(workspace, taskId), parentSpanId: rootSpanIdOf(workspace, taskId) };
    taskIdsCache.set(key, ids);
  }
  return ids;
}

/**
 * An execution line: one `invoke_agent <agent>` span, from its timestamp minus its duration to its
 * timestamp (the writer logs an execution when it ends).
 */
export function executionSpan(workspace: string, e: ExecutionEvent, ref: LineRef): SpanRecord {
  const failed = e.success === false;
  const agent = e.agentType?.trim() || 'agent';
  const task = taskIds(workspace, e.taskId);
  return {
    traceId: task.traceId,
    spanId: lineSpanIdOf(ref.source, ref.fileKey, ref.offset),
    parentSpanId: task.parentSpanId,
    name: `invoke_agent ${agent}`,
    // The agents run as other processes (CLIs), so the invocation is a client call in the GenAI conventions.
    kind: SpanKind.CLIENT,
    startMs: e.timestamp - (e.durationSeconds ?? 0) * 1000,
    endMs: e.timestamp,
    attributes: new Attrs()
      .all(executionGenAiAttributes(e.model))
      .set(ATTR_GEN_AI_AGENT_NAME, agent)
      .set(ATTR_GEN_AI_AGENT_ID, e.agentId)
      .set(ATTR_GEN_AI_USAGE_INPUT_TOKENS, e.inputTokens)
      .set(ATTR_GEN_AI_USAGE_OUTPUT_TOKENS, e.outputTokens)
      .set(ATTR_ERROR_TYPE, failed ? e.failureType?.trim() || ERROR_TYPE_VALUE_OTHER : undefined)
      .set(A.WVO_TASK_ID, e.taskId)
      .set(A.WVO_COST_USD, e.costUsd)
      .set(A.WVO_QUALITY_SCORE, e.qualityScore)
      .set(A.WVO_OUTCOME, e.outcome)
      .set(A.WVO_PHASE, e.phase)
      .set(A.WVO_PROMPT_CACHE_HIT, e.promptCacheHit)
      .line(ref).out,
    events: [],
    status: !failed ? { code: SpanStatusCode.UNSET } : e.error ? { code: SpanStatusCode.ERROR, message: e.error } : { code: SpanStatusCode.ERROR },
  };
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined);

/** A gate's review as the GenAI evaluation-result event: the gate is the evaluation, pass or fail its label. */
function reviewEvent(r: GateReview, timeMs: number): SpanEventRecord {
  const rubric = Object.entries(r.rubric ?? {});
  return {
    name: EVENT_GEN_AI_EVALUATION_RESULT,
    timeMs,
    attributes: rubric.reduce(
      (a, [k, v]) => a.set(A.WVO_GATE_RUBRIC_PREFIX + k, v),
      new Attrs()
        .set(ATTR_GEN_AI_EVALUATION_NAME, r.gate)
        .set(ATTR_GEN_AI_EVALUATION_SCORE_LABEL, r.approved ? 'pass' : 'fail')
        // The rubric's mean, when the gate scored one: the single number the convention has room for.
        .set(ATTR_GEN_AI_EVALUATION_SCORE_VALUE, mean(rubric.map(([, v]) => v)))
        .set(A.WVO_GATE_REVIEWER, r.reviewer)
        .set(A.WVO_GATE_MODEL, r.model)
        .set(A.WVO_GATE_CONCERNS, r.concerns)
        .set(A.WVO_GATE_BLOCKERS, r.blockers)
        .set(A.WVO_GATE_DETECTIONS, r.detections?.map((d) => (d.severity ? `${d.category}:${d.severity}` : d.category))),
    ).out,
  };
}

/** A decision line: one `quality_gate <verdict>` span at its timestamp, each gate's review an event on it. */
export function decisionSpan(workspace: string, d: DecisionEvent, ref: LineRef): SpanRecord {
  const task = taskIds(workspace, d.taskId);
  return {
    traceId: task.traceId,
    spanId: lineSpanIdOf(ref.source, ref.fileKey, ref.offset),
    parentSpanId: task.parentSpanId,
    name: `quality_gate ${d.verdict || 'unknown'}`,
    kind: SpanKind.INTERNAL,
    startMs: d.timestamp,
    endMs: d.timestamp,
    attributes: new Attrs()
      .set(A.WVO_TASK_ID, d.taskId)
      .set(A.WVO_GATE_VERDICT, d.verdict)
      .set(A.WVO_GATE_CONSENSUS, d.consensus)
      .set(A.WVO_RUN_ID, d.runId)
      .set(A.WVO_GATE_REASONING, d.reasoning)
      .line(ref).out,
    events: d.reviews.map((r) => reviewEvent(r, d.timestamp)),
    status: { code: SpanStatusCode.UNSET },
  };
}

/** What is known of a task when it closes. */
export interface TaskClosure {
  taskId: string;
  /** `roadmap` (its status became done) or `resolution` (its resolution loop closed). */
  closedBy: 'roadmap' | 'resolution';
  startMs: number;
  endMs: number;
  title?: string;
  status?: string;
  epic?: string;
  attempts?: number;
  /** Resolution attempts and the closure, from the resolution metrics' recent events. */
  events: SpanEventRecord[];
}

/**
 * The task's root span, emitted once when the task closes: every other span of the task names it
 * as parent (by its derived id, so they may arrive before it). Its name stays the same for every
 * task (span names are grouped on in span metrics); the task is in `wvo.task.id`.
 */
export function rootSpan(workspace: string, c: TaskClosure): SpanRecord {
  return {
    traceId: traceIdOf(workspace, c.taskId),
    spanId: rootSpanIdOf(workspace, c.taskId),
    name: `${GEN_AI_OPERATION_NAME_VALUE_INVOKE_WORKFLOW} task`,
    kind: SpanKind.INTERNAL,
    startMs: Math.min(c.startMs, c.endMs),
    endMs: c.endMs,
    attributes: new Attrs()
      .set(ATTR_GEN_AI_OPERATION_NAME, GEN_AI_OPERATION_NAME_VALUE_INVOKE_WORKFLOW)
      .set(ATTR_GEN_AI_WORKFLOW_NAME, 'task')
      .set(A.WVO_TASK_ID, c.taskId)
      .set(A.WVO_TASK_TITLE, c.title)
      .set(A.WVO_TASK_STATUS, c.status)
      .set(A.WVO_TASK_EPIC, c.epic)
      .set(A.WVO_CLOSED_BY, c.closedBy)
      .set(A.WVO_RESOLUTION_ATTEMPTS, c.attempts).out,
    events: c.events,
    status: { code: SpanStatusCode.UNSET },
  };
}
