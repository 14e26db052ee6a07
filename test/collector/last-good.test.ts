import { afterEach, describe, expect, it } from 'vitest';
import type { Collector } from '../../src/collector/collector.js';
import { health } from '../../src/sources/health.js';
import { roadmap } from '../../src/sources/roadmap.js';
import type { Workspace } from '../support/workspace.js';
import { cleanup } from '../support/cleanup.js';
import { testCollector, testWorkspace } from '../support/collector.js';

const report = (lastCycle: number) =>
  JSON.stringify({ running: true, lastCycle, metricsHistory: [{ timestamp: 1795788600000, queueDepth: lastCycle % 7, doneCount: 12 }] }, null, 2);

const roadmapYaml = (status: string) => `epics:
  - id: E-1
    milestones:
      - id: M-1
        tasks:
          - { id: T-1, title: First, status: ${status} }
          - { id: T-2, title: Second, status: ready }
`;

let ws: Workspace;
let collector: Collector | undefined;
afterEach(cleanup);

async function start() {
  ws = await testWorkspace();
  collector = testCollector(ws, { sources: [health, roadmap] });
  return collector;
}

describe('last good value', () => {
  it('keeps the last good value of a JSON document while it is torn, then recovers', async () => {
    const c = await start();
    await ws.writeAtomic(health.path, report(10));
    let s = await c.refresh();
    const good = s.data.health;
    expect(good.lastCycle).toBe(10);
    expect(s.status.health).toMatchObject({ present: true, up: true, errors: 0 });

    await ws.writeAtomic(health.path, report(11).slice(0, 25));
    s = await c.refresh();
    expect(s.data.health).toBe(good);
    expect(s.status.health).toMatchObject({ present: true, up: false, errors: 1 });
    expect(s.status.health.lastError).toBeTruthy();

    // The same bad file is not counted again.
    const version = s.version;
    s = await c.refresh();
    expect(s.version).toBe(version);
    expect(s.status.health.errors).toBe(1);

    // Another bad version is.
    await ws.writeAtomic(health.path, '{"running": tru');
    s = await c.refresh();
    expect(s.status.health.errors).toBe(2);
    expect(s.data.health).toBe(good);

    await ws.writeAtomic(health.path, report(12));
    s = await c.refresh();
    expect(s.data.health.lastCycle).toBe(12);
    expect(s.status.health).toMatchObject({ present: true, up: true, errors: 2, lastError: undefined });
  });

  it('notices a torn in-place rewrite too (same inode, different size)', async () => {
    const c = await start();
    await ws.write(health.path, report(20));
    expect((await c.refresh()).data.health.lastCycle).toBe(20);
    await ws.write(health.path, report(21).slice(0, 30));
    let s = await c.refresh();
    expect(s.status.health.up).toBe(false);
    expect(s.data.health.lastCycle).toBe(20);
    await ws.write(health.path, report(22));
    s = await c.refresh();
    expect([s.status.health.up, s.data.health.lastCycle]).toEqual([true, 22]);
  });

  it('keeps the last good roadmap while the YAML is garbage or the wrong shape', async () => {
    const c = await start();
    await ws.writeAtomic(roadmap.path, roadmapYaml('done'));
    let s = await c.refresh();
    const good = s.data.roadmap;
    expect(good.tasks.map((t) => t.status)).toEqual(['done', 'ready']);

    await ws.writeAtomic(roadmap.path, 'epics:\n  - id: E-1\n    tasks: [ { id: T-1\n  bad: : :\n');
    s = await c.refresh();
    expect(s.data.roadmap).toBe(good);
    expect(s.status.roadmap).toMatchObject({ up: false, errors: 1 });

    await ws.writeAtomic(roadmap.path, '- just\n- a list\n');
    s = await c.refresh();
    expect(s.data.roadmap).toBe(good);
    expect(s.status.roadmap).toMatchObject({ up: false, errors: 2 });
    expect(s.status.roadmap.lastError).toMatch(/schema/);

    await ws.writeAtomic(roadmap.path, roadmapYaml('blocked'));
    s = await c.refresh();
    expect(s.data.roadmap.tasks.map((t) => t.status)).toEqual(['blocked', 'ready']);
    expect(s.status.roadmap).toMatchObject({ up: true, errors: 2 });
  });

  it('marks a removed document absent and reads it again when it returns', async () => {
    const c = await start();
    await ws.writeAtomic(health.path, report(30));
    await c.refresh();
    await ws.remove(health.path);
    let s = await c.refresh();
    expect(s.status.health).toMatchObject({ present: false, up: false, errors: 0 });
    await ws.writeAtomic(health.path, report(31));
    s = await c.refresh();
    expect(s.status.health).toMatchObject({ present: true, up: true });
    expect(s.data.health.lastCycle).toBe(31);
  });

  it('gives the empty value, not an error, for a document that never existed', async () => {
    const c = await start();
    const s = await c.refresh();
    expect(s.data.health).toEqual(health.empty);
    expect(s.data.roadmap).toEqual({ tasks: [], rejectedTasks: 0 });
    expect(s.status.health).toMatchObject({ present: false, up: false, errors: 0 });
  });
});
