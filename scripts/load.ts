/**
 * Load and soak test (`npm run test:load [-- --duration 15]`, or LOAD_DURATION_S; default 60 s).
 *
 * Starts the built exporter as a user would (`node dist/cli.js`) on a copy of the sample
 * workspace, then for the duration runs 200 scrapers (/metrics in both formats, the JSON and CSV
 * routes, over keep-alive agents), 500 SSE clients (child process scripts/load-sse.ts) and the
 * writers (child process scripts/load-writer.ts: JSON documents rewritten 20×/s each, half atomic
 * and half in place; 1,000 JSONL lines/s; one rotation of the execution log). All traffic goes
 * to 127.0.0.1 and every loop ends by itself.
 *
 * Fails (exit 1) on: any non-2xx or network error; any malformed response (JSON that does not
 * parse or lacks its keys, an exposition line that is not valid text/OpenMetrics format); any
 * wvo_*_total or histogram _count/_bucket series that decreases between two scrapes of the same
 * scraper; totals that do not match what was written (decision and execution counts across the
 * rotation, bad lines, the document counters); an SSE client that has not received the final
 * marker state 10 s after it was written (a stream the server drops is reconnected like EventSource
 * and reported, not failed); exporter errors logged, or an unclean shutdown; and
 * memory that keeps growing. Memory criterion: a worker thread samples the exporter's VmRSS every
 * second (a thread, so a busy load generator does not delay the samples). The load is cut into
 * thirds by time; the first is warm-up (heap sizing, JIT, socket buffers: RSS ramps for ~20 s).
 * The run fails when the median of the last third is more than 20 % above the highest sample of
 * the middle third and above 150 MB. The median ignores GC saw-tooth; comparing with the middle
 * third's peak, not its median, keeps a warm-up ramp in a 15 s run from looking like a leak,
 * while RSS that is still climbing fast at the end (a leak of several MB/s) fails.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { CounterTracker, parseExposition, sumOf, type Exposition } from './load-exposition.js';
import type { SseCommand, SseConfig, SseMessage, SseStats, WriterConfig, WriterMessage, WriterStats } from './load-protocol.js';

const REPO = path.resolve(import.meta.dirname, '..');
const envInt = (name: string, fallback: number) => {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(v) || v < 0) throw new Error(`${name} must be a non-negative integer`);
  return v;
};

function durationSeconds(): number {
  const args = process.argv.slice(2);
  const i = args.indexOf('--duration');
  const raw = i !== -1 ? args[i + 1] : (args.find((a) => a.startsWith('--duration='))?.slice('--duration='.length) ?? process.env.LOAD_DURATION_S ?? '60');
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 6 || n > 3600) {
    process.stderr.write(`load: --duration must be a number of seconds between 6 and 3600, got ${raw}\n`);
    process.exit(2);
  }
  return n;
}

const DURATION_S = durationSeconds();
const SCRAPERS = envInt('LOAD_SCRAPERS', 200);
const SSE_CLIENTS = envInt('LOAD_SSE_CLIENTS', 500);
const LINES_PER_S = envInt('LOAD_LINES_PER_S', 1000);
const DOC_HZ = envInt('LOAD_DOC_HZ', 20);
/** A full exposition parse every Nth /metrics response of each scraper; the others get a cheap check. */
const FULL_PARSE_EVERY = 5;
const MARKER_CPU = 12.345;
// The comma ends the number: 12.3456 must not count.
const MARKER = `"cpuPercent":${MARKER_CPU},`;
const MARKER_TIMEOUT_MS = 10_000;
const SETTLE_TIMEOUT_MS = 15_000;
const RSS_GROWTH = 1.2;
const RSS_FLOOR_MB = 150;
const OM_ACCEPT = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

const failures: string[] = [];
const fail = (msg: string) => failures.push(msg);

// ---------------------------------------------------------------- processes

const children = new Set<ChildProcess>();
function track<T extends ChildProcess>(child: T): T {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}
function killAll(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}
/** The temporary workspace, removed however the run ends. */
let tmp: string | undefined;
function cleanUp(): void {
  killAll();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  tmp = undefined;
}
process.on('exit', cleanUp);
for (const [sig, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.once(sig, () => {
    cleanUp();
    process.exit(code);
  });
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- HTTP

let port = 0;
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 1024 });

interface Reply {
  status: number;
  type: string;
  body: Buffer;
  ms: number;
  error?: string;
}

let keepAliveRetries = 0;

/**
 * One GET. A reused keep-alive socket that the server closed as idle just as we sent on it fails
 * with ECONNRESET/EPIPE: that is the protocol's race, not a server fault, and like every HTTP
 * client (Node's docs, Go's transport) we retry such a request once.
 */
