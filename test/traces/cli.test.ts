/**
 * The built CLI with traces on: the OTEL_* variables as a user sets them (a traces endpoint,
 * headers, gzip), the positions file written on a clean shutdown, exit 0.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { traceIdOf } from '../../src/tasks/ids.js';
import { startOtlpReceiver } from '../support/otlp-receiver.js';
import { cleanup, copySampleWorkspace, ensureBuilt, eventually, startCli, tempDir } from '../support/server.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 240_000 });
beforeAll(async () => {
  await ensureBuilt();
});
afterEach(cleanup);

describe('wvo-exporter with traces', () => {
  it('sends appended lines to OTEL_EXPORTER_OTLP_TRACES_ENDPOINT with the headers, gzip, and saves the positions on SIGTERM', async () => {
    const rx = await startOtlpReceiver();
    const ws = await copySampleWorkspace();
    const stateFile = path.join(await tempDir(), 'positions.json');
    const cli = await startCli({
      WVO_WORKSPACE_ROOT: ws.root,
      WVO_WORKSPACE_NAME: 'cli-traces',
      WVO_OBSERVABILITY_CACHE_TTL_MS: '100',
      WVO_TRACES_STATE_FILE: stateFile,
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${rx.url}/v1/traces`,
      OTEL_EXPORTER_OTLP_HEADERS: 'x-tenant=wvo-test,authorization=Bearer otlp-secret',
      OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'gzip',
      OTEL_BSP_SCHEDULE_DELAY: '50',
    });
    await cli.waitForLog((l) => l.msg === 'first collection finished', 'the first collection');
    const line = { timestamp: new Date().toISOString(), type: 'execution_summary', task_id: 'T-CLI', agent_type: 'codex', codex_model: 'gpt-5-codex', success: true, duration_seconds: 3 };
    await ws.append('state/telemetry/executions.jsonl', JSON.stringify(line) + '\n');
    await eventually(() => expect(rx.spans).toHaveLength(1), { timeoutMs: 20_000 });
    const req = rx.requests[0]!;
    expect(req.path).toBe('/v1/traces');
    expect(req.headers['content-encoding']).toBe('gzip');
    expect(req.headers['x-tenant']).toBe('wvo-test');
    expect(req.headers.authorization).toBe('Bearer otlp-secret');
    expect(rx.spans[0]).toMatchObject({ name: 'invoke_agent codex', traceId: traceIdOf('cli-traces', 'T-CLI') });
    expect(rx.spans[0]!.resource['service.name']).toBe('wvo-exporter');
    // the sample workspace's history is not sent: only what was appended
    expect(rx.requests.filter((r) => r.path === '/v1/metrics')).toEqual([]);

    cli.child.kill('SIGTERM');
    expect((await cli.exited).code, cli.stdout() + cli.stderr()).toBe(0);
    const saved = JSON.parse(await readFile(stateFile, 'utf8'));
    expect(saved.version).toBe(1);
    expect(Object.keys(saved.positions).length).toBeGreaterThan(0);
    expect(cli.stdout() + cli.stderr()).not.toContain('otlp-secret');
  });

  it('a hung receiver does not hold the shutdown (exit 0); the unsent line is left out of the positions and sent by the next run', async () => {
    const hung = await startOtlpReceiver('hang');
    const ws = await copySampleWorkspace();
    const stateFile = path.join(await tempDir(), 'positions.json');
    const env = { WVO_WORKSPACE_ROOT: ws.root, WVO_WORKSPACE_NAME: 'cli-traces', WVO_OBSERVABILITY_CACHE_TTL_MS: '100', WVO_TRACES_STATE_FILE: stateFile, OTEL_BSP_SCHEDULE_DELAY: '50' };
    const first = await startCli({ ...env, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${hung.url}/v1/traces` });
    await first.waitForLog((l) => l.msg === 'first collection finished', 'the first collection');
    const line = { timestamp: new Date().toISOString(), type: 'execution_summary', task_id: 'T-LATE', agent_type: 'codex', success: true };
    await ws.append('state/telemetry/executions.jsonl', JSON.stringify(line) + '\n');
    await eventually(() => expect(hung.requests.length).toBeGreaterThan(0), { timeoutMs: 20_000 });
    first.child.kill('SIGTERM');
    expect((await first.exited).code, first.stdout() + first.stderr()).toBe(0);

    const rx = await startOtlpReceiver();
    const second = await startCli({ ...env, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${rx.url}/v1/traces` });
    await eventually(() => expect(rx.spans.map((s) => s.attributes['wvo.task.id'])).toEqual(['T-LATE']), { timeoutMs: 20_000 });
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  });
});
