// The cost of TLS + basic auth on /metrics (issue 12): two exporters on the same workspace, one
// plain HTTP, one with a web config (TLS 1.3 from an openssl-made certificate, bcrypt basic auth),
// loaded with autocannon in alternating slices. Keep-alive connections, as Prometheus scrapes.
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type autocannon from 'autocannon';
import bcrypt from 'bcryptjs';
import { stringify } from 'yaml';
import { makeCa } from '../test/support/certs.js';
import { basic, tlsRequest } from '../test/support/https.js';

interface Load {
  rps: number;
  cpuUs: number;
  p99: number;
  non2xx: number;
  errors: number;
}
type Target = { url: string; pid: number; extra?: Partial<autocannon.Options> };

/** What run.ts lends this figure. */
export interface BenchKit {
  startExporter(root: string, port: number, env?: Record<string, string>): { proc: ChildProcess; base: string };
  sideBySide(a: Target, b: Target, seconds: number): Promise<[Load, Load]>;
  freePort(): Promise<number>;
  log(msg: string): void;
  seconds: number;
}

export interface TlsRow {
  figure: string;
  measured: string;
  goal: string;
  met: boolean;
}

/** The row as a table, for `BENCH_ONLY=tls`. */
export const tlsTable = (r: TlsRow) => `\n| figure | measured | goal | met? |\n|---|---|---|---|\n| ${r.figure} | ${r.measured} | ${r.goal} | ${r.met ? 'yes' : '**NO**'} |\n`;

const PASSWORD = 'bench-scrape-password';
const decisionsIn = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith('wvo_quality_gate_decisions_total{'))
    .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

export async function tlsThroughput(kit: BenchKit, root: string, dir: string): Promise<TlsRow> {
  const ca = makeCa(dir, 'bench-ca');
  const cert = ca.issue('bench-server', 'server');
  const webConfig = path.join(dir, 'bench-web.yml');
  // Cost 10, htpasswd's default: what a user's hash costs, paid once thanks to the cache.
  writeFileSync(webConfig, stringify({ tls_server_config: { cert_file: cert.cert, key_file: cert.key }, basic_auth_users: { bench: bcrypt.hashSync(PASSWORD, 10) } }));
  const auth = basic('bench', PASSWORD);

  kit.log('TLS: starting a plain and a TLS + basic auth exporter on the big workspace');
  const plain = kit.startExporter(root, await kit.freePort());
  const tlsPort = await kit.freePort();
  const secure = kit.startExporter(root, tlsPort, { WVO_WEB_CONFIG_FILE: webConfig });
  const secureBase = `https://127.0.0.1:${tlsPort}`;
  try {
    // Both done reading the whole workspace (same decision count), so no collection work is measured.
    const decisions = async () => [
      decisionsIn(await (await fetch(`${plain.base}/metrics`)).text()),
      decisionsIn((await tlsRequest(`${secureBase}/metrics`, { ca: ca.cert, headers: auth })).body),
    ];
    await until('both exporters to have read the whole workspace', async () => {
      const [x, y] = await decisions();
      return x! > 0 && x === y;
    });
    await sleep(2000);
    const [a, b] = await Promise.all([fetch(`${plain.base}/metrics`).then((r) => r.text()), tlsRequest(`${secureBase}/metrics`, { ca: ca.cert, headers: auth })]);
    if (b.status !== 200) throw new Error(`TLS /metrics answered ${b.status}`);
    // As Prometheus scrapes (it always sends Accept-Encoding: gzip), and uncompressed: the raw encryption cost.
    const targets = (headers: Record<string, string>): [Target, Target] => [
      { url: `${plain.base}/metrics`, pid: plain.proc.pid!, extra: { headers } },
      // autocannon does not verify certificates; the handshake and encryption costs are the same.
      { url: `${secureBase}/metrics`, pid: secure.proc.pid!, extra: { headers: { ...headers, ...auth }, servername: 'localhost' } },
    ];
    const gzip = targets({ 'accept-encoding': 'gzip' });
    const identity = targets({});
    kit.log('TLS: warm-up');
    await kit.sideBySide(gzip[0], gzip[1], 4);
    kit.log(`TLS: /metrics, plain and TLS + basic auth alternating, gzip then uncompressed, ${kit.seconds} s each`);
    const [p, s] = await kit.sideBySide(gzip[0], gzip[1], kit.seconds);
    const [pi, si] = await kit.sideBySide(identity[0], identity[1], kit.seconds);
    const ratio = s.rps / p.rps;
    const faults = [s, si].some((l) => l.non2xx || l.errors) ? `; TLS side: ${s.non2xx + si.non2xx} non-2xx, ${s.errors + si.errors} errors` : '';
    return {
      figure: '`/metrics` throughput, TLS 1.3 + basic auth vs plain HTTP',
      measured:
        `gzip (as Prometheus asks): ${Math.round(s.rps)} vs ${Math.round(p.rps)} req/s = **${ratio.toFixed(2)}** ` +
        `(server CPU per request ${s.cpuUs.toFixed(0)} vs ${p.cpuUs.toFixed(0)} µs = ${(p.cpuUs / s.cpuUs).toFixed(2)}; p99 ${s.p99.toFixed(1)} vs ${p.p99.toFixed(1)} ms); ` +
        `uncompressed (${b.body.length} vs ${a.length} B): ${Math.round(si.rps)} vs ${Math.round(pi.rps)} req/s = ${(si.rps / pi.rps).toFixed(2)} ` +
        `(CPU ${si.cpuUs.toFixed(0)} vs ${pi.cpuUs.toFixed(0)} µs = ${(pi.cpuUs / si.cpuUs).toFixed(2)})${faults}`,
      goal: '≥ 0.8',
      met: ratio >= 0.8 && s.non2xx + si.non2xx === 0 && s.errors + si.errors === 0,
    };
  } finally {
    plain.proc.kill('SIGTERM');
    secure.proc.kill('SIGTERM');
  }
}