function get(pathname: string, headers: http.OutgoingHttpHeaders = {}, retried = false): Promise<Reply> {
  return new Promise((resolve) => {
    const started = performance.now();
    const done = (r: Omit<Reply, 'ms'>) => resolve({ ...r, ms: performance.now() - started });
    const req = http.request({ host: '127.0.0.1', port, path: pathname, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        done({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) }),
      );
      res.on('error', (err) => done({ status: 0, type: '', body: Buffer.alloc(0), error: err.message }));
    });
    req.setTimeout(30_000, () => req.destroy(new Error('no answer within 30 s')));
    req.on('error', (err) => {
      const code = (err as NodeJS.ErrnoException).code;
      if (!retried && req.reusedSocket && (code === 'ECONNRESET' || code === 'EPIPE')) {
        keepAliveRetries++;
        return resolve(get(pathname, headers, true));
      }
      done({ status: 0, type: '', body: Buffer.alloc(0), error: code ?? err.message });
    });
    req.end();
  });
}

// ---------------------------------------------------------------- scrapers

class Latencies {
  private values = new Float64Array(1 << 16);
  n = 0;
  add(ms: number): void {
    if (this.n === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.n++] = ms;
  }
  addAll(other: Latencies): void {
    for (let i = 0; i < other.n; i++) this.add(other.values[i]!);
  }
  summary(): { p50: number; p99: number; max: number } {
    const v = this.values.slice(0, this.n).sort();
    const q = (p: number) => (this.n ? v[Math.min(this.n - 1, Math.floor(p * this.n))]! : NaN);
    return { p50: q(0.5), p99: q(0.99), max: this.n ? v[this.n - 1]! : NaN };
  }
}

/** Set when the exporter exits: the scrapers stop instead of spinning on refused connections. */
let exporterGone = false;
let lastFailed = false;

type Kind = 'metrics' | 'openmetrics' | 'json' | 'csv' | 'healthz';
const JSON_ROUTES: Record<string, string[]> = {
  '/api/metrics/tasks': ['updatedAt', 'running', 'tasksByState', 'queueDepth', 'throughputLastHour', 'successRate', 'drilldown'],
  '/api/metrics/quality_gates': ['updatedAt', 'totalDecisions', 'byType', 'consensusReachRate', 'rejectionReasons', 'approvals', 'rejections', 'gateBreakdown', 'rubricAverages', 'adversarialCategories'],
  '/api/metrics/resolution': ['updatedAt', 'activeLoops', 'stats', 'recentEvents', 'recentlyClosed'],
  '/api/metrics/resources': ['updatedAt', 'host', 'processes', 'throttle', 'providers', 'tokenUsage', 'estimatedCostPerTask'],
  '/api/metrics/usage': ['updatedAt', 'providers'],
};
const CSV_ROUTES: Record<string, string> = {
  '/api/metrics/export/tasks': 'state,count\r\n',
  '/api/metrics/export/resolution': 'task_id,attempts,last_label,elapsed_ms,first_attempt_at,last_attempt_at\r\n',
};
const OTHER_ROUTES = [...Object.keys(JSON_ROUTES), ...Object.keys(CSV_ROUTES), '/healthz'];

const traffic = {
  latency: { metrics: new Latencies(), openmetrics: new Latencies(), json: new Latencies(), csv: new Latencies(), healthz: new Latencies() } as Record<Kind, Latencies>,
  statuses: new Map<string, number>(),
  errorSamples: [] as string[],
  malformed: 0,
  malformedSamples: [] as string[],
  fullParses: 0,
  seriesCompared: 0,
  decreases: 0,
  decreaseSamples: [] as string[],
};
const note = (list: string[], msg: string) => {
  if (list.length < 8) list.push(msg);
};

/** The slowest requests, with when they started: tells a stalled exporter from a slow start. */
const slowest: { route: string; ms: number; at: number }[] = [];
function noteSlow(route: string, r: Reply): void {
  if (slowest.length >= 3 && r.ms <= slowest.at(-1)!.ms) return;
  slowest.push({ route, ms: r.ms, at: Date.now() - r.ms });
  slowest.sort((a, b) => b.ms - a.ms);
  slowest.length = Math.min(slowest.length, 3);
}

function malformed(route: string, why: string): void {
  traffic.malformed++;
  note(traffic.malformedSamples, `${route}: ${why}`);
}

