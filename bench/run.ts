// `npm run bench`: generates a large workspace, starts the exporter as a user would and prints
// one table of figures measured side by side in this run. Exits 0 even when goals are missed.
import autocannon from 'autocannon';
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, promises as fs } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Collector as CollectorClass } from '../src/collector/collector.js';
import { silentLogger } from '../src/logger.js';
import { openIdOnlySse, openSse } from './sse-client.js';
import { formatRows, npmStartRows, type StartRow } from './start.js';
import { tlsTable, tlsThroughput, type BenchKit } from './tls.js';
import { atomicWrite, decisionLine, generateWorkspace, PATHS, rng, type WorkspaceInfo } from './workspace.js';
import { describeSink, startOtlpSink } from './otlp-sink.js';
import { backfillFigures, printBackfillOnly, sampleFigures, yearFigures } from './backfill.js';
import { indexRow, timelineRow, timelineTask, type TimelineRow } from './timeline.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const LOAD_SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 6);
const CONNECTIONS = 20;
const SSE_CHANGES = 50;
const FANOUT_CLIENTS = 1000;
const FANOUT_CHANGES = 10;
const CYCLES = 1000;
const APPEND_REPS = 30;
const MB = 1024 * 1024;

// ---------------------------------------------------------------- process hygiene

const children = new Set<ChildProcess>();
const tempDirs: string[] = [];
const collectors: CollectorClass[] = [];

const dist = async <T>(rel: string): Promise<T> => (await import(pathToFileURL(path.join(REPO, 'dist', rel)).href)) as T;

/** The compiled collector (built by `npm run bench`), set up as the exporter sets it up, parse workers included. */
async function inProcessCollector(root: string): Promise<CollectorClass> {
  const { Collector } = await dist<typeof import('../src/collector/collector.js')>('collector/collector.js');
  const { defaultConfig } = await dist<typeof import('../src/config.js')>('config.js');
  const config = defaultConfig({ workspaceRoot: root });
  const c = new Collector({
    workspaceRoot: root,
    logger: silentLogger,
    maxLineBytes: config.maxLineBytes,
    pollIntervalMs: 1e9,
    watch: false,
    parseWorkers: config.parseWorkers,
  });
  collectors.push(c);
  return c;
}
let exporterOutput: (() => string) | undefined;
let stoppingExporter = false;

function cleanup(): void {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null && c.pid !== undefined) {
      try {
        process.kill(c.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  children.clear();
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    process.stderr.write(`\nbench: ${sig}, cleaning up\n`);
    cleanup();
    process.exit(130);
  });
}

const track = <T extends ChildProcess>(c: T): T => {
  children.add(c);
  c.once('exit', () => children.delete(c));
  return c;
};

// ---------------------------------------------------------------- helpers

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));
const now = () => performance.now();
const log = (msg: string) => process.stderr.write(`[bench ${((now() - T0) / 1000).toFixed(1).padStart(5)}s] ${msg}\n`);
const T0 = now();

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}
const sortNum = (xs: number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: number[]) => quantile(sortNum(xs), 0.5);
const ms = (x: number, d = 1) => `${x.toFixed(d)} ms`;
const mb = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}
function get(url: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error(`timeout: ${url}`)));
  });
}

