/** The trace model: which span a line becomes, with which GenAI attributes, ids and times. */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { taskEventOf, type DecisionEvent, type ExecutionEvent, type LineRef } from '../../src/tasks/events.js';
import { providerOf } from '../../src/tasks/genai.js';
import { lineSpanIdOf, rootSpanIdOf, traceIdOf } from '../../src/tasks/ids.js';
import { decisionSpan, executionSpan, rootSpan } from '../../src/traces/spans.js';

const WS = 'ws-spans';
const ref = (source: LineRef['source'], offset: number): LineRef => ({ source, fileKey: '64768:1234', path: 'state/telemetry/executions.jsonl', offset, length: 100 });

const failed = {
  timestamp: '2026-11-27T10:00:00.000Z',
  type: 'execution_summary',
  task_id: 'T-1',
  agent_id: 'claude_code-worker-2',
  agent_type: 'claude_code',
  model: 'claude-sonnet-4-5',
  success: false,
  final_status: 'failed',
  duration_seconds: 90.5,
  quality_score: 0.4,
  prompt_tokens: 1200,
  completion_tokens: 340,
  token_cost_usd: 0.021,
  project_phase: 'implementation',
  error: 'tests failed: 3',
  failure_type: 'test_failure',
  prompt_cache_hit: true,
};

describe('executionSpan', () => {
  it('maps an execution line to an invoke_agent span in the GenAI conventions', () => {
    const e = taskEventOf('executions', failed) as ExecutionEvent;
    const s = executionSpan(WS, e, ref('executions', 512));
    expect(s.name).toBe('invoke_agent claude_code');
    expect(s.kind).toBe(SpanKind.CLIENT);
    expect(s.traceId).toBe(traceIdOf(WS, 'T-1'));
    expect(s.spanId).toBe(lineSpanIdOf('executions', '64768:1234', 512));
    expect(s.parentSpanId).toBe(rootSpanIdOf(WS, 'T-1'));
    const end = Date.parse(failed.timestamp);
    expect(s.endMs).toBe(end);
    expect(s.startMs).toBe(end - 90_500);
    expect(s.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'claude_code',
      'gen_ai.agent.id': 'claude_code-worker-2',
      'gen_ai.request.model': 'claude-sonnet-4-5',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.usage.input_tokens': 1200,
      'gen_ai.usage.output_tokens': 340,
      'error.type': 'test_failure',
      'wvo.task.id': 'T-1',
      'wvo.cost.usd': 0.021,
      'wvo.quality.score': 0.4,
      'wvo.outcome': 'failed',
      'wvo.phase': 'implementation',
      'wvo.prompt_cache.hit': true,
      'wvo.line.offset': 512,
    });
    expect(s.status).toEqual({ code: SpanStatusCode.ERROR, message: 'tests failed: 3' });
  });

  it('a success has no error.type and an unset status; absent fields are no attributes', () => {
    const e = taskEventOf('executions', { timestamp: 1_790_000_000_000, type: 'execution_summary', task_id: 'T-2', agent_type: 'codex', codex_model: 'gpt-5-codex', success: true }) as ExecutionEvent;
    const s = executionSpan(WS, e, ref('executions', 0));
    expect(s.status.code).toBe(SpanStatusCode.UNSET);
    expect(s.attributes['error.type']).toBeUndefined();
    expect(s.attributes['gen_ai.provider.name']).toBe('openai');
    expect(s.attributes['gen_ai.usage.input_tokens']).toBeUndefined();
    expect(s.startMs).toBe(s.endMs);
    expect(Object.values(s.attributes)).not.toContain(undefined);
  });

  it('a failure without a failure type has error.type _OTHER; an unknown model has no provider', () => {
    const e = taskEventOf('executions', { timestamp: 1_790_000_000_000, type: 'execution_summary', task_id: 'T-3', model: 'in-house-7b', success: false }) as ExecutionEvent;
    const s = executionSpan(WS, e, ref('executions', 0));
    expect(s.attributes['error.type']).toBe('_OTHER');
    expect(s.attributes['gen_ai.provider.name']).toBeUndefined();
    expect(s.attributes['gen_ai.request.model']).toBe('in-house-7b');
    expect(s.name).toBe('invoke_agent agent');
  });
});

