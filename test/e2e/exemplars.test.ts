/**
 * Exemplars end to end: Debian's Prometheus with exemplar storage on scrapes the built exporter
 * (traces on, so /metrics in OpenMetrics carries exemplars; Prometheus asks for OpenMetrics
 * first) and /api/v1/query_exemplars returns the trace id of the task whose execution was appended.
 */
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { traceIdOf } from '../../src/tasks/ids.js';
import { ensureBuilt, startCli, type CliProcess } from '../support/cli.js';
import { freePort, run, stopChild, waitFor } from '../support/process.js';
import { startPrometheus, type RunningPrometheus } from '../support/prometheus.js';

const WORKSPACE = 'e2e-exemplars';
const TASK = 'EX-42';

let tmp: string;
let exporter: CliProcess & { url: string };
let prom: RunningPrometheus;

interface ExemplarAnswer {
  status: string;
  error?: string;
  data: { seriesLabels: Record<string, string>; exemplars: { labels: Record<string, string>; value: string; timestamp: number }[] }[];
}

async function queryExemplars(expr: string, start: number, end: number): Promise<ExemplarAnswer> {
  const res = await fetch(`${prom.url}/api/v1/query_exemplars?query=${encodeURIComponent(expr)}&start=${start}&end=${end}`);
  return (await res.json()) as ExemplarAnswer;
}

const execution = (taskId: string, durationSeconds: number) =>
  JSON.stringify({ type: 'execution_summary', timestamp: new Date().toISOString(), task_id: taskId, agent_type: 'codex', codex_model: 'gpt-5-codex', success: true, duration_seconds: durationSeconds, prompt_tokens: 100, completion_tokens: 50, token_cost_usd: 0.01 }) + '\n';

beforeAll(async () => {
  expect(run('prometheus', ['--version']).status, 'Debian prometheus must be installed (apt-get install -y prometheus)').toBe(0);
  await ensureBuilt();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'wvo-e2e-exemplars-'));
  const workspace = path.join(tmp, 'workspace');
  mkdirSync(path.join(workspace, 'state/telemetry'), { recursive: true });
  appendFileSync(path.join(workspace, 'state/telemetry/executions.jsonl'), execution('EX-1', 3));
  // Traces on by OpenTelemetry's variable; nothing listens there (the traces are not under test here).
  const nowhere = await freePort();
  exporter = await startCli({
    WVO_WORKSPACE_ROOT: workspace,
    WVO_WORKSPACE_NAME: WORKSPACE,
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${nowhere}/v1/traces`,
  });
  const target = new URL(exporter.url).host;
  prom = await startPrometheus(
    tmp,
    { global: { scrape_interval: '1s', scrape_timeout: '1s' }, scrape_configs: [{ job_name: 'wvo-exporter', static_configs: [{ targets: [target] }] }] },
    ['--enable-feature=exemplar-storage'],
  );
  await waitFor(async () => (await prom.query('up{job="wvo-exporter"} == 1')).data.result.length === 1, 60_000, 'a successful scrape');
  // Appended while Prometheus scrapes: the execution of TASK, 250 s, in bucket le=300.
  appendFileSync(path.join(workspace, 'state/telemetry/executions.jsonl'), execution(TASK, 250));
}, 180_000);

afterAll(async () => {
  await stopChild(prom?.child);
  if (exporter) {
    exporter.child.kill('SIGTERM');
    await exporter.exited;
  }
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('Prometheus with exemplar storage scraping the exporter in OpenMetrics', () => {
  it('returns the appended execution\'s trace and span ids from /api/v1/query_exemplars, on its bucket', async () => {
    const start = Math.floor(Date.now() / 1000) - 600;
    const expected = traceIdOf(WORKSPACE, TASK);
    const found = await waitFor(
      async () => {
        const r = await queryExemplars('wvo_execution_duration_seconds_bucket', start, Math.ceil(Date.now() / 1000) + 60);
        expect(r.status, r.error).toBe('success');
        return r.data.find((s) => s.exemplars.some((e) => e.labels.trace_id === expected));
      },
      30_000,
      `an exemplar with trace_id ${expected}\n${prom.output()}`,
    );
    expect(found.seriesLabels).toMatchObject({ __name__: 'wvo_execution_duration_seconds_bucket', agent_type: 'codex', model: 'gpt-5-codex', le: '300', job: 'wvo-exporter' });
    const exemplar = found.exemplars.find((e) => e.labels.trace_id === expected)!;
    expect(Number(exemplar.value)).toBe(250);
    // with the execution's own span: its line's id, as the traces carry it
    expect(exemplar.labels.span_id).toMatch(/^[0-9a-f]{16}$/);
    // and the first execution's on its own bucket
    const r = await queryExemplars('wvo_execution_duration_seconds_bucket{le="5"}', start, Math.ceil(Date.now() / 1000) + 60);
    expect(r.data.flatMap((s) => s.exemplars.map((e) => e.labels.trace_id))).toContain(traceIdOf(WORKSPACE, 'EX-1'));
  });

  it('parsed the exposition as OpenMetrics: no scrape errors, the counters read with _total', async () => {
    expect((await prom.query('up{job="wvo-exporter"}')).data.result[0]!.value[1]).toBe('1');
    expect((await prom.query('wvo_executions_total')).data.result.length).toBeGreaterThan(0);
  });
});
