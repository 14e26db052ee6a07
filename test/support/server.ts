/**
 * Test helpers for the HTTP, metrics and CLI suites: temp workspaces, an in-process exporter on
 * 127.0.0.1:0, a Prometheus text parser, an SSE reader, and the built CLI as a child process.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { existsSync, promises as fs, statSync, readdirSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { stringify as toYaml } from 'yaml';
import { defaultConfig, type Config } from '../../src/config.js';
import { startExporter, type RunningExporter } from '../../src/exporter.js';
import { silentLogger } from '../../src/logger.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// ---------------------------------------------------------------------------------------------
// Cleanup registry: every helper below registers what it creates; call cleanup() in afterEach.

type Cleanup = () => Promise<void> | void;
const testCleanups: Cleanup[] = [];
const suiteCleanups: Cleanup[] = [];
let target = testCleanups;

async function drain(list: Cleanup[]): Promise<void> {
  const errors: unknown[] = [];
  while (list.length) {
    try {
      await list.pop()!();
    } catch (err) {
      errors.push(err);
    }
  }
  if (errors.length) throw errors[0];
}

/** Releases what the current test created (use in afterEach). */
export const cleanup = (): Promise<void> => drain(testCleanups);

/** Runs fn (in a beforeAll) so that what it creates lives until cleanupSuite() (in afterAll). */
export async function suiteScoped<T>(fn: () => Promise<T>): Promise<T> {
  const previous = target;
  target = suiteCleanups;
  try {
    return await fn();
  } finally {
    target = previous;
  }
}

export const cleanupSuite = (): Promise<void> => drain(suiteCleanups);

export function onCleanup(fn: Cleanup): void {
  target.push(fn);
}

// ---------------------------------------------------------------------------------------------
// Workspaces

/** JSON for *.json, one line per element for *.jsonl arrays, YAML for *.yaml objects; strings and buffers as they are. */
export type FileContent = string | Buffer | unknown[] | Record<string, unknown>;

export function serialise(rel: string, content: FileContent): string | Buffer {
  if (typeof content === 'string' || Buffer.isBuffer(content)) return content;
  if (rel.endsWith('.jsonl')) {
    const lines = (content as unknown[]).map((l) => (typeof l === 'string' ? l : JSON.stringify(l)));
    return lines.map((l) => `${l}\n`).join('');
  }
  if (rel.endsWith('.yaml') || rel.endsWith('.yml')) return toYaml(content);
  return JSON.stringify(content, null, 2);
}

export interface Workspace {
  readonly root: string;
  abs(rel: string): string;
  /** Replaces the file atomically (temp file + rename), as the real writers do. */
  write(rel: string, content: FileContent): Promise<void>;
  append(rel: string, text: string): Promise<void>;
  remove(rel: string): Promise<void>;
}

