import { afterEach, describe, expect, it } from 'vitest';
import type { Collector } from '../../src/collector/collector.js';
import type { Snapshot } from '../../src/collector/snapshot.js';
import { executions } from '../../src/sources/executions.js';
import { health } from '../../src/sources/health.js';
import type { Workspace } from '../support/workspace.js';
import { cleanup } from '../support/cleanup.js';
import { testCollector, testWorkspace } from '../support/collector.js';

const HOUR = 3_600_000;
const report = (lastCycle: number) => JSON.stringify({ running: true, lastCycle });

let ws: Workspace;
let collector: Collector | undefined;
afterEach(cleanup);

async function start(watch = false) {
  ws = await testWorkspace();
  collector = testCollector(ws, { watch, sources: [health, executions] });
  return collector;
}

/** Resolves with the first snapshot that satisfies `pred`; rejects after a generous bound so a broken mechanism fails rather than hangs. */
function snapshotWhere(c: Collector, pred: (s: Snapshot) => boolean, boundMs = 15_000): Promise<Snapshot> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      c.off('snapshot', on);
      reject(new Error('no matching snapshot'));
    }, boundMs);
    const on = (s: Snapshot) => {
      if (!pred(s)) return;
      clearTimeout(timer);
      c.off('snapshot', on);
      resolve(s);
    };
    c.on('snapshot', on);
  });
}

describe('collector mechanisms', () => {
  it('single-flight: 50 concurrent refresh() calls run at most 2 cycles', async () => {
    const c = await start();
    await ws.writeAtomic(health.path, report(1));
    const results = await Promise.all(Array.from({ length: 50 }, () => c.refresh()));
    expect(c.counters.cycles).toBeLessThanOrEqual(2);
    expect(c.counters.cycles).toBeGreaterThanOrEqual(1);
    expect(results.every((s) => s.data.health.lastCycle === 1)).toBe(true);
    // The 49 callers that arrived during the first cycle share one snapshot.
    expect(new Set(results.slice(1)).size).toBe(1);
  });

  it('a caller joining during a refresh gets a snapshot taken after its call', async () => {
    const c = await start();
    await ws.writeAtomic(health.path, report(1));
    const first = c.refresh();
    await ws.writeAtomic(health.path, report(2));
    const joined = c.refresh();
    expect((await joined).data.health.lastCycle).toBe(2);
    await first;
  });

  it('fresh() answers from the current snapshot when it is recent enough', async () => {
    const c = await start();
    await ws.writeAtomic(health.path, report(1));
    const s = await c.refresh();
    const cycles = c.counters.cycles;
    expect(await c.fresh(HOUR)).toBe(s);
    expect(c.counters.cycles).toBe(cycles);
    await ws.writeAtomic(health.path, report(2));
    expect((await c.fresh(-1)).data.health.lastCycle).toBe(2);
    expect(c.counters.cycles).toBe(cycles + 1);
  });

  it('a watch event triggers a refresh without waiting for the poll', async () => {
    const c = await start(true);
    await ws.writeAtomic(health.path, report(1));
    await ws.write(executions.path, '');
    await c.start();
    const cyclesAtStart = c.counters.cycles;

    // Watches are installed asynchronously after start(): keep writing until an event lands.
    const seen = snapshotWhere(c, (s) => s.data.health.lastCycle !== undefined && s.data.health.lastCycle >= 2);
    let n = 2;
    let done = false;
    void seen.finally(() => (done = true)).catch(() => undefined);
    while (!done) {
      await ws.writeAtomic(health.path, report(n++));
      await new Promise((r) => setTimeout(r, 100));
    }
    const s = await seen;
    expect(s.data.health.lastCycle).toBeGreaterThanOrEqual(2);
    expect(c.counters.watchEvents).toBeGreaterThan(0);
    expect(c.counters.cycles).toBeGreaterThan(cyclesAtStart);

    // Appending to a log is noticed the same way.
    const appended = snapshotWhere(c, (x) => x.data.executions.total === 1);
    await ws.append(executions.path, JSON.stringify({ type: 'execution_summary', agent_type: 'codex', success: true }) + '\n');
    expect((await appended).data.executions.total).toBe(1);
  });

  it('files changing all the time make at most one cycle per minCycleGapMs, and the last write is seen', async () => {
    const c = await start(true);
    await ws.writeAtomic(health.path, report(1));
    await c.start();
    await snapshotWhere(c, () => true, 2000).catch(() => undefined); // let the watches settle in
    const cycles = c.counters.cycles;
    const t0 = Date.now();
    let n = 2;
    while (Date.now() - t0 < 1000) {
      await ws.writeAtomic(health.path, report(n++));
      await new Promise((r) => setTimeout(r, 5));
    }
    const last = n - 1;
    await snapshotWhere(c, (s) => s.data.health.lastCycle === last);
    const elapsed = Date.now() - t0;
    expect(c.counters.watchEvents).toBeGreaterThan(50);
    // 100 ms apart (the default): about 10 cycles a second, not one per write.
    expect(c.counters.cycles - cycles).toBeLessThanOrEqual(Math.ceil(elapsed / 100) + 1);
    expect(c.counters.cycles - cycles).toBeGreaterThan(1);
  });

  it('emits no snapshot after stop()', async () => {
    const c = await start(true);
    await c.start();
    let events = 0;
    c.on('snapshot', () => events++);
    await c.stop();
    await ws.writeAtomic(health.path, report(9));
    await c.refresh();
    expect(events).toBe(0);
  });
});
