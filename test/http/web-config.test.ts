/** Issue 12: WVO_WEB_CONFIG_FILE is checked at start; every mistake names the file and the key (exit 2 from the CLI). */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { stringify } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { hasOpenssl, makeCa, type KeyPair } from '../support/certs.js';
import { cleanup, cleanupSuite, ensureBuilt, spawnCli, suiteScoped, tempDir } from '../support/server.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 240_000 });
const skip = !hasOpenssl && !process.env.CI;
if (skip) console.warn('SKIPPED test/http/web-config.test.ts: openssl is not installed (apt-get install openssl)');

const HASH = bcrypt.hashSync('pw', 4);
let dir: string;
let server: KeyPair;
let otherKey: string;
let caCert: string;

beforeAll(async () => {
  if (skip) return;
  dir = await suiteScoped(() => tempDir('wvo-webcfg-'));
  const ca = makeCa(dir, 'ca');
  caCert = ca.cert;
  server = ca.issue('server', 'server');
  otherKey = ca.issue('other', 'server').key;
});
afterEach(cleanup);
afterAll(cleanupSuite);

let n = 0;
async function file(content: string | Record<string, unknown>): Promise<string> {
  const p = path.join(dir, `web-${++n}.yml`);
  await fs.writeFile(p, typeof content === 'string' ? content : stringify(content));
  return p;
}

