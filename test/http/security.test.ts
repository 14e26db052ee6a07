/** Issue 5: bearer authentication, rate limiting and HTTP hygiene, over real HTTP. */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.js';
import {
  cleanup,
  knownFixture,
  request,
  SseClient,
  startTestExporter,
  tempDir,
  type RawResponse,
} from '../support/server.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });
afterEach(cleanup);

const f = knownFixture();
const TOKEN = 'test-token-0123456789abcdef';
const PROTECTED = [
  '/',
  '/metrics',
  '/api/metrics/tasks',
  '/api/metrics/quality_gates',
  '/api/metrics/resolution',
  '/api/metrics/resources',
  '/api/metrics/usage',
  '/api/metrics/export/tasks',
  '/api/metrics/export/resolution',
  '/api/metrics/stream',
];
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** GET that does not wait for the end of a stream: status and headers only. */
async function status(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers }> {
  const controller = new AbortController();
  const res = await fetch(url, { headers, signal: controller.signal });
  controller.abort();
  return { status: res.status, headers: res.headers };
}

function expectJsonError(res: RawResponse) {
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = JSON.parse(res.body);
  expect(Object.keys(body)).toEqual(['error']);
  expect(typeof body.error).toBe('string');
  expect(res.body).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
}

function expectSecurityHeaders(res: RawResponse, what: string) {
  expect(res.headers['x-powered-by'], what).toBeUndefined();
  expect(res.headers['x-content-type-options'], what).toBe('nosniff');
  expect(res.headers['x-frame-options'], what).toBeDefined();
  expect(res.headers['content-security-policy'], what).toMatch(/default-src 'none'/);
  expect(res.headers['referrer-policy'], what).toBe('no-referrer');
  expect(res.headers['cache-control'], what).toBe('no-store');
}

describe('bearer authentication', () => {
  // With the rate limit off the hot routes take the exporter's fast path, which must check the token too.
  const PATHS = [
    ['express', 100],
    ['fast path', 0],
  ] as const;

  it.each(PATHS)('protects /, /api/* and /metrics (%s): 401 with WWW-Authenticate without or with a wrong token, 200 with it', async (_path, rateLimitPerMin) => {
    const t = await startTestExporter({ files: f.files, config: { token: TOKEN, rateLimitPerMin } });
    for (const route of PROTECTED) {
      const none = await request(`${t.url}${route}`);
      expect(none.status, route).toBe(401);
      expect(none.headers['www-authenticate'], route).toMatch(/^Bearer( |$)/);
      expectJsonError(none);
      for (const headers of [bearer('wrong-token-0123456789abcdef'), bearer(TOKEN.slice(0, -1)), bearer(`${TOKEN}x`), { authorization: `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}` }, { authorization: TOKEN }]) {
        const wrong = await request(`${t.url}${route}`, { headers });
        expect(wrong.status, `${route} ${headers.authorization}`).toBe(401);
        expect(wrong.headers['www-authenticate'], route).toMatch(/^Bearer( |$)/);
      }
      expect((await status(`${t.url}${route}`, bearer(TOKEN))).status, route).toBe(200);
      expect((await status(`${t.url}${route}`, { authorization: `bearer ${TOKEN}` })).status, route).toBe(200);
    }
  });

  it('leaves /healthz and CORS preflights open', async () => {
    const t = await startTestExporter({ files: f.files, config: { token: TOKEN } });
    expect((await request(`${t.url}/healthz`)).status).toBe(200);
    for (const route of PROTECTED) expect((await request(`${t.url}${route}`, { method: 'OPTIONS' })).status, route).toBe(204);
  });

  it.each(PATHS)('accepts ?access_token= on the stream route only (%s)', async (_path, rateLimitPerMin) => {
    const t = await startTestExporter({ files: f.files, config: { token: TOKEN, streamIntervalMs: 60_000, rateLimitPerMin } });
    const q = `access_token=${encodeURIComponent(TOKEN)}`;
    for (const route of PROTECTED.filter((r) => r !== '/api/metrics/stream')) {
      expect((await request(`${t.url}${route}?${q}`)).status, route).toBe(401);
    }
    const stream = await SseClient.open(`${t.url}/api/metrics/stream?${q}`);
    expect(stream.status).toBe(200);
    expect((await stream.event(1)).tasks.tasksByState.pending).toBe(f.latest.pendingCount);
    stream.close();
    expect((await request(`${t.url}/api/metrics/stream?access_token=wrong-token-0123456789abcdef`)).status).toBe(401);
    expect((await request(`${t.url}/api/metrics/stream?access_token=`)).status).toBe(401);
  });

  it('reads the token from WVO_OBSERVABILITY_TOKEN_FILE', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'token');
    await writeFile(file, `${TOKEN}\n`);
    const t = await startTestExporter({ files: f.files, baseConfig: loadConfig({ WVO_OBSERVABILITY_TOKEN_FILE: file }) });
    expect((await request(`${t.url}/metrics`)).status).toBe(401);
    expect((await request(`${t.url}/metrics`, { headers: bearer(TOKEN) })).status).toBe(200);
    expect((await request(`${t.url}/api/metrics/usage`, { headers: bearer(TOKEN) })).status).toBe(200);
  });

  it('never writes the token to the logs', async () => {
    const out = new PassThrough();
    let logged = '';
    out.on('data', (d: Buffer) => (logged += d.toString()));
    const logger = pino({ level: 'trace' }, out);
    const t = await startTestExporter({ files: f.files, config: { token: TOKEN, streamIntervalMs: 60_000 }, logger });
    const wrong = 'wrong-secret-0123456789abcdef';
    for (const headers of [{}, bearer(TOKEN), bearer(wrong)]) {
      for (const route of [...PROTECTED.filter((r) => !r.endsWith('stream')), '/nope', '/healthz']) await request(`${t.url}${route}`, { headers });
    }
    for (const token of [TOKEN, wrong]) {
      await request(`${t.url}/api/metrics/tasks?access_token=${token}`);
      const s = await SseClient.open(`${t.url}/api/metrics/stream?access_token=${token}`);
      s.close();
    }
    await request(`${t.url}/${'x'.repeat(5000)}?access_token=${TOKEN}`, { headers: bearer(TOKEN) });
    await t.stop();
    expect(logged).toContain('wvo-exporter listening'); // the capture works
    expect(logged).not.toContain(TOKEN);
    expect(logged).not.toContain(wrong);
  });
});