/** Sum of every sample of a metric family in Prometheus text. */
function metricSum(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** Peak and per-phase RSS of a process, sampled from /proc. */
class RssSampler {
  phase = 'start';
  readonly peaks = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;
  constructor(private readonly pid: number) {
    this.timer = setInterval(() => this.sample(), 100);
    this.timer.unref();
  }
  private field(name: string): number | undefined {
    try {
      const m = readFileSync(`/proc/${this.pid}/status`, 'utf8').match(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm'));
      return m ? Number(m[1]) * 1024 : undefined;
    } catch {
      return undefined;
    }
  }
  sample(): void {
    const rss = this.field('VmRSS');
    if (rss !== undefined) this.peaks.set(this.phase, Math.max(this.peaks.get(this.phase) ?? 0, rss));
  }
  hwm(): number | undefined {
    return this.field('VmHWM');
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

/** CPU seconds (user + system, all threads) a process has used so far. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface Load {
  rps: number;
  /** Server CPU per answered request, µs: robust to other load on the machine, unlike rps. */
  cpuUs: number;
  p50: number;
  p99: number;
  max: number;
  responses: number;
  non2xx: number;
  errors: number;
}

interface Segment {
  latencies: number[];
  non2xx: number;
  errors: number;
  seconds: number;
  cpuSeconds: number;
}

/** autocannon for `seconds`; latencies taken from its per-response event at full precision. */
function segment(url: string, seconds: number, serverPid: number, extra: Partial<autocannon.Options> = {}): Promise<Segment> {
  return new Promise((resolve, reject) => {
    const latencies: number[] = [];
    let non2xx = 0;
    const started = now();
    const cpuBefore = cpuSeconds(serverPid);
    const inst = autocannon({ url, connections: CONNECTIONS, duration: seconds, ...extra }, (err, result) => {
      if (err) return reject(err);
      resolve({ latencies, non2xx, errors: result.errors + result.timeouts, seconds: (now() - started) / 1000, cpuSeconds: cpuSeconds(serverPid) - cpuBefore });
    });
    inst.on('response', (_client, status, _bytes, responseTime) => {
      latencies.push(responseTime);
      if (status < 200 || status > 299) non2xx++;
    });
  });
}

function summarise(parts: Segment[]): Load {
  const latencies = parts.flatMap((p) => p.latencies);
  const sorted = sortNum(latencies);
  const non2xx = parts.reduce((n, p) => n + p.non2xx, 0);
  const sum = (f: (p: Segment) => number) => parts.reduce((n, p) => n + f(p), 0);
  return {
    rps: (latencies.length - non2xx) / sum((p) => p.seconds),
    cpuUs: (sum((p) => p.cpuSeconds) * 1e6) / Math.max(1, latencies.length),
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    max: sorted[sorted.length - 1] ?? NaN,
    responses: latencies.length,
    non2xx,
    errors: sum((p) => p.errors),
  };
}

const load = async (url: string, seconds: number, serverPid: number): Promise<Load> => summarise([await segment(url, seconds, serverPid)]);

/**
 * Exporter and static server in alternating slices (A B A B A B), so that other load on the
 * machine, which comes and goes, weighs on both alike.
 */
async function sideBySide(a: { url: string; pid: number; extra?: Partial<autocannon.Options> }, b: { url: string; pid: number; extra?: Partial<autocannon.Options> }, seconds: number, slices = 6): Promise<[Load, Load]> {
  const pa: Segment[] = [];
  const pb: Segment[] = [];
  for (let i = 0; i < slices; i++) {
    pa.push(await segment(a.url, seconds / slices, a.pid, a.extra));
    pb.push(await segment(b.url, seconds / slices, b.pid, b.extra));
  }
  return [summarise(pa), summarise(pb)];
}

async function forkChild(script: string, args: string[]): Promise<{ child: ChildProcess; first: unknown }> {
  const child = track(fork(path.join(REPO, 'bench', script), args, { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  const first = await new Promise<unknown>((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return { child, first };
}

// ---------------------------------------------------------------- the exporter

interface Exporter {
  proc: ChildProcess;
  base: string;
  rss: RssSampler;
  output: () => string;
}

/** The node flags `npm start` uses, so the exporter runs exactly as a user starts it. */
function startFlags(): string[] {
  const start: string = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')).scripts.start;
  return start.split(/\s+/).filter((w) => w.startsWith('--'));
}

/**
 * Every exporter the bench starts sends traces and metrics over OTLP to this loopback sink (unless
 * BENCH_TRACES=0), so each figure is measured with the whole pipeline on, as the issue's goals ask.
 */
let otlpEnv: Record<string, string> = {};
/** Where each exporter keeps its traces positions file (as a user running it for long would). */
let positionsDir: string | undefined;

function startExporter(root: string, port: number, env: Record<string, string> = {}): Exporter {
  const extra = [...startFlags(), ...(process.env.BENCH_EXPORTER_NODE_ARGS?.split(' ').filter(Boolean) ?? [])];
  const proc = track(
    spawn(process.execPath, [...extra, path.join(REPO, 'dist/cli.js')], {
      env: { ...process.env, WVO_WORKSPACE_ROOT: root, WVO_OBSERVABILITY_PORT: String(port), WVO_RATE_LIMIT_PER_MIN: '0', LOG_LEVEL: 'warn', ...otlpEnv, ...(positionsDir ? { WVO_TRACES_STATE_FILE: path.join(positionsDir, `traces-${port}.json`) } : {}), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let out = '';
  const keep = (c: Buffer) => {
    out = (out + c.toString()).slice(-20_000);
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  return { proc, base: `http://127.0.0.1:${port}`, rss: new RssSampler(proc.pid!), output: () => out };
}

const rssPeaks = (ex: Exporter) => [...ex.rss.peaks].map(([p, b]) => `${p} ${mb(b)}`).join(', ');

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, everyMs = 20): Promise<T> {
  const deadline = now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

async function sseClients(base: string): Promise<number> {
  return metricSum((await get(`${base}/metrics`)).body.toString(), 'wvo_sse_clients');
}

// ---------------------------------------------------------------- figures

interface Row {
  figure: string;
  measured: string;
  goal: string;
  met: boolean | undefined;
  note?: string;
}

async function coldStart(ws: WorkspaceInfo): Promise<{ ex: Exporter; tasksMs: number; metricsMs: number; cpuS: number }> {
  const port = await freePort();
  const t = now();
  const ex = startExporter(ws.root, port);
  exporterOutput = ex.output;
  ex.rss.phase = 'cold start';
  ex.proc.once('exit', (code, sig) => {
    if (!stoppingExporter) log(`exporter exited UNEXPECTEDLY (code ${code}, signal ${sig}) during "${ex.rss.phase}": something else on this machine stopped it`);
  });
  const [tasksMs, metricsMs] = await Promise.all([
    waitFor('first 200 from /api/metrics/tasks', 120_000, async () => ((await get(`${ex.base}/api/metrics/tasks`)).status === 200 ? now() - t : undefined)),
    waitFor('/metrics reflecting the full logs', 120_000, async () => {
      const r = await get(`${ex.base}/metrics`);
      if (r.status !== 200) return undefined;
      const text = r.body.toString();
      const complete =
        metricSum(text, 'wvo_quality_gate_decisions_total') === ws.decisionLines && metricSum(text, 'wvo_executions_total') === ws.executionSummaries + ws.archiveSummaries;
      return complete ? now() - t : undefined;
    }),
  ]);
  return { ex, tasksMs, metricsMs, cpuS: cpuSeconds(ex.proc.pid!) };
}

async function startStatic(ex: Exporter, dir: string, routes: string[]): Promise<{ base: string; pid: number; sizes: Record<string, number> }> {
  const manifest: Record<string, { headers: Record<string, string>; bodyFile: string }> = {};
  const sizes: Record<string, number> = {};
  const DROP = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding', 'content-length']);
  for (const [i, route] of routes.entries()) {
    const r = await get(ex.base + route);
    if (r.status !== 200) throw new Error(`${route} answered ${r.status}`);
    const bodyFile = path.join(dir, `static-${i}.bin`);
    await fs.writeFile(bodyFile, r.body);
    const headers = Object.fromEntries(Object.entries(r.headers).filter(([k, v]) => !DROP.has(k) && typeof v === 'string')) as Record<string, string>;
    manifest[route] = { headers, bodyFile };
    sizes[route] = r.body.length;
  }
  const file = path.join(dir, 'static-manifest.json');
  await fs.writeFile(file, JSON.stringify(manifest));
  const { child, first } = await forkChild('static-server.ts', [file]);
  const base = `http://127.0.0.1:${(first as { port: number }).port}`;
  for (const route of routes) {
    const r = await get(base + route);
    if (r.body.length !== sizes[route]) throw new Error(`static server answers ${route} with other bytes`);
  }
  return { base, pid: child.pid!, sizes };
}

async function writeCpu(root: string, base: Record<string, unknown>, cpu: number): Promise<number> {
  await atomicWrite(path.join(root, PATHS.resources), JSON.stringify({ ...base, cpu_used_pct: cpu, timestamp: new Date().toISOString() }, null, 2) + '\n');
  return now();
}

const cpuOf = (data: string): number | undefined => {
  try {
    return (JSON.parse(data) as { resources?: { host?: { cpuPercent?: number } } }).resources?.host?.cpuPercent ?? undefined;
  } catch {
    return undefined;
  }
};

async function sseLatency(ex: Exporter, root: string): Promise<{ latencies: number[]; timeouts: number }> {
  const base = JSON.parse(await fs.readFile(path.join(root, PATHS.resources), 'utf8')) as Record<string, unknown>;
  let waiting: { cpu: number; resolve: (at: number) => void } | undefined;
  const client = await openSse(`${ex.base}/api/metrics/stream`, (e) => {
    if (waiting && cpuOf(e.data) === waiting.cpu) waiting.resolve(e.at);
  });
  await sleep(300);
  const latencies: number[] = [];
  let timeouts = 0;
  for (let i = 0; i < SSE_CHANGES; i++) {
    // Three decimals: never equal to a generated value (one decimal), unique per change.
    const cpu = Math.round((5.123 + i * 1.7) * 1000) / 1000;
    const got = new Promise<number | undefined>((resolve) => {
      waiting = { cpu, resolve };
      setTimeout(() => resolve(undefined), 3000);
    });
    const written = await writeCpu(root, base, cpu);
    const at = await got;
    waiting = undefined;
    if (at === undefined) timeouts++;
    else latencies.push(at - written);
    await sleep(120 + ((i * 37) % 80));
  }
  client.close();
  return { latencies, timeouts };
}

interface Fanout {
  connected: number;
  complete: number;
  expected: number;
  seenByObserver: number;
  worstSpreadMs: number;
  rejected: number;
}

async function sseFanout(ex: Exporter, root: string): Promise<Fanout> {
  await waitFor('SSE clients to drain', 10_000, async () => ((await sseClients(ex.base)) === 0 ? true : undefined), 100);
  const base = JSON.parse(await fs.readFile(path.join(root, PATHS.resources), 'utf8')) as Record<string, unknown>;
  const url = `${ex.base}/api/metrics/stream`;
  const reach = new Map<number, { count: number; allAt?: number }>();
  const onNewId = (id: number) => {
    const r = reach.get(id) ?? { count: 0 };
    r.count++;
    if (r.count === FANOUT_CLIENTS) r.allAt = now();
    reach.set(id, r);
  };
  // Client 0 also reads the payloads, to learn which event id carries which change.
  const idOfCpu = new Map<number, number>();
  const observerIds = new Set<number>();
  const observer = await openSse(url, (e) => {
    const cpu = cpuOf(e.data);
    if (cpu !== undefined && !idOfCpu.has(cpu)) idOfCpu.set(cpu, e.id);
    if (!observerIds.has(e.id)) {
      observerIds.add(e.id);
      onNewId(e.id);
    }
  });
  const clients: Awaited<ReturnType<typeof openIdOnlySse>>[] = [];
  let rejected = 0;
  for (let i = 1; i < FANOUT_CLIENTS; i += 100) {
    const batch = await Promise.allSettled(Array.from({ length: Math.min(100, FANOUT_CLIENTS - i) }, () => openIdOnlySse(url, onNewId)));
    for (const b of batch) {
      if (b.status === 'fulfilled') clients.push(b.value);
      else rejected++;
    }
  }
  const connected = clients.length + 1;
  await waitFor('every client to get its first event', 30_000, async () => (clients.every((c) => c.ids.size > 0) && observerIds.size > 0 ? true : undefined), 50).catch(() => undefined);

  const changes: { cpu: number; at: number }[] = [];
  for (let i = 0; i < FANOUT_CHANGES; i++) {
    const cpu = Math.round((7.507 + i * 8.3) * 1000) / 1000;
    changes.push({ cpu, at: await writeCpu(root, base, cpu) });
    await sleep(300);
  }
  const expectedIds = () => changes.map((c) => idOfCpu.get(c.cpu)).filter((x): x is number => x !== undefined);
  const completeCount = () => {
    const ids = expectedIds();
    return clients.filter((c) => ids.every((id) => c.ids.has(id))).length + (ids.every((id) => observerIds.has(id)) ? 1 : 0);
  };
  await waitFor('every client to get every event', 10_000, async () => (expectedIds().length === FANOUT_CHANGES && completeCount() === FANOUT_CLIENTS ? true : undefined), 100).catch(() => undefined);

  const ids = expectedIds();
  let worstSpreadMs = 0;
  for (const c of changes) {
    const id = idOfCpu.get(c.cpu);
    const allAt = id === undefined ? undefined : reach.get(id)?.allAt;
    worstSpreadMs = Math.max(worstSpreadMs, allAt === undefined ? Infinity : allAt - c.at);
  }
  const result: Fanout = { connected, complete: completeCount(), expected: FANOUT_CHANGES, seenByObserver: ids.length, worstSpreadMs, rejected };
  observer.close();
  for (const c of clients) c.close();
  await waitFor('SSE clients to drain', 10_000, async () => ((await sseClients(ex.base)) === 0 ? true : undefined), 100).catch(() => undefined);
  return result;
}

async function unchangedCycles(root: string): Promise<{ mean: number; p99: number; cpuMs: number; startMs: number; changed: number; index: TimelineRow }> {
  const c = await inProcessCollector(root);
  const t = now();
  await c.start();
  const startMs = now() - t;
  const index = await indexRow(c);
  for (let i = 0; i < 50; i++) await c.refresh();
  const changedBefore = c.counters.changedCycles;
  const times: number[] = [];
  const cpu = process.cpuUsage();
  for (let i = 0; i < CYCLES; i++) {
    const s = now();
    await c.refresh();
    times.push(now() - s);
  }
  const used = process.cpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1000 / CYCLES;
  const changed = c.counters.changedCycles - changedBefore;
  await c.stop();
  const sorted = sortNum(times);
  return { mean: times.reduce((a, b) => a + b, 0) / times.length, p99: quantile(sorted, 0.99), cpuMs, startMs, changed, index };
}

interface AppendCost {
  medians: [number, number];
  mins: [number, number];
  /** CPU of the whole bench process (the other collector is idle meanwhile): immune to waiting for a core. */
  cpuMedians: [number, number];
  starts: [number, number];
}

async function appendCost(roots: [string, string]): Promise<AppendCost> {
  const r = rng(99);
  const batch = Array.from({ length: 1000 }, (_, i) => decisionLine(r, 900_000 + i)).join('\n') + '\n';
  const cs = [await inProcessCollector(roots[0]), await inProcessCollector(roots[1])];
  const starts: number[] = [];
  for (const c of cs) {
    const t = now();
    await c.start();
    starts.push(now() - t);
  }
  const times: [number[], number[]] = [[], []];
  const cpu: [number[], number[]] = [[], []];
  // Interleaved, so machine noise hits both sizes alike.
  for (let rep = 0; rep < APPEND_REPS; rep++) {
    for (const k of [0, 1] as const) {
      await fs.appendFile(path.join(roots[k], PATHS.decisions), batch);
      const u = process.cpuUsage();
      const t = now();
      await cs[k]!.refresh();
      times[k].push(now() - t);
      const used = process.cpuUsage(u);
      cpu[k].push((used.user + used.system) / 1000);
    }
  }
  for (const c of cs) await c.stop();
  return {
    medians: [median(times[0]), median(times[1])],
    mins: [Math.min(...times[0]), Math.min(...times[1])],
    cpuMedians: [median(cpu[0]), median(cpu[1])],
    starts: [starts[0]!, starts[1]!],
  };
}

// ---------------------------------------------------------------- latency while files change

const ROUTES = ['/metrics', '/api/metrics/tasks'];
const latCell = (pick: (l: Load) => number, withStatic: boolean, data: Record<string, { exp: Load; bare?: Load }>) =>
  ROUTES.map((r) => `${r === '/metrics' ? '/metrics' : '/tasks'} ${ms(pick(data[r]!.exp))}${withStatic && data[r]!.bare ? ` (static ${ms(pick(data[r]!.bare!))})` : ''}`).join(', ');
const worst = (pick: (l: Load) => number, data: Record<string, { exp: Load }>) => Math.max(...ROUTES.map((r) => pick(data[r]!.exp)));

/** Load on each route while the simulator rewrites every JSON document 10×/s and appends 1,000 lines/s to each log. */
async function loadWhileWriting(ex: Exporter, big: WorkspaceInfo, stat: { base: string; pid: number }, timelinePath?: string): Promise<{ rows: StartRow[]; note: string; timeline?: Load }> {
  log('writers on: JSON rewritten 10×/s, 1,000 lines/s appended to each log');
  const before = (await get(`${ex.base}/metrics`)).body.toString();
  const versionBefore = metricSum(before, 'wvo_snapshot_version');
  const decisionsBefore = metricSum(before, 'wvo_quality_gate_decisions_total');
  const { child: writers } = await forkChild('writers.ts', [big.root, '1000']);
  await sleep(1000);
  const busy: Record<string, { exp: Load; bare: Load }> = {};
  const notes: string[] = [];
  for (const route of ROUTES) {
    log(`load ${route} while writing: exporter and static server alternating, ${LOAD_SECONDS} s each`);
    ex.rss.phase = `${route} while writing`;
    const [exp, bare] = await sideBySide({ url: ex.base + route, pid: ex.proc.pid! }, { url: stat.base + route, pid: stat.pid }, LOAD_SECONDS);
    busy[route] = { exp, bare };
    const e = busy[route]!.exp;
    if (e.non2xx || e.errors) notes.push(`${route} while writing: ${e.non2xx} non-2xx, ${e.errors} errors/timeouts`);
  }
  let timeline: Load | undefined;
  if (timelinePath) {
    log(`load ${timelinePath} while writing, ${LOAD_SECONDS} s`);
    ex.rss.phase = 'timeline while writing';
    timeline = await load(ex.base + timelinePath, LOAD_SECONDS, ex.proc.pid!);
  }
  writers.send('stop');
  const wstats = (await new Promise((resolve) => writers.once('message', resolve))) as {
    ticks: number;
    rewrites: number;
    decisionLines: number;
    executionLines: number;
    lateTicks: number;
    startedAt: number;
    stoppedAt: number;
  };
  const wsecs = (wstats.stoppedAt - wstats.startedAt) / 1000;
  await sleep(1500);
  const after = (await get(`${ex.base}/metrics`)).body.toString();
  const versionAfter = metricSum(after, 'wvo_snapshot_version');
  const decisionsSeen = metricSum(after, 'wvo_quality_gate_decisions_total');
  const expected = decisionsBefore + wstats.decisionLines;
  const note =
    `writers: ${(wstats.rewrites / wsecs).toFixed(0)} JSON rewrites/s (${Math.round(wstats.rewrites / wstats.ticks)} files × ${(wstats.ticks / wsecs).toFixed(1)}/s), ` +
    `${(wstats.decisionLines / wsecs).toFixed(0)} decision + ${(wstats.executionLines / wsecs).toFixed(0)} execution lines/s, ${wstats.lateTicks} late ticks; ` +
    `snapshot versions during the writing phase: ${versionAfter - versionBefore}; decisions counted after it: ${decisionsSeen} ` +
    `(expected ${expected}: ${decisionsSeen === expected ? 'ok' : 'MISMATCH'})` +
    notes.map((n) => `; ${n}`).join('');
  return {
    note,
    timeline,
    rows: [
      { figure: 'p99 latency while files change', measured: latCell((l) => l.p99, true, busy), goal: '≤ 10 ms', met: worst((l) => l.p99, busy) <= 10 },
      { figure: 'worst latency while files change', measured: latCell((l) => l.max, true, busy), goal: '≤ 100 ms', met: worst((l) => l.max, busy) <= 100 },
    ],
  };
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  if (process.env.BENCH_ONLY === 'start') return void process.stdout.write(formatRows(await npmStartRows()));
  const cpus = os.cpus();
  const machine = `${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB RAM, Node ${process.version}, ${os.type()} ${os.release()}`;
  const loadBefore = os.loadavg();
  log(`machine: ${machine}; load average ${loadBefore.map((x) => x.toFixed(2)).join(' ')}`);

  const dir = mkdtempSync(path.join(os.tmpdir(), 'wvo-bench-'));
  tempDirs.push(dir);
  const sink = process.env.BENCH_TRACES === '0' ? undefined : await startOtlpSink();
  if (sink) {
    otlpEnv = { OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint };
    positionsDir = dir;
  }
  const bigRoot = path.join(dir, 'big');
  const roots: [string, string] = [path.join(dir, 'log10'), path.join(dir, 'log50')];
  for (const d of [bigRoot, ...roots]) await fs.mkdir(d);
  log('generating workspaces');
  const big = await generateWorkspace(bigRoot, { roadmap: [20, 5, 20, 50], decisions: { lines: 100_000 }, executionSummaries: 100_000, archives: { files: 4, summaries: 20_000 } });
  const tlsKit: BenchKit = { startExporter, sideBySide, freePort, log, seconds: LOAD_SECONDS };
  if (process.env.BENCH_ONLY === 'tls') return void process.stdout.write(tlsTable(await tlsThroughput(tlsKit, bigRoot, dir)));
  const small = await Promise.all(
    roots.map((root, k) => generateWorkspace(root, { roadmap: [3, 3, 10, 5], decisions: { bytes: [10, 50][k]! * MB }, executionSummaries: 1000 }, 43 + k)),
  );
  const wsLine =
    `big workspace: ${big.tasks} roadmap tasks (${mb(big.roadmapBytes)} YAML), ${big.decisionLines} decision lines (${mb(big.decisionBytes)}), ` +
    `${big.executionLines} execution lines of which ${big.executionSummaries} summaries (${mb(big.executionBytes)}), ` +
    `${big.archiveSummaries} more summaries in ${big.archiveFiles} archives (${mb(big.archiveBytes)}); ` +
    `append-cost logs: ${mb(small[0]!.decisionBytes)} (${small[0]!.decisionLines} lines) and ${mb(small[1]!.decisionBytes)} (${small[1]!.decisionLines} lines)`;
  log(wsLine);

  const rows: Row[] = [];
  const notes: string[] = [];
  if (process.env.BENCH_ONLY === 'backfill') return printBackfillOnly([...(await backfillFigures(dir, { root: bigRoot, info: big }, log)), ...(await sampleFigures(dir, log)), ...(await yearFigures(dir, log))]);

  log('npm start on the sample workspace');
  rows.push(...(await npmStartRows()));

  // 7. cold start (this exporter then serves the rest of the run)
  log('cold start');
  const cold = await coldStart(big);
  const ex = cold.ex;
  const coldMs = Math.max(cold.tasksMs, cold.metricsMs);
  const timeline = await timelineTask(ex.base, get);
  log(`timeline: ${timeline.path} has ${timeline.total} events`);
  const timelineQuiet = async () => {
    ex.rss.phase = 'load timeline';
    log(`load ${timeline.path}: warm-up, then ${LOAD_SECONDS} s`);
    await load(ex.base + timeline.path, 2, ex.proc.pid!);
    return load(ex.base + timeline.path, LOAD_SECONDS, ex.proc.pid!);
  };
  if (process.env.BENCH_ONLY === 'timeline') {
    // The timeline route quiet and while the writers append, and the index's size, alone.
    const quiet = await timelineQuiet();
    const stat = await startStatic(ex, dir, ROUTES);
    const busy = await loadWhileWriting(ex, big, stat, timeline.path);
    const hwm = ex.rss.hwm() ?? NaN;
    stoppingExporter = true;
    const exited = new Promise((resolve) => ex.proc.once('exit', resolve));
    ex.proc.kill('SIGTERM');
    await exited;
    const cyc = await unchangedCycles(bigRoot);
    const rowsOnly = [...busy.rows, timelineRow(timeline.total, quiet, busy.timeline), cyc.index, { figure: 'peak RSS of the exporter (VmHWM)', measured: mb(hwm), goal: '≤ 150 MB', met: hwm <= 150 * MB }];
    return void process.stdout.write(`${formatRows(rowsOnly)}- ${wsLine}\n- ${busy.note}\n\n`);
  }
  if (process.env.BENCH_ONLY === 'busy') {
    // Just the latency under writes, three times over on one exporter (it varies run to run).
    const stat = await startStatic(ex, dir, ROUTES);
    for (let i = 0; i < 3; i++) {
      const busy = await loadWhileWriting(ex, big, stat, timeline.path);
      process.stdout.write(`${formatRows([...busy.rows, timelineRow(timeline.total, undefined, busy.timeline)])}- ${busy.note}\n\n`);
    }
    process.stdout.write(`- exporter peak RSS (VmHWM)${sink ? ', traces on' : ''}: ${mb(ex.rss.hwm() ?? NaN)}; by phase: ${rssPeaks(ex)}\n`);
    stoppingExporter = true;
    const exited = new Promise((resolve) => ex.proc.once('exit', resolve));
    ex.proc.kill('SIGTERM');
    return void (await exited);
  }
  notes.push(`cold start: the exporter had used ${cold.cpuS.toFixed(2)} s of CPU (all threads) when complete`);

  // 1-2. throughput and latency, quiet
  const stat = await startStatic(ex, dir, ROUTES);
  notes.push(`response sizes: /metrics ${stat.sizes['/metrics']} B, /api/metrics/tasks ${stat.sizes['/api/metrics/tasks']} B`);
  const quiet: Record<string, { exp: Load; bare: Load }> = {};
  for (const route of ROUTES) {
    ex.rss.phase = `load ${route}`;
    log(`load ${route}: warm-up`);
    await load(ex.base + route, 2, ex.proc.pid!);
    await load(stat.base + route, 2, stat.pid);
    log(`load ${route}: exporter and static server alternating, ${LOAD_SECONDS} s each`);
    const [exp, bare] = await sideBySide({ url: ex.base + route, pid: ex.proc.pid! }, { url: stat.base + route, pid: stat.pid }, LOAD_SECONDS);
    quiet[route] = { exp, bare };
    if (exp.non2xx || exp.errors) notes.push(`${route}: exporter answered ${exp.non2xx} non-2xx, ${exp.errors} errors/timeouts`);
    const ratio = exp.rps / bare.rps;
    rows.push({
      figure: `\`${route}\` throughput vs static server`,
      measured:
        `${Math.round(exp.rps)} vs ${Math.round(bare.rps)} req/s = **${ratio.toFixed(2)}** ` +
        `(server CPU per request ${exp.cpuUs.toFixed(0)} vs ${bare.cpuUs.toFixed(0)} µs = ${(bare.cpuUs / exp.cpuUs).toFixed(2)})`,
      goal: '≥ 0.8',
      met: ratio >= 0.8,
    });
  }
  rows.push(await tlsThroughput(tlsKit, bigRoot, dir));
  rows.push({ figure: `p99 latency, quiet (${CONNECTIONS} connections)`, measured: latCell((l) => l.p99, true, quiet), goal: '≤ 10 ms', met: worst((l) => l.p99, quiet) <= 10 });
  rows.push({ figure: 'worst latency, quiet', measured: latCell((l) => l.max, true, quiet), goal: '≤ 100 ms', met: worst((l) => l.max, quiet) <= 100 });
  const timelineQuietLoad = await timelineQuiet();

  // 3. file change → SSE event
  ex.rss.phase = 'SSE latency';
  log(`SSE: ${SSE_CHANGES} changes of resource_metrics.json`);
  const sse = await sseLatency(ex, bigRoot);
  const sseSorted = sortNum(sse.latencies.concat(Array(sse.timeouts).fill(Infinity)));
  const p95 = quantile(sseSorted, 0.95);
  rows.push({
    figure: 'file change → SSE event',
    measured: `p50 ${ms(quantile(sseSorted, 0.5))}, p95 ${ms(p95)}, max ${ms(sseSorted[sseSorted.length - 1]!)} (${SSE_CHANGES} changes${sse.timeouts ? `, ${sse.timeouts} never arrived` : ''})`,
    goal: 'p95 ≤ 100 ms',
    met: p95 <= 100,
  });

  // 6. SSE fan-out
  ex.rss.phase = 'SSE fan-out';
  log(`SSE fan-out: ${FANOUT_CLIENTS} clients, ${FANOUT_CHANGES} changes`);
  const fan = await sseFanout(ex, bigRoot);
  rows.push({
    figure: `SSE fan-out, ${FANOUT_CLIENTS} clients`,
    measured:
      `${fan.complete}/${FANOUT_CLIENTS} clients got all ${fan.seenByObserver}/${fan.expected} events` +
      `${fan.rejected ? `, ${fan.rejected} refused` : ''}; slowest change reached all clients in ${ms(fan.worstSpreadMs, 0)}`,
    goal: 'every client, every event',
    met: fan.complete === FANOUT_CLIENTS && fan.seenByObserver === fan.expected && fan.rejected === 0,
  });

  // 2. latency while writers rewrite JSON 10×/s and append 1,000 lines/s to each log
  const busy = await loadWhileWriting(ex, big, stat, timeline.path);
  notes.push(busy.note);
  rows.push(...busy.rows);
  rows.push(timelineRow(timeline.total, timelineQuietLoad, busy.timeline));

  // 8. peak RSS over the whole run, then stop the exporter the way a user does
  const hwm = ex.rss.hwm() ?? NaN;
  ex.rss.stop();
  notes.push(`exporter RSS peaks by phase (sampled every 100 ms): ${rssPeaks(ex)}`);
  const exited = new Promise<number | null>((resolve) => ex.proc.once('exit', (code) => resolve(code)));
  stoppingExporter = true;
  ex.proc.kill('SIGTERM');
  const code = await Promise.race([exited, sleep(8000).then(() => 'timeout' as const)]);
  if (code !== 0) notes.push(`exporter did not exit 0 on SIGTERM: ${code}`);
  for (const c of children) c.kill('SIGTERM');

  // 4. unchanged collector cycle (in-process)
  log(`in-process collector: ${CYCLES} unchanged cycles on the big workspace`);
  const cyc = await unchangedCycles(bigRoot);
  if (cyc.changed !== 0) notes.push(`${cyc.changed} of the "unchanged" cycles found a change`);
  notes.push(`in-process first collection of the big workspace (worker start included): ${ms(cyc.startMs, 0)}`);
  rows.push(cyc.index);
  rows.push({
    figure: 'unchanged collector cycle',
    measured: `mean ${ms(cyc.mean, 3)}, p99 ${ms(cyc.p99, 3)} (${CYCLES} cycles; CPU ${ms(cyc.cpuMs, 3)} per cycle)`,
    goal: '≤ 1 ms',
    met: cyc.mean <= 1 && cyc.p99 <= 1,
  });

  // 5. append cost 10 MB vs 50 MB
  log('in-process collector: append cost, 10 MB vs 50 MB log');
  const app = await appendCost(roots);
  const ratio = app.medians[1] / app.medians[0];
  notes.push(`in-process first collection (worker start included): 10 MB log ${ms(app.starts[0], 0)}, 50 MB log ${ms(app.starts[1], 0)}`);
  rows.push({
    figure: 'append 1,000 lines: 50 MB log vs 10 MB log',
    measured:
      `median ${ms(app.medians[0])} vs ${ms(app.medians[1])} = **${ratio.toFixed(2)}** (${APPEND_REPS} appends each; ` +
      `min ${ms(app.mins[0])} vs ${ms(app.mins[1])} = ${(app.mins[1] / app.mins[0]).toFixed(2)}; ` +
      `CPU median ${ms(app.cpuMedians[0])} vs ${ms(app.cpuMedians[1])} = ${(app.cpuMedians[1] / app.cpuMedians[0]).toFixed(2)})`,
    goal: 'ratio ≤ 1.5',
    met: ratio <= 1.5,
  });

  rows.push({
    figure: 'cold start on the big workspace',
    measured: `${(coldMs / 1000).toFixed(2)} s (tasks 200 at ${(cold.tasksMs / 1000).toFixed(2)} s, full /metrics at ${(cold.metricsMs / 1000).toFixed(2)} s)`,
    goal: '≤ 3 s',
    met: coldMs <= 3000,
  });
  // Traces hold a batch queue and a positions file's state: the issue allows them 10 MB more.
  const rssGoal = sink ? 160 : 150;
  rows.push({ figure: `peak RSS of the exporter (VmHWM)${sink ? ', traces on' : ''}`, measured: mb(hwm), goal: `≤ ${rssGoal} MB`, met: hwm <= rssGoal * MB });
  log('backfill on the big workspace and on a tenth of its logs');
  rows.push(...(await backfillFigures(dir, { root: bigRoot, info: big }, log)));
  rows.push(...(await sampleFigures(dir, log)));
  log('backfill: a year of lines, files → blocks');
  rows.push(...(await yearFigures(dir, log)));

  if (sink) {
    notes.push(describeSink(sink));
    await sink.close();
  }

  // ---------------------------------------------------------------- report
  const loadAfter = os.loadavg();
  const order = ['npm start', 'largest process', 'throughput', 'p99 latency, quiet', 'worst latency, quiet', 'p99 latency while', 'worst latency while', 'timeline', 'SSE event', 'fan-out', 'unchanged', 'append', 'cold start', 'peak RSS of the exporter', 'line index', 'backfill'];
  rows.sort((a, b) => order.findIndex((o) => a.figure.includes(o)) - order.findIndex((o) => b.figure.includes(o)));
  const table = [
    '| figure | measured | goal | met? |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.figure} | ${r.measured} | ${r.goal} | ${r.met ? 'yes' : '**NO**'} |`),
  ].join('\n');
  const missed = rows.filter((r) => !r.met);
  if (Math.max(loadBefore[0]!, loadAfter[0]!) > cpus.length) {
    notes.unshift(
      `WARNING: other processes were competing for the ${cpus.length} cores during this run (load average above the core count): ` +
        'throughput, latency and cold-start figures are noisy and can swing by 2× between runs; ' +
        'server CPU per request and CPU per cycle are the figures least affected.',
    );
  }
  const loadLine = `load average (1/5/15 min) before: ${loadBefore.map((x) => x.toFixed(2)).join(' ')}, after: ${loadAfter.map((x) => x.toFixed(2)).join(' ')}`;
  const md = [
    `Machine: ${machine}`,
    '',
    table,
    '',
    `Run ${new Date().toISOString()}; ${loadLine}. Throughput: autocannon, ${CONNECTIONS} connections, ${LOAD_SECONDS} s per figure in 6 slices alternating with a bare \`node:http\` server in its own process answering the same bytes and headers.`,
    '',
    ...[wsLine, ...notes].map((n) => `- ${n}`),
    '',
  ].join('\n');
  await fs.writeFile(path.join(REPO, 'bench', 'RESULTS.md'), md);

  process.stdout.write(`\nMachine: ${machine}\n${loadLine}\n\n${table}\n\n${[wsLine, ...notes].map((n) => `- ${n}`).join('\n')}\n\n`);
  process.stdout.write(missed.length ? `MISSED ${missed.length} of ${rows.length} goals: ${missed.map((r) => r.figure).join('; ')}\n` : `All ${rows.length} goals met.\n`);
  process.stdout.write(`(table written to bench/RESULTS.md; total ${((now() - T0) / 1000).toFixed(0)} s)\n`);
}

main()
  .then(async () => {
    for (const c of collectors) await c.stop().catch(() => undefined);
    cleanup();
    process.exit(0);
  })
  .catch((err: Error) => {
    process.stderr.write(`bench failed: ${err.stack ?? err.message}\n`);
    if (exporterOutput?.()) process.stderr.write(`exporter output (tail):\n${exporterOutput()}\n`);
    cleanup();
    process.exit(1);
  });
