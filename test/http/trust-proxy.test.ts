/** Issue 12: WVO_TRUST_PROXY — behind a reverse proxy the rate limit keys on the client the proxy names. */
import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { cleanup, knownFixture, request, startTestExporter } from '../support/server.js';

afterEach(cleanup);
const f = knownFixture();
const LIMIT = 2;

/** Status codes of GET /api/metrics/tasks sent from this loopback client with each X-Forwarded-For in turn. */
async function statuses(url: string, forwardedFor: string[]): Promise<number[]> {
  const out: number[] = [];
  for (const xff of forwardedFor) out.push((await request(`${url}/api/metrics/tasks`, { headers: { 'x-forwarded-for': xff } })).status);
  return out;
}

describe('WVO_TRUST_PROXY', () => {
  it('trusting the loopback proxy: each forwarded client has its own budget', async () => {
    const t = await startTestExporter({ files: f.files, config: { rateLimitPerMin: LIMIT, trustProxy: loadConfig({ WVO_TRUST_PROXY: 'loopback' }).trustProxy } });
    expect(await statuses(t.url, ['203.0.113.1', '203.0.113.1', '203.0.113.1'])).toEqual([200, 200, 429]);
    expect(await statuses(t.url, ['203.0.113.2', '203.0.113.2'])).toEqual([200, 200]);
    // The proxy appends the real client after what the client sent: the spoofed first entry is ignored.
    expect(await statuses(t.url, ['198.51.100.9, 203.0.113.1'])).toEqual([429]);
  });

  it('by default the header is not trusted: every request from the proxy shares one budget, and the log says so once', async () => {
    const out = new PassThrough();
    let log = '';
    out.on('data', (d: Buffer) => (log += d.toString()));
    const t = await startTestExporter({ files: f.files, config: { rateLimitPerMin: LIMIT }, logger: pino({ level: 'warn' }, out) });
    expect(t.config.trustProxy).toBe(false);
    expect(await statuses(t.url, ['203.0.113.1', '203.0.113.2', '203.0.113.3'])).toEqual([200, 200, 429]);
    const warnings = log.split('\n').filter((l) => l.includes('WVO_TRUST_PROXY'));
    expect(warnings).toHaveLength(1);
  });

  it.each([
    ['false', false],
    ['1', 1],
    ['loopback', 'loopback'],
    ['10.0.0.0/8, ::1, uniquelocal', '10.0.0.0/8,::1,uniquelocal'],
  ] as const)('accepts %s', (raw, parsed) => {
    expect(loadConfig({ WVO_TRUST_PROXY: raw }).trustProxy).toEqual(parsed);
  });

  it.each(['true', 'everyone', '10.0.0.0/33', '10.0.0.1/8/8', '-1'])('refuses %s naming the variable', (raw) => {
    expect(() => loadConfig({ WVO_TRUST_PROXY: raw })).toThrow(ConfigError);
    expect(() => loadConfig({ WVO_TRUST_PROXY: raw })).toThrow(/WVO_TRUST_PROXY/);
  });
});
