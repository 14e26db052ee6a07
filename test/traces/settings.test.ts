/** When traces are on, and which OTEL_* and WVO_TRACES_STATE_FILE values exit 2 naming themselves. */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { writePositions } from '../../src/traces/positions.js';
import { tracesSettings } from '../../src/traces/settings.js';
import { cleanup, tempDir } from '../support/server.js';

afterEach(cleanup);

const ON = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' };
const settings = (env: Record<string, string>, stateFile?: string) => tracesSettings(env, { tracesStateFile: stateFile });

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
  it('is a config variable; a missing file is a first run, a saved one is read', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'positions.json');
    expect(loadConfig({ WVO_TRACES_STATE_FILE: file }).tracesStateFile).toBe(file);
    expect(settings(ON, file)?.stateFile).toEqual({ file, saved: undefined });
    await writePositions(file, { positions: { '1:2': 30 }, roots: ['T-1'] });
    expect(settings(ON, file)?.stateFile).toEqual({ file, saved: { positions: { '1:2': 30 }, roots: ['T-1'] } });
  });

  it('a corrupt file or a missing directory exits 2 naming the variable', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'positions.json');
    await writeFile(file, '{"version":2}');
    expect(configError(() => settings(ON, file)).variable).toBe('WVO_TRACES_STATE_FILE');
    expect(configError(() => settings(ON, path.join(dir, 'nope', 'positions.json'))).message).toMatch(/WVO_TRACES_STATE_FILE.*does not exist/);
  });
});
