import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  emptyResolutionDocument,
  ResolutionMetricsStore,
  type ResolutionDocument,
} from '../src/resolution-store.js';

const T0 = Date.parse('2025-01-01T00:00:00.000Z');
const iso = (ms: number): string => new Date(ms).toISOString();

let root: string;
let file: string;

beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'wvo-resolution-'));
  file = path.join(root, 'state', 'analytics', 'resolution_metrics.json');
});

afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

function makeStore(nowMs = T0): ResolutionMetricsStore {
  return new ResolutionMetricsStore({ workspaceRoot: root, now: () => nowMs });
}

async function readFileDoc(): Promise<ResolutionDocument> {
  return JSON.parse(await fs.readFile(file, 'utf8')) as ResolutionDocument;
}

async function exists(p: string): Promise<boolean> {
  return fs.stat(p).then(
    () => true,
    () => false,
  );
}

describe('ResolutionMetricsStore: document rules', () => {
  it('defaults the path to <workspaceRoot>/state/analytics/resolution_metrics.json and creates parents', async () => {
    const store = makeStore();
    expect(store.filePath).toBe(file);
    expect(await exists(path.dirname(file))).toBe(false);
    await store.recordAttempt({ taskId: 'T1', attempt: 1 });
    expect(await exists(file)).toBe(true);
  });

  it('honours an explicit filePath', async () => {
    const custom = path.join(root, 'deep', 'er', 'r.json');
    const store = new ResolutionMetricsStore({ filePath: custom });
    await store.recordAttempt({ taskId: 'T1', attempt: 1 });
    expect(JSON.parse(await fs.readFile(custom, 'utf8')).stats.totalLoops).toBe(1);
  });

  it('read() of a missing file is the empty document and writes nothing', async () => {
    const store = makeStore();
    expect(await store.read()).toEqual(emptyResolutionDocument());
    expect(await exists(file)).toBe(false);
  });

  it('a new loop counts once in totalLoops; every attempt counts in the histogram', async () => {
    const store = makeStore(T0 + 10_000);
    await store.recordAttempt({ taskId: 'T1', attempt: 1, timestamp: T0, runId: 'r1', label: 'lint' });
    await store.recordAttempt({ taskId: 'T1', attempt: 2, timestamp: T0 + 1_500, label: 'test' });
    await store.recordAttempt({ taskId: 'T1', attempt: 3, timestamp: T0 + 4_000, label: 'lint' });
    await store.recordAttempt({ taskId: 'T2', attempt: 1, timestamp: T0 + 5_000 });

    const doc = await readFileDoc();
    expect(doc.updatedAt).toBe(iso(T0 + 10_000));
    expect(doc.stats).toEqual({
      totalLoops: 2,
      closedLoops: 0,
      closedWithin3: 0,
      infiniteLoopCount: 0,
      incidentCount: 0,
      attemptHistogram: { '1': 2, '2': 1, '3': 1 },
    });
    expect(doc.activeLoops).toEqual([
      {
        taskId: 'T1',
        attempts: 3,
        firstAttemptAt: iso(T0),
        lastAttemptAt: iso(T0 + 4_000),
        lastLabel: 'lint',
        labels: ['lint', 'test'],
        elapsedMs: 4_000,
        runId: 'r1',
        infiniteLoopFlag: false,
      },
      {
        taskId: 'T2',
        attempts: 1,
        firstAttemptAt: iso(T0 + 5_000),
        lastAttemptAt: iso(T0 + 5_000),
        lastLabel: null,
        labels: [],
        elapsedMs: 0,
        runId: null,
        infiniteLoopFlag: false,
      },
    ]);
    expect(doc.recentEvents[0]).toEqual({
      type: 'attempt',
      taskId: 'T2',
      attempt: 1,
      timestamp: iso(T0 + 5_000),
      runId: null,
      label: null,
    });
    expect(doc.recentEvents).toHaveLength(4);
    expect(await store.read()).toEqual(doc);
  });

  it('accepts Date, epoch ms and ISO string timestamps alike, and defaults to now()', async () => {
    const store = makeStore(T0 + 99);
    await store.recordAttempt({ taskId: 'D', attempt: 1, timestamp: new Date(T0 + 1) });
    await store.recordAttempt({ taskId: 'N', attempt: 1, timestamp: T0 + 2 });
    await store.recordAttempt({ taskId: 'S', attempt: 1, timestamp: iso(T0 + 3) });
    await store.recordAttempt({ taskId: 'X', attempt: 1 });
    const doc = await readFileDoc();
    expect(doc.activeLoops.map((l) => l.firstAttemptAt)).toEqual([iso(T0 + 1), iso(T0 + 2), iso(T0 + 3), iso(T0 + 99)]);
  });

  it('an attempt above 5 flags the loop once and bumps infiniteLoopCount once per loop', async () => {
    const store = makeStore();
    for (let attempt = 1; attempt <= 9; attempt += 1) await store.recordAttempt({ taskId: 'L', attempt });
    let doc = await readFileDoc();
    expect(doc.stats.infiniteLoopCount).toBe(1);
    expect(doc.activeLoops[0]).toMatchObject({ taskId: 'L', attempts: 9, infiniteLoopFlag: true });

    await store.recordAttempt({ taskId: 'M', attempt: 5 });
    doc = await readFileDoc();
    expect(doc.stats.infiniteLoopCount).toBe(1);
    expect(doc.activeLoops[1]?.infiniteLoopFlag).toBe(false);

    await store.recordAttempt({ taskId: 'M', attempt: 6 });
    doc = await readFileDoc();
    expect(doc.stats.infiniteLoopCount).toBe(2);
    expect(doc.stats.attemptHistogram).toEqual({ '1': 1, '2': 1, '3': 1, '4': 1, '5': 2, '6': 2, '7': 1, '8': 1, '9': 1 });
  });

  it('closing removes the loop, counts closedLoops/closedWithin3 and measures from the first attempt', async () => {
    const store = makeStore();
    await store.recordAttempt({ taskId: 'A', attempt: 1, timestamp: T0, runId: 'ra' });
    await store.recordAttempt({ taskId: 'A', attempt: 3, timestamp: T0 + 2_000 });
    await store.recordAttempt({ taskId: 'B', attempt: 1, timestamp: T0 + 100 });
    await store.recordAttempt({ taskId: 'B', attempt: 4, timestamp: T0 + 200 });

    expect(await store.markClosed({ taskId: 'A', attempt: 3, timestamp: T0 + 7_500 })).toBe(true);
    expect(await store.markClosed({ taskId: 'B', attempt: 4, timestamp: iso(T0 + 60_100), runId: 'rb' })).toBe(true);

    const doc = await readFileDoc();
    expect(doc.activeLoops).toEqual([]);
    expect(doc.stats).toMatchObject({ totalLoops: 2, closedLoops: 2, closedWithin3: 1 });
    expect(doc.recentlyClosed).toEqual([
      { taskId: 'B', attempts: 4, closedAt: iso(T0 + 60_100), durationMs: 60_000, runId: 'rb' },
      { taskId: 'A', attempts: 3, closedAt: iso(T0 + 7_500), durationMs: 7_500, runId: 'ra' },
    ]);
    expect(doc.recentEvents[0]).toEqual({
      type: 'closed',
      taskId: 'B',
      attempt: 4,
      timestamp: iso(T0 + 60_100),
      durationMs: 60_000,
      runId: 'rb',
    });

    // A later attempt on a closed task is a new loop.
    await store.recordAttempt({ taskId: 'A', attempt: 1, timestamp: T0 + 90_000 });
    expect((await readFileDoc()).stats.totalLoops).toBe(3);
  });

  it('closing a loop that is not active changes nothing and writes nothing', async () => {
    const store = makeStore();
    expect(await store.markClosed({ taskId: 'ghost', attempt: 1 })).toBe(false);
    expect(await exists(file)).toBe(false);

    await store.recordAttempt({ taskId: 'A', attempt: 1 });
    const before = await fs.readFile(file, 'utf8');
    expect(await store.markClosed({ taskId: 'ghost', attempt: 2 })).toBe(false);
    expect(await fs.readFile(file, 'utf8')).toBe(before);
  });

  it('an incident counts once and is recorded as an event', async () => {
    const store = makeStore();
    await store.recordIncident({ taskId: 'T9', state: 'blocked', attempt: 4, timestamp: T0 + 42 });
    await store.recordIncident({ taskId: 'T9', state: 'escalated', attempt: 5 });
    const doc = await readFileDoc();
    expect(doc.stats.incidentCount).toBe(2);
    expect(doc.stats.totalLoops).toBe(0);
    expect(doc.activeLoops).toEqual([]);
    expect(doc.recentEvents).toEqual([
      { type: 'incident', taskId: 'T9', attempt: 5, timestamp: iso(T0), state: 'escalated' },
      { type: 'incident', taskId: 'T9', attempt: 4, timestamp: iso(T0 + 42), state: 'blocked' },
    ]);
  });

  it('recentEvents and recentlyClosed keep the newest 50, newest first', async () => {
    const store = makeStore();
    for (let i = 0; i < 60; i += 1) {
      await store.recordAttempt({ taskId: `t${i}`, attempt: 1, timestamp: T0 + i });
      await store.markClosed({ taskId: `t${i}`, attempt: 1, timestamp: T0 + i });
    }
    const doc = await readFileDoc();
    expect(doc.stats).toMatchObject({ totalLoops: 60, closedLoops: 60, closedWithin3: 60 });
    expect(doc.recentlyClosed).toHaveLength(50);
    expect(doc.recentlyClosed[0]?.taskId).toBe('t59');
    expect(doc.recentlyClosed[49]?.taskId).toBe('t10');
    expect(doc.recentEvents).toHaveLength(50);
    expect(doc.recentEvents[0]).toMatchObject({ type: 'closed', taskId: 't59' });
    expect(doc.recentEvents[49]).toMatchObject({ type: 'attempt', taskId: 't35' });
  });
});

