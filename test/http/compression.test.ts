/** /metrics is gzipped when the scraper asks (Prometheus always sends Accept-Encoding: gzip), on both serving paths. */
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { acceptsGzip } from '../../src/http/compression.js';
import { cleanup, copySampleWorkspace, request, startTestExporter } from '../support/server.js';

afterEach(cleanup);

/** Raw bytes (request() decodes as UTF-8, which would spoil gzip): re-fetch through node:http with the body kept. */
async function get(url: string, headers: Record<string, string>, query: string) {
  const http = await import('node:http');
  return new Promise<{ status: number; headers: import('node:http').IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
    http.get(`${url}/metrics${query}`, { headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}
const catalogLines = (text: string) => text.split('\n').filter((l) => l.startsWith('wvo_tasks'));

describe('gzip on /metrics', () => {
  // The fast path serves exactly `/metrics`; a query string sends the request through express.
  it.each([
    ['fast path', ''],
    ['express', '?via=express'],
  ] as const)('%s: gzip when accepted, identity otherwise, the same samples either way', async (_path, query) => {
    const t = await startTestExporter({ workspace: await copySampleWorkspace(), config: { token: 'gzip-token-0123456789abcdef' } });
    const metrics = (url: string, headers: Record<string, string>) => get(url, headers, query);
    const auth = { authorization: 'Bearer gzip-token-0123456789abcdef' };
    const plain = await metrics(t.url, auth);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toMatch(/Accept-Encoding/);
    const zipped = await metrics(t.url, { ...auth, 'accept-encoding': 'gzip' });
    expect(zipped.status).toBe(200);
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.vary).toMatch(/Accept-Encoding/);
    expect(Number(zipped.headers['content-length'])).toBe(zipped.body.length);
    expect(zipped.body.length).toBeLessThan(plain.body.length / 2);
    const text = gunzipSync(zipped.body).toString();
    expect(catalogLines(text)).toEqual(catalogLines(plain.body.toString()));
    expect(catalogLines(text).length).toBeGreaterThan(0);
    expect((await metrics(t.url, { ...auth, 'accept-encoding': 'gzip;q=0, br' })).headers['content-encoding']).toBeUndefined();
    // Unauthenticated requests are still refused, compressed or not.
    expect((await request(`${t.url}/metrics`, { headers: { 'accept-encoding': 'gzip' } })).status).toBe(401);
  });

  it.each([
    ['gzip', true],
    ['gzip, deflate, br', true],
    ['br;q=1.0, gzip;q=0.8, *;q=0.1', true],
    ['GZIP', true],
    ['x-gzip', true],
    ['*', true],
    ['gzip;q=0', false],
    ['*, gzip;q=0', false],
    ['br, deflate', false],
    ['identity', false],
    ['', false],
  ] as const)('Accept-Encoding %j admits gzip: %s', (header, expected) => {
    expect(acceptsGzip(header)).toBe(expected);
  });
});
