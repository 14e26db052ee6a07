/**
 * Traces over OTLP end to end (issue 20): the exporter over a temp workspace, the OTel exporter
 * configured by the real OTEL_* variables, a real OTLP/HTTP receiver decoding the protobuf requests
 * from the official .proto files. Appended lines become spans once each, across restarts (with a
 * positions file) and rotations; a receiver that refuses or hangs costs spans, counted, not service.
 */
import { rename } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultConfig } from '../../src/config.js';
import { rootSpanIdOf, traceIdOf } from '../../src/tasks/ids.js';
import { tracesSettings } from '../../src/traces/settings.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.js';
import { cleanup, createWorkspace, eventually, parseExposition, request, sampleValue, startTestExporter, tempDir, type Workspace } from '../support/server.js';

vi.setConfig({ testTimeout: 60_000 });
afterEach(async () => {
  await cleanup();
  vi.unstubAllEnvs();
});

const WS = 'traces-e2e';
const EXECUTIONS = 'state/telemetry/executions.jsonl';
const DECISIONS = 'state/analytics/quality_gate_decisions.jsonl';
const RESOLUTION = 'state/analytics/resolution_metrics.json';
const T = Date.UTC(2026, 10, 27, 10, 0, 0);

const execution = (taskId: string, marker: string, over: Record<string, unknown> = {}) =>
  JSON.stringify({
    timestamp: new Date(T + marker.length * 1000).toISOString(),
    type: 'execution_summary',
    task_id: taskId,
    agent_id: marker,
    agent_type: 'claude_code',
    model: 'claude-sonnet-4-5',
    success: true,
    final_status: 'completed',
    duration_seconds: 42,
    prompt_tokens: 1000,
    completion_tokens: 200,
    token_cost_usd: 0.01,
    ...over,
  }) + '\n';

const decision = (taskId: string, verdict: string) =>
  JSON.stringify({
    taskId,
    decision: verdict,
    timestamp: T + 60_000,
    finalReasoning: 'reviewed',
    consensusReached: true,
    reviews: { automated: { passed: true, reviewer: 'ci' }, peer: { approved: verdict === 'APPROVED', reviewer: 'peer-1', rubric: { correctness: 0.8 } } },
  }) + '\n';

const resolution = (closed: { taskId: string; closedAt: number; attempts: number; durationMs: number }[]) => ({
  updatedAt: new Date(T).toISOString(),
  activeLoops: [],
  stats: { totalLoops: closed.length, closedLoops: closed.length, closedWithin3: closed.length, infiniteLoopCount: 0, incidentCount: 0, attemptHistogram: {} },
  recentEvents: closed.flatMap((c) => [
    { type: 'attempt', taskId: c.taskId, attempt: 1, label: 'tests_failed', timestamp: new Date(c.closedAt - 1000).toISOString() },
    { type: 'closed', taskId: c.taskId, attempt: c.attempts, timestamp: new Date(c.closedAt).toISOString() },
  ]),
  recentlyClosed: closed.map((c) => ({ ...c, closedAt: new Date(c.closedAt).toISOString() })),
});

const baseFiles = () => ({
  [EXECUTIONS]: execution('T-OLD', 'before-start'),
  [DECISIONS]: decision('T-OLD', 'APPROVED'),
  'state/roadmap.yaml': 'tasks:\n  - id: T-A\n    title: Task A\n    status: in_progress\n  - id: T-OLD\n    title: Old\n    status: done\n',
  [RESOLUTION]: resolution([]),
});

/** The OTEL_* environment of a traced exporter: protobuf to the receiver, batches sent within 50 ms. */
function traceEnv(rx: OtlpReceiver, extra: Record<string, string> = {}) {
  vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', rx.url);
  vi.stubEnv('OTEL_METRICS_EXPORTER', 'none');
  vi.stubEnv('OTEL_BSP_SCHEDULE_DELAY', '50');
  for (const [k, v] of Object.entries(extra)) vi.stubEnv(k, v);
}

async function tracedExporter(workspace: Workspace, config: Partial<ReturnType<typeof defaultConfig>> = {}) {
  const base = { ...defaultConfig(), workspaceRoot: workspace.root, workspaceName: WS, cacheTtlMs: 100, ...config };
  const traces = tracesSettings(process.env, base);
  expect(traces).toBeDefined();
  return startTestExporter({ workspace, config: base, otel: { traces } });
}

const marker = (s: ReceivedSpan) => s.attributes['gen_ai.agent.id'];
const lineSpans = (rx: OtlpReceiver) => rx.spans.filter((s) => s.attributes['wvo.line.source'] !== undefined);