describe('ResolutionMetricsStore: input validation', () => {
  const bad: Array<[string, () => (store: ResolutionMetricsStore) => Promise<unknown>]> = [
    ['empty taskId', () => (s) => s.recordAttempt({ taskId: '', attempt: 1 })],
    ['blank taskId', () => (s) => s.recordAttempt({ taskId: '   ', attempt: 1 })],
    ['numeric taskId', () => (s) => s.recordAttempt({ taskId: 7 as unknown as string, attempt: 1 })],
    ['attempt 0', () => (s) => s.recordAttempt({ taskId: 'T', attempt: 0 })],
    ['negative attempt', () => (s) => s.markClosed({ taskId: 'T', attempt: -1 })],
    ['fractional attempt', () => (s) => s.recordAttempt({ taskId: 'T', attempt: 1.5 })],
    ['NaN attempt', () => (s) => s.recordIncident({ taskId: 'T', state: 'x', attempt: Number.NaN })],
    ['string attempt', () => (s) => s.recordAttempt({ taskId: 'T', attempt: '2' as unknown as number })],
    ['bad timestamp', () => (s) => s.recordAttempt({ taskId: 'T', attempt: 1, timestamp: 'yesterday-ish' })],
    ['invalid Date', () => (s) => s.markClosed({ taskId: 'T', attempt: 1, timestamp: new Date(Number.NaN) })],
    ['empty incident state', () => (s) => s.recordIncident({ taskId: 'T', state: '', attempt: 1 })],
    ['non-string runId', () => (s) => s.recordAttempt({ taskId: 'T', attempt: 1, runId: 5 as unknown as string })],
    ['no input object', () => (s) => s.recordAttempt(undefined as unknown as { taskId: string; attempt: number })],
  ];

  it.each(bad)('rejects %s with a TypeError and leaves the file alone', async (_name, make) => {
    const store = makeStore();
    await expect(make()(store)).rejects.toBeInstanceOf(TypeError);
    expect(await exists(file)).toBe(false);

    await store.recordAttempt({ taskId: 'ok', attempt: 1 });
    const before = await fs.readFile(file, 'utf8');
    await expect(make()(store)).rejects.toBeInstanceOf(TypeError);
    expect(await fs.readFile(file, 'utf8')).toBe(before);
  });
});