export async function tempDir(prefix = 'wvo-test-'): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  onCleanup(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

export async function createWorkspace(files: Record<string, FileContent> = {}): Promise<Workspace> {
  const root = await tempDir('wvo-ws-');
  const abs = (rel: string) => path.join(root, rel);
  const ws: Workspace = {
    root,
    abs,
    async write(rel, content) {
      const target = abs(rel);
      await fs.mkdir(path.dirname(target), { recursive: true });
      const tmp = `${target}.${randomBytes(4).toString('hex')}.tmp`;
      await fs.writeFile(tmp, serialise(rel, content));
      await fs.rename(tmp, target);
    },
    async append(rel, text) {
      await fs.mkdir(path.dirname(abs(rel)), { recursive: true });
      await fs.appendFile(abs(rel), text);
    },
    async remove(rel) {
      await fs.rm(abs(rel), { force: true, recursive: true });
    },
  };
  for (const [rel, content] of Object.entries(files)) await ws.write(rel, content);
  return ws;
}

/** A copy of the bundled sample workspace (state/), so tests never touch the repository's files. */
export async function copySampleWorkspace(): Promise<Workspace> {
  const ws = await createWorkspace();
  await fs.cp(path.join(REPO_ROOT, 'state'), ws.abs('state'), { recursive: true });
  return ws;
}

/** The repository itself as a read-only workspace: the bundled sample state/. */
export function repoWorkspace(): Workspace {
  const readOnly = () => Promise.reject(new Error('the repository workspace is read-only in tests'));
  return { root: REPO_ROOT, abs: (rel) => path.join(REPO_ROOT, rel), write: readOnly, append: readOnly, remove: readOnly };
}

// ---------------------------------------------------------------------------------------------
// In-process exporter

export interface TestExporter {
  readonly url: string;
  readonly exporter: RunningExporter;
  readonly workspace: Workspace;
  readonly config: Config;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Files of a fresh temp workspace (ignored when `workspace` is given). */
  files?: Record<string, FileContent>;
  workspace?: Workspace;
  config?: Partial<Config>;
  /** A base config (e.g. from loadConfig(env)); workspaceRoot, host and port are always overridden. */
  baseConfig?: Config;
  logger?: Logger;
}

/** startExporter on 127.0.0.1:0 over a temp workspace; resolves once the first collection finished. */
export async function startTestExporter(options: StartOptions = {}): Promise<TestExporter> {
  const workspace = options.workspace ?? (await createWorkspace(options.files));
  const config: Config = {
    ...(options.baseConfig ?? defaultConfig()),
    // Parsing in the main thread keeps these suites fast; the worker path has its own tests.
    parseWorkers: 0,
    ...options.config,
    workspaceRoot: workspace.root,
    host: '127.0.0.1',
    port: 0,
  };
  const exporter = await startExporter(config, options.logger ?? silentLogger);
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= exporter.stop());
  onCleanup(stop);
  await eventually(
    () => {
      if (!exporter.collector.snapshot) throw new Error('first collection has not finished');
    },
    { timeoutMs: 30_000 },
  );
  return { url: exporter.url, exporter, workspace, config, stop };
}

// ---------------------------------------------------------------------------------------------
// Waiting

/** Retries fn (which throws or rejects while the condition does not hold) until it passes. */
export async function eventually<T>(fn: () => T | Promise<T>, { timeoutMs = 10_000, intervalMs = 20 } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    await sleep(intervalMs);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Raw HTTP (node:http, so any method, header or URL can be sent)

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function request(
  url: string,
  options: { method?: string; headers?: Record<string, string>; path?: string } = {},
): Promise<RawResponse> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        method: options.method ?? 'GET',
        path: options.path ?? `${u.pathname}${u.search}`,
        headers: options.headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

export async function getJson<T = any>(url: string, headers: Record<string, string> = {}): Promise<T> {
  const res = await fetch(url, { headers });
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

// ---------------------------------------------------------------------------------------------
// Prometheus text / OpenMetrics parsing

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ParsedExposition {
  samples: PromSample[];
  /** # TYPE lines: family name → type. */
  types: Map<string, string>;
  help: Map<string, string>;
}

function parseValue(raw: string): number {
  // Prometheus parses floats case-insensitively (prom-client writes "Nan", e.g. for an idle event-loop lag).
  const lower = raw.toLowerCase();
  if (lower === '+inf' || lower === 'inf') return Infinity;
  if (lower === '-inf') return -Infinity;
  if (lower === 'nan') return NaN;
  const n = Number(raw);
  if (raw === '' || Number.isNaN(n)) throw new Error(`not a sample value: ${JSON.stringify(raw)}`);
  return n;
}

/** Parses the Prometheus text format and OpenMetrics (no exemplars); throws on a malformed line. */
export function parseExposition(text: string): ParsedExposition {
  const samples: PromSample[] = [];
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line === '# EOF') continue;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE|UNIT) ([a-zA-Z_:][a-zA-Z0-9_:]*)(?: (.*))?$/.exec(line);
      if (!m) continue;
      if (m[1] === 'TYPE') types.set(m[2]!, m[3] ?? '');
      if (m[1] === 'HELP') help.set(m[2]!, m[3] ?? '');
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)(?:\s+\S+)?$/.exec(line);
    if (!m) throw new Error(`malformed sample line: ${JSON.stringify(line)}`);
    samples.push({ name: m[1]!, labels: parseLabels(m[2] ?? ''), value: parseValue(m[3]!) });
  }
  return { samples, types, help };
}

