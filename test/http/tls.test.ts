/**
 * Issue 12: the web config file served for real — TLS from certificates made by openssl, mutual
 * TLS policies, basic auth beside the bearer token, extra headers, certificate rotation — over
 * loopback with node:https clients.
 */
import { promises as fs } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { stringify } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { WEB_CONFIG_POLL_MS } from '../../src/http/basic-auth-reload.js';
import { BasicAuth } from '../../src/http/basic-auth.js';
import { CERT_POLL_MS } from '../../src/http/tls.js';
import { loadWebConfig } from '../../src/http/web-config.js';
import type { Config } from '../../src/config.js';
import { hasOpenssl, makeCa, serialOf, type Ca, type KeyPair } from '../support/certs.js';
import { basic, tlsRequest } from '../support/https.js';
import { cleanup, cleanupSuite, eventually, knownFixture, request, SseClient, startTestExporter, suiteScoped, tempDir } from '../support/server.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });
const skip = !hasOpenssl && !process.env.CI;
if (skip) console.warn('SKIPPED test/http/tls.test.ts: openssl is not installed (apt-get install openssl)');

const f = knownFixture();
const TOKEN = 'tls-token-0123456789abcdef';
const PASSWORD = 'correct horse battery staple';
const HASH = bcrypt.hashSync(PASSWORD, 4);

let dir: string;
let ca: Ca;
let other: Ca;
let server: KeyPair;
let client: KeyPair;
let strangerClient: KeyPair;

beforeAll(async () => {
  if (skip) return;
  dir = await suiteScoped(() => tempDir('wvo-tls-'));
  ca = makeCa(dir, 'test-ca');
  other = makeCa(dir, 'other-ca');
  server = ca.issue('server', 'server');
  client = ca.issue('client', 'client', ['DNS:prometheus.test']);
  strangerClient = other.issue('stranger', 'client');
});
afterEach(cleanup);
afterAll(cleanupSuite);

let configs = 0;
async function webConfig(doc: Record<string, unknown>): Promise<Config['webConfig']> {
  const file = path.join(dir, `web-${++configs}.yml`);
  await fs.writeFile(file, stringify(doc));
  return loadWebConfig(file);
}

const tlsDoc = (extra: Record<string, unknown> = {}) => ({ tls_server_config: { cert_file: server.cert, key_file: server.key, ...extra } });

async function start(doc: Record<string, unknown>, config: Partial<Config> = {}) {
  return startTestExporter({ files: f.files, config: { ...config, webConfig: await webConfig(doc) } });
}

