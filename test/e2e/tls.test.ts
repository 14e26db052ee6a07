import { copyFileSync, cpSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCa, serialOf, type Ca, type KeyPair } from '../support/certs.js';
import { basic, tlsRequest } from '../support/https.js';
import { freePort, run, startChild, stopChild, waitFor } from '../support/process.js';
import { startPrometheus } from '../support/prometheus.js';

/**
 * Issue 12 end to end: Debian's Prometheus scrapes the built exporter over TLS with basic auth,
 * from certificates made here with openssl, the way a user configures it (`scheme: https`,
 * `tls_config.ca_file`, `basic_auth`); and refuses what it must refuse.
 */
const REPO = path.resolve(import.meta.dirname, '../..');
const PASSWORD = 'e2e-scrape-password';

let tmp: string;
let ca: Ca;
let live: KeyPair;
let promUrl: string;
const ports: Record<'secure' | 'untrusted' | 'mtls', number> = { secure: 0, untrusted: 0, mtls: 0 };
let client: KeyPair;
const children: Parameters<typeof stopChild>[0][] = [];
const logs: Array<() => string> = [];
const allLogs = () => logs.map((l) => l()).join('\n');

interface Target {
  labels: { job: string };
  health: 'up' | 'down' | 'unknown';
  lastError: string;
  lastScrape: string;
}

async function targets(): Promise<Target[]> {
  const res = await fetch(`${promUrl}/api/v1/targets?state=active`);
  return ((await res.json()) as { data: { activeTargets: Target[] } }).data.activeTargets;
}
const target = async (job: string) => (await targets()).find((t) => t.labels.job === job);

/** Waits until Prometheus has scraped the job at least once after `since`, and returns that target. */
const scrapedAfter = (job: string, since: number) =>
  waitFor(async () => {
    const t = await target(job);
    return t && t.health !== 'unknown' && Date.parse(t.lastScrape) > since ? t : undefined;
  }, 30_000, `a scrape of ${job}`);

async function startExporter(name: string, web: Record<string, unknown>, workspace: string, trust: string): Promise<number> {
  const file = path.join(tmp, `${name}-web.yml`);
  writeFileSync(file, stringify(web));
  const port = await freePort();
  const child = startChild(process.execPath, ['dist/cli.js'], { ...process.env, WVO_WORKSPACE_ROOT: workspace, WVO_OBSERVABILITY_PORT: String(port), WVO_WEB_CONFIG_FILE: file, LOG_LEVEL: 'info' }, REPO);
  children.push(child.child);
  logs.push(child.output);
  await waitFor(async () => {
    if (child.child.exitCode !== null) throw new Error(`exporter ${name} exited: ${child.output()}`);
    const tlsClient = web.tls_server_config && (web.tls_server_config as { client_auth_type?: string }).client_auth_type ? client : undefined;
    return (await tlsRequest(`https://127.0.0.1:${port}/healthz`, { ca: trust, client: tlsClient })).status === 200;
  }, 30_000, `exporter ${name} /healthz`);
  return port;
}

beforeAll(async () => {
  expect(run('prometheus', ['--version']).status, 'Debian prometheus must be installed (apt-get install -y prometheus)').toBe(0);
  expect(run('openssl', ['version']).status, 'openssl must be installed').toBe(0);
  expect(run('npm', ['run', 'build'], { cwd: REPO }).status).toBe(0);
  tmp = mkdtempSync(path.join(os.tmpdir(), 'wvo-e2e-tls-'));
  const workspace = path.join(tmp, 'workspace');
  cpSync(path.join(REPO, 'state'), path.join(workspace, 'state'), { recursive: true });

  ca = makeCa(tmp, 'e2e-ca');
  const other = makeCa(tmp, 'untrusted-ca');
  const server = ca.issue('server', 'server');
  client = ca.issue('prometheus', 'client');
  // The served certificate lives at fixed paths, replaced (atomically) to rotate it.
  live = { cert: path.join(tmp, 'live.crt'), key: path.join(tmp, 'live.key') };
  copyFileSync(server.cert, live.cert);
  copyFileSync(server.key, live.key);
  const users = { basic_auth_users: { prometheus: bcrypt.hashSync(PASSWORD, 10) } };

  ports.secure = await startExporter('secure', { tls_server_config: { cert_file: live.cert, key_file: live.key }, ...users }, workspace, ca.cert);
  const stranger = other.issue('stranger', 'server');
  ports.untrusted = await startExporter('untrusted', { tls_server_config: { cert_file: stranger.cert, key_file: stranger.key }, ...users }, workspace, other.cert);
  ports.mtls = await startExporter('mtls', { tls_server_config: { cert_file: server.cert, key_file: server.key, client_auth_type: 'RequireAndVerifyClientCert', client_ca_file: ca.cert } }, workspace, ca.cert);

  const passwordFile = path.join(tmp, 'password');
  writeFileSync(passwordFile, PASSWORD);
  const job = (name: string, port: number, extra: Record<string, unknown>) => ({
    job_name: name,
    scheme: 'https',
    scrape_interval: '1s',
    scrape_timeout: '1s',
    static_configs: [{ targets: [`127.0.0.1:${port}`] }],
    ...extra,
  });
  const auth = { basic_auth: { username: 'prometheus', password_file: passwordFile } };
  const config = {
    global: { scrape_interval: '1s', scrape_timeout: '1s' },
    scrape_configs: [
      job('secure', ports.secure, { tls_config: { ca_file: ca.cert }, ...auth }),
      job('wrong-password', ports.secure, { tls_config: { ca_file: ca.cert }, basic_auth: { username: 'prometheus', password: 'not-the-password' } }),
      job('untrusted', ports.untrusted, { tls_config: { ca_file: ca.cert }, ...auth }),
      job('mtls', ports.mtls, { tls_config: { ca_file: ca.cert, cert_file: client.cert, key_file: client.key } }),
      job('mtls-no-cert', ports.mtls, { tls_config: { ca_file: ca.cert } }),
    ],
  };
  const prom = await startPrometheus(tmp, config);
  promUrl = prom.url;
  children.push(prom.child);
  logs.push(prom.output);
  // Every job scraped at least once.
  await waitFor(async () => {
    const ts = await targets();
    return ts.length === config.scrape_configs.length && ts.every((t) => t.health !== 'unknown');
  }, 60_000, 'a first scrape of every job').catch((err: Error) => {
    throw new Error(`${err.message}\n${allLogs()}`);
  });
}, 180_000);