function parseLabels(raw: string): Record<string, string> {
  const labels: Record<string, string> = {};
  if (raw === '') return labels;
  const body = raw.slice(1, -1);
  let i = 0;
  while (i < body.length) {
    const m = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(body.slice(i));
    if (!m) throw new Error(`malformed labels: ${raw}`);
    i += m[0].length;
    let value = '';
    for (;;) {
      const c = body[i];
      if (c === undefined) throw new Error(`unterminated label value: ${raw}`);
      i++;
      if (c === '"') break;
      if (c === '\\') {
        const e = body[i++];
        value += e === 'n' ? '\n' : e;
      } else value += c;
    }
    labels[m[1]!] = value;
    if (body[i] === ',') i++;
  }
  return labels;
}

const sameLabels = (a: Record<string, string>, b: Record<string, string>) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(b).every(([k, v]) => a[k] === v);

/** The value of the one sample with exactly these labels; undefined when there is none. */
export function sampleValue(samples: readonly PromSample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter((s) => s.name === name && sameLabels(s.labels, labels));
  if (found.length > 1) throw new Error(`${found.length} samples of ${name}${JSON.stringify(labels)}`);
  return found[0]?.value;
}

export async function scrape(url: string, headers: Record<string, string> = {}): Promise<PromSample[]> {
  const res = await fetch(`${url}/metrics`, { headers });
  if (res.status !== 200) throw new Error(`/metrics: HTTP ${res.status}`);
  return parseExposition(await res.text()).samples;
}

// ---------------------------------------------------------------------------------------------
// Server-Sent Events

export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}

/** Reads an SSE response with node:http, keeping every event and comment it received. */
export class SseClient extends EventEmitter {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  ended = false;
  private buffer = '';

