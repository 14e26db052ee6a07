import { z } from 'zod';
import { bool, count, id, ratio, str, timestamp } from './fields.js';
import { CappedMap, CappedPairs, ExactSum, Histogram, labelValue, mergeHistograms, toRecord, type HistogramData } from './aggregate.js';
import { logSource } from './source.js';

export const DURATION_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200] as const;
export const QUALITY_BUCKETS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1] as const;
/** The GenAI conventions' advised boundaries for gen_ai.client.token.usage ({token}) and gen_ai.client.operation.duration (s). */
export const GENAI_TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864] as const;
export const GENAI_DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92] as const;
/** Cap on label values and on label combinations of each execution metric (rest folded into `other`). */
const MAX_SERIES = 50;

/** An execution line as this source reads it (the task events extend it). */
export const executionLine = z.object({
  timestamp,
  task_id: id,
  type: z.literal('execution_summary'),
  agent_type: str,
  success: bool,
  duration_seconds: count,
  prompt_tokens: count,
  completion_tokens: count,
  total_tokens: count,
  token_cost_usd: count,
  codex_model: str,
  model: str,
  failure_type: str,
  final_status: str,
  quality_score: ratio,
  prompt_cache_hit: bool,
});

type Line = z.output<typeof executionLine>;

function perModel() {
  return {
    success: 0,
    failure: 0,
    promptTokens: 0,
    completionTokens: 0,
    cost: new ExactSum(),
    duration: new Histogram(DURATION_BUCKETS),
    durationExemplars: new Array<DurationExemplar | null>(DURATION_BUCKETS.length + 1).fill(null),
  };
}

/**
 * The latest execution (by its timestamp) that fell in a duration bucket: what /metrics shows as
 * the bucket's OpenMetrics exemplar, its trace id derived from the task id. Latest by timestamp,
 * not by arrival, so the archives and the live log read in any order give the same exemplar.
 */
export interface DurationExemplar {
  taskId: string;
  /** The observed duration in seconds. */
  value: number;
  /** The execution's timestamp, epoch ms. */
  timestamp: number;
  /** Where its line is (its file's key and byte offset), which names its span; absent for a line read from elsewhere (the backfill). */
  fileKey?: string;
  offset?: number;
}

/** An id longer than this is not a task id: not kept, so hostile lines cannot grow the exemplars. */
const MAX_TASK_ID_LENGTH = 256;

/** Whether `e` comes after `than` in the line's file order (a place after none). */
const placeAfter = (e: DurationExemplar, than: DurationExemplar) =>
  e.fileKey !== undefined && (than.fileKey === undefined || e.fileKey > than.fileKey || (e.fileKey === than.fileKey && e.offset! > than.offset!));
/**
 * Whether an execution is later than `than`; equal times are ordered by task id, value, then the
 * line's place (a line logged twice), so ties too do not depend on reading order.
 */
const later = (e: DurationExemplar, than: DurationExemplar | null) =>
  !than ||
  e.timestamp > than.timestamp ||
  (e.timestamp === than.timestamp && (e.taskId > than.taskId || (e.taskId === than.taskId && (e.value > than.value || (e.value === than.value && placeAfter(e, than))))));
const counter = () => ({ n: 0 });

function createAcc() {
  return {
    /** By (agent type, model): the four execution metrics. */
    models: new CappedPairs(MAX_SERIES, perModel),
    failures: new CappedPairs(MAX_SERIES, counter),
    outcomes: new CappedPairs(MAX_SERIES, counter),
    quality: new CappedMap(MAX_SERIES, () => new Histogram(QUALITY_BUCKETS)),
    cache: new CappedMap(MAX_SERIES, () => ({ hit: 0, miss: 0 })),
    /** The GenAI metrics: tokens by model, durations by model and error type ('' = succeeded). */
    genaiTokens: new CappedMap(MAX_SERIES, () => ({ input: new Histogram(GENAI_TOKEN_BUCKETS), output: new Histogram(GENAI_TOKEN_BUCKETS) })),
    genaiDurations: new CappedPairs(MAX_SERIES, () => new Histogram(GENAI_DURATION_BUCKETS)),
    lastTimestamp: undefined as number | undefined,
  };
}
type Acc = ReturnType<typeof createAcc>;

export interface AgentExecutions {
  success: number;
  failure: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  duration: HistogramData;
}

export interface ModelExecutions extends AgentExecutions {
  agentType: string;
  model: string;
  /** Per duration bucket (as `duration.counts`), its latest execution with a task id and a timestamp. */
  durationExemplars: readonly (DurationExemplar | null)[];
}

export interface PairCount {
  agentType: string;
  value: string;
  count: number;
}

export interface Executions {
  total: number;
  /** Totals per agent type (summed over models). */
  byAgentType: Record<string, AgentExecutions>;
  /** Per agent type and model (capped pairs). */
  byModel: ModelExecutions[];
  /** Failed executions by agent type and failure_type. */
  failures: PairCount[];
  /** Executions by agent type and final_status. */
  outcomes: PairCount[];
  quality: Record<string, HistogramData>;
  /** Lines whose prompt_cache_hit is a boolean. */
  promptCache: Record<string, { hit: number; miss: number }>;
  /** For the GenAI metrics: model '' is a line that names none; errorType '' a success. */
  genai: {
    tokens: { model: string; input: HistogramData; output: HistogramData }[];
    durations: { model: string; errorType: string; data: HistogramData }[];
  };
  lastTimestamp?: number;
}

