import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, copySampleWorkspace, createWorkspace, eventually, request, SseClient, startTestExporter } from '../support/server.js';
import { writeTimelineFixture } from '../support/timeline-fixture.js';

const TOKEN = 'fast-path-token-0123456789';
const VOLATILE = new Set(['date', 'connection', 'keep-alive', 'ratelimit', 'ratelimit-policy', 'transfer-encoding']);
const stable = (headers: Record<string, unknown>) => Object.fromEntries(Object.entries(headers).filter(([k]) => !VOLATILE.has(k)));

afterEach(cleanup);

describe('fast path for hot routes', () => {
  it('answers the JSON routes and /metrics with the same bytes and headers as express', async () => {
    const workspace = await copySampleWorkspace();
    // Rate limit off: the JSON routes take the fast path. On: express serves them (limits apply).
    const fast = await startTestExporter({ workspace, config: { rateLimitPerMin: 0, token: TOKEN } });
    const slow = await startTestExporter({ workspace, config: { rateLimitPerMin: 1000, token: TOKEN } });
    const auth = { authorization: `Bearer ${TOKEN}` };
    for (const path of ['/api/metrics/tasks', '/api/metrics/quality_gates', '/api/metrics/resolution', '/api/metrics/resources', '/api/metrics/usage']) {
      const [a, b] = await Promise.all([request(fast.url + path, { headers: auth }), request(slow.url + path, { headers: auth })]);
      expect(a.status).toBe(200);
      expect(a.body).toBe(b.body);
      expect(stable(a.headers)).toEqual(stable(b.headers));
      expect(b.headers['ratelimit-policy']).toBeDefined();
      expect(a.headers['ratelimit-policy']).toBeUndefined();
    }
    const metrics = await request(fast.url + '/metrics', { headers: auth });
    expect(metrics.status).toBe(200);
    expect(metrics.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(metrics.headers['x-content-type-options']).toBe('nosniff');
    expect(metrics.headers['cache-control']).toBe('no-store');
    expect(metrics.body).toContain('wvo_tasks{state="pending"}');
    const om = await request(fast.url + '/metrics', { headers: { ...auth, accept: 'application/openmetrics-text; version=1.0.0' } });
    expect(om.headers['content-type']).toMatch(/^application\/openmetrics-text/);
    expect(om.body.endsWith('# EOF\n')).toBe(true);
  });

  it('answers a timeline page express rendered with the same bytes and headers, and 304; its errors stay with express', async () => {
    const workspace = await createWorkspace();
    await writeTimelineFixture(workspace);
    const fast = await startTestExporter({ workspace, config: { rateLimitPerMin: 0 } });
    const slow = await startTestExporter({ workspace, config: { rateLimitPerMin: 1000 } });
    for (const path of ['/api/tasks/T-7/timeline', '/api/tasks/T-7/timeline?limit=2', '/api/tasks/L-1/timeline?limit=3&cursor=']) {
      const b = await request(slow.url + path);
      // The first request renders the page (express), the next ones find it rendered.
      const [first, again] = [await request(fast.url + path), await request(fast.url + path)];
      expect(b.status).toBe(200);
      for (const a of [first, again]) {
        expect(a.body).toBe(b.body);
        expect(stable(a.headers)).toEqual(stable(b.headers));
      }
      const cached = await request(fast.url + path, { headers: { 'If-None-Match': `W/${b.headers.etag}` } });
      const revalidated = await request(slow.url + path, { headers: { 'If-None-Match': `W/${b.headers.etag}` } });
      expect([cached.status, cached.body]).toEqual([304, '']);
      expect(stable(cached.headers)).toEqual(stable(revalidated.headers));
      const head = await request(fast.url + path, { method: 'HEAD' });
      expect([head.status, head.body, head.headers['content-length']]).toEqual([200, '', String(Buffer.byteLength(b.body))]);
    }
    for (const [path, status] of [['/api/tasks/nope/timeline', 404], ['/api/tasks/T-7/timeline?limit=0', 400], ['/api/tasks/%E0%A4%A/timeline', 400]] as const) {
      await request(fast.url + path);
      expect((await request(fast.url + path)).status, path).toBe(status);
    }
  });

  it('opens the stream with the same headers and first event as express, refuses beyond the limit alike, and leaves a query token to express', async () => {
    const workspace = await copySampleWorkspace();
    const config = { token: TOKEN, sseMaxClients: 1, streamIntervalMs: 60_000 };
    const fast = await startTestExporter({ workspace, config: { ...config, rateLimitPerMin: 0 } });
    const slow = await startTestExporter({ workspace, config: { ...config, rateLimitPerMin: 1000 } });
    const auth = { authorization: `Bearer ${TOKEN}` };
    const [a, b] = await Promise.all([SseClient.open(`${fast.url}/api/metrics/stream`, auth), SseClient.open(`${slow.url}/api/metrics/stream`, auth)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(stable(a.headers)).toEqual(stable(b.headers));
    expect(a.headers['content-security-policy']).toBeDefined();
    const [ea, eb] = await Promise.all([a.event(1), b.event(1)]);
    expect({ ...ea, timestamp: undefined }).toEqual({ ...eb, timestamp: undefined });
    expect(fast.exporter.sse.size).toBe(1);

    const [fullA, fullB] = await Promise.all([request(`${fast.url}/api/metrics/stream`, { headers: auth }), request(`${slow.url}/api/metrics/stream`, { headers: auth })]);
    expect([fullA.status, fullA.body]).toEqual([fullB.status, fullB.body]);
    expect(fullA.status).toBe(503);
    expect(stable(fullA.headers)).toEqual(stable(fullB.headers));

    a.close();
    await eventually(() => expect(fast.exporter.sse.size).toBe(0));
    expect((await request(`${fast.url}/api/metrics/stream`)).status).toBe(401);
    const byQuery = await SseClient.open(`${fast.url}/api/metrics/stream?access_token=${TOKEN}`);
    expect(byQuery.status).toBe(200);
    await byQuery.event(1);
  });

  it('leaves authentication failures, HEAD and other routes to express', async () => {
    const fast = await startTestExporter({ workspace: await copySampleWorkspace(), config: { rateLimitPerMin: 0, token: TOKEN } });
    const denied = await request(fast.url + '/api/metrics/tasks', { headers: { authorization: 'Bearer wrong-token-0000000000' } });
    expect(denied.status).toBe(401);
    expect(denied.headers['www-authenticate']).toMatch(/^Bearer/);
    expect((await request(fast.url + '/metrics')).status).toBe(401);
    const head = await request(fast.url + '/api/metrics/tasks', { method: 'HEAD', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(Number(head.headers['content-length'])).toBeGreaterThan(0);
    expect((await request(fast.url + '/api/metrics/tasks?x=1', { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(405);
  });
});
