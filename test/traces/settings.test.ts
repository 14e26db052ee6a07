/** When traces are on, and which OTEL_* and WVO_TRACES_STATE_FILE values exit 2 naming themselves. */
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { writePositions } from '../../src/traces/positions.js';
import { tracesSettings } from '../../src/traces/settings.js';
import { cleanup, tempDir } from '../support/server.js';

afterEach(cleanup);

const ON = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' };
const settings = (env: Record<string, string>, stateFile?: string, workspaceRoot = '/nonexistent/workspace') => tracesSettings(env, { tracesStateFile: stateFile, workspaceRoot });

function configError(f: () => unknown): ConfigError {
  try {
    f();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('no ConfigError');
}

describe('tracesSettings', () => {
  it('is off without an endpoint, and with OTEL_TRACES_EXPORTER=none', () => {
    expect(settings({})).toBeUndefined();
    expect(settings({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_BSP_MAX_QUEUE_SIZE: 'x' })).toBeUndefined();
    expect(settings({ ...ON, OTEL_TRACES_EXPORTER: 'none' })).toBeUndefined();
    // a metrics-only endpoint does not turn traces on
    expect(settings({ OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://127.0.0.1:4318/v1/metrics' })).toBeUndefined();
  });

  it('is on with either endpoint, with the SDK defaults; the traces variables win over the general ones', () => {
    expect(settings(ON)).toEqual({ protocol: 'http/protobuf', maxQueueSize: 2048, maxExportBatchSize: 512, scheduledDelayMs: 5000, exportTimeoutMs: 30_000, stateFile: undefined });
    expect(settings({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://x:4318/v1/traces', OTEL_TRACES_EXPORTER: 'otlp' })?.protocol).toBe('http/protobuf');
    expect(settings({ ...ON, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' })?.protocol).toBe('http/json');
    expect(settings({ ...ON, OTEL_BSP_MAX_QUEUE_SIZE: '10', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '50' })).toMatchObject({ maxQueueSize: 10, maxExportBatchSize: 10 });
  });

  it.each([
    [{ OTEL_TRACES_EXPORTER: 'jaeger' }, 'OTEL_TRACES_EXPORTER', 'jaeger'],
    [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'OTEL_EXPORTER_OTLP_PROTOCOL', 'grpc'],
    [{ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'thrift' }, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'thrift'],
    [{ OTEL_EXPORTER_OTLP_TIMEOUT: 'soon' }, 'OTEL_EXPORTER_OTLP_TIMEOUT', 'soon'],
    [{ OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '0' }, 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', '0'],
    [{ OTEL_EXPORTER_OTLP_COMPRESSION: 'zstd' }, 'OTEL_EXPORTER_OTLP_COMPRESSION', 'zstd'],
    [{ OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'brotli' }, 'OTEL_EXPORTER_OTLP_TRACES_COMPRESSION', 'brotli'],
    [{ OTEL_BSP_MAX_QUEUE_SIZE: '-1' }, 'OTEL_BSP_MAX_QUEUE_SIZE', '-1'],
    [{ OTEL_BSP_SCHEDULE_DELAY: 'often' }, 'OTEL_BSP_SCHEDULE_DELAY', 'often'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost:4318' }, 'OTEL_EXPORTER_OTLP_ENDPOINT', 'localhost:4318'],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'grpc://tempo:4317' }, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'grpc://tempo:4317'],
  ])('rejects %j naming %s', (env, variable, value) => {
    const err = configError(() => settings({ ...ON, ...env }));
    expect(err.variable).toBe(variable);
    expect(err.message).toContain(value);
  });

  it('a bad OTEL_METRICS_EXPORTER is refused too, naming it', async () => {
    const { otlpSettings } = await import('../../src/metrics/otlp.js');
    expect(configError(() => otlpSettings({ ...ON, OTEL_METRICS_EXPORTER: 'prometheus' })).variable).toBe('OTEL_METRICS_EXPORTER');
  });
});

describe('WVO_TRACES_STATE_FILE', () => {
  it('is a config variable; a missing file is a first run, a saved one naming the logs\' files is resumed from', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'positions.json');
    expect(loadConfig({ WVO_TRACES_STATE_FILE: file }).tracesStateFile).toBe(file);
    expect(settings(ON, file, dir)?.stateFile).toEqual({ file });
    // the workspace's executions log, rotated into its archives: still its file
    const log = path.join(dir, 'state/telemetry/executions.jsonl');
    await mkdir(path.join(dir, 'state/telemetry/archives'), { recursive: true });
    await writeFile(log, '{}\n');
    const st = await stat(log);
    await rename(log, path.join(dir, 'state/telemetry/archives/executions_2026-11-27T10-00-00-000Z.jsonl'));
    const saved = { positions: { [`${st.dev}:${st.ino}`]: 3, '1:2': 30 }, roots: ['T-1'] };
    await writePositions(file, saved);
    expect(settings(ON, file, dir)?.stateFile).toEqual({ file, saved });
  });

  it('positions that name none of the logs\' files (another workspace, a restore) are not resumed from', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'positions.json');
    await mkdir(path.join(dir, 'state/analytics'), { recursive: true });
    await writeFile(path.join(dir, 'state/analytics/quality_gate_decisions.jsonl'), '{}\n');
    await writePositions(file, { positions: { '1:2': 30 }, roots: ['T-1'] });
    expect(settings(ON, file, dir)?.stateFile).toEqual({ file, discarded: { reason: 'foreign' } });
    // empty positions (no log existed when saved) stay valid: every file now is new
    await writePositions(file, { positions: {}, roots: [] });
    expect(settings(ON, file, dir)?.stateFile).toEqual({ file, saved: { positions: {}, roots: [] } });
  });

  it('a backlog since the positions larger than the queue could take at once is not replayed', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'positions.json');
    const log = path.join(dir, 'state/telemetry/executions.jsonl');
    await mkdir(path.dirname(log), { recursive: true });
    await writeFile(log, 'x'.repeat(10_000));
    const st = await stat(log);
    const key = `${st.dev}:${st.ino}`;
    // queue of 4 spans: a budget of 8 KB
    await writePositions(file, { positions: { [key]: 1000 }, roots: [] });
    expect(settings({ ...ON, OTEL_BSP_MAX_QUEUE_SIZE: '4' }, file, dir)?.stateFile).toEqual({ file, discarded: { reason: 'backlog', bytes: 9000, budget: 8192 } });
    await writePositions(file, { positions: { [key]: 5000 }, roots: [] });
    expect(settings({ ...ON, OTEL_BSP_MAX_QUEUE_SIZE: '4' }, file, dir)?.stateFile?.saved?.positions).toEqual({ [key]: 5000 });
  });

  it('a corrupt file or a missing directory exits 2 naming the variable', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'positions.json');
    await writeFile(file, '{"version":2}');
    expect(configError(() => settings(ON, file)).variable).toBe('WVO_TRACES_STATE_FILE');
    expect(configError(() => settings(ON, path.join(dir, 'nope', 'positions.json'))).message).toMatch(/WVO_TRACES_STATE_FILE.*does not exist/);
  });
});