describe.skipIf(skip)('TLS', () => {
  it('serves https with the configured certificate; a client that does not trust the CA is refused; plain HTTP gets no answer', async () => {
    const t = await start(tlsDoc());
    expect(t.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const ok = await tlsRequest(`${t.url}/metrics`, { ca: ca.cert });
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('wvo_tasks{state="pending"}');
    expect(ok.serial).toBe(serialOf(server.cert));
    expect(ok.protocol).toBe('TLSv1.3');
    // Go's preference, not OpenSSL's: AES-128-GCM before AES-256-GCM.
    expect(ok.cipher).toBe('TLS_AES_128_GCM_SHA256');
    await expect(tlsRequest(`${t.url}/metrics`)).rejects.toThrow(/certificate/i);
    await expect(tlsRequest(`${t.url}/metrics`, { ca: other.cert })).rejects.toThrow(/certificate/i);
    const plain = await request(`${t.url.replace('https', 'http')}/healthz`).then((r) => r.status, (err: Error) => err.message);
    expect(plain).not.toBe(200);
  });

  it('min_version TLS13 refuses a TLS 1.2 client; max_version TLS12 serves TLS 1.2, with the configured cipher_suites', async () => {
    const only13 = await start(tlsDoc({ min_version: 'TLS13' }));
    await expect(tlsRequest(`${only13.url}/healthz`, { ca: ca.cert, maxVersion: 'TLSv1.2' })).rejects.toThrow(/version|protocol|alert/i);
    expect((await tlsRequest(`${only13.url}/healthz`, { ca: ca.cert })).protocol).toBe('TLSv1.3');
    const only12 = await start(tlsDoc({ max_version: 'TLS12', cipher_suites: ['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'] }));
    const r12 = await tlsRequest(`${only12.url}/healthz`, { ca: ca.cert });
    expect(r12.protocol).toBe('TLSv1.2');
    expect(r12.cipher).toBe('ECDHE-ECDSA-AES128-GCM-SHA256');
    const default12 = await start(tlsDoc({ max_version: 'TLS12' }));
    expect((await tlsRequest(`${default12.url}/healthz`, { ca: ca.cert })).protocol).toBe('TLSv1.2');
  });

  it('re-reads a rotated certificate and key without a restart; a mismatched pair keeps the old one', async () => {
    // The served files are copies, so the suite's own certificate stays as it is.
    const live = { cert: path.join(dir, 'live.crt'), key: path.join(dir, 'live.key') };
    await fs.copyFile(server.cert, live.cert);
    await fs.copyFile(server.key, live.key);
    const t = await start({ tls_server_config: { cert_file: live.cert, key_file: live.key } });
    const before = await tlsRequest(`${t.url}/healthz`, { ca: ca.cert });
    expect(before.serial).toBe(serialOf(server.cert));

    // Half a rotation: a new certificate beside the old key. The server keeps serving the old pair.
    const next = ca.issue('server', 'server');
    await fs.copyFile(next.cert, `${live.cert}.tmp`);
    await fs.rename(`${live.cert}.tmp`, live.cert);
    await new Promise((r) => setTimeout(r, CERT_POLL_MS * 2.5));
    const half = await tlsRequest(`${t.url}/healthz`, { ca: ca.cert });
    expect(half.status).toBe(200);
    expect(half.serial).toBe(serialOf(server.cert));

    // The key arrives: the new certificate is served on new connections, same process.
    await fs.copyFile(next.key, `${live.key}.tmp`);
    await fs.rename(`${live.key}.tmp`, live.key);
    await eventually(async () => expect((await tlsRequest(`${t.url}/healthz`, { ca: ca.cert })).serial).toBe(serialOf(next.cert)), { timeoutMs: 10_000, intervalMs: 200 });
    expect(serialOf(next.cert)).not.toBe(serialOf(server.cert));
  });
});

describe.skipIf(skip)('mutual TLS (client_auth_type)', () => {
  const withCa = (type: string, extra: Record<string, unknown> = {}) => tlsDoc({ client_auth_type: type, client_ca_file: ca.cert, ...extra });

  it('RequireAndVerifyClientCert: refuses no certificate and one from another CA; serves a client the CA signed', async () => {
    const t = await start(withCa('RequireAndVerifyClientCert'));
    await expect(tlsRequest(`${t.url}/healthz`, { ca: ca.cert })).rejects.toThrow();
    await expect(tlsRequest(`${t.url}/healthz`, { ca: ca.cert, client: strangerClient })).rejects.toThrow();
    expect((await tlsRequest(`${t.url}/metrics`, { ca: ca.cert, client })).status).toBe(200);
  });

  it('VerifyClientCertIfGiven: serves no certificate and a trusted one, refuses an untrusted one', async () => {
    const t = await start(withCa('VerifyClientCertIfGiven'));
    expect((await tlsRequest(`${t.url}/healthz`, { ca: ca.cert })).status).toBe(200);
    expect((await tlsRequest(`${t.url}/healthz`, { ca: ca.cert, client })).status).toBe(200);
    await expect(tlsRequest(`${t.url}/healthz`, { ca: ca.cert, client: strangerClient })).rejects.toThrow();
  });

  it('RequireAnyClientCert: refuses no certificate, serves any certificate', async () => {
    const t = await start(tlsDoc({ client_auth_type: 'RequireAnyClientCert' }));
    await expect(tlsRequest(`${t.url}/healthz`, { ca: ca.cert })).rejects.toThrow();
    expect((await tlsRequest(`${t.url}/healthz`, { ca: ca.cert, client: strangerClient })).status).toBe(200);
  });

  it('client_allowed_sans: only a client certificate naming an allowed SAN is served', async () => {
    const allowed = await start(withCa('RequireAndVerifyClientCert', { client_allowed_sans: ['prometheus.test'] }));
    expect((await tlsRequest(`${allowed.url}/healthz`, { ca: ca.cert, client })).status).toBe(200);
    const denied = await start(withCa('RequireAndVerifyClientCert', { client_allowed_sans: ['someone-else.test'] }));
    await expect(tlsRequest(`${denied.url}/healthz`, { ca: ca.cert, client })).rejects.toThrow();
  });
});

describe.skipIf(skip)('basic auth (basic_auth_users) over TLS', () => {
  const PROTECTED = ['/metrics', '/api/metrics/tasks', '/api/metrics/usage', '/api/metrics/export/tasks'];
  // Rate limit off: the hot routes take the fast path, which must apply basic auth too.
  it.each([
    ['express', 100],
    ['fast path', 0],
  ] as const)('%s: 401 with a Basic challenge without or with wrong credentials, 200 with them or the bearer token; /healthz open', async (_path, rateLimitPerMin) => {
    const t = await start({ ...tlsDoc(), basic_auth_users: { prometheus: HASH, other: bcrypt.hashSync('other-password', 4) } }, { token: TOKEN, rateLimitPerMin });
    const get = (route: string, headers: Record<string, string> = {}) => tlsRequest(`${t.url}${route}`, { ca: ca.cert, headers });
    expect((await get('/healthz')).status).toBe(200);
    for (const route of PROTECTED) {
      const none = await get(route);
      expect(none.status, route).toBe(401);
      expect(String(none.headers['www-authenticate']), route).toMatch(/Basic realm="wvo-exporter"/);
      expect(String(none.headers['www-authenticate']), route).toMatch(/Bearer realm="wvo-exporter"/);
      for (const wrong of [basic('prometheus', 'wrong'), basic('prometheus', `${PASSWORD} `), basic('nobody', PASSWORD), basic('other', PASSWORD), basic('Prometheus', PASSWORD), { authorization: 'Bearer wrong-token-0123456789abcdef' }]) {
        expect((await get(route, wrong)).status, `${route} ${wrong.authorization}`).toBe(401);
      }
      // Twice: the second time from the verified-credentials cache.
      for (let i = 0; i < 2; i++) expect((await get(route, basic('prometheus', PASSWORD))).status, route).toBe(200);
      expect((await get(route, basic('other', 'other-password'))).status, route).toBe(200);
      expect((await get(route, { authorization: `Bearer ${TOKEN}` })).status, route).toBe(200);
      // A wrong password right after a right one is still refused (only successes are remembered),
      // on a new connection and on the same keep-alive connection.
      expect((await get(route, basic('prometheus', 'wrong'))).status, route).toBe(401);
      const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
      const same = (headers: Record<string, string>) => tlsRequest(`${t.url}${route}`, { ca: ca.cert, headers, agent });
      expect((await same(basic('prometheus', PASSWORD))).status, route).toBe(200);
      expect((await same(basic('prometheus', PASSWORD))).status, route).toBe(200);
      expect((await same(basic('prometheus', 'wrong'))).status, route).toBe(401);
      expect((await same({})).status, route).toBe(401);
      expect((await same(basic('prometheus', PASSWORD))).status, route).toBe(200);
      agent.destroy();
    }
  });

  it('works without TLS too, and accepts htpasswd-style $2y$ hashes', async () => {
    const t = await start({ basic_auth_users: { scraper: HASH.replace(/^\$2b\$/, '$2y$') } });
    expect(t.url).toMatch(/^http:/);
    expect((await request(`${t.url}/metrics`)).status).toBe(401);
    expect((await request(`${t.url}/metrics`, { headers: basic('scraper', PASSWORD) })).status).toBe(200);
    const stream = await SseClient.open(`${t.url}/api/metrics/stream`, basic('scraper', PASSWORD));
    expect(stream.status).toBe(200);
    stream.close();
  });

  it('re-reads basic_auth_users when the file changes; a broken file or one without users keeps the last users', async () => {
    const t = await start({ basic_auth_users: { scraper: HASH } });
    const file = path.join(dir, `web-${configs}.yml`);
    const status = async (user: string, password: string) => (await request(`${t.url}/metrics`, { headers: basic(user, password) })).status;
    expect(await status('scraper', PASSWORD)).toBe(200);

    // A new password for scraper and two more users: the old password (verified and remembered) stops working.
    const users = { scraper: bcrypt.hashSync('new password', 4), b: bcrypt.hashSync('b password', 4), c: bcrypt.hashSync('c password', 4) };
    await fs.writeFile(file, stringify({ basic_auth_users: users }));
    await eventually(async () => expect(await status('scraper', 'new password')).toBe(200), { timeoutMs: 10_000, intervalMs: 200 });
    expect(await status('scraper', PASSWORD)).toBe(401);

    // Half-written YAML: the users stay (b was never verified before, so this is a real bcrypt check).
    await fs.writeFile(file, 'basic_auth_users:\n  scraper: [');
    await new Promise((r) => setTimeout(r, WEB_CONFIG_POLL_MS * 2.5));
    expect(await status('b', 'b password')).toBe(200);

    // No users at all would turn authentication off: refused until a restart.
    await fs.writeFile(file, stringify({ http_server_config: { headers: { 'X-Frame-Options': 'DENY' } } }));
    await new Promise((r) => setTimeout(r, WEB_CONFIG_POLL_MS * 2.5));
    expect((await request(`${t.url}/metrics`)).status).toBe(401);
    expect(await status('c', 'c password')).toBe(200);
    expect(await status('c', 'wrong')).toBe(401);
  });

  it('remembers verified credentials only: known() after a success, never after a failure', async () => {
    const auth = new BasicAuth({ u: HASH });
    const right = basic('u', PASSWORD).authorization;
    const wrong = basic('u', 'nope').authorization;
    expect(auth.known(right)).toBe(false);
    expect(await auth.verify(wrong)).toBe(false);
    expect(auth.known(wrong)).toBe(false);
    expect(await auth.verify(right)).toBe(true);
    expect(auth.known(right)).toBe(true);
    expect(auth.known(wrong)).toBe(false);
    // Per connection: the accepted header is remembered for that connection, nothing else is.
    const conn = {};
    expect(auth.known(right, conn)).toBe(true);
    expect(auth.known(right, conn)).toBe(true);
    expect(auth.known(wrong, conn)).toBe(false);
    expect(auth.known(basic('u', `${PASSWORD}x`).authorization, conn)).toBe(false);
    expect(auth.known(wrong, {})).toBe(false);
    expect(await auth.verify('Bearer x')).toBeUndefined();
    expect(await auth.verify(basic('someone', PASSWORD).authorization)).toBe(false);
  });
});

describe.skipIf(skip)('http_server_config.headers', () => {
  it('replaces the default security headers of the same name, on every path (fast path, express, 401)', async () => {
    const headers = { 'X-Frame-Options': 'sameorigin', 'Strict-Transport-Security': 'max-age=60', 'Content-Security-Policy': "default-src 'self'" };
    const t = await start({ ...tlsDoc(), http_server_config: { headers } }, { rateLimitPerMin: 0, token: TOKEN });
    const auth = { authorization: `Bearer ${TOKEN}` };
    for (const [route, h, status] of [
      ['/metrics', auth, 200],
      ['/api/metrics/tasks', auth, 200],
      ['/healthz', {}, 200],
      ['/metrics', {}, 401],
    ] as const) {
      const r = await tlsRequest(`${t.url}${route}`, { ca: ca.cert, headers: h });
      expect(r.status, route).toBe(status);
      expect(r.headers['x-frame-options'], route).toBe('sameorigin');
      expect(r.headers['strict-transport-security'], route).toBe('max-age=60');
      expect(r.headers['content-security-policy'], route).toBe("default-src 'self'");
      expect(r.headers['x-content-type-options'], route).toBe('nosniff');
    }
  });
});
