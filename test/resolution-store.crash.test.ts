import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ResolutionMetricsStore, type ResolutionDocument, type ResolutionStats } from '../src/resolution-store.js';
import { hammerOps } from './fixtures/store-hammer.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/store-hammer.ts', import.meta.url));
// `--import tsx` resolves tsx from the cwd, so the child runs from the project root.
const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
const KILLS = 50;
// Children started ahead of need; start-up (~0.5 s of tsx) otherwise dominates.
const SPARES = 2;

/** Independent model of the spec rules, applied to the first `n` hammer ops. */
function expectedAfter(n: number): { stats: ResolutionStats; active: string[] } {
  const stats: ResolutionStats = {
    totalLoops: 0,
    closedLoops: 0,
    closedWithin3: 0,
    infiniteLoopCount: 0,
    incidentCount: 0,
    attemptHistogram: {},
  };
  const active = new Map<string, boolean>();
  let i = 0;
  for (const op of hammerOps()) {
    if (i++ >= n) break;
    if (op.kind === 'attempt') {
      if (!active.has(op.taskId)) {
        active.set(op.taskId, false);
        stats.totalLoops += 1;
      }
      stats.attemptHistogram[op.attempt] = (stats.attemptHistogram[op.attempt] ?? 0) + 1;
      if (op.attempt > 5 && !active.get(op.taskId)) {
        active.set(op.taskId, true);
        stats.infiniteLoopCount += 1;
      }
    } else if (op.kind === 'incident') {
      stats.incidentCount += 1;
    } else if (active.delete(op.taskId)) {
      stats.closedLoops += 1;
      if (op.attempt <= 3) stats.closedWithin3 += 1;
    }
  }
  return { stats, active: [...active.keys()].sort() };
}

interface Hammer {
  /** Sends `go <start>`, SIGKILLs 20-150 ms after the first completion; resolves with the last reported count. */
  run(start: number): Promise<number>;
  /** SIGKILLs the child if it is still alive. */
  discard(): void;
}

const spawned: Hammer[] = [];

/** Spawns a hammer child that idles until run(); spawning ahead hides node/tsx start-up. */
function spawnHammer(root: string): Hammer {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, root], {
    cwd: PROJECT_ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  // 'close' fires after stdout is drained, so every line written before the kill is counted.
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  // Swallow EPIPE if the child dies before reading its stdin.
  child.stdin.on('error', () => undefined);

  const hammer: Hammer = {
    discard: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
    run: async (start) => {
      let reported = start;
      let buffered = '';
      let killTimer: NodeJS.Timeout | undefined;
      const guard = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        buffered += chunk;
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) {
          const match = /^done (\d+)$/.exec(line);
          if (!match) continue;
          reported = Math.max(reported, Number(match[1]));
          killTimer ??= setTimeout(() => child.kill('SIGKILL'), 20 + Math.random() * 130);
        }
      });
      child.stdin.write(`go ${start}\n`);
      const { code, signal } = await closed;
      clearTimeout(guard);
      clearTimeout(killTimer);
      if (killTimer === undefined) throw new Error(`hammer never reported a completion (code ${String(code)}); stderr:\n${stderr}`);
      if (signal !== 'SIGKILL') throw new Error(`hammer exited on its own (code ${String(code)}); stderr:\n${stderr}`);
      return reported;
    },
  };
  spawned.push(hammer);
  return hammer;
}

describe('ResolutionMetricsStore crash safety', () => {
  let root: string;
  let dir: string;

  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'wvo-resolution-crash-'));
    dir = path.join(root, 'state', 'analytics');
  });

  afterAll(async () => {
    // The pre-spawned spare (or any child left by a failed assertion).
    for (const hammer of spawned) hammer.discard();
    await fs.rm(root, { recursive: true, force: true });
  });

  it(
    `survives ${KILLS} SIGKILLs: the file always parses and counts equal the completed calls (+≤1 unreported)`,
    async () => {
      const file = path.join(dir, 'resolution_metrics.json');
      let completed = 0;
      let unreportedExtras = 0;
      const spares = Array.from({ length: Math.min(SPARES, KILLS) }, () => spawnHammer(root));
      for (let round = 0; round < KILLS; round += 1) {
        const current = spares.shift()!;
        if (round + spares.length + 1 < KILLS) spares.push(spawnHammer(root));
        const reported = await current.run(completed);
        expect(reported, `round ${round}: child made progress`).toBeGreaterThan(completed);

        const text = await fs.readFile(file, 'utf8');
        let doc: ResolutionDocument;
        try {
          doc = JSON.parse(text) as ResolutionDocument;
        } catch (error) {
          throw new Error(`round ${round}: file does not parse: ${String(error)}\n${text.slice(0, 500)}`);
        }

        // The call in flight may have renamed before the kill but not printed.
        const candidates = [reported, reported + 1];
        const actual = candidates.find((n) => {
          const want = expectedAfter(n);
          return (
            JSON.stringify(doc.stats) === JSON.stringify(want.stats) &&
            JSON.stringify(doc.activeLoops.map((l) => l.taskId).sort()) === JSON.stringify(want.active)
          );
        });
        if (actual === undefined) {
          // Fails with a readable diff against the reported count.
          expect({ round, stats: doc.stats }).toEqual({ round, stats: expectedAfter(reported).stats });
          throw new Error(`round ${round}: active loops do not match ${reported} or ${reported + 1} calls`);
        }
        if (actual > reported) unreportedExtras += 1;
        completed = actual;

        const leftovers = (await fs.readdir(dir)).filter((name) => name.includes('.tmp'));
        // At most the temp file of the write in flight; earlier ones are swept on the next start.
        expect(leftovers.length, `round ${round}: temp files ${leftovers.join(', ')}`).toBeLessThanOrEqual(1);
      }

      // A fresh store sweeps the dead writers' temp file and continues from the same counts.
      const store = new ResolutionMetricsStore({ workspaceRoot: root });
      const doc = await store.read();
      expect(doc.stats).toEqual(expectedAfter(completed).stats);
      const names = await fs.readdir(dir);
      expect(names.filter((name) => name.includes('.tmp'))).toEqual([]);
      expect(names.filter((name) => name.includes('.corrupt-'))).toEqual([]);
      expect(completed).toBeGreaterThan(KILLS);
      // Visible in the vitest output; useful when tuning the kill window.
      console.info(`crash test: ${completed} completed calls over ${KILLS} kills, ${unreportedExtras} unreported-but-durable`);
    },
    // ~25 s on an idle 2-core box; each child pays ~0.6 CPU-s of tsx start-up, so CPU contention stretches it.
    120_000,
  );
});
