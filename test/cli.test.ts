/** The built CLI (node dist/cli.js): configuration errors exit 2, signals exit 0 after a clean shutdown, warnings. */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { cleanup, copySampleWorkspace, ensureBuilt, request, spawnCli, SseClient, startCli, tempDir } from './support/server.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 240_000 });

beforeAll(async () => {
  await ensureBuilt();
});
afterEach(cleanup);

const TOKEN = 'cli-token-0123456789abcdef';

describe('configuration errors', () => {
  const cases: [string, Record<string, string>, string, string | undefined][] = [
    ['non-numeric port', { WVO_OBSERVABILITY_PORT: 'http' }, 'WVO_OBSERVABILITY_PORT', 'http'],
    ['port out of range', { WVO_OBSERVABILITY_PORT: '70000' }, 'WVO_OBSERVABILITY_PORT', '70000'],
    ['negative TTL', { WVO_OBSERVABILITY_CACHE_TTL_MS: '-5' }, 'WVO_OBSERVABILITY_CACHE_TTL_MS', '-5'],
    ['bad log level', { LOG_LEVEL: 'loud' }, 'LOG_LEVEL', 'loud'],
    ['bad rate limit', { WVO_RATE_LIMIT_PER_MIN: 'lots' }, 'WVO_RATE_LIMIT_PER_MIN', 'lots'],
    ['short token', { WVO_OBSERVABILITY_TOKEN: 'tiny-secret' }, 'WVO_OBSERVABILITY_TOKEN', undefined],
    ['missing token file', { WVO_OBSERVABILITY_TOKEN_FILE: '/nonexistent/wvo/token' }, 'WVO_OBSERVABILITY_TOKEN_FILE', '/nonexistent/wvo/token'],
    [
      'bad OTLP protocol',
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
      'OTEL_EXPORTER_OTLP_PROTOCOL',
      'grpc',
    ],
    ['unknown traces exporter', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_TRACES_EXPORTER: 'zipkin' }, 'OTEL_TRACES_EXPORTER', 'zipkin'],
    [
      'traces positions file in a missing directory',
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', WVO_TRACES_STATE_FILE: '/nonexistent/wvo/positions.json' },
      'WVO_TRACES_STATE_FILE',
      '/nonexistent/wvo/positions.json',
    ],
  ];

  it.each(cases)('%s: exits 2 naming the variable', async (_what, env, variable, value) => {
    const cli = spawnCli(env);
    const { code } = await cli.exited;
    expect(code, cli.stderr()).toBe(2);
    expect(cli.stderr()).toContain(variable);
    if (value) expect(cli.stderr()).toContain(value);
    expect(cli.stderr()).not.toMatch(/\n\s+at /); // a message, not a stack trace
    expect(cli.stderr()).not.toContain('tiny-secret');
    expect(cli.stdout()).not.toContain('wvo-exporter listening');
  });

  it('both a token and a token file: exits 2 naming the token file variable', async () => {
    const file = path.join(await tempDir(), 'token');
    await writeFile(file, TOKEN);
    const cli = spawnCli({ WVO_OBSERVABILITY_TOKEN: TOKEN, WVO_OBSERVABILITY_TOKEN_FILE: file });
    expect((await cli.exited).code).toBe(2);
    expect(cli.stderr()).toContain('WVO_OBSERVABILITY_TOKEN_FILE');
    expect(cli.stderr()).not.toContain(TOKEN);
  });
});

describe('signals', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('%s after serving requests, with a stream open: the stream ends and the exit code is 0', async (signal) => {
    const ws = await copySampleWorkspace();
    const cli = await startCli({ WVO_WORKSPACE_ROOT: ws.root, WVO_OBSERVABILITY_STREAM_INTERVAL_MS: '60000' });
    expect((await request(`${cli.url}/api/metrics/tasks`)).status).toBe(200);
    expect((await request(`${cli.url}/metrics`)).status).toBe(200);
    const stream = await SseClient.open(`${cli.url}/api/metrics/stream`);
    await stream.event(1);
    cli.child.kill(signal);
    await stream.waitForEnd();
    const { code, signal: killedBy } = await cli.exited;
    expect(killedBy).toBeNull();
    expect(code, cli.stdout() + cli.stderr()).toBe(0); // the CLI exits 1 itself past its 5 s deadline
    expect(cli.logs().some((l) => l.msg === 'shutting down' && l.signal === signal)).toBe(true);
    await expect(fetch(`${cli.url}/healthz`)).rejects.toThrow();
  });
});

describe('warnings and logs', () => {
  it('warns when listening on a non-loopback address without a token', async () => {
    const ws = await copySampleWorkspace();
    const cli = await startCli({ WVO_WORKSPACE_ROOT: ws.root, WVO_OBSERVABILITY_HOST: '0.0.0.0' });
    const warning = await cli.waitForLog((l) => l.level === 40 && /non-loopback/.test(String(l.msg)), 'the non-loopback warning');
    expect(warning.msg).toMatch(/WVO_OBSERVABILITY_TOKEN/);
    cli.child.kill('SIGTERM');
    expect((await cli.exited).code, cli.stdout() + cli.stderr()).toBe(0);
  });

  it('does not warn on loopback, nor on a non-loopback address with a token', async () => {
    const ws = await copySampleWorkspace();
    const loopback = await startCli({ WVO_WORKSPACE_ROOT: ws.root });
    const withToken = await startCli({ WVO_WORKSPACE_ROOT: ws.root, WVO_OBSERVABILITY_HOST: '0.0.0.0', WVO_OBSERVABILITY_TOKEN: TOKEN });
    for (const cli of [loopback, withToken]) {
      cli.child.kill('SIGTERM');
      expect((await cli.exited).code, cli.stdout() + cli.stderr()).toBe(0);
      expect(cli.logs().filter((l) => /non-loopback/.test(String(l.msg)))).toEqual([]);
    }
  });

  it('never logs the token, even at trace level', async () => {
    const ws = await copySampleWorkspace();
    const cli = await startCli({ WVO_WORKSPACE_ROOT: ws.root, WVO_OBSERVABILITY_TOKEN: TOKEN, LOG_LEVEL: 'trace' });
    const wrong = 'wrong-cli-token-0123456789';
    for (const headers of [{}, { authorization: `Bearer ${TOKEN}` }, { authorization: `Bearer ${wrong}` }] as Record<string, string>[]) {
      for (const route of ['/metrics', '/api/metrics/tasks', '/api/metrics/export/resolution', '/nope']) await request(`${cli.url}${route}`, { headers });
    }
    for (const token of [TOKEN, wrong]) {
      await request(`${cli.url}/api/metrics/usage?access_token=${token}`);
      const s = await SseClient.open(`${cli.url}/api/metrics/stream?access_token=${token}`);
      s.close();
    }
    cli.child.kill('SIGTERM');
    expect((await cli.exited).code, cli.stdout() + cli.stderr()).toBe(0);
    const output = cli.stdout() + cli.stderr();
    expect(cli.logs().length).toBeGreaterThan(2);
    expect(output).not.toContain(TOKEN);
    expect(output).not.toContain(wrong);
  });
});