describe('ResolutionMetricsStore: concurrency, persistence, failures', () => {
  it('200 concurrent mixed calls lose nothing and every read of the file parses', async () => {
    const store = makeStore();
    const calls: Array<() => Promise<unknown>> = [];
    // 40 loops, attempts 1..3 for all, attempt 4 for t10..t39; t0..t9 close at 3, t10..t19 at 4; an incident every 5th attempt.
    let attemptsQueued = 0;
    const attempt = (t: number, a: number): void => {
      calls.push(() => store.recordAttempt({ taskId: `t${t}`, attempt: a, label: `a${a}` }));
      attemptsQueued += 1;
      if (attemptsQueued % 5 === 0) calls.push(() => store.recordIncident({ taskId: `t${t}`, state: 'blocked', attempt: a }));
    };
    for (let a = 1; a <= 3; a += 1) for (let t = 0; t < 40; t += 1) attempt(t, a);
    for (let t = 0; t < 10; t += 1) calls.push(() => store.markClosed({ taskId: `t${t}`, attempt: 3 }));
    for (let t = 10; t < 40; t += 1) attempt(t, 4);
    for (let t = 10; t < 20; t += 1) calls.push(() => store.markClosed({ taskId: `t${t}`, attempt: 4 }));
    expect(calls).toHaveLength(200);

    // Parallel reader: every successful read of the file must be complete JSON.
    let writing = true;
    let reads = 0;
    const readErrors: string[] = [];
    const reader = (async () => {
      while (writing) {
        try {
          JSON.parse(await fs.readFile(file, 'utf8'));
          reads += 1;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') readErrors.push(String(error));
        }
      }
    })();

    let afterCallErrors = 0;
    const results = await Promise.allSettled(
      calls.map((call) =>
        call().then(() => {
          try {
            JSON.parse(readFileSync(file, 'utf8'));
          } catch {
            afterCallErrors += 1;
          }
        }),
      ),
    );
    writing = false;
    await reader;

    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(afterCallErrors).toBe(0);
    expect(readErrors).toEqual([]);
    expect(reads).toBeGreaterThan(0);

    const doc = await readFileDoc();
    expect(doc.stats).toEqual({
      totalLoops: 40,
      closedLoops: 20,
      closedWithin3: 10,
      infiniteLoopCount: 0,
      incidentCount: 30,
      attemptHistogram: { '1': 40, '2': 40, '3': 40, '4': 30 },
    });
    expect(doc.activeLoops.map((l) => l.taskId).sort()).toEqual(
      Array.from({ length: 20 }, (_, i) => `t${i + 20}`).sort(),
    );
    expect(doc.activeLoops.every((l) => l.attempts === 4)).toBe(true);
    expect(doc.recentEvents).toHaveLength(50);
    expect(doc.recentlyClosed).toHaveLength(20);
    expect((await fs.readdir(path.dirname(file))).filter((n) => n.includes('.tmp'))).toEqual([]);
  });

  it('a new instance re-reads the file and keeps counting', async () => {
    const first = makeStore();
    await first.recordAttempt({ taskId: 'A', attempt: 1, timestamp: T0, runId: 'r' });
    await first.recordAttempt({ taskId: 'A', attempt: 2, timestamp: T0 + 1_000 });
    await first.recordIncident({ taskId: 'A', state: 'blocked', attempt: 2 });
    await first.close();

    const second = makeStore(T0 + 50_000);
    await second.recordAttempt({ taskId: 'A', attempt: 3, timestamp: T0 + 3_000 });
    await second.recordAttempt({ taskId: 'B', attempt: 1 });
    expect(await second.markClosed({ taskId: 'A', attempt: 3, timestamp: T0 + 10_000 })).toBe(true);

    const doc = await readFileDoc();
    expect(doc.stats).toEqual({
      totalLoops: 2,
      closedLoops: 1,
      closedWithin3: 1,
      infiniteLoopCount: 0,
      incidentCount: 1,
      attemptHistogram: { '1': 2, '2': 1, '3': 1 },
    });
    // Duration spans both instances: measured from the first instance's first attempt.
    expect(doc.recentlyClosed).toEqual([{ taskId: 'A', attempts: 3, closedAt: iso(T0 + 10_000), durationMs: 10_000, runId: 'r' }]);
    expect(doc.recentEvents).toHaveLength(6);
  });

  it('a corrupt file is kept aside as .corrupt-<ts> and the store starts from empty', async () => {
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, '{"stats": {"totalLoops": 4', 'utf8');
    const store = makeStore(T0);
    await store.recordAttempt({ taskId: 'A', attempt: 1 });

    expect((await readFileDoc()).stats.totalLoops).toBe(1);
    const corrupt = `${file}.corrupt-${T0}`;
    expect(await fs.readFile(corrupt, 'utf8')).toBe('{"stats": {"totalLoops": 4');
  });

  it('a readable file with missing or odd fields is normalised, not discarded', async () => {
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, JSON.stringify({ stats: { totalLoops: 7, attemptHistogram: { '2': 3, bogus: 1 } }, extra: true }));
    const store = makeStore();
    await store.recordAttempt({ taskId: 'A', attempt: 2 });
    const doc = await readFileDoc();
    expect(doc.stats).toMatchObject({ totalLoops: 8, closedLoops: 0, attemptHistogram: { '2': 4 } });
    expect(doc.recentlyClosed).toEqual([]);
    expect((await fs.readdir(path.dirname(file))).filter((n) => n.includes('.corrupt-'))).toEqual([]);
  });

  it('a failed write rejects, leaves no temp file, does not count, and does not block later calls', async () => {
    const store = makeStore();
    await store.recordAttempt({ taskId: 'A', attempt: 1 });
    // A non-empty directory in the target's place makes the rename fail.
    await fs.rm(file);
    await fs.mkdir(path.join(file, 'blocker'), { recursive: true });

    const failing = store.recordAttempt({ taskId: 'B', attempt: 1 });
    const queuedBehind = store.read();
    await expect(failing).rejects.toThrow();
    expect((await queuedBehind).stats.totalLoops).toBe(1);
    expect((await fs.readdir(path.dirname(file))).filter((n) => n.includes('.tmp'))).toEqual([]);

    await fs.rm(file, { recursive: true });
    await store.recordAttempt({ taskId: 'C', attempt: 1 });
    const doc = await readFileDoc();
    expect(doc.stats.totalLoops).toBe(2);
    expect(doc.activeLoops.map((l) => l.taskId)).toEqual(['A', 'C']);
  });

  it('sweeps temp files left by dead writers but keeps those of live processes', async () => {
    const dir = path.dirname(file);
    await fs.mkdir(dir, { recursive: true });
    // pid 2^22+1 is above Linux's pid_max ceiling, so it cannot be running.
    const dead = `resolution_metrics.json.tmp-${2 ** 22 + 1}-1-abcd`;
    const live = `resolution_metrics.json.tmp-${process.ppid}-1-abcd`;
    await fs.writeFile(path.join(dir, dead), '{"half":');
    await fs.writeFile(path.join(dir, live), '{"half":');
    await makeStore().recordAttempt({ taskId: 'A', attempt: 1 });
    const names = await fs.readdir(dir);
    expect(names).not.toContain(dead);
    expect(names).toContain(live);
  });

  it('flush() waits for queued calls; close() makes later calls reject', async () => {
    const store = makeStore();
    void store.recordAttempt({ taskId: 'A', attempt: 1 });
    void store.recordAttempt({ taskId: 'A', attempt: 2 });
    await store.flush();
    expect((await readFileDoc()).stats.attemptHistogram).toEqual({ '1': 1, '2': 1 });
    await store.close();
    await expect(store.recordAttempt({ taskId: 'A', attempt: 3 })).rejects.toThrow(/closed/);
  });
});
