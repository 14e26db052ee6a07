/**
 * The GenAI client metrics over OTLP (issue 20): gen_ai.client.token.usage and
 * gen_ai.client.operation.duration, pushed beside the catalog, decoded from protobuf with the
 * official .proto files. Expectations come from the fixture lines written here.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultConfig } from '../../src/config.js';
import { otlpSettings } from '../../src/metrics/otlp.js';
import { startOtlpReceiver, type ReceivedHistogramPoint } from '../support/otlp-receiver.js';
import { cleanup, createWorkspace, eventually, startTestExporter } from '../support/server.js';

vi.setConfig({ testTimeout: 60_000 });
afterEach(async () => {
  await cleanup();
  vi.unstubAllEnvs();
});

// The conventions' advised boundaries, as the specification lists them.
const TOKEN_BOUNDS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];
const DURATION_BOUNDS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];

const line = (model: string, prompt: number, completion: number, seconds: number, failure?: string) =>
  JSON.stringify({
    timestamp: '2026-11-27T10:00:00.000Z',
    type: 'execution_summary',
    task_id: 'T-1',
    agent_type: 'claude_code',
    model,
    success: failure === undefined,
    ...(failure !== undefined && { failure_type: failure }),
    final_status: failure === undefined ? 'completed' : 'failed',
    duration_seconds: seconds,
    prompt_tokens: prompt,
    completion_tokens: completion,
  }) + '\n';

/** The bucket index an observation falls in (upper bounds inclusive, as OTLP's explicit buckets). */
const bucketOf = (bounds: number[], v: number) => {
  const i = bounds.findIndex((b) => v <= b);
  return i === -1 ? bounds.length : i;
};
const counts = (bounds: number[], values: number[]) => {
  const out = new Array<number>(bounds.length + 1).fill(0);
  for (const v of values) out[bucketOf(bounds, v)]!++;
  return out;
};

describe('GenAI client metrics over OTLP/HTTP protobuf', () => {
  it('token usage and operation duration histograms with the conventions\' names, units, boundaries and attributes', async () => {
    const rx = await startOtlpReceiver();
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', rx.url);
    vi.stubEnv('OTEL_TRACES_EXPORTER', 'none');
    vi.stubEnv('OTEL_METRIC_EXPORT_INTERVAL', '100');
    const metrics = otlpSettings(process.env);
    expect(metrics?.protocol).toBe('http/protobuf');
    // A line without a task id counts too: the metrics cover every execution, like the catalog's.
    const noTask = JSON.stringify({ timestamp: '2026-11-27T10:00:00.000Z', type: 'execution_summary', agent_type: 'codex', codex_model: 'gpt-5', success: true, duration_seconds: 0.5, prompt_tokens: 3, completion_tokens: 1 }) + '\n';
    await startTestExporter({
      files: {
        'state/telemetry/executions.jsonl':
          line('claude-sonnet-4-5', 1000, 200, 30) + line('claude-sonnet-4-5', 70_000, 5, 200, 'timeout') + line('claude-sonnet-4-5', 10, 0, 2) + noTask,
      },
      config: { ...defaultConfig(), cacheTtlMs: 100 },
      otel: { metrics },
    });
    const got = await eventually(() => {
      const m = rx.latestMetrics()?.filter((x) => x.name.startsWith('gen_ai.'));
      if (!m?.length || !m.some((x) => x.histogram?.points.length)) throw new Error('no GenAI metrics yet');
      return m;
    }, { timeoutMs: 20_000 });
    expect(rx.requests.some((r) => r.path === '/v1/metrics' && r.contentType === 'application/x-protobuf')).toBe(true);
    const byName = new Map(got.map((m) => [m.name, m]));
    const tokens = byName.get('gen_ai.client.token.usage')!;
    const duration = byName.get('gen_ai.client.operation.duration')!;
    expect(tokens.unit).toBe('{token}');
    expect(duration.unit).toBe('s');
    expect(tokens.histogram!.temporality).toBe(2); // CUMULATIVE, like the catalog

    const point = (points: ReceivedHistogramPoint[], attrs: Record<string, string>) => {
      const found = points.filter((p) => Object.keys(p.attributes).length === Object.keys(attrs).length && Object.entries(attrs).every(([k, v]) => p.attributes[k] === v));
      expect(found, JSON.stringify(attrs)).toHaveLength(1);
      return found[0]!;
    };
    const claude = { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.request.model': 'claude-sonnet-4-5', 'gen_ai.provider.name': 'anthropic' };
    const input = point(tokens.histogram!.points, { ...claude, 'gen_ai.token.type': 'input' });
    expect(input.explicitBounds).toEqual(TOKEN_BOUNDS);
    expect(input.bucketCounts).toEqual(counts(TOKEN_BOUNDS, [1000, 70_000, 10]));
    expect([input.count, input.sum]).toEqual([3, 71_010]);
    const output = point(tokens.histogram!.points, { ...claude, 'gen_ai.token.type': 'output' });
    expect(output.bucketCounts).toEqual(counts(TOKEN_BOUNDS, [200, 5, 0]));
    expect(point(tokens.histogram!.points, { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.request.model': 'gpt-5', 'gen_ai.provider.name': 'openai', 'gen_ai.token.type': 'input' }).count).toBe(1);

    const ok = point(duration.histogram!.points, claude);
    expect(ok.explicitBounds).toEqual(DURATION_BOUNDS);
    expect(ok.bucketCounts).toEqual(counts(DURATION_BOUNDS, [30, 2]));
    const failed = point(duration.histogram!.points, { ...claude, 'error.type': 'timeout' });
    expect([failed.count, failed.sum]).toEqual([1, 200]);
    // the catalog still goes out beside them
    expect(rx.latestMetrics()!.some((m) => m.name === 'wvo_execution_duration_seconds')).toBe(true);
  });

  it('OTEL_METRICS_EXPORTER=none turns the metrics push off', () => {
    expect(otlpSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_METRICS_EXPORTER: 'none' })).toBeUndefined();
    expect(otlpSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_METRICS_EXPORTER: 'otlp' })?.protocol).toBe('http/protobuf');
  });
});