  private constructor(
    private readonly req: http.ClientRequest,
    readonly status: number,
    readonly headers: http.IncomingHttpHeaders,
    readonly res: http.IncomingMessage,
  ) {
    super();
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => this.feed(chunk));
    const end = () => {
      if (this.ended) return;
      this.ended = true;
      this.emit('update');
    };
    res.on('end', end);
    res.on('close', end);
    res.on('error', end);
  }

  static open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const u = new URL(url);
    return new Promise((resolve, reject) => {
      const req = http.get(
        { host: u.hostname, port: u.port, path: `${u.pathname}${u.search}`, headers: { accept: 'text/event-stream', ...headers }, agent: false },
        (res) => {
          const client = new SseClient(req, res.statusCode!, res.headers, res);
          onCleanup(() => client.close());
          resolve(client);
        },
      );
      req.on('error', reject);
    });
  }

  private feed(chunk: string): void {
    this.buffer += chunk;
    let idx: number;
    while ((idx = this.buffer.indexOf('\n\n')) !== -1) {
      const block = this.buffer.slice(0, idx);
      this.buffer = this.buffer.slice(idx + 2);
      const event: SseEvent = { data: '' };
      const data: string[] = [];
      let isEvent = false;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) {
          this.comments.push(line.slice(1).trim());
          continue;
        }
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'data') (data.push(value), (isEvent = true));
        else if (field === 'id') event.id = value;
        else if (field === 'event') event.event = value;
      }
      if (isEvent) {
        event.data = data.join('\n');
        this.events.push(event);
      }
    }
    this.emit('update');
  }

  /** Resolves when check() holds (checked now and after every chunk); rejects after timeoutMs. */
  until<T>(check: () => T | undefined | false, what: string, timeoutMs = 10_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const test = () => {
        const v = check();
        if (v) {
          done();
          resolve(v);
        } else if (this.ended) {
          done();
          reject(new Error(`stream ended while waiting for ${what}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for ${what} (${this.events.length} events, ${this.comments.length} comments)`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.off('update', test);
      };
      this.on('update', test);
      test();
    });
  }

  /** The n-th (1-based) event's data as JSON, once it arrived. */
  async event(n: number, timeoutMs?: number): Promise<any> {
    const e = await this.until(() => this.events[n - 1], `event #${n}`, timeoutMs);
    return JSON.parse(e.data);
  }

  waitForEnd(timeoutMs?: number): Promise<true> {
    return this.until(() => this.ended, 'the end of the stream', timeoutMs);
  }

  close(): void {
    this.req.destroy();
    this.res.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// The built CLI

const BUILD_LOCK = path.join(os.tmpdir(), `wvo-exporter-build-${createHash('sha1').update(REPO_ROOT).digest('hex').slice(0, 12)}`);

function newestSourceMtime(): number {
  let newest = 0;
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  walk(path.join(REPO_ROOT, 'src'));
  for (const f of ['tsconfig.json', 'tsconfig.build.json', 'package.json']) newest = Math.max(newest, statSync(path.join(REPO_ROOT, f)).mtimeMs);
  return newest;
}

/**
 * `npm run build` once for all test files: a lock directory serialises concurrent workers (vitest
 * runs files in parallel), and a stamp skips the build when dist/ is newer than every source, so
 * one worker never rewrites dist/ while another is running it.
 */
export async function ensureBuilt(): Promise<void> {
  const lock = `${BUILD_LOCK}.lock`;
  const stamp = `${BUILD_LOCK}.stamp`;
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      await fs.mkdir(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = Date.now() - ((await fs.stat(lock).catch(() => null))?.mtimeMs ?? Date.now());
      if (age > 120_000) await fs.rm(lock, { recursive: true, force: true }); // left by a killed worker
      if (Date.now() > deadline) throw new Error(`timed out waiting for the build lock ${lock}`);
      await sleep(100);
    }
  }
  try {
    const fresh =
      existsSync(path.join(REPO_ROOT, 'dist/cli.js')) && existsSync(stamp) && statSync(stamp).mtimeMs > newestSourceMtime();
    if (fresh) return;
    const r = spawnSync('npm', ['run', 'build'], { cwd: REPO_ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`npm run build failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
    await fs.writeFile(stamp, String(Date.now()));
  } finally {
    await fs.rm(lock, { recursive: true, force: true });
  }
}

/** The environment of a CLI child: this process's, less every WVO_* and OTEL_* variable, plus `env`. */
export function cliEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(WVO_|OTEL_|LOG_LEVEL$)/.test(k)) base[k] = v;
  return { ...base, WVO_OBSERVABILITY_HOST: '127.0.0.1', WVO_OBSERVABILITY_PORT: '0', ...env };
}

export interface CliProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** stdout parsed as pino JSON lines (other lines skipped). */
  logs(): Record<string, any>[];
  waitForLog(match: (log: Record<string, any>) => boolean, what: string, timeoutMs?: number): Promise<Record<string, any>>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns `node dist/cli.js` (call ensureBuilt() first). Killed with SIGKILL at cleanup if still running. */
export function spawnCli(env: Record<string, string>): CliProcess {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'dist/cli.js')], {
    cwd: REPO_ROOT,
    env: cliEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const events = new EventEmitter();
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    events.emit('update');
  });
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    events.emit('update');
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      // Let the pipes drain before callers read the output.
      setImmediate(() => {
        events.emit('update');
        resolve({ code, signal });
      });
    }),
  );
  onCleanup(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  const logs = () =>
    out.split('\n').flatMap((l) => {
      try {
        const v = JSON.parse(l);
        return typeof v === 'object' && v !== null ? [v as Record<string, any>] : [];
      } catch {
        return [];
      }
    });
  let exitedFlag = false;
  void exited.then(() => (exitedFlag = true));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    logs,
    exited,
    waitForLog: (match, what, timeoutMs = 15_000) =>
      new Promise((resolve, reject) => {
        const test = () => {
          const found = logs().find(match);
          if (found) return finish(() => resolve(found));
          if (exitedFlag) finish(() => reject(new Error(`the CLI exited while waiting for ${what}\nstdout:\n${out}\nstderr:\n${err}`)));
        };
        const timer = setTimeout(
          () => finish(() => reject(new Error(`timed out waiting for ${what}\nstdout:\n${out}\nstderr:\n${err}`))),
          timeoutMs,
        );
        const finish = (f: () => void) => {
          clearTimeout(timer);
          events.off('update', test);
          f();
        };
        events.on('update', test);
        test();
      }),
  };
}

/** Spawns the CLI and waits for its "listening" log; returns the loopback URL it serves. */
export async function startCli(env: Record<string, string>): Promise<CliProcess & { url: string }> {
  const cli = spawnCli(env);
  const log = await cli.waitForLog((l) => l.msg === 'wvo-exporter listening', 'the listening log');
  const port = new URL(log.url as string).port;
  const url = `http://127.0.0.1:${port}`;
  await eventually(async () => {
    const res = await fetch(`${url}/healthz`);
    if (res.status !== 200) throw new Error(`healthz ${res.status}`);
  });
  return Object.assign(cli, { url });
}

// ---------------------------------------------------------------------------------------------
// A parser for CSV as RFC 4180 defines it (CRLF records, quoted fields, doubled quotes), strict.

export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  if (!text.endsWith('\r\n')) throw new Error('CSV must end with CRLF');
  while (i < text.length) {
    let field = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated quoted field');
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += text[i++];
      }
    } else {
      while (i < text.length && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n') {
        if (text[i] === '"') throw new Error(`bare quote in an unquoted field at ${i}`);
        field += text[i++];
      }
    }
    row.push(field);
    if (text[i] === ',') {
      i++;
    } else if (text.startsWith('\r\n', i)) {
      rows.push(row);
      row = [];
      i += 2;
    } else {
      throw new Error(`expected , or CRLF at ${i}, got ${JSON.stringify(text.slice(i, i + 10))}`);
    }
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// A workspace whose every number is chosen here, for the route and metric suites. Tests compute
// their expectations from these objects, never from the exporter's output.

export const T0 = Date.UTC(2026, 10, 27, 12, 0, 0);

export interface FixtureTask {
  id: string;
  title: string;
  /** The status as written in the roadmap. */
  raw: string;
  /** What SPEC §2's normalisation makes of it. */
  status: 'pending' | 'ready' | 'in_progress' | 'blocked' | 'done';
  domain?: string;
  labels: string[];
  epic: string;
  milestone: string | null;
}

export interface QualityLine {
  taskId: string;
  decision: 'APPROVED' | 'REJECTED' | 'ESCALATED';
  timestamp: number | string;
  finalReasoning: string;
  consensusReached: boolean;
  reviews: Record<string, Record<string, unknown>>;
}

export interface ExecutionLine {
  timestamp: string;
  type: 'execution_summary';
  task_id: string;
  agent_id: string;
  agent_type: string;
  success: boolean;
  final_status: string;
  duration_seconds: number;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  token_cost_usd: number;
}

export function knownFixture() {
  const latest = {
    timestamp: T0,
    pendingCount: 9,
    readyCount: 4,
    inProgressCount: 3,
    doneCount: 7,
    blockedCount: 2,
    queueDepth: 13,
    wipUtilization: 0.6,
    throughputLastHour: 5,
    throughputLast5Min: 2,
    staleTaskCount: 3,
    maxStaleAgeMs: 90_500,
    busyAgents: 3,
    idleAgents: 2,
    totalAgents: 5,
  };
  const health = {
    running: true,
    lastCycle: 412,
    metricsHistory: [
      // Older snapshots must not count: only the newest (last) one does.
      { ...latest, timestamp: T0 - 600_000, pendingCount: 50, doneCount: 1, throughputLastHour: 99 },
      latest,
    ],
  };

  const history = Array.from({ length: 8 }, (_, i) => ({
    id: `dec-${i}`,
    taskId: `T-${i}`,
    type: i % 2 ? 'task_assignment' : 'critical_review',
    timestamp: new Date(T0 - i * 60_000).toISOString(),
    quorumSatisfied: i < 6, // 6 of 8
  }));
  const orchestration = {
    updatedAt: new Date(T0).toISOString(),
    totalDecisions: 40,
    byType: { task_assignment: 25, critical_review: 10, escalation: 5 },
    history,
  };

  // Rejection reasons with distinct counts around the top-10 cut.
  const reasonCounts: [string, number][] = [
    ['Unit tests failing on CI', 8],
    ['Missing integration tests', 7],
    ['Lint errors', 6],
    ['Breaks the public API, without a migration', 5],
    ['Adversarial review detected "test gaming"', 4],
    ['Hardcoded credential', 3],
    ['Flaky test introduced', 3],
    ['No changelog entry', 2],
    ['Typecheck errors', 2],
    ['Docs out of date', 2],
    ['Wrong branch', 1],
    ['Commit message style', 1],
  ];
  const quality: QualityLine[] = [];
  let n = 0;
  const ts = () => (n++ % 2 ? T0 - n * 1000 : new Date(T0 - n * 1000).toISOString());
  for (let i = 0; i < 14; i++) {
    quality.push({
      taskId: `A-${i}`,
      decision: 'APPROVED',
      timestamp: ts(),
      finalReasoning: 'All gates passed',
      consensusReached: i < 12,
      reviews: {
        automated: { passed: true },
        orchestrator: { approved: true, rubric: { correctness: 0.5 + i * 0.03, maintainability: 0.9 } },
        domainExpert: { approved: true, rubric: { correctness: 1 } },
        adversarial: { passed: true, report: { detections: [{ detected: false, severity: 'none', category: 'prompt_injection' }] } },
      },
    });
  }
  let r = 0;
  for (const [reason, count] of reasonCounts) {
    for (let i = 0; i < count; i++, r++) {
      quality.push({
        taskId: `R-${r}`,
        decision: 'REJECTED',
        timestamp: ts(),
        finalReasoning: reason,
        consensusReached: r % 3 === 0,
        reviews: {
          automated: { passed: r % 2 === 0 },
          peer: { approved: false, rubric: { correctness: 0.2, readability: (r % 5) * 0.2 } },
          adversarial: {
            passed: false,
            report: {
              detections: [
                { detected: true, severity: 'high', category: r % 4 === 0 ? 'prompt_injection' : 'test_gaming' },
                { detected: false, severity: 'none', category: 'secret_leak' },
                ...(r % 5 === 0 ? [{ severity: 'low', category: 'secret_leak' }] : []),
              ],
            },
          },
        },
      });
    }
  }
  for (let i = 0; i < 3; i++) {
    quality.push({
      taskId: `E-${i}`,
      decision: 'ESCALATED',
      timestamp: ts(),
      finalReasoning: 'Reviewers disagree',
      consensusReached: false,
      reviews: { orchestrator: { approved: true }, peer: { approved: false } },
    });
  }

  const activeLoops = [
    { taskId: 'L-two', attempts: 2, elapsedMs: 2_000 },
    { taskId: 'L-six', attempts: 6, elapsedMs: 6_000, infiniteLoopFlag: true },
    { taskId: 'L-one', attempts: 1, elapsedMs: 0 },
    { taskId: 'L-three', attempts: 3, elapsedMs: 3_000 },
  ].map((l, i) => ({
    ...l,
    firstAttemptAt: new Date(T0 - 3_600_000 - i * 1000).toISOString(),
    lastAttemptAt: new Date(T0 - i * 1000).toISOString(),
    lastLabel: 'tests_failed',
    labels: ['tests_failed'],
    runId: 'run-1',
    infiniteLoopFlag: l.infiniteLoopFlag ?? false,
  }));
  const closedDurationsMs = [60_000, 120_000, 30_000, 600_000, 90_000, 45_000, 300_000];
  const resolution = {
    updatedAt: new Date(T0).toISOString(),
    activeLoops,
    stats: {
      totalLoops: 12,
      closedLoops: 8,
      closedWithin3: 6,
      infiniteLoopCount: 1,
      incidentCount: 2,
      attemptHistogram: { '1': 12, '2': 9, '3': 5, '4': 2, '5': 1, '6': 1 },
    },
    recentEvents: [{ type: 'attempt', taskId: 'L-one', attempt: 1, timestamp: T0 }],
    recentlyClosed: closedDurationsMs.map((durationMs, i) => ({
      taskId: `C-${i}`,
      attempts: 1 + (i % 4),
      closedAt: new Date(T0 - i * 60_000).toISOString(),
      durationMs,
      runId: 'run-0',
    })),
  };

  const resources = {
    timestamp: new Date(T0).toISOString(),
    memory_used_pct: 66.25,
    cpu_used_pct: 42.5,
    // no disk_used_pct: the metrics summary's diskUsage is the fallback
    claude_processes: 3,
    node_processes: 9,
    throttle_level: 2,
    throttle_params: { level_name: 'medium', max_concurrent_agents: 4 },
  };
  const metricsSummary = { executions: { total: 9 }, operations: { latest_snapshot: { diskUsage: 73.5 } } };

  const providerCapacity = {
    lastUpdated: new Date(T0).toISOString(),
    providers: [
      {
        provider: 'claude',
        totalLimitHits: 5,
        totalRecoveries: 4,
        totalFailovers: 2,
        averageDowntimeMs: 30_000,
        longestDowntimeMs: 120_000,
        shortestDowntimeMs: 5_000,
        currentStatus: 'degraded',
      },
      {
        provider: 'codex',
        totalLimitHits: 1,
        totalRecoveries: 1,
        totalFailovers: 0,
        averageDowntimeMs: 1_000,
        longestDowntimeMs: 1_000,
        shortestDowntimeMs: 1_000,
        currentStatus: 'healthy',
      },
    ],
  };

  const usage = {
    last_saved: new Date(T0).toISOString(),
    providers: {
      'claude:primary': {
        provider: 'claude',
        account: 'primary',
        tier: 'max',
        limits: { hourly_requests: 100, daily_requests: 1000, hourly_tokens: 100_000, daily_tokens: 1_000_000 },
        usage: { current_hour: { requests: 10, tokens: 20_000 }, current_day: { requests: 150, tokens: 250_000 } },
        warnings: { approaching_hourly_limit: false, approaching_daily_limit: false, percentage_used: 25 },
      },
      'codex:team': {
        provider: 'codex',
        account: 'team',
        tier: 'pro',
        limits: { hourly_requests: 50, daily_requests: 500, hourly_tokens: 50_000, daily_tokens: 600_000 },
        usage: { current_hour: { requests: 4, tokens: 7_500 }, current_day: { requests: 60, tokens: 150_000 } },
        warnings: { percentage_used: 15 },
      },
    },
  };

  const durations: [string, number, boolean][] = [
    ['claude_code', 0.5, true],
    ['claude_code', 1, true], // exactly on a bucket bound: le="1"
    ['claude_code', 3, false],
    ['claude_code', 60, true],
    ['claude_code', 61, true],
    ['claude_code', 9000, false], // beyond the last bound: only +Inf
    ['codex', 15, true],
    ['codex', 4000, false],
  ];
  const executions: ExecutionLine[] = durations.map(([agent_type, duration_seconds, success], i) => ({
    timestamp: new Date(T0 - i * 1000).toISOString(),
    type: 'execution_summary',
    task_id: `T-${i}`,
    agent_id: `${agent_type}-worker-${i}`,
    agent_type,
    success,
    final_status: success ? 'completed' : 'failed',
    duration_seconds,
    prompt_tokens: 1000 * (i + 1),
    completion_tokens: 100 * (i + 1),
    total_tokens: 1100 * (i + 1),
    token_cost_usd: 0.25 * (i + 1),
  }));

  const tasks: FixtureTask[] = [];
  const add = (t: Omit<FixtureTask, 'labels' | 'title'> & Partial<FixtureTask>) => tasks.push({ title: `Task ${t.id}`, labels: [], ...t });
  const pendingRaw = ['pending', 'todo', 'planned', 'backlog'];
  for (let i = 0; i < 23; i++) {
    add({ id: `P-${i}`, raw: pendingRaw[i % 4]!, status: 'pending', epic: 'E-1', milestone: 'M-1.1', domain: 'ingestion', labels: ['a', `n${i}`] });
  }
  add({ id: 'IP-1', raw: 'in_progress', status: 'in_progress', epic: 'E-1', milestone: 'M-1.2', domain: 'storage' });
  add({ id: 'IP-2', raw: 'In Progress', status: 'in_progress', epic: 'E-1', milestone: 'M-1.2' });
  add({ id: 'D-1', raw: 'completed', status: 'done', epic: 'E-2', milestone: 'M-2.1', title: 'Done, "quoted"' });
  add({ id: 'D-2', raw: 'done', status: 'done', epic: 'E-2', milestone: 'M-2.1' });
  add({ id: 'B-1', raw: 'blocked', status: 'blocked', epic: 'E-2', milestone: 'M-2.1' });
  add({ id: 'B-2', raw: 'Blocked on review', status: 'blocked', epic: 'E-2', milestone: 'M-2.1' });
  add({ id: 'RD-1', raw: 'ready', status: 'ready', epic: 'E-3', milestone: null, domain: 'ops', labels: ['ops'] });
  add({ id: 'RD-2', raw: 'ready', status: 'ready', epic: 'none', milestone: null });

  const yamlTask = (t: FixtureTask) => ({ id: t.id, title: t.title, status: t.raw, ...(t.domain ? { domain: t.domain } : {}), labels: t.labels, dependencies: [] });
  const of = (epic: string, ms: string | null) => tasks.filter((t) => t.epic === epic && t.milestone === ms).map(yamlTask);
  const roadmap = {
    version: 3,
    epics: [
      {
        id: 'E-1',
        title: 'Ingestion',
        milestones: [
          { id: 'M-1.1', tasks: of('E-1', 'M-1.1') },
          // tasks under sets count too
          { id: 'M-1.2', sets: [{ id: 'S-1', tasks: of('E-1', 'M-1.2') }] },
        ],
      },
      { id: 'E-2', title: 'Storage', milestones: [{ id: 'M-2.1', tasks: of('E-2', 'M-2.1') }] },
    ],
    // top-level tasks: epic from epic_id, else none
    tasks: [
      { ...yamlTask(tasks.find((t) => t.id === 'RD-1')!), epic_id: 'E-3' },
      yamlTask(tasks.find((t) => t.id === 'RD-2')!),
    ],
  };

  const files: Record<string, FileContent> = {
    'state/analytics/autopilot_health_report.json': health,
    'state/analytics/orchestration_metrics.json': orchestration,
    // one malformed line, counted as bad and skipped
    'state/analytics/quality_gate_decisions.jsonl': [...quality.slice(0, 5), '{"taskId": "torn', ...quality.slice(5)],
    'state/analytics/resolution_metrics.json': resolution,
    'state/analytics/resource_metrics.json': resources,
    'state/analytics/provider_capacity_metrics.json': providerCapacity,
    'state/limits/usage_log.json': usage,
    // a line of another type (skipped, not bad) and one bad line
    'state/telemetry/executions.jsonl': [
      ...executions.slice(0, 3),
      { timestamp: new Date(T0).toISOString(), type: 'heartbeat', agent_type: 'claude_code' },
      'not json at all',
      ...executions.slice(3),
    ],
    'state/telemetry/metrics_summary.json': metricsSummary,
    'state/roadmap.yaml': roadmap,
    'state/.mcp.pid': `${process.pid}\n`,
  };
  return {
    files,
    health,
    latest,
    orchestration,
    quality,
    reasonCounts,
    resolution,
    closedDurationsMs,
    resources,
    metricsSummary,
    providerCapacity,
    usage,
    executions,
    tasks,
    roadmap,
  };
}

export type KnownFixture = ReturnType<typeof knownFixture>;

/** Every source file of the workspace, by SPEC §2 path. */
export const SOURCE_PATHS = [
  'state/analytics/autopilot_health_report.json',
  'state/analytics/orchestration_metrics.json',
  'state/analytics/quality_gate_decisions.jsonl',
  'state/analytics/resolution_metrics.json',
  'state/analytics/resource_metrics.json',
  'state/analytics/provider_capacity_metrics.json',
  'state/limits/usage_log.json',
  'state/telemetry/executions.jsonl',
  'state/telemetry/metrics_summary.json',
  'state/roadmap.yaml',
  'state/.mcp.pid',
] as const;