/** Validates one reply; returns the parsed exposition when it was parsed fully. */
function check(route: string, kind: Kind, r: Reply, full: boolean): Exposition | undefined {
  lastFailed = Boolean(r.error);
  const key = r.error ? `error ${r.error}` : String(r.status);
  traffic.statuses.set(key, (traffic.statuses.get(key) ?? 0) + 1);
  traffic.latency[kind].add(r.ms);
  noteSlow(route, r);
  if (r.error || r.status !== 200) {
    note(traffic.errorSamples, `${route}: ${r.error ?? `${r.status} ${r.body.toString('utf8', 0, 200)}`}`);
    return undefined;
  }
  const body = r.body;
  if (kind === 'metrics' || kind === 'openmetrics') {
    const om = kind === 'openmetrics';
    if (!r.type.startsWith(om ? 'application/openmetrics-text' : 'text/plain')) return void malformed(route, `content-type ${r.type}`);
    const tail = body.toString('utf8', Math.max(0, body.length - 6));
    if (om ? tail !== '# EOF\n' : !tail.endsWith('\n')) return void malformed(route, `truncated exposition (ends ${JSON.stringify(tail)})`);
    if (!full) return undefined;
    traffic.fullParses++;
    const e = parseExposition(body.toString('utf8'), om);
    if (e.errors.length) return void malformed(route, e.errors.join('; '));
    return e;
  }
  if (kind === 'csv') {
    if (!r.type.startsWith('text/csv')) return void malformed(route, `content-type ${r.type}`);
    const header = CSV_ROUTES[route]!;
    if (!body.subarray(0, header.length).equals(Buffer.from(header)) || !body.toString('latin1', body.length - 2) .endsWith('\r\n')) {
      return void malformed(route, `bad CSV: ${body.toString('utf8', 0, 120)}`);
    }
    return undefined;
  }
  if (!r.type.startsWith('application/json')) return void malformed(route, `content-type ${r.type}`);
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (err) {
    return void malformed(route, `not JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return void malformed(route, 'not a JSON object');
  const keys = kind === 'healthz' ? ['status', 'timestamp'] : JSON_ROUTES[route]!;
  const missing = keys.filter((k) => !(k in value));
  if (missing.length) malformed(route, `missing ${missing.join(', ')}`);
  if (kind === 'healthz' && (value as { status?: unknown }).status !== 'ok') malformed(route, `status ${(value as { status?: unknown }).status}`);
  return undefined;
}

/** One scraper: alternates /metrics (one format per scraper, like one Prometheus) and the other routes. */
async function scraper(index: number, deadline: number): Promise<void> {
  const om = index % 4 === 3;
  const tracker = new CounterTracker();
  let n = index;
  let scrapes = index;
  while (Date.now() < deadline && !exporterGone) {
    if (n++ % 2 === 0) {
      const full = scrapes++ % FULL_PARSE_EVERY === 0;
      const r = await get('/metrics', om ? { Accept: OM_ACCEPT } : {});
      const e = check('/metrics', om ? 'openmetrics' : 'metrics', r, full);
      if (e) {
        const { checked, decreases } = tracker.check(e);
        traffic.seriesCompared += checked;
        traffic.decreases += decreases.length;
        for (const d of decreases) note(traffic.decreaseSamples, `scraper ${index}: ${d}`);
      }
    } else {
      const route = OTHER_ROUTES[(n >> 1) % OTHER_ROUTES.length]!;
      const kind: Kind = route === '/healthz' ? 'healthz' : route in CSV_ROUTES ? 'csv' : 'json';
      check(route, kind, await get(route), false);
    }
    if (lastFailed) await sleep(100);
  }
}

// ---------------------------------------------------------------- files

interface LogCounts {
  valid: number;
  bad: number;
  other: number;
}

/** Counts a JSONL file's lines independently of the exporter's code. */
function countLines(file: string, valid: (o: Record<string, unknown>) => boolean | 'other'): LogCounts {
  const counts = { valid: 0, bad: 0, other: 0 };
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    let o: unknown;
    try {
      o = JSON.parse(line);
    } catch {
      counts.bad++;
      continue;
    }
    const v = typeof o === 'object' && o !== null && !Array.isArray(o) ? valid(o as Record<string, unknown>) : false;
    if (v === 'other') counts.other++;
    else if (v) counts.valid++;
    else counts.bad++;
  }
  return counts;
}

// ---------------------------------------------------------------- exporter process

interface Sample {
  t: number;
  rssKb: number;
}

const RSS_SAMPLER = `
const { parentPort, workerData } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
setInterval(() => {
  try {
    const m = /^VmRSS:\\s+(\\d+) kB/m.exec(readFileSync('/proc/' + workerData + '/status', 'utf8'));
    if (m) parentPort.postMessage({ t: Date.now(), rssKb: Number(m[1]) });
  } catch {}
}, 1000);
`;

/** Samples a process's RSS every second from a worker thread. */
function sampleRss(pid: number, into: Sample[]): Worker {
  const worker = new Worker(RSS_SAMPLER, { eval: true, workerData: pid });
  worker.on('message', (s: Sample) => into.push(s));
  worker.unref();
  return worker;
}

function readCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

const logs = { levels: new Map<number, number>(), messages: new Map<string, number>(), errors: [] as string[], raw: '' };
function onLogLine(line: string): void {
  const level = Number(/"level":(\d+)/.exec(line)?.[1] ?? 0);
  const msg = /"msg":"((?:[^"\\]|\\.)*)"/.exec(line)?.[1] ?? line.slice(0, 120);
  logs.levels.set(level, (logs.levels.get(level) ?? 0) + 1);
  logs.messages.set(msg, (logs.messages.get(msg) ?? 0) + 1);
  if (level >= 50 || level === 0) note(logs.errors, line.slice(0, 300));
}

function startExporter(workspace: string): ChildProcess {
  const child = track(
    spawn(process.execPath, [path.join(REPO, 'dist/cli.js')], {
      cwd: REPO,
      env: {
        // The user's WVO_* and OTEL_* settings stay out: the run is reproducible and pushes nowhere.
        ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('WVO_') && !k.startsWith('OTEL_'))),
        WVO_WORKSPACE_ROOT: workspace,
        WVO_OBSERVABILITY_HOST: '127.0.0.1',
        WVO_OBSERVABILITY_PORT: String(port),
        WVO_RATE_LIMIT_PER_MIN: '0',
        WVO_OBSERVABILITY_STREAM_INTERVAL_MS: '1000',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  for (const stream of [child.stdout!, child.stderr!]) {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (d: string) => {
      logs.raw = (logs.raw + d).slice(-4000);
      const lines = (partial + d).split('\n');
      partial = lines.pop()!;
      for (const l of lines) if (l.trim()) onLogLine(l);
    });
  }
  return child;
}

function forkChild<M extends { type: string }>(
  script: string,
  config: unknown,
): { child: ChildProcess; next: <T extends M['type']>(type: T) => Promise<Extract<M, { type: T }>> } {
  const child = track(fork(path.join(REPO, 'scripts', script), [JSON.stringify(config)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  const queue: M[] = [];
  const waiters: Array<{ type: string; resolve: (m: M) => void }> = [];
  child.on('message', (m: M) => {
    const i = waiters.findIndex((w) => w.type === m.type);
    if (i !== -1) waiters.splice(i, 1)[0]!.resolve(m);
    else queue.push(m);
  });
  const next = <T extends M['type']>(type: T) =>
    new Promise<Extract<M, { type: T }>>((resolve, reject) => {
      const take = (m: M) => resolve(m as Extract<M, { type: T }>);
      const i = queue.findIndex((m) => m.type === type);
      if (i !== -1) return take(queue.splice(i, 1)[0]!);
      waiters.push({ type, resolve: take });
      child.once('exit', (code) => reject(new Error(`${script} exited (${code}) before sending ${type}`)));
    });
  return { child, next };
}

async function scrapeText(): Promise<Exposition> {
  const r = await get('/metrics');
  if (r.error || r.status !== 200) throw new Error(`/metrics: ${r.error ?? r.status}`);
  const e = parseExposition(r.body.toString('utf8'), false);
  if (e.errors.length) throw new Error(`/metrics malformed: ${e.errors.join('; ')}`);
  return e;
}

// ---------------------------------------------------------------- main

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-');
const mb = (kb: number) => kb / 1024;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
};

function table(rows: (string | number)[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]!) : String(c).padStart(widths[i]!))).join('  ')).join('\n');
}

async function main(): Promise<number> {
  const watchdog = setTimeout(() => {
    process.stderr.write('load: watchdog: the run took far longer than planned; aborting\n');
    process.exit(1);
  }, (DURATION_S + 180) * 1000);
  watchdog.unref();

  tmp = mkdtempSync(path.join(os.tmpdir(), 'wvo-load-'));
  const workspace = path.join(tmp, 'workspace');
  let exporter: ChildProcess | undefined;
  let sse: ReturnType<typeof forkChild<SseMessage>> | undefined;
  let exporterExit: string | undefined;
  const rss: Sample[] = [];
  let writerStats: WriterStats | undefined;
  let sseStats: SseStats | undefined;
  let sseConnected: SseStats | undefined;
  let loadStart = 0;
  let loadEnd = 0;
  let cpuStart: number | undefined;
  let cpuEnd: number | undefined;
  const totals: (string | number)[][] = [['total', 'written', 'exporter', '']];
  let shutdown = '';
  const phases: string[] = [];
  let phaseAt = Date.now();
  const phase = (name: string) => {
    phases.push(`${name} ${fmt((Date.now() - phaseAt) / 1000)} s`);
    phaseAt = Date.now();
  };
  let mainCpu: NodeJS.CpuUsage | undefined;
  let versions: [number, number] | undefined;
  let tornReads = NaN;
  try {
    cpSync(path.join(REPO, 'state'), path.join(workspace, 'state'), { recursive: true });
    // The totals below are checked against the live log alone: the sample's archives stay out.
    rmSync(path.join(workspace, 'state/telemetry/archives'), { recursive: true, force: true });
    const decisionsFile = path.join(workspace, 'state/analytics/quality_gate_decisions.jsonl');
    const executionsFile = path.join(workspace, 'state/telemetry/executions.jsonl');
    const initialDecisions = countLines(decisionsFile, (o) => typeof o.decision === 'string');
    const initialExecutions = countLines(executionsFile, (o) => o.type === 'execution_summary' || 'other');

    port = await freePort();
    exporter = startExporter(workspace);
    const exporterPid = exporter.pid!;
    exporter.once('exit', (code, signal) => {
      exporterExit = `exit ${code ?? signal}`;
      exporterGone = true;
    });
    const ready = Date.now() + 30_000;
    for (;;) {
      if (exporterExit) throw new Error(`exporter ${exporterExit} during start-up:\n${logs.raw}`);
      const r = await get('/healthz');
      if (r.status === 200) break;
      if (Date.now() > ready) throw new Error(`exporter not ready within 30 s:\n${logs.raw}`);
      await sleep(100);
    }
    phase('exporter start');
    const sampler = sampleRss(exporterPid, rss);

    const initial = await scrapeText();
    const startLogs = logs.raw;
    const statusOf = (source: string) =>
      ['up', 'present', 'errors_total', 'bad_lines_total'].map((m) => `${m}=${initial.samples.get(`wvo_source_${m}{source="${source}"}`)}`).join(' ') +
      ` (snapshot version ${initial.samples.get('wvo_snapshot_version')}; exporter output so far: ${startLogs.trim() || 'none'})`;
    const initialBad = {
      decisions: initial.samples.get('wvo_source_bad_lines_total{source="quality_decisions"}') ?? NaN,
      executions: initial.samples.get('wvo_source_bad_lines_total{source="executions"}') ?? NaN,
    };
    if (sumOf(initial, 'wvo_quality_gate_decisions_total') !== initialDecisions.valid) {
      fail(`initial decisions: the file has ${initialDecisions.valid} valid lines, the exporter counts ${sumOf(initial, 'wvo_quality_gate_decisions_total')}; ${statusOf('quality_decisions')}`);
    }
    if (sumOf(initial, 'wvo_executions_total') !== initialExecutions.valid) {
      fail(`initial executions: the file has ${initialExecutions.valid} summaries, the exporter counts ${sumOf(initial, 'wvo_executions_total')}; ${statusOf('executions')}`);
    }
    if (initialBad.decisions !== initialDecisions.bad || initialBad.executions !== initialExecutions.bad) {
      fail(`initial bad lines: files ${initialDecisions.bad}/${initialExecutions.bad}, exporter ${initialBad.decisions}/${initialBad.executions}`);
    }

    // SSE clients connect first, so they see the whole load.
    const durationMs = DURATION_S * 1000;
    sse = forkChild<SseMessage>('load-sse.ts', {
      url: `http://127.0.0.1:${port}/api/metrics/stream`,
      clients: SSE_CLIENTS,
      validators: Math.min(5, SSE_CLIENTS),
      marker: MARKER,
      hardDeadline: Date.now() + durationMs + 120_000,
    } satisfies SseConfig);
    sseConnected = (await sse.next('connected')).stats;
    phase('SSE connect');
    if (sseConnected.connected !== SSE_CLIENTS) fail(`only ${sseConnected.connected} of ${SSE_CLIENTS} SSE clients connected and got a first event`);

    const writer = forkChild<WriterMessage>('load-writer.ts', {
      root: workspace,
      durationMs,
      docHz: DOC_HZ,
      linesPerSec: LINES_PER_S,
      rotateAtMs: durationMs / 2,
    } satisfies WriterConfig);
    await writer.next('ready');
    const writerDone = writer.next('done');

    process.stdout.write(`load: ${DURATION_S} s against ${exporterPid} on port ${port} (${SCRAPERS} scrapers, ${SSE_CLIENTS} SSE clients)…\n`);
    cpuStart = readCpuSeconds(exporterPid);
    const cpu0 = process.cpuUsage();
    phase('writer start');
    loadStart = Date.now();
    const deadline = loadStart + durationMs;
    writer.child.send({ cmd: 'start' });
    await Promise.all(Array.from({ length: SCRAPERS }, (_, i) => scraper(i, deadline)));
    writerStats = (await writerDone).stats;
    loadEnd = Date.now();
    cpuEnd = readCpuSeconds(exporterPid);
    mainCpu = process.cpuUsage(cpu0);
    phase('load');
    if (exporterExit) {
      const hint = exporterExit === 'exit 0' ? ' (it exits 0 only on SIGTERM/SIGINT: another process signalled it)' : '';
      throw new Error(`exporter ${exporterExit} during the load${hint}:\n${logs.raw}`);
    }

    // The exporter must end up with exactly what was written.
    const w = writerStats;
    const expected: [string, string, number][] = [
      ['decisions (valid lines)', 'sum wvo_quality_gate_decisions_total', initialDecisions.valid + w.decisions.valid],
      ['decision bad lines', 'wvo_source_bad_lines_total{source="quality_decisions"}', initialDecisions.bad + w.decisions.bad],
      ['execution summaries', 'sum wvo_executions_total', initialExecutions.valid + w.executions.summaries],
      ['execution bad lines', 'wvo_source_bad_lines_total{source="executions"}', initialExecutions.bad + w.executions.bad],
      ...Object.entries(w.final.consensusByType).map(([type, v]): [string, string, number] => [`consensus ${type}`, `wvo_consensus_decisions_total{type="${type}"}`, v]),
      ...(
        [
          ['totalLoops', 'wvo_resolution_loops_total'],
          ['closedLoops', 'wvo_resolution_loops_closed_total'],
          ['closedWithin3', 'wvo_resolution_loops_closed_within_3_total'],
          ['infiniteLoopCount', 'wvo_resolution_infinite_loops_total'],
          ['incidentCount', 'wvo_resolution_incidents_total'],
        ] as const
      ).map(([field, name]): [string, string, number] => [`resolution ${field}`, name, w.final.resolution[field]]),
      ...Object.entries(w.final.providers).flatMap(([provider, p]) =>
        (
          [
            ['totalLimitHits', 'wvo_provider_limit_hits_total'],
            ['totalRecoveries', 'wvo_provider_recoveries_total'],
            ['totalFailovers', 'wvo_provider_failovers_total'],
          ] as const
        ).map(([field, name]): [string, string, number] => [`${provider} ${field}`, `${name}{provider="${provider}"}`, p[field]]),
      ),
      // A torn read must not leave a source down once its file is whole again.
      ...[...initial.samples]
        .filter(([k, v]) => k.startsWith('wvo_source_up{') && v === 1)
        .map(([k]): [string, string, number] => [`${k.slice('wvo_source_up{source="'.length, -2)} up`, k, 1]),
      ['SSE clients connected', 'wvo_sse_clients', SSE_CLIENTS],
    ];
    const actual = (e: Exposition, series: string) => (series.startsWith('sum ') ? sumOf(e, series.slice(4)) : (e.samples.get(series) ?? NaN));
    let last = await scrapeText();
    const settle = Date.now() + SETTLE_TIMEOUT_MS;
    while (expected.some(([, s, v]) => actual(last, s) !== v) && Date.now() < settle) {
      await sleep(250);
      last = await scrapeText();
    }
    phase('settle');
    versions = [initial.samples.get('wvo_snapshot_version') ?? NaN, last.samples.get('wvo_snapshot_version') ?? NaN];
    tornReads = sumOf(last, 'wvo_source_errors_total') - sumOf(initial, 'wvo_source_errors_total');
    for (const [label, series, v] of expected) {
      const got = actual(last, series);
      totals.push([label, v, got, got === v ? 'ok' : 'MISMATCH']);
      if (got !== v) fail(`${label}: written ${v}, exporter reports ${series} = ${got}`);
    }

    // The final state: every SSE client must receive it.
    const resourcesFile = path.join(workspace, 'state/analytics/resource_metrics.json');
    const doc = JSON.parse(readFileSync(resourcesFile, 'utf8')) as Record<string, unknown>;
    doc.cpu_used_pct = MARKER_CPU;
    const writtenAt = Date.now();
    writeFileSync(`${resourcesFile}.final`, JSON.stringify(doc, null, 2));
    renameSync(`${resourcesFile}.final`, resourcesFile);
    sse.child.send({ cmd: 'marker', writtenAt, timeoutMs: MARKER_TIMEOUT_MS } satisfies SseCommand);
    sseStats = (await sse.next('marker')).stats;
    phase('final state');
    const res = await get('/api/metrics/resources');
    if (!res.body.includes(MARKER)) fail(`/api/metrics/resources does not show the final cpu ${MARKER_CPU}`);
    await sampler.terminate();

    // A clean shutdown on SIGTERM, with the 500 streams still open.
    sse.child.send({ cmd: 'stop' } satisfies SseCommand);
    const closing = (await sse.next('stats')).stats;
    sseStats = { ...closing, sawMarker: sseStats.sawMarker, earlyMarker: sseStats.earlyMarker, markerDelayMsMax: sseStats.markerDelayMsMax, markerDelayMsP50: sseStats.markerDelayMsP50 };
    const exited = new Promise<void>((resolve) => (exporter!.exitCode !== null ? resolve() : exporter!.once('exit', () => resolve())));
    const t = Date.now();
    exporter.kill('SIGTERM');
    await Promise.race([exited, sleep(8000)]);
    shutdown = exporterExit ? `${exporterExit} after ${Date.now() - t} ms, with ${closing.connected} streams open` : 'still running 8 s after SIGTERM';
    if (exporterExit !== 'exit 0') fail(`exporter shutdown: ${shutdown}`);
    phase('shutdown');
    sse.child.send({ cmd: 'close' } satisfies SseCommand);
  } catch (err) {
    fail(`aborted: ${(err as Error).message}`);
  } finally {
    agent.destroy();
    cleanUp();
  }

  // ------------------------------------------------------------ verdicts and summary
  const statusLine = [...traffic.statuses].sort((a, b) => b[1] - a[1]).map(([s, n]) => `${s} × ${n}`).join(', ');
  const requests = [...traffic.statuses.values()].reduce((a, b) => a + b, 0);
  const errors = [...traffic.statuses].filter(([s]) => s !== '200').reduce((n, [, c]) => n + c, 0);
  if (errors) fail(`${errors} request(s) failed: ${traffic.errorSamples.join(' | ')}`);
  if (traffic.malformed) fail(`${traffic.malformed} malformed response(s): ${traffic.malformedSamples.join(' | ')}`);
  if (traffic.decreases) fail(`${traffic.decreases} counter decrease(s): ${traffic.decreaseSamples.join(' | ')}`);
  if (traffic.fullParses === 0) fail('no exposition was parsed fully');
  if (sseStats) {
    if (sseStats.sawMarker !== SSE_CLIENTS) fail(`${SSE_CLIENTS - sseStats.sawMarker} of ${SSE_CLIENTS} SSE clients did not receive the final state within ${MARKER_TIMEOUT_MS} ms`);
    if (sseStats.earlyMarker) fail(`${sseStats.earlyMarker} SSE clients saw the marker before it was written`);
    if (sseStats.malformedCount) fail(`${sseStats.malformedCount} malformed SSE event(s): ${sseStats.malformed.join(' | ')}`);
    if (Object.keys(sseStats.badStatus).length || sseStats.connectErrors) fail(`SSE connects refused: ${JSON.stringify(sseStats.badStatus)}, ${sseStats.connectErrors} network errors`);
  }
  const errorLogs = [...logs.levels].filter(([l]) => l >= 50 || l === 0).reduce((n, [, c]) => n + c, 0);
  if (errorLogs) fail(`exporter logged ${errorLogs} error(s) or non-JSON line(s): ${logs.errors.join(' | ')}`);

  const span = (loadEnd - loadStart) / 3;
  const during = (from: number, to: number) => rss.filter((s) => s.t >= loadStart + from * span && s.t < loadStart + to * span).map((s) => s.rssKb);
  const load = during(0, 3.01);
  const middle = during(1, 2);
  const lastThird = during(2, 3.01);
  const midMax = mb(Math.max(...middle));
  const lastMed = mb(median(lastThird));
  let memoryVerdict = 'too few samples';
  if (middle.length >= 2 && lastThird.length >= 2) {
    const growing = lastMed > midMax * RSS_GROWTH && lastMed > RSS_FLOOR_MB;
    memoryVerdict = growing ? 'GROWING' : 'stable';
    if (growing) fail(`memory keeps growing: RSS peaked at ${fmt(midMax)} MB in the middle third, its median in the last third is ${fmt(lastMed)} MB`);
  } else fail(`too few RSS samples to judge memory (${middle.length} in the middle third, ${lastThird.length} in the last)`);

  const lat: (string | number)[][] = [['route', 'requests', 'p50 ms', 'p99 ms', 'max ms']];
  const all = new Latencies();
  for (const [kind, l] of Object.entries(traffic.latency)) {
    const s = l.summary();
    lat.push([kind === 'metrics' ? '/metrics (text)' : kind === 'openmetrics' ? '/metrics (OpenMetrics)' : kind === 'json' ? 'JSON routes' : kind === 'csv' ? 'CSV routes' : '/healthz', l.n, fmt(s.p50), fmt(s.p99), fmt(s.max)]);
  }
  for (const l of Object.values(traffic.latency)) all.addAll(l);
  const a = all.summary();
  lat.push(['all', all.n, fmt(a.p50), fmt(a.p99), fmt(a.max)]);

  const seconds = (loadEnd - loadStart) / 1000;
  const w = writerStats;
  const out: string[] = [];
  out.push('', `=== wvo-exporter load test: ${DURATION_S} s, ${SCRAPERS} scrapers, ${SSE_CLIENTS} SSE clients ===`, '');
  out.push(table(lat), '');
  out.push(`requests      ${requests} (${fmt(requests / (seconds || 1), 0)}/s); status: ${statusLine || 'none'}; errors: ${errors}; malformed: ${traffic.malformed}; keep-alive races retried: ${keepAliveRetries}`);
  out.push(`slowest       ${slowest.map((x) => `${x.route} ${fmt(x.ms, 0)} ms (sent at +${fmt((x.at - loadStart) / 1000)} s)`).join(', ')}`);
  out.push(`counters      ${traffic.fullParses} full exposition parses, ${traffic.seriesCompared} counter/histogram series compared with the previous scrape, ${traffic.decreases} decreases`);
  if (sseStats) {
    out.push(
      `SSE           ${sseStats.clients} clients; events per client min ${sseStats.eventsMin} / max ${sseStats.eventsMax} (total ${sseStats.eventsTotal}, ${fmt(sseStats.bytesTotal / 1048576, 0)} MiB); ` +
        `${sseStats.validatedEvents} events fully validated; drops ${sseStats.drops}, connects ${sseStats.connects}; malformed ${sseStats.malformedCount}`,
    );
    out.push(`final state   ${sseStats.sawMarker}/${sseStats.clients} clients received cpuPercent ${MARKER_CPU}; delay p50 ${sseStats.markerDelayMsP50} ms, max ${sseStats.markerDelayMsMax} ms`);
  }
  if (w) {
    out.push(
      `writers       ${fmt(w.elapsedMs / 1000)} s: ${w.docWrites.atomic} atomic + ${w.docWrites.inPlace} in-place document writes (${fmt((w.docWrites.atomic + w.docWrites.inPlace) / (w.elapsedMs / 1000), 0)}/s); ` +
        `${w.decisions.valid + w.decisions.bad} decision lines (${w.decisions.bad} bad), ${w.executions.summaries + w.executions.other + w.executions.bad} execution lines ` +
        `(${w.executions.other} other types, ${w.executions.bad} bad), ${w.splitWrites} writes ending mid-line; rotated to ${w.rotatedTo ?? 'NOT ROTATED'}`,
    );
  }
  if (rss.length) {
    out.push(
      `exporter RSS  start ${fmt(mb(rss[0]!.rssKb))} MB, peak ${fmt(mb(Math.max(...rss.map((s) => s.rssKb))))} MB, end ${fmt(mb(rss.at(-1)!.rssKb))} MB; ` +
        `middle third peak ${fmt(midMax)} MB, last third median ${fmt(lastMed)} MB → ${memoryVerdict} (fails above peak +${Math.round((RSS_GROWTH - 1) * 100)} % and ${RSS_FLOOR_MB} MB)`,
    );
  }
  if (load.length) out.push(`RSS series    ${load.map((k) => Math.round(mb(k))).join(' ')} MB (one a second during the load)`);
  if (cpuStart !== undefined && cpuEnd !== undefined) {
    out.push(
      `CPU           exporter ${fmt(cpuEnd - cpuStart)} s during the load (${fmt(((cpuEnd - cpuStart) / (seconds || 1)) * 100, 0)} % of one core); ` +
        `load generator: scrapers ${fmt(mainCpu ? (mainCpu.user + mainCpu.system) / 1e6 : NaN)} s, SSE clients ${fmt((sseStats?.cpuMs ?? NaN) / 1000)} s, writers ${fmt((w?.cpuMs ?? NaN) / 1000)} s`,
    );
  }
  if (versions) {
    out.push(`snapshots     ${versions[1] - versions[0]} built during the run (version ${versions[0]} → ${versions[1]}); ${tornReads} torn document reads rejected (wvo_source_errors_total)`);
  }
  out.push(`phases        ${phases.join(', ')}`);
  const topLogs = [...logs.messages].sort((x, y) => y[1] - x[1]).slice(0, 4).map(([m, n]) => `${n}× ${m}`);
  out.push(`exporter logs ${[...logs.levels].map(([l, n]) => `level ${l}: ${n}`).join(', ') || 'none'}${topLogs.length ? ` (${topLogs.join('; ')})` : ''}`);
  out.push(`shutdown      ${shutdown || 'not reached'}`, '');
  if (totals.length > 1) out.push(table(totals), '');
  out.push(failures.length ? `FAIL (${failures.length}):\n${failures.map((f) => `  - ${f}`).join('\n')}` : 'PASS', '');
  process.stdout.write(out.join('\n'));
  return failures.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`load: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