describe('rate limiting', () => {
  it('answers the 6th /api request in a minute with 429, Retry-After and RateLimit headers', async () => {
    const t = await startTestExporter({ files: f.files, config: { rateLimitPerMin: 5 } });
    for (let i = 1; i <= 5; i++) {
      const ok = await request(`${t.url}/api/metrics/tasks`);
      expect(ok.status, `request ${i}`).toBe(200);
      expect(ok.headers['ratelimit-policy']).toMatch(/q=5\b/);
      expect(ok.headers.ratelimit).toMatch(new RegExp(`r=${5 - i}\\b`));
    }
    const limited = await request(`${t.url}/api/metrics/usage`);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(limited.headers.ratelimit).toMatch(/r=0\b/);
    expect(limited.headers['ratelimit-policy']).toMatch(/q=5\b/);
    expect(limited.headers['ratelimit-policy']).toMatch(/w=60\b/);
    expectJsonError(limited);
    expectSecurityHeaders(limited, '429');
    // the stream and the CSV exports are /api routes too
    expect((await request(`${t.url}/api/metrics/stream`)).status).toBe(429);
    expect((await request(`${t.url}/api/metrics/export/tasks`)).status).toBe(429);
    // scrapes and the health check are not limited
    for (let i = 0; i < 10; i++) {
      expect((await request(`${t.url}/metrics`)).status).toBe(200);
      expect((await request(`${t.url}/healthz`)).status).toBe(200);
    }
  });

  it('is off with WVO_RATE_LIMIT_PER_MIN=0', async () => {
    const t = await startTestExporter({ files: f.files, baseConfig: loadConfig({ WVO_RATE_LIMIT_PER_MIN: '0' }) });
    for (let i = 0; i < 25; i++) {
      const res = await request(`${t.url}/api/metrics/usage`);
      expect(res.status).toBe(200);
      expect(res.headers.ratelimit).toBeUndefined();
    }
  });

  it('defaults to 100 a minute', async () => {
    const t = await startTestExporter({ files: f.files });
    expect((await request(`${t.url}/api/metrics/usage`)).headers['ratelimit-policy']).toMatch(/q=100\b/);
  });
});

describe('HTTP hygiene', () => {
  it.each([
    ['express', 100],
    ['fast path', 0],
  ] as const)('sends security headers and no X-Powered-By on every kind of answer (%s)', async (_path, rateLimitPerMin) => {
    const t = await startTestExporter({ files: f.files, config: { token: TOKEN, rateLimitPerMin } });
    const cases: [string, Promise<RawResponse>][] = [
      ['healthz', request(`${t.url}/healthz`)],
      ['json', request(`${t.url}/api/metrics/tasks`, { headers: bearer(TOKEN) })],
      ['csv', request(`${t.url}/api/metrics/export/tasks`, { headers: bearer(TOKEN) })],
      ['metrics', request(`${t.url}/metrics`, { headers: bearer(TOKEN) })],
      ['401', request(`${t.url}/metrics`)],
      ['404', request(`${t.url}/nope`)],
      ['405', request(`${t.url}/healthz`, { method: 'POST' })],
      ['414', request(`${t.url}/${'a'.repeat(5000)}`)],
      ['options', request(`${t.url}/healthz`, { method: 'OPTIONS' })],
    ];
    for (const [what, p] of cases) expectSecurityHeaders(await p, what);
  });

  it('answers errors as JSON without stack traces', async () => {
    const t = await startTestExporter({ files: f.files, config: { token: TOKEN } });
    for (const res of [
      await request(`${t.url}/nope`),
      await request(`${t.url}/api/metrics/tasks`),
      await request(`${t.url}/api/metrics/tasks`, { method: 'DELETE', headers: bearer(TOKEN) }),
      await request(`${t.url}/${'a'.repeat(5000)}`),
      await request(`${t.url}/api/%E0%A4%A`, { headers: bearer(TOKEN) }),
      await request(`${t.url}/api/metrics/tasks?x=%zz&x=1&x[y]=2`, { headers: bearer(TOKEN) }),
    ]) {
      if (res.status === 200) continue; // the odd query is allowed to succeed
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expectJsonError(res);
    }
  });

  it('rejects a URL over 4096 characters with 414 and oversized headers with 431', async () => {
    const t = await startTestExporter({ files: f.files });
    const long = await request(`${t.url}/api/metrics/tasks?pad=${'a'.repeat(4100)}`);
    expect(long.status).toBe(414);
    expectJsonError(long);
    expect((await request(`${t.url}/api/metrics/tasks?pad=${'a'.repeat(3000)}`)).status).toBe(200);
    const big = await request(`${t.url}/healthz`, { headers: { 'x-padding': 'p'.repeat(32 * 1024) } });
    expect(big.status).toBe(431);
  });
});