function loadError(webFile: string): ConfigError {
  try {
    loadConfig({ WVO_WEB_CONFIG_FILE: webFile });
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error(`${webFile} was accepted`);
}

const tls = (extra: Record<string, unknown> = {}) => ({ tls_server_config: { cert_file: server.cert, key_file: server.key, ...extra } });

describe.skipIf(skip)('loading the web config file', () => {
  it('accepts the exporter-toolkit format and resolves relative paths against the file', async () => {
    await fs.copyFile(server.cert, path.join(dir, 'rel.crt'));
    await fs.copyFile(server.key, path.join(dir, 'rel.key'));
    const config = loadConfig({
      WVO_WEB_CONFIG_FILE: await file({
        tls_server_config: { cert_file: 'rel.crt', key_file: 'rel.key', client_auth_type: 'RequireAndVerifyClientCert', client_ca_file: caCert, min_version: 'TLS13', curve_preferences: ['X25519', 'CurveP256'] },
        http_server_config: { http2: false, headers: { 'X-Frame-Options': 'deny' } },
        basic_auth_users: { prometheus: HASH },
      }),
    });
    const web = config.webConfig!;
    expect(web.tls?.cert.file).toBe(path.join(dir, 'rel.crt'));
    expect(web.tls?.clientAuth).toBe('RequireAndVerifyClientCert');
    expect(web.tls?.minVersion).toBe('TLSv1.3');
    expect(web.tls?.maxVersion).toBe('TLSv1.3');
    expect(web.tls?.ecdhCurve).toBe('X25519:P-256');
    expect(web.basicAuthUsers).toEqual({ prometheus: HASH });
    expect(web.headers).toEqual([['X-Frame-Options', 'deny']]);
  });

  it('an empty file, or one with only basic auth, means plain HTTP', async () => {
    expect(loadConfig({ WVO_WEB_CONFIG_FILE: await file('') }).webConfig?.tls).toBeUndefined();
    const c = loadConfig({ WVO_WEB_CONFIG_FILE: await file({ tls_server_config: {}, basic_auth_users: { u: HASH } }) });
    expect(c.webConfig?.tls).toBeUndefined();
    expect(c.webConfig?.basicAuthUsers).toEqual({ u: HASH });
    expect(loadConfig({}).webConfig).toBeUndefined();
  });

  const cases: [string, () => string | Record<string, unknown>, string, RegExp?][] = [
    ['an unknown top-level key', () => ({ ...tls(), tls_config: {} }), 'tls_config', /unknown key/],
    ['an unknown key in tls_server_config', () => tls({ certfile: 'x' }), 'tls_server_config.certfile', /unknown key/],
    ['an unknown header', () => ({ http_server_config: { headers: { 'X-Powered-By': 'me' } } }), 'http_server_config.headers.X-Powered-By', /unknown key/],
    ['a bad X-Frame-Options value', () => ({ http_server_config: { headers: { 'X-Frame-Options': 'allow' } } }), 'http_server_config.headers.X-Frame-Options'],
    ['a bad client_auth_type', () => tls({ client_auth_type: 'RequireClientCert' }), 'tls_server_config.client_auth_type'],
    ['a bad min_version', () => tls({ min_version: 'TLS1.2' }), 'tls_server_config.min_version'],
    ['min_version above max_version', () => tls({ min_version: 'TLS13', max_version: 'TLS12' }), 'tls_server_config.min_version'],
    ['an unsupported cipher suite', () => tls({ cipher_suites: ['TLS_RSA_WITH_RC4_128_SHA'] }), 'tls_server_config.cipher_suites.0', /TLS_RSA_WITH_RC4_128_SHA/],
    ['an unknown curve', () => tls({ curve_preferences: ['CurveP999'] }), 'tls_server_config.curve_preferences.0'],
    ['a certificate without a key', () => ({ tls_server_config: { cert_file: server.cert } }), 'tls_server_config.key_file', /missing/],
    ['a key without a certificate', () => ({ tls_server_config: { key_file: server.key } }), 'tls_server_config.cert_file', /missing/],
    ['a certificate file that does not exist', () => tls({ cert_file: '/nonexistent/wvo/server.crt' }), 'tls_server_config.cert_file', /\/nonexistent\/wvo\/server\.crt/],
    ['a key that does not match the certificate', () => tls({ key_file: otherKey }), 'tls_server_config.key_file', /not usable/],
    ['a verifying client_auth_type without client_ca_file', () => tls({ client_auth_type: 'RequireAndVerifyClientCert' }), 'tls_server_config.client_ca_file', /required/],
    ['client_ca_file with NoClientCert', () => tls({ client_ca_file: caCert }), 'tls_server_config.client_auth_type'],
    ['client_allowed_sans with a policy that allows no certificate', () => tls({ client_auth_type: 'VerifyClientCertIfGiven', client_ca_file: caCert, client_allowed_sans: ['x'] }), 'tls_server_config.client_allowed_sans'],
    ['both cert and cert_file', () => tls({ cert: 'PEM' }), 'tls_server_config.cert_file', /not both/],
    ['a password that is not a bcrypt hash', () => ({ basic_auth_users: { prometheus: 'secret' } }), 'basic_auth_users.prometheus', /bcrypt/],
    ['rate_limit (exporter-toolkit has it, this exporter has WVO_RATE_LIMIT_PER_MIN)', () => ({ rate_limit: { interval: '1s', burst: 5 } }), 'rate_limit', /WVO_RATE_LIMIT_PER_MIN/],
    ['a YAML syntax error', () => 'basic_auth_users: [unclosed\n', '(YAML)'],
    ['a duplicated key', () => 'basic_auth_users: {}\nbasic_auth_users: {}\n', '(YAML)'],
    ['a list instead of a mapping', () => '- tls_server_config\n', '(top level)'],
  ];

  it.each(cases)('%s: a ConfigError naming the variable, the file and the key', async (_what, content, key, reason) => {
    const p = await file(content());
    const err = loadError(p);
    expect(err.variable).toBe('WVO_WEB_CONFIG_FILE');
    expect(err.message).toContain(p);
    expect(err.message).toContain(`${key}:`);
    if (reason) expect(err.message).toMatch(reason);
  });

  it('a file that does not exist', () => {
    const err = loadError('/nonexistent/wvo/web.yml');
    expect(err.message).toMatch(/\/nonexistent\/wvo\/web\.yml.*cannot read/);
  });

  it('never echoes a rejected password hash', async () => {
    const err = loadError(await file({ basic_auth_users: { prometheus: 'plain-text-secret' } }));
    expect(err.message).not.toContain('plain-text-secret');
  });
});

describe.skipIf(skip)('the CLI with a bad web config file', () => {
  beforeAll(async () => {
    await ensureBuilt();
  });

  it.each([
    ['an unknown key', () => tls({ client_auth: 'NoClientCert' }), 'tls_server_config.client_auth'],
    ['a missing certificate file', () => tls({ cert_file: path.join(dir, 'missing.crt') }), 'tls_server_config.cert_file'],
    ['a bad client_auth_type', () => tls({ client_auth_type: 'Sometimes' }), 'tls_server_config.client_auth_type'],
  ])('%s: exits 2 naming the variable, the file and the key, without a stack trace', async (_what, content, key) => {
    const p = await file(content());
    const cli = spawnCli({ WVO_WEB_CONFIG_FILE: p });
    const { code } = await cli.exited;
    expect(code, cli.stderr()).toBe(2);
    expect(cli.stderr()).toContain('WVO_WEB_CONFIG_FILE');
    expect(cli.stderr()).toContain(p);
    expect(cli.stderr()).toContain(key);
    expect(cli.stderr()).not.toMatch(/\n\s+at /);
    expect(cli.stdout()).not.toContain('wvo-exporter listening');
  });
});
