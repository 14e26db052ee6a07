/**
 * Exemplars on /metrics: with traces on, the OpenMetrics answer carries on each
 * wvo_execution_duration_seconds bucket the trace id of the latest task that fell in it and the
 * span id of its execution's line; the text format, and OpenMetrics with traces off, carry none
 * and are byte for byte what they were.
 */
import { readFileSync, statSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { fileKey } from '../../src/collector/files.js';
import { defaultConfig, workspaceName } from '../../src/config.js';
import { DURATION_BUCKETS, executions } from '../../src/sources/executions.js';
import { lineSpanIdOf, traceIdOf } from '../../src/tasks/ids.js';
import { tracesSettings } from '../../src/traces/settings.js';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver.js';
import { cleanup, cleanupSuite, eventually, onCleanup, parseExposition, repoWorkspace, startTestExporter, suiteScoped, type TestExporter } from '../support/server.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const OPENMETRICS = 'application/openmetrics-text; version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
const WORKSPACE = 'exemplar-test';
const execution = (taskId: string, timestamp: string, durationSeconds: number, model = 'claude-sonnet-4-5') => ({
  timestamp,
  type: 'execution_summary',
  task_id: taskId,
  agent_type: 'claude_code',
  model,
  success: true,
  final_status: 'completed',
  duration_seconds: durationSeconds,
  token_cost_usd: 0.01,
});
// Buckets: 12.5 s and 14 s fall in le=15 (T-2 is later), 250 s in le=300, 9000 s in +Inf.
const files = {
  'state/telemetry/archives/executions_2026-11-25T00-00-00-000Z.jsonl': [execution('T-1', '2026-11-24T08:00:00.000Z', 12.5)],
  'state/telemetry/executions.jsonl': [
    execution('T-2', '2026-11-26T09:30:00.250Z', 14),
    execution('T-1', '2026-11-26T10:00:00.000Z', 250),
    execution('T-3', '2026-11-26T11:00:00.000Z', 9000, 'gpt-5-codex'),
    // no task id: counted, never an exemplar
    { ...execution('', '2026-11-26T12:00:00.000Z', 13), task_id: undefined },
  ],
};

let rx: OtlpReceiver;
/** Traces on the way a user turns them on: OpenTelemetry's variables, read by the exporter's own settings. */
const traced = (env: NodeJS.ProcessEnv = { OTEL_EXPORTER_OTLP_ENDPOINT: rx.url, OTEL_METRICS_EXPORTER: 'none' }) => ({ traces: tracesSettings(env, defaultConfig()) });

let on: TestExporter;
let off: TestExporter;
beforeAll(async () => {
  rx = await startOtlpReceiver();
  // Two exporters on one workspace: the same files, mtimes included.
  on = await suiteScoped(() => startTestExporter({ files, config: { workspaceName: WORKSPACE }, otel: traced() }));
  off = await suiteScoped(() => startTestExporter({ workspace: on.workspace, config: { workspaceName: WORKSPACE } }));
});
afterAll(async () => {
  await cleanupSuite();
  await rx.close();
});
afterEach(cleanup);

async function metrics(url: string, accept?: string): Promise<string> {
  const res = await fetch(`${url}/metrics`, { headers: accept ? { accept } : {} });
  expect(res.status).toBe(200);
  return res.text();
}

/** The catalog's lines, but how long the exporter's own collections took: that differs between two exporters. */
const wvoLines = (body: string) => body.split('\n').filter((l) => /^(# (HELP|TYPE|UNIT) )?wvo_/.test(l) && !l.startsWith('wvo_collector_cycle_duration_seconds_'));

/** The span id of the line of `rel` holding `task`'s execution: from the file's device:inode and the line's byte offset. */
function spanOfLine(root: string, rel: string, task: string): string {
  const file = `${root}/${rel}`;
  const text = readFileSync(file, 'utf8');
  const at = text.indexOf(`"task_id":"${task}"`);
  const offset = Buffer.byteLength(text.slice(0, text.lastIndexOf('\n', at) + 1));
  return lineSpanIdOf(executions.id, fileKey(statSync(file)), offset);
}

describe('exemplars on wvo_execution_duration_seconds', () => {
  it('carry, in OpenMetrics with traces on, the trace id, span id, value and time of the latest execution in each bucket', async () => {
    const { exemplars, samples } = parseExposition(await metrics(on.url, OPENMETRICS));
    const ids = (task: string) => ({ trace_id: traceIdOf(WORKSPACE, task), span_id: spanOfLine(on.workspace.root, 'state/telemetry/executions.jsonl', task) });
    const found = exemplars.map((e) => ({ model: e.sample.labels.model, le: e.sample.labels.le, labels: e.labels, value: e.value, timestamp: e.timestamp }));
    expect(found).toEqual([
      { model: 'claude-sonnet-4-5', le: '15', labels: ids('T-2'), value: 14, timestamp: Date.parse('2026-11-26T09:30:00.250Z') / 1000 },
      { model: 'claude-sonnet-4-5', le: '300', labels: ids('T-1'), value: 250, timestamp: Date.parse('2026-11-26T10:00:00.000Z') / 1000 },
      { model: 'gpt-5-codex', le: '+Inf', labels: ids('T-3'), value: 9000, timestamp: Date.parse('2026-11-26T11:00:00.000Z') / 1000 },
    ]);
    expect(found.every((e) => /^[0-9a-f]{32}$/.test(e.labels.trace_id!) && /^[0-9a-f]{16}$/.test(e.labels.span_id!))).toBe(true);
    // the bucket samples themselves are untouched: cumulative counts as without exemplars
    const bucket = (le: string) => samples.find((s) => s.name === 'wvo_execution_duration_seconds_bucket' && s.labels.model === 'claude-sonnet-4-5' && s.labels.le === le)?.value;
    expect([bucket('15'), bucket('300'), bucket('+Inf')]).toEqual([3, 4, 4]);
    expect(DURATION_BUCKETS).toContain(15);
  });

  it('name the very span the receiver got for an execution appended after the start', async () => {
    // The OTLP exporter reads its endpoint from the environment itself; batches go within 50 ms.
    const own = await startOtlpReceiver();
    onCleanup(() => own.close());
    vi.stubEnv('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', `${own.url}/v1/traces`);
    vi.stubEnv('OTEL_BSP_SCHEDULE_DELAY', '50');
    onCleanup(() => void vi.unstubAllEnvs());
    const t = await startTestExporter({ files, config: { workspaceName: WORKSPACE, cacheTtlMs: 100 }, otel: traced(process.env) });
    await t.workspace.append('state/telemetry/executions.jsonl', JSON.stringify(execution('T-9', '2026-11-26T13:00:00.000Z', 0.4)) + '\n');
    const span = await eventually(() => {
      const s = own.spans.find((x) => x.attributes['wvo.task.id'] === 'T-9');
      expect(s).toBeDefined();
      return s!;
    });
    await eventually(async () => {
      const e = parseExposition(await metrics(t.url, OPENMETRICS)).exemplars.find((x) => x.value === 0.4);
      expect(e?.labels).toEqual({ trace_id: span.traceId, span_id: span.spanId });
    });
  });

  it('derive the trace id from the configured workspace name, or the root base name without one', async () => {
    const unnamed = await startTestExporter({ files, otel: traced() });
    const { exemplars } = parseExposition(await metrics(unnamed.url, OPENMETRICS));
    expect(exemplars.find((e) => e.value === 14)?.labels.trace_id).toBe(traceIdOf(workspaceName(unnamed.config), 'T-2'));
    expect(workspaceName(unnamed.config)).not.toBe(WORKSPACE);
  });

  it('are off with OTEL_TRACES_EXPORTER=none, though an OTLP endpoint is set', async () => {
    const none = traced({ OTEL_EXPORTER_OTLP_ENDPOINT: rx.url, OTEL_TRACES_EXPORTER: 'none' });
    expect(none.traces).toBeUndefined();
    const t = await startTestExporter({ workspace: on.workspace, config: { workspaceName: WORKSPACE }, otel: none });
    expect(parseExposition(await metrics(t.url, OPENMETRICS)).exemplars).toEqual([]);
  });

  it('are absent from OpenMetrics with traces off, which is otherwise the same exposition', async () => {
    const [withTraces, without] = await Promise.all([metrics(on.url, OPENMETRICS), metrics(off.url, OPENMETRICS)]);
    expect(parseExposition(without).exemplars).toEqual([]);
    expect(without).not.toContain(' # {');
    const stripped = wvoLines(withTraces).map((l) => l.replace(/ # \{[^}]*\} \S+ \S+$/, ''));
    expect(stripped).toEqual(wvoLines(without));
  });

  it('never reach the text format, which stays byte for byte what it is with traces off', async () => {
    const [withTraces, without] = await Promise.all([metrics(on.url), metrics(off.url)]);
    expect(withTraces).not.toContain(' # {');
    expect(wvoLines(withTraces)).toEqual(wvoLines(without));
    expect(wvoLines(withTraces).length).toBeGreaterThan(100);
    expect(parseExposition(withTraces).exemplars).toEqual([]);
  });

  it('are valid OpenMetrics on the sample workspace: every exemplar within its bucket and under 128 characters', async () => {
    const sample = await startTestExporter({ workspace: repoWorkspace(), otel: traced() });
    const { exemplars } = parseExposition(await metrics(sample.url, OPENMETRICS));
    expect(exemplars.length).toBeGreaterThan(5);
    expect(new Set(exemplars.map((e) => e.sample.name))).toEqual(new Set(['wvo_execution_duration_seconds_bucket']));
  });
});
