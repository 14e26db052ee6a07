import { z } from 'zod';
import { bool, count, str, timestamp } from './fields.js';
import { CappedMap, Histogram, labelValue, toRecord, type HistogramData } from './aggregate.js';
import { logSource } from './source.js';

export const DURATION_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200] as const;
const MAX_AGENT_TYPES = 50;

const line = z.object({
  timestamp,
  type: z.literal('execution_summary'),
  agent_type: str,
  success: bool,
  duration_seconds: count,
  prompt_tokens: count,
  completion_tokens: count,
  total_tokens: count,
  token_cost_usd: count,
});

type Line = z.output<typeof line>;

function perAgent() {
  return {
    success: 0,
    failure: 0,
    promptTokens: 0,
    completionTokens: 0,
    costUsd: 0,
    duration: new Histogram(DURATION_BUCKETS),
  };
}

function createAcc() {
  return { agents: new CappedMap(MAX_AGENT_TYPES, perAgent), lastTimestamp: undefined as number | undefined };
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

export interface Executions {
  total: number;
  byAgentType: Record<string, AgentExecutions>;
  lastTimestamp?: number;
}

export const executions = logSource({
  id: 'executions',
  path: 'state/telemetry/executions.jsonl',
  line,
  relevant: (raw) => typeof raw === 'object' && raw !== null && (raw as { type?: unknown }).type === 'execution_summary',
  create: createAcc,
  add(acc: Acc, l: Line) {
    const a = acc.agents.get(labelValue(l.agent_type));
    if (l.success === true) a.success++;
    else a.failure++;
    a.promptTokens += l.prompt_tokens ?? 0;
    a.completionTokens += l.completion_tokens ?? 0;
    a.costUsd += l.token_cost_usd ?? 0;
    if (l.duration_seconds !== undefined) a.duration.observe(l.duration_seconds);
    if (l.timestamp !== undefined) acc.lastTimestamp = Math.max(acc.lastTimestamp ?? 0, l.timestamp);
  },
  view(acc): Executions {
    const byAgentType = toRecord(acc.agents, (a) => ({ ...a, duration: a.duration.data() }));
    const total = Object.values(byAgentType).reduce((n, a) => n + a.success + a.failure, 0);
    return { total, byAgentType, lastTimestamp: acc.lastTimestamp };
  },
});
