// Child process: plays the autopilot's writers. Every 100 ms it rewrites each JSON document
// (temp file + rename) and appends lines to both JSONL logs; reports what it did on 'stop'.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { atomicWrite, decisionLine, executionLine, JSON_DOCS, jsonDoc, PATHS, rng } from './workspace.js';

const root = process.argv[2]!;
const linesPerSecond = Number(process.argv[3] ?? 1000);
const TICK_MS = 100;
const perTick = Math.round((linesPerSecond * TICK_MS) / 1000);
const r = rng(7);

// Pre-rendered pools keep the writer's own CPU use small (it shares the machine with the exporter).
const decisions = Array.from({ length: 2000 }, (_, i) => decisionLine(r, 500_000 + i));
const executions = Array.from({ length: 2000 }, (_, i) => executionLine(r, 500_000 + i).text);
const docs = JSON_DOCS.map((doc) => ({ file: path.join(root, PATHS[doc]), texts: Array.from({ length: 10 }, (_, t) => JSON.stringify(jsonDoc(doc, r, t + 1), null, 2) + '\n') }));

const stats = { ticks: 0, rewrites: 0, decisionLines: 0, executionLines: 0, lateTicks: 0, startedAt: Date.now(), stoppedAt: 0 };
let running = true;
let cursor = 0;

async function tick(n: number): Promise<void> {
  await Promise.all(docs.map((d) => atomicWrite(d.file, d.texts[n % d.texts.length]!)));
  stats.rewrites += docs.length;
  const take = (pool: string[]) => {
    const out: string[] = [];
    for (let i = 0; i < perTick; i++) out.push(pool[(cursor + i) % pool.length]!);
    return out.join('\n') + '\n';
  };
  await fs.appendFile(path.join(root, PATHS.decisions), take(decisions));
  await fs.appendFile(path.join(root, PATHS.executions), take(executions));
  cursor += perTick;
  stats.decisionLines += perTick;
  stats.executionLines += perTick;
}

async function loop(): Promise<void> {
  let next = Date.now();
  for (let n = 0; running; n++) {
    await tick(n);
    stats.ticks++;
    next += TICK_MS;
    const wait = next - Date.now();
    if (wait < 0) stats.lateTicks++;
    await new Promise((res) => setTimeout(res, Math.max(0, wait)));
  }
}

const done = loop();
process.on('message', async (msg) => {
  if (msg !== 'stop') return;
  running = false;
  await done;
  stats.stoppedAt = Date.now();
  process.send!(stats, () => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
process.send!('ready');
