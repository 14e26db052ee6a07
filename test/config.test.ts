/** loadConfig and otlpSettings: SPEC §5 defaults, and every bad value a ConfigError naming its variable. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, defaultConfig, loadConfig, REPO_ROOT, workspaceName } from '../src/config.js';
import { otlpSettings } from '../src/metrics/otlp.js';
import { cleanup, tempDir } from './support/server.js';

afterEach(cleanup);

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

describe('loadConfig', () => {
  it('has the SPEC §5 defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      workspaceRoot: REPO_ROOT,
      host: '127.0.0.1',
      port: 3030,
      cacheTtlMs: 5000,
      streamIntervalMs: 1000,
      corsOrigin: '*',
      costPer1kTokens: 0.015,
      maxTaskSeries: 100,
      maxLineBytes: 1024 * 1024,
      sseMaxClients: 1000,
      rateLimitPerMin: 100,
      watch: true,
      logLevel: 'info',
    });
    expect(c.token).toBeUndefined();
    // the repository root is the default workspace: the bundled sample state/ lives there
    expect(path.basename(path.join(c.workspaceRoot, 'state'))).toBe('state');
    expect(defaultConfig({ port: 0 }).port).toBe(0);
  });

  it('reads valid values', () => {
    const c = loadConfig({
      WVO_WORKSPACE_ROOT: 'relative/ws',
      WVO_OBSERVABILITY_HOST: '0.0.0.0',
      WVO_OBSERVABILITY_PORT: '8080',
      WVO_OBSERVABILITY_CACHE_TTL_MS: '250',
      WVO_OBSERVABILITY_STREAM_INTERVAL_MS: '2000',
      WVO_OBSERVABILITY_CORS_ORIGIN: 'https://grafana.example.com',
      WVO_COST_PER_1K_TOKENS: '0.5',
      WVO_MAX_TASK_SERIES: '7',
      WVO_SSE_MAX_CLIENTS: '3',
      WVO_RATE_LIMIT_PER_MIN: '0',
      WVO_OBSERVABILITY_TOKEN: 'a-token-of-sixteen+',
      WVO_WATCH: 'false',
      LOG_LEVEL: 'debug',
    });
    expect(c).toMatchObject({
      workspaceRoot: path.resolve('relative/ws'),
      host: '0.0.0.0',
      port: 8080,
      cacheTtlMs: 250,
      streamIntervalMs: 2000,
      corsOrigin: 'https://grafana.example.com',
      costPer1kTokens: 0.5,
      maxTaskSeries: 7,
      sseMaxClients: 3,
      rateLimitPerMin: 0,
      token: 'a-token-of-sixteen+',
      watch: false,
      logLevel: 'debug',
    });
  });

  it('names the workspace by WVO_WORKSPACE_NAME, else by the base name of its root', () => {
    expect(workspaceName(loadConfig({ WVO_WORKSPACE_ROOT: '/srv/autopilots/alpha/' }))).toBe('alpha');
    expect(workspaceName(loadConfig({ WVO_WORKSPACE_ROOT: '/srv/alpha', WVO_WORKSPACE_NAME: '  weather-prod ' }))).toBe('weather-prod');
    expect(workspaceName(loadConfig({ WVO_WORKSPACE_ROOT: '/' }))).toBe('workspace');
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ WVO_OBSERVABILITY_PORT: '', LOG_LEVEL: '' })).toMatchObject({ port: 3030, logLevel: 'info' });
  });

  it.each([
    ['WVO_OBSERVABILITY_PORT', 'http'],
    ['WVO_OBSERVABILITY_PORT', '70000'],
    ['WVO_OBSERVABILITY_PORT', '-1'],
    ['WVO_OBSERVABILITY_PORT', '80.5'],
    ['WVO_OBSERVABILITY_HOST', 'bad host!'],
    ['WVO_OBSERVABILITY_CACHE_TTL_MS', '-5'],
    ['WVO_OBSERVABILITY_CACHE_TTL_MS', 'soon'],
    ['WVO_OBSERVABILITY_STREAM_INTERVAL_MS', '0'],
    ['WVO_COST_PER_1K_TOKENS', 'free'],
    ['WVO_COST_PER_1K_TOKENS', '-0.1'],
    ['WVO_MAX_TASK_SERIES', '0'],
    ['WVO_MAX_LINE_BYTES', '10'],
    ['WVO_SSE_MAX_CLIENTS', '0'],
    ['WVO_SSE_HEARTBEAT_MS', 'often'],
    ['WVO_RATE_LIMIT_PER_MIN', '-1'],
    ['WVO_RATE_LIMIT_PER_MIN', 'lots'],
    ['WVO_WATCH', 'maybe'],
    ['WVO_WORKSPACE_NAME', 'x'.repeat(101)],
    ['LOG_LEVEL', 'loud'],
  ])('rejects %s=%j naming the variable and the value', (variable, value) => {
    const err = configError(() => loadConfig({ [variable]: value }));
    expect(err.variable).toBe(variable);
    expect(err.message).toContain(variable);
    expect(err.message).toContain(value);
  });

  it('rejects a token shorter than 16 characters without echoing it', () => {
    const err = configError(() => loadConfig({ WVO_OBSERVABILITY_TOKEN: 'short-secret' }));
    expect(err.variable).toBe('WVO_OBSERVABILITY_TOKEN');
    expect(err.message).toContain('WVO_OBSERVABILITY_TOKEN');
    expect(err.message).not.toContain('short-secret');
  });

  describe('WVO_OBSERVABILITY_TOKEN_FILE', () => {
    it('reads the token, trimmed', async () => {
      const file = path.join(await tempDir(), 'token');
      await writeFile(file, '  file-token-0123456789abcdef\n');
      expect(loadConfig({ WVO_OBSERVABILITY_TOKEN_FILE: file }).token).toBe('file-token-0123456789abcdef');
    });

    it('an empty file leaves authentication off', async () => {
      const file = path.join(await tempDir(), 'token');
      await writeFile(file, '\n');
      expect(loadConfig({ WVO_OBSERVABILITY_TOKEN_FILE: file }).token).toBeUndefined();
    });

    it('rejects a file that cannot be read, and a directory', async () => {
      const dir = await tempDir();
      for (const file of [path.join(dir, 'missing'), dir]) {
        const err = configError(() => loadConfig({ WVO_OBSERVABILITY_TOKEN_FILE: file }));
        expect(err.variable).toBe('WVO_OBSERVABILITY_TOKEN_FILE');
        expect(err.message).toContain(file);
      }
    });

    it('rejects a short token in the file without echoing it', async () => {
      const dir = await tempDir();
      await mkdir(dir, { recursive: true });
      const file = path.join(dir, 'token');
      await writeFile(file, 'tiny-secret');
      const err = configError(() => loadConfig({ WVO_OBSERVABILITY_TOKEN_FILE: file }));
      expect(err.variable).toBe('WVO_OBSERVABILITY_TOKEN_FILE');
      expect(err.message).not.toContain('tiny-secret');
    });

    it('rejects setting both the token and the token file', async () => {
      const file = path.join(await tempDir(), 'token');
      await writeFile(file, 'file-token-0123456789abcdef');
      const err = configError(() => loadConfig({ WVO_OBSERVABILITY_TOKEN: 'env-token-0123456789abcdef', WVO_OBSERVABILITY_TOKEN_FILE: file }));
      expect(err.message).toMatch(/WVO_OBSERVABILITY_TOKEN_FILE/);
      expect(err.message).not.toContain('env-token-0123456789abcdef');
      expect(err.message).not.toContain('file-token-0123456789abcdef');
    });
  });
});

describe('otlpSettings', () => {
  it('is undefined without an OTLP endpoint: no OTel work at all', () => {
    expect(otlpSettings({})).toBeUndefined();
    expect(otlpSettings({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_METRIC_EXPORT_INTERVAL: '200' })).toBeUndefined();
    // a bad protocol does not matter while OTLP is off
    expect(otlpSettings({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toBeUndefined();
  });

  it('is on with either endpoint variable, with the OTel defaults', () => {
    expect(otlpSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })).toEqual({ protocol: 'http/protobuf', intervalMs: 60_000, timeoutMs: 30_000 });
    expect(otlpSettings({ OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://127.0.0.1:4318/v1/metrics' })?.protocol).toBe('http/protobuf');
    expect(
      otlpSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_METRIC_EXPORT_INTERVAL: '200' }),
    ).toEqual({ protocol: 'http/json', intervalMs: 200, timeoutMs: 200 });
    expect(otlpSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json' })?.protocol).toBe('http/json');
  });

  it.each([
    [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'OTEL_EXPORTER_OTLP_PROTOCOL', 'grpc'],
    [{ OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'thrift' }, 'OTEL_EXPORTER_OTLP_METRICS_PROTOCOL', 'thrift'],
    [{ OTEL_METRIC_EXPORT_INTERVAL: 'often' }, 'OTEL_METRIC_EXPORT_INTERVAL', 'often'],
    [{ OTEL_METRIC_EXPORT_INTERVAL: '-5' }, 'OTEL_METRIC_EXPORT_INTERVAL', '-5'],
    [{ OTEL_METRIC_EXPORT_TIMEOUT: '0' }, 'OTEL_METRIC_EXPORT_TIMEOUT', '0'],
  ])('rejects %j naming %s', (env, variable, value) => {
    const err = configError(() => otlpSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', ...env }));
    expect(err.variable).toBe(variable);
    expect(err.message).toContain(variable);
    expect(err.message).toContain(value);
  });
});
