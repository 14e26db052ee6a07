/** The built CLI (node dist/cli.js) as a child process. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { existsSync, promises as fs, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { onCleanup } from './cleanup.js';
import { REPO_ROOT } from './temp-workspace.js';
import { eventually, sleep } from './wait.js';

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

/** Spawns `node dist/cli.js [args]` (call ensureBuilt() first). Killed with SIGKILL at cleanup if still running. */
export function spawnCli(env: Record<string, string>, args: string[] = []): CliProcess {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'dist/cli.js'), ...args], {
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
export async function startCli(env: Record<string, string>, args: string[] = []): Promise<CliProcess & { url: string }> {
  const cli = spawnCli(env, args);
  const log = await cli.waitForLog((l) => l.msg === 'wvo-exporter listening', 'the listening log');
  const port = new URL(log.url as string).port;
  const url = `http://127.0.0.1:${port}`;
  await eventually(async () => {
    const res = await fetch(`${url}/healthz`);
    if (res.status !== 200) throw new Error(`healthz ${res.status}`);
  });
  return Object.assign(cli, { url });
}