describe('providerOf', () => {
  it.each([
    ['claude-opus-4', 'anthropic'],
    ['gpt-5', 'openai'],
    ['gpt-5-codex', 'openai'],
    ['o3-mini', 'openai'],
    ['gemini-2.5-pro', 'gcp.gemini'],
    ['mistral-large', 'mistral_ai'],
    ['deepseek-coder', 'deepseek'],
    ['grok-4', 'x_ai'],
    ['llama-3', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('%s → %s', (model, provider) => {
    expect(providerOf(model)).toBe(provider);
  });
});

describe('decisionSpan', () => {
  const line = {
    taskId: 'T-1',
    decision: 'REJECTED',
    timestamp: '2026-11-27T10:05:00.000Z',
    finalReasoning: 'peer review found a blocker',
    consensusReached: false,
    runId: 'run-1',
    reviews: {
      automated: { passed: true, reviewer: 'ci-runner' },
      peer: { approved: false, reviewer: 'codex-worker-3', model: 'gpt-5', rubric: { correctness: 0.5, readability: 0.7 }, concerns: ['naming'], blockers: ['no tests'] },
      adversarial: { passed: true, report: { detections: [{ detected: true, severity: 'high', category: 'prompt_injection' }] } },
    },
  };

  it('is a quality_gate <verdict> span with one gen_ai.evaluation.result event per gate', () => {
    const d = taskEventOf('quality_decisions', line) as DecisionEvent;
    const s = decisionSpan(WS, d, ref('quality_decisions', 77));
    expect(s.name).toBe('quality_gate rejected');
    expect(s.traceId).toBe(traceIdOf(WS, 'T-1'));
    expect(s.spanId).toBe(lineSpanIdOf('quality_decisions', '64768:1234', 77));
    expect(s.parentSpanId).toBe(rootSpanIdOf(WS, 'T-1'));
    expect(s.startMs).toBe(Date.parse(line.timestamp));
    expect(s.attributes).toMatchObject({ 'wvo.task.id': 'T-1', 'wvo.gate.verdict': 'rejected', 'wvo.gate.consensus': false, 'wvo.run.id': 'run-1', 'wvo.gate.reasoning': 'peer review found a blocker' });
    expect(s.events.map((e) => [e.name, e.attributes['gen_ai.evaluation.name'], e.attributes['gen_ai.evaluation.score.label']])).toEqual([
      ['gen_ai.evaluation.result', 'automated', 'pass'],
      ['gen_ai.evaluation.result', 'peer', 'fail'],
      ['gen_ai.evaluation.result', 'adversarial', 'pass'],
    ]);
    const peer = s.events[1]!.attributes;
    expect(peer['gen_ai.evaluation.score.value']).toBeCloseTo(0.6, 9);
    expect(peer).toMatchObject({ 'wvo.gate.reviewer': 'codex-worker-3', 'wvo.gate.model': 'gpt-5', 'wvo.gate.rubric.correctness': 0.5, 'wvo.gate.concerns': ['naming'], 'wvo.gate.blockers': ['no tests'] });
    expect(s.events[2]!.attributes['wvo.gate.detections']).toEqual(['prompt_injection:high']);
    expect(s.events[0]!.attributes['gen_ai.evaluation.score.value']).toBeUndefined();
  });
});

describe('rootSpan', () => {
  it('has the task root id, no parent, and the closure as attributes and events', () => {
    const s = rootSpan(WS, {
      taskId: 'T-1',
      closedBy: 'resolution',
      startMs: 1000,
      endMs: 5000,
      attempts: 2,
      title: 'Do the thing',
      events: [{ name: 'wvo.resolution.closed', timeMs: 5000, attributes: { 'wvo.resolution.attempts': 2 } }],
    });
    expect(s.spanId).toBe(rootSpanIdOf(WS, 'T-1'));
    expect(s.traceId).toBe(traceIdOf(WS, 'T-1'));
    expect(s.parentSpanId).toBeUndefined();
    expect(s.name).toBe('invoke_workflow task');
    expect(s.attributes).toMatchObject({ 'gen_ai.operation.name': 'invoke_workflow', 'wvo.task.id': 'T-1', 'wvo.task.closed_by': 'resolution', 'wvo.resolution.attempts': 2, 'wvo.task.title': 'Do the thing' });
    expect([s.startMs, s.endMs]).toEqual([1000, 5000]);
  });
});