function add(acc: Acc, l: Line, fileKey?: string, offset?: number): void {
  const agent = labelValue(l.agent_type);
  const m = acc.models.get(agent, labelValue(l.codex_model || l.model));
  if (l.success === true) m.success++;
  else {
    m.failure++;
    acc.failures.get(agent, labelValue(l.failure_type)).n++;
  }
  m.promptTokens += l.prompt_tokens ?? 0;
  m.completionTokens += l.completion_tokens ?? 0;
  m.cost.add(l.token_cost_usd ?? 0);
  if (l.duration_seconds !== undefined) {
    const bucket = m.duration.observe(l.duration_seconds);
    const taskId = l.task_id?.trim();
    if (taskId && taskId.length <= MAX_TASK_ID_LENGTH && l.timestamp !== undefined) {
      const e: DurationExemplar = { taskId, value: l.duration_seconds, timestamp: l.timestamp, fileKey, offset };
      if (later(e, m.durationExemplars[bucket]!)) m.durationExemplars[bucket] = e;
    }
  }
  acc.outcomes.get(agent, labelValue(l.final_status)).n++;
  if (l.quality_score !== undefined) acc.quality.get(agent).observe(l.quality_score);
  if (l.prompt_cache_hit !== undefined) acc.cache.get(agent)[l.prompt_cache_hit ? 'hit' : 'miss']++;
  const model = labelValue(l.codex_model || l.model, '');
  if (l.prompt_tokens !== undefined || l.completion_tokens !== undefined) {
    const t = acc.genaiTokens.get(model);
    if (l.prompt_tokens !== undefined) t.input.observe(l.prompt_tokens);
    if (l.completion_tokens !== undefined) t.output.observe(l.completion_tokens);
  }
  // The convention's error.type: the failure type, or _OTHER for a failure that names none.
  if (l.duration_seconds !== undefined) acc.genaiDurations.get(model, l.success === false ? labelValue(l.failure_type, '_OTHER') : '').observe(l.duration_seconds);
  if (l.timestamp !== undefined) acc.lastTimestamp = Math.max(acc.lastTimestamp ?? 0, l.timestamp);
}

function view(acc: Acc): Executions {
  const byModel = acc.models.map(
    (agentType, model, { cost, duration, durationExemplars, ...counts }): ModelExecutions => ({
      agentType,
      model,
      ...counts,
      costUsd: cost.value,
      duration: duration.data(),
      durationExemplars: [...durationExemplars],
    }),
  );
  const perAgent = new Map<string, ModelExecutions[]>();
  // Summed in model order, not in the order models first appeared, so any order of lines gives the same totals.
  const byName = [...byModel].sort((a, b) => (a.model < b.model ? -1 : a.model > b.model ? 1 : 0));
  for (const m of byName) perAgent.set(m.agentType, [...(perAgent.get(m.agentType) ?? []), m]);
  const byAgentType: Record<string, AgentExecutions> = {};
  for (const [agent, ms] of perAgent) {
    const sum = (f: (m: ModelExecutions) => number) => ms.reduce((n, m) => n + f(m), 0);
    byAgentType[agent] = {
      success: sum((m) => m.success),
      failure: sum((m) => m.failure),
      promptTokens: sum((m) => m.promptTokens),
      completionTokens: sum((m) => m.completionTokens),
      costUsd: sum((m) => m.costUsd),
      duration: mergeHistograms(ms.map((m) => m.duration)),
    };
  }
  const pairs = (p: CappedPairs<{ n: number }>) => p.map((agentType, value, v) => ({ agentType, value, count: v.n }));
  return {
    total: byModel.reduce((n, m) => n + m.success + m.failure, 0),
    byAgentType,
    byModel,
    failures: pairs(acc.failures),
    outcomes: pairs(acc.outcomes),
    quality: toRecord(acc.quality, (h) => h.data()),
    promptCache: toRecord(acc.cache, (c) => ({ ...c })),
    genai: {
      tokens: [...acc.genaiTokens.entries].map(([model, t]) => ({ model, input: t.input.data(), output: t.output.data() })),
      durations: acc.genaiDurations.map((model, errorType, h) => ({ model, errorType, data: h.data() })),
    },
    lastTimestamp: acc.lastTimestamp,
  };
}

export const executions = logSource({
  id: 'executions',
  path: 'state/telemetry/executions.jsonl',
  // The writer renames the live log to `executions_<ISO time with - for : and .>.jsonl`.
  archives: 'state/telemetry/archives/executions_*.jsonl',
  line: executionLine,
  relevant: (raw) => typeof raw === 'object' && raw !== null && (raw as { type?: unknown }).type === 'execution_summary',
  create: createAcc,
  add,
  view,
});
