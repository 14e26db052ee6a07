// The `npm start` figure: from running `npm start` (as a user types it, on the bundled sample) to
// the first full answer, and the peak RSS of every process on the way (npm, the shell it may use,
// the exporter). Run alone with `BENCH_ONLY=start npm run bench`.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MB = 1024 * 1024;

export interface StartRow {
  figure: string;
  measured: string;
  goal: string;
  met: boolean;
}

const status = (pid: number): Record<string, string> => {
  try {
    return Object.fromEntries(
      readFileSync(`/proc/${pid}/status`, 'utf8')
        .split('\n')
        .map((l) => l.split(/:\s+/) as [string, string]),
    );
  } catch {
    return {};
  }
};
const kb = (v: string | undefined) => (v ? Number.parseInt(v, 10) * 1024 : 0);

function descendants(pid: number): number[] {
  let kids: number[] = [];
  try {
    kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
  return kids.flatMap((k) => [k, ...descendants(k)]);
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** The decision lines of the sample: /metrics counts them all once the first collection is complete. */
function sampleDecisions(): number {
  return readFileSync(path.join(REPO, 'state/analytics/quality_gate_decisions.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"decision"')).length;
}

async function fullAnswer(url: string, decisions: number): Promise<boolean> {
  try {
    const res = await fetch(url);
    if (res.status !== 200) return false;
    let sum = 0;
    for (const m of (await res.text()).matchAll(/^wvo_quality_gate_decisions_total(?:\{[^}]*\})? (\S+)$/gm)) sum += Number(m[1]);
    return sum === decisions;
  } catch {
    return false;
  }
}

/** One `npm start`: ms to the first full /metrics answer and each process's peak RSS (VmHWM). */
export async function measureNpmStart(): Promise<{ ms: number; peaks: { name: string; bytes: number }[] }> {
  const port = await freePort();
  const decisions = sampleDecisions();
  const t0 = performance.now();
  const npm = spawn('npm', ['start', '--silent', '--', '--port', String(port)], {
    cwd: REPO,
    env: { ...process.env, WVO_WORKSPACE_ROOT: '', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  let err = '';
  npm.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  const peaks = new Map<number, { name: string; bytes: number }>();
  const sample = () => {
    for (const pid of [npm.pid!, ...descendants(npm.pid!)]) {
      const s = status(pid);
      if (s.Name) peaks.set(pid, { name: s.Name.startsWith('npm') ? 'npm' : s.Name, bytes: Math.max(peaks.get(pid)?.bytes ?? 0, kb(s.VmHWM)) });
    }
  };
  try {
    const deadline = t0 + 60_000;
    for (;;) {
      sample();
      if (await fullAnswer(`http://127.0.0.1:${port}/metrics`, decisions)) break;
      if (npm.exitCode !== null) throw new Error(`npm start exited ${npm.exitCode}: ${err}`);
      if (performance.now() > deadline) throw new Error(`npm start: no full answer within 60 s: ${err}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const ms = performance.now() - t0;
    sample();
    return { ms, peaks: [...peaks.values()] };
  } finally {
    const exited = new Promise((r) => npm.once('exit', r));
    process.kill(-npm.pid!, 'SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 8000))]);
    if (npm.exitCode === null && npm.signalCode === null) process.kill(-npm.pid!, 'SIGKILL');
  }
}

/** Rows for bench/run.ts: the median of three starts, and the largest process seen. */
export async function npmStartRows(runs = 3): Promise<StartRow[]> {
  const results = [];
  for (let i = 0; i < runs; i++) results.push(await measureNpmStart());
  const times = results.map((r) => r.ms).sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  const byName = new Map<string, number>();
  for (const r of results) for (const p of r.peaks) byName.set(p.name, Math.max(byName.get(p.name) ?? 0, p.bytes));
  const largest = Math.max(...byName.values());
  return [
    {
      figure: '`npm start` → first full answer (sample workspace)',
      measured: `median ${(median / 1000).toFixed(2)} s of ${runs} (${times.map((t) => (t / 1000).toFixed(2)).join(', ')} s)`,
      goal: '≤ 3 s',
      met: median <= 3000,
    },
    {
      figure: 'largest process during `npm start` (VmHWM)',
      measured: [...byName].map(([n, b]) => `${n} ${(b / MB).toFixed(0)} MB`).join(', '),
      goal: '≤ 150 MB each',
      met: largest <= 150 * MB,
    },
  ];
}

export const formatRows = (rows: StartRow[]) =>
  ['| figure | measured | goal | met? |', '|---|---|---|---|', ...rows.map((r) => `| ${r.figure} | ${r.measured} | ${r.goal} | ${r.met ? 'yes' : '**NO**'} |`), ''].join('\n');