afterAll(async () => {
  await Promise.all(children.map(stopChild));
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('Prometheus scraping the exporter over TLS with basic auth', () => {
  it('is up with scheme https, tls_config.ca_file and basic_auth, and stores the exporter\'s series', async () => {
    const t = await scrapedAfter('secure', 0);
    expect(t.health, `${t.lastError}\n${allLogs()}`).toBe('up');
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent('count({job="secure",__name__=~"wvo_.+"})')}`);
    const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
    expect(Number(body.data.result[0]?.value[1])).toBeGreaterThan(10);
  });

  it('a wrong password: the exporter answers 401, and the target is down', async () => {
    const t = await scrapedAfter('wrong-password', 0);
    expect(t.health).toBe('down');
    expect(t.lastError).toMatch(/401/);
    const direct = await tlsRequest(`https://127.0.0.1:${ports.secure}/metrics`, { ca: ca.cert, headers: basic('prometheus', 'not-the-password') });
    expect(direct.status).toBe(401);
    expect(String(direct.headers['www-authenticate'])).toMatch(/^Basic/);
    const right = await tlsRequest(`https://127.0.0.1:${ports.secure}/metrics`, { ca: ca.cert, headers: basic('prometheus', PASSWORD) });
    expect(right.status).toBe(200);
  });

  it('a certificate its CA did not sign: Prometheus refuses it (target down with a TLS error)', async () => {
    const t = await scrapedAfter('untrusted', 0);
    expect(t.health).toBe('down');
    expect(t.lastError).toMatch(/x509: certificate signed by unknown authority/);
  });

  it('mutual TLS: up with the client certificate; a client without one is refused', async () => {
    const withCert = await scrapedAfter('mtls', 0);
    expect(withCert.health, withCert.lastError).toBe('up');
    const without = await scrapedAfter('mtls-no-cert', 0);
    expect(without.health).toBe('down');
    expect(without.lastError).toMatch(/certificate required/);
    await expect(tlsRequest(`https://127.0.0.1:${ports.mtls}/metrics`, { ca: ca.cert })).rejects.toThrow();
  });

  it('a rotated certificate is served without a restart, and Prometheus keeps scraping', async () => {
    const before = await tlsRequest(`https://127.0.0.1:${ports.secure}/healthz`, { ca: ca.cert });
    const next = ca.issue('server', 'server');
    expect(serialOf(next.cert)).not.toBe(before.serial);
    // Key first, then certificate, each by rename: what a certificate manager does.
    copyFileSync(next.key, `${live.key}.new`);
    renameSync(`${live.key}.new`, live.key);
    copyFileSync(next.cert, `${live.cert}.new`);
    renameSync(`${live.cert}.new`, live.cert);
    const rotatedAt = Date.now();
    await waitFor(async () => (await tlsRequest(`https://127.0.0.1:${ports.secure}/healthz`, { ca: ca.cert })).serial === serialOf(next.cert), 15_000, 'the new certificate');
    const t = await scrapedAfter('secure', rotatedAt + 1000);
    expect(t.health, t.lastError).toBe('up');
    expect(allLogs()).toMatch(/TLS certificate files changed: reloaded/);
  });
});