describe('traces over OTLP/HTTP protobuf', () => {
  it('appended lines: one span per execution and per decision, GenAI attributes, one trace per task, parents on the root sent at closure', async () => {
    const rx = await startOtlpReceiver();
    traceEnv(rx, { OTEL_SERVICE_NAME: 'wvo-traces-test', OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=test' });
    const ws = await createWorkspace(baseFiles());
    const ex = await tracedExporter(ws);
    await ws.append(EXECUTIONS, execution('T-A', 'a1', { success: false, final_status: 'failed', failure_type: 'test_failure', error: 'tests failed' }));
    await ws.append(EXECUTIONS, execution('T-A', 'a2') + execution('T-B', 'b1', { model: 'gpt-5' }));
    await ws.append(DECISIONS, decision('T-A', 'REJECTED'));
    await eventually(() => expect(lineSpans(rx)).toHaveLength(4), { timeoutMs: 20_000 });

    expect(rx.requests.every((r) => r.path === '/v1/traces' && r.contentType === 'application/x-protobuf')).toBe(true);
    const spans = lineSpans(rx);
    // only lines appended after the start: the line already there is not traced
    expect(spans.map((s) => s.attributes['wvo.task.id']).sort()).toEqual(['T-A', 'T-A', 'T-A', 'T-B']);
    expect(new Set(spans.map((s) => s.spanId)).size).toBe(4);
    const a1 = spans.find((s) => marker(s) === 'a1')!;
    expect(a1.name).toBe('invoke_agent claude_code');
    expect(a1.kind).toBe(3); // SPAN_KIND_CLIENT
    expect(a1.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'claude_code',
      'gen_ai.request.model': 'claude-sonnet-4-5',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 200,
      'error.type': 'test_failure',
      'wvo.task.id': 'T-A',
      'wvo.cost.usd': 0.01,
      'wvo.outcome': 'failed',
    });
    expect(a1.status).toEqual({ code: 2, message: 'tests failed' }); // STATUS_CODE_ERROR
    expect(a1.endMs - a1.startMs).toBe(42_000);
    expect(a1.endMs).toBe(T + 2000);
    expect(spans.find((s) => marker(s) === 'b1')!.attributes['gen_ai.provider.name']).toBe('openai');
    const gate = spans.find((s) => s.name.startsWith('quality_gate'))!;
    expect(gate.name).toBe('quality_gate rejected');
    expect(gate.events.map((e) => [e.name, e.attributes['gen_ai.evaluation.name'], e.attributes['gen_ai.evaluation.score.label']])).toEqual([
      ['gen_ai.evaluation.result', 'automated', 'pass'],
      ['gen_ai.evaluation.result', 'peer', 'fail'],
    ]);
    expect(a1.resource).toMatchObject({ 'service.name': 'wvo-traces-test', 'deployment.environment': 'test', 'wvo.workspace': WS });

    // one trace per task, every span names the task's root as parent
    for (const s of spans) {
      const task = s.attributes['wvo.task.id'] as string;
      expect(s.traceId).toBe(traceIdOf(WS, task));
      expect(s.parentSpanId).toBe(rootSpanIdOf(WS, task));
    }
    expect(rx.spans.some((s) => s.parentSpanId === '')).toBe(false); // no root yet: T-A is open

    // T-A's resolution loop closes: its root span comes, once
    const closedAt = T + 120_000;
    await ws.write(RESOLUTION, resolution([{ taskId: 'T-A', closedAt, attempts: 2, durationMs: 600_000 }]));
    const root = await eventually(() => rx.spans.find((s) => s.parentSpanId === '') ?? Promise.reject(new Error('no root span yet')), { timeoutMs: 20_000 });
    expect(root).toMatchObject({ traceId: traceIdOf(WS, 'T-A'), spanId: rootSpanIdOf(WS, 'T-A'), name: 'invoke_workflow task' });
    expect(root.attributes).toMatchObject({ 'wvo.task.id': 'T-A', 'wvo.task.closed_by': 'resolution', 'wvo.resolution.attempts': 2, 'gen_ai.operation.name': 'invoke_workflow' });
    expect(root.endMs).toBe(closedAt);
    expect(root.events.map((e) => e.name)).toEqual(['wvo.resolution.attempt', 'wvo.resolution.closed']);
    for (const s of spans.filter((x) => x.attributes['wvo.task.id'] === 'T-A')) expect(s.parentSpanId).toBe(root.spanId);

    const prom = parseExposition(await (await request(`${ex.url}/metrics`)).body).samples;
    expect(sampleValue(prom, 'wvo_exporter_trace_spans_exported_total')).toBe(5);
    expect(sampleValue(prom, 'wvo_exporter_trace_spans_dropped_total', { reason: 'queue_full' })).toBe(0);
    expect(rx.spans).toHaveLength(5);
  });

  it('http/json works the same way (OTEL_EXPORTER_OTLP_TRACES_PROTOCOL)', async () => {
    const rx = await startOtlpReceiver();
    traceEnv(rx, { OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' });
    const ws = await createWorkspace(baseFiles());
    await tracedExporter(ws);
    await ws.append(EXECUTIONS, execution('T-A', 'j1'));
    await eventually(() => expect(lineSpans(rx)).toHaveLength(1), { timeoutMs: 20_000 });
    expect(rx.requests[0]!.contentType).toMatch(/^application\/json/);
    expect(rx.spans[0]).toMatchObject({ traceId: traceIdOf(WS, 'T-A'), parentSpanId: rootSpanIdOf(WS, 'T-A') });
    expect(rx.spans[0]!.attributes['gen_ai.agent.id']).toBe('j1');
  });
});

describe('positions file: exactly once across restarts and rotations', () => {
  const archive = (n: number) => `state/telemetry/archives/executions_2026-11-27T10-0${n}-00-000Z.jsonl`;
  const rotate = async (ws: Workspace, n: number, firstLine: string) => {
    await ws.append(archive(n), ''); // the directory exists
    await rename(ws.abs(EXECUTIONS), ws.abs(archive(n)));
    await ws.append(EXECUTIONS, firstLine);
  };

  it('every line exported exactly once, with parse workers, across two restarts and two rotations', async () => {
    const rx = await startOtlpReceiver();
    const stateFile = path.join(await tempDir(), 'traces-positions.json');
    traceEnv(rx);
    const ws = await createWorkspace(baseFiles());
    const config = { tracesStateFile: stateFile, parseWorkers: 2 };
    const seen = () => lineSpans(rx).map(marker).sort();

    // run 1: a new positions file starts at the end of the logs, like none
    const run1 = await tracedExporter(ws, config);
    await ws.append(EXECUTIONS, execution('T-A', 'L1') + execution('T-A', 'L2'));
    await eventually(() => expect(seen()).toEqual(['L1', 'L2']), { timeoutMs: 20_000 });
    await run1.stop();

    // while stopped: a line appended, the log rotated, a line in the new log
    await ws.append(EXECUTIONS, execution('T-A', 'L3'));
    await rotate(ws, 1, execution('T-B', 'L4'));

    // run 2 resumes from the positions: L3 (now in the archive) and L4, not L1 and L2 again
    const run2 = await tracedExporter(ws, config);
    await eventually(() => expect(seen()).toEqual(['L1', 'L2', 'L3', 'L4']), { timeoutMs: 20_000 });
    // a rotation while running: the renamed file is drained, the new one read from its start
    await ws.append(EXECUTIONS, execution('T-B', 'L5'));
    await eventually(() => expect(seen()).toContain('L5'), { timeoutMs: 20_000 });
    await ws.append(EXECUTIONS, execution('T-B', 'L6'));
    await rotate(ws, 2, execution('T-C', 'L7'));
    await eventually(() => expect(seen()).toEqual(['L1', 'L2', 'L3', 'L4', 'L5', 'L6', 'L7']), { timeoutMs: 20_000 });
    await run2.stop();

    // run 3: nothing is sent again; a new line arrives after the first poll, alone
    const run3 = await tracedExporter(ws, config);
    await ws.append(EXECUTIONS, execution('T-C', 'L8'));
    await eventually(() => expect(seen()).toContain('L8'), { timeoutMs: 20_000 });
    await run3.stop();
    expect(seen()).toEqual(['L1', 'L2', 'L3', 'L4', 'L5', 'L6', 'L7', 'L8']);
    expect(new Set(lineSpans(rx).map((s) => s.spanId)).size).toBe(8);
  });
});

describe('a failing receiver', () => {
  it.each([
    ['answers 503', 'unavailable', 'export_failed'],
    ['hangs', 'hang', 'queue_full'],
  ] as const)('that %s: /metrics and REST still answer, drops are counted, the exporter keeps collecting', async (_what, mode, reason) => {
    const rx = await startOtlpReceiver(mode);
    traceEnv(rx, { OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '500', OTEL_BSP_MAX_QUEUE_SIZE: '4', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '2' });
    const ws = await createWorkspace(baseFiles());
    const ex = await tracedExporter(ws);
    const lines = Array.from({ length: 20 }, (_, i) => execution('T-A', `f${i}`)).join('');
    await ws.append(EXECUTIONS, lines);
    await eventually(() => expect(rx.requests.length).toBeGreaterThan(0), { timeoutMs: 20_000 });

    // while the receiver refuses or hangs, every route answers
    for (const route of ['/metrics', '/api/metrics/tasks', '/api/metrics/quality_gates', '/healthz']) {
      expect((await request(`${ex.url}${route}`)).status, route).toBe(200);
    }
    const dropped = async () =>
      sampleValue(parseExposition((await request(`${ex.url}/metrics`)).body).samples, 'wvo_exporter_trace_spans_dropped_total', { reason }) ?? 0;
    await eventually(async () => expect(await dropped()).toBeGreaterThan(0), { timeoutMs: 20_000 });

    // still collecting: a new line shows in the snapshot
    const before = ex.exporter.collector.snapshot!.data.executions.total;
    await ws.append(EXECUTIONS, execution('T-A', 'after'));
    await eventually(() => expect(ex.exporter.collector.snapshot!.data.executions.total).toBe(before + 1), { timeoutMs: 20_000 });
    expect(rx.spans).toEqual([]);
    await ex.stop();
  });
});
