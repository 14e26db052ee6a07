import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Collector, type CollectorOptions } from '../../src/collector/collector.js';
import { MAX_DOCUMENT_BYTES } from '../../src/collector/files.js';
import type { Snapshot } from '../../src/collector/snapshot.js';
import { silentLogger } from '../../src/logger.js';
import { executions } from '../../src/sources/executions.js';
import { health } from '../../src/sources/health.js';
import { SOURCE_IDS } from '../../src/sources/registry.js';
import { resolution } from '../../src/sources/resolution.js';
import { resources } from '../../src/sources/resources.js';
import { roadmap } from '../../src/sources/roadmap.js';
import { makeWorkspace, type Workspace } from '../support/workspace.js';

const report = (lastCycle: number) => JSON.stringify({ running: true, lastCycle, metricsHistory: [{ queueDepth: 4 }] });
const execLine = (n: number) => JSON.stringify({ type: 'execution_summary', task_id: `T-${n}`, agent_type: 'codex', success: true }) + '\n';
const execLines = (n: number) => Array.from({ length: n }, (_, i) => execLine(i)).join('');
const DEPTH = 100_000;

let ws: Workspace;
const extra: Workspace[] = [];
let collector: Collector | undefined;
afterEach(async () => {
  await collector?.stop();
  collector = undefined;
  await ws?.cleanup();
  ws = undefined as unknown as Workspace;
  await Promise.all(extra.splice(0).map((w) => w.cleanup()));
});

async function start(options: Partial<CollectorOptions> = {}) {
  ws ??= await makeWorkspace();
  collector = new Collector({
    workspaceRoot: ws.root,
    logger: silentLogger,
    maxLineBytes: 1 << 20,
    pollIntervalMs: 3_600_000,
    watch: false,
    sources: [health, executions, resolution, resources, roadmap],
    ...options,
  });
  return collector;
}

/** Refreshes `n` times and returns the last snapshot: a persistent fault must be counted once. */
async function refreshTimes(c: Collector, n: number): Promise<Snapshot> {
  let s = await c.refresh();
  for (let i = 1; i < n; i++) s = await c.refresh();
  return s;
}

describe('hostile workspaces', () => {
  it('keeps the last good value when a document is replaced by a directory, counting the error once', async () => {
    ws = await makeWorkspace();
    const c = await start();
    await ws.writeAtomic(health.path, report(7));
    const good = (await c.refresh()).data.health;
    await ws.remove(health.path);
    await fs.mkdir(ws.path(health.path));
    const version = (await c.refresh()).version;
    const s = await refreshTimes(c, 3);
    expect(s.version).toBe(version);
    expect(s.data.health).toBe(good);
    expect(s.status.health).toMatchObject({ up: false, errors: 1 });
    expect(s.status.health.lastError).toMatch(/not a regular file/);

    await ws.remove(health.path);
    await ws.writeAtomic(health.path, report(8));
    expect((await c.refresh()).data.health.lastCycle).toBe(8);
  });

  it('keeps the counts when a log is replaced by a directory, counting the error once', async () => {
    ws = await makeWorkspace();
    const c = await start();
    await ws.write(executions.path, execLines(2));
    expect((await c.refresh()).data.executions.total).toBe(2);
    await ws.append(executions.path, execLine(3));
    await ws.remove(executions.path);
    await fs.mkdir(ws.path(executions.path));
    const first = await c.refresh();
    const s = await refreshTimes(c, 3);
    expect(s.version).toBe(first.version);
    // The line appended before the swap was still read from the old file.
    expect(s.data.executions.total).toBe(3);
    expect(s.status.executions).toMatchObject({ up: false, errors: 1 });
    expect(s.status.executions.lastError).toMatch(/not a regular file/);

    await ws.remove(executions.path);
    await ws.write(executions.path, execLine(4));
    const back = await c.refresh();
    expect(back.data.executions.total).toBe(4);
    expect(back.status.executions).toMatchObject({ up: true, present: true, errors: 1 });
  });

  it('refuses a FIFO without blocking (a read that would fail even for root)', async () => {
    ws = await makeWorkspace();
    const c = await start();
    await ws.writeAtomic(health.path, report(5));
    await c.refresh();
    await ws.remove(health.path);
    await ws.write(executions.path, execLine(1));
    await c.refresh();
    await ws.remove(executions.path);
    execFileSync('mkfifo', [ws.path(health.path), ws.path(executions.path)]);
    const s = await c.refresh();
    expect(s.data.health.lastCycle).toBe(5);
    expect(s.data.executions.total).toBe(1);
    expect(s.status.health).toMatchObject({ up: false, errors: 1 });
    expect(s.status.executions).toMatchObject({ up: false, errors: 1 });
    expect(s.status.health.lastError).toMatch(/not a regular file/);
  });

  it('keeps the last good value when permission is denied', async (ctx) => {
    if (process.getuid?.() === 0) {
      // Root ignores permission bits: run the same scenario as the unprivileged user `nobody`.
      const fixture = fileURLToPath(new URL('../fixtures/permission-denied.ts', import.meta.url));
      const asNobody = (args: string[]) =>
        spawnSync(process.execPath, args, { cwd: fileURLToPath(new URL('../..', import.meta.url)), uid: 65534, gid: 65534, env: { ...process.env, HOME: os.tmpdir() }, encoding: 'utf8' });
      const probe = asNobody(['-e', `require('fs').accessSync(${JSON.stringify(fixture)})`]);
      if (probe.status !== 0) ctx.skip('the checkout is not readable by the user nobody, so the scenario cannot run unprivileged here');
      const child = asNobody(['--import', 'tsx', fixture]);
      expect(child.status, child.stderr).toBe(0);
      const r = JSON.parse(child.stdout);
      expect(r.uid).toBe(65534);
      expect(r).toMatchObject({ kept: true, lastCycle: 9, status: { up: false, errors: 1 } });
      expect(r.status.lastError).toMatch(/EACCES|permission/i);
      return;
    }
    ws = await makeWorkspace();
    const c = await start();
    await ws.writeAtomic(health.path, report(9));
    const good = (await c.refresh()).data.health;
    await fs.chmod(ws.path(health.path), 0o000);
    const s = await refreshTimes(c, 2);
    expect(s.data.health).toBe(good);
    expect(s.status.health).toMatchObject({ up: false, errors: 1 });
    expect(s.status.health.lastError).toMatch(/EACCES|permission/i);
  });

  it('treats a dangling symlink as an absent file and keeps the last good value', async () => {
    ws = await makeWorkspace();
    const c = await start();
    await ws.writeAtomic(health.path, report(3));
    const good = (await c.refresh()).data.health;
    await ws.remove(health.path);
    await fs.symlink('does-not-exist.json', ws.path(health.path));
    const s = await c.refresh();
    expect(s.status.health).toMatchObject({ present: false, up: false, errors: 0 });
    expect(s.data.health).toBe(good);
  });

  it('refuses a symlink leading outside the workspace, for documents, logs and directories', async () => {
    ws = await makeWorkspace();
    const outside = await makeWorkspace('wvo-outside-');
    extra.push(outside);
    await outside.write('health.json', report(666));
    await outside.write('executions.jsonl', execLines(5));
    await outside.write('analytics/resource_metrics.json', '{"cpu_used_pct": 99}');
    await fs.mkdir(path.dirname(ws.path(health.path)), { recursive: true });
    await fs.mkdir(path.dirname(ws.path(executions.path)), { recursive: true });
    await fs.symlink(outside.path('health.json'), ws.path(health.path));
    await fs.symlink(path.relative(path.dirname(ws.path(executions.path)), outside.path('executions.jsonl')), ws.path(executions.path));

    const c = await start();
    const first = await c.refresh();
    const s = await refreshTimes(c, 3);
    expect(s.version).toBe(first.version);
    expect(s.data.health).toEqual(health.empty);
    expect(s.data.executions.total).toBe(0);
    for (const id of ['health', 'executions'] as const) {
      expect(s.status[id], id).toMatchObject({ up: false, errors: 1 });
      expect(s.status[id].lastError, id).toMatch(/refused/);
    }

    // A whole directory linked to the outside is refused the same way.
    await ws.remove('state/analytics');
    await fs.symlink(outside.path('analytics'), ws.path('state/analytics'));
    const r = await c.refresh();
    expect(r.status.resources.up).toBe(false);
    expect(r.status.resources.lastError).toMatch(/refused/);
    expect(r.data.resources).toEqual(resources.empty);
  });

  it('follows a symlink that stays inside the workspace', async () => {
    ws = await makeWorkspace();
    await ws.write('shared/health.json', report(42));
    await ws.write('shared/executions.jsonl', execLines(3));
    await fs.mkdir(path.dirname(ws.path(health.path)), { recursive: true });
    await fs.mkdir(path.dirname(ws.path(executions.path)), { recursive: true });
    await fs.symlink('../../shared/health.json', ws.path(health.path));
    await fs.symlink(ws.path('shared/executions.jsonl'), ws.path(executions.path));
    const c = await start();
    let s = await c.refresh();
    expect(s.status.health).toMatchObject({ present: true, up: true });
    expect(s.data.health.lastCycle).toBe(42);
    expect(s.data.executions.total).toBe(3);
    await ws.append('shared/executions.jsonl', execLine(4));
    s = await c.refresh();
    expect(s.data.executions.total).toBe(4);
  });

  it('survives binary garbage in a document and in a log', async () => {
    ws = await makeWorkspace();
    const c = await start();
    await ws.writeAtomic(health.path, report(1));
    await ws.write(executions.path, execLine(1));
    const good = (await c.refresh()).data.health;
    const garbage = randomBytes(1000).map((b) => (b === 0x0a ? 0 : b));
    garbage[0] = 0; // never whitespace-only, never valid JSON
    await ws.writeAtomic(health.path, garbage);
    await ws.append(executions.path, Buffer.concat([garbage, Buffer.from('\n'), Buffer.from(execLine(2))]));
    const s = await c.refresh();
    expect(s.data.health).toBe(good);
    expect(s.status.health).toMatchObject({ up: false, errors: 1 });
    expect(s.data.executions.total).toBe(2);
    expect(s.status.executions).toMatchObject({ up: true, badLines: 1 });
  });

  it('does not crash on JSON nested 100k levels deep, and never stores what it could not serialise', async () => {
    ws = await makeWorkspace();
    const c = await start();
    await ws.writeAtomic(health.path, report(2));
    const good = (await c.refresh()).data.health;
    const deepArray = '['.repeat(DEPTH) + ']'.repeat(DEPTH);
    const deepObject = '{"a":'.repeat(DEPTH) + '1' + '}'.repeat(DEPTH);
    await ws.writeAtomic(health.path, deepArray);
    await ws.writeAtomic(resolution.path, `{"stats": {"totalLoops": 3}, "recentEvents": [${deepObject}, {"type": "attempt"}]}`);
    await ws.writeAtomic(resources.path, `{"cpu_used_pct": 12.5, "throttle_params": ${deepObject}}`);
    // Deep enough to overflow the YAML parser's recursion (it fails slowly, so not 100k).
    await ws.writeAtomic(roadmap.path, `tasks: ${'['.repeat(5000)}${']'.repeat(5000)}\n`);
    await ws.write(executions.path, `{"type":"execution_summary","agent_type":"codex","success":true,"x":${deepArray}}\n${deepArray}\n${deepObject}\n`);
    const s = await c.refresh();
    expect(s.data.health).toBe(good);
    expect(s.status.health.up).toBe(false);
    expect(s.status.resolution.up).toBe(true);
    expect(s.data.resolution.stats.totalLoops).toBe(3);
    expect(s.data.resolution.recentEvents).toEqual([{ type: 'attempt' }]);
    expect(s.data.resources.cpu_used_pct).toBe(12.5);
    expect(s.data.resources.throttle_params).toBeUndefined();
    expect(s.status.roadmap.up).toBe(false);
    // Valid JSON lines: one summary, one array (not a summary: skipped), one object without the right type (skipped).
    expect(s.data.executions.total).toBe(1);
    expect(s.status.executions.badLines).toBe(0);
    expect(() => JSON.stringify(s.data)).not.toThrow();
  });

  it('refuses a document over the size cap without reading it', async () => {
    ws = await makeWorkspace();
    const c = await start();
    await ws.writeAtomic(roadmap.path, 'tasks: [{ id: T-1 }]\n');
    const good = (await c.refresh()).data.roadmap;
    await ws.remove(roadmap.path);
    // A sparse file: its size is over the cap without using the disk.
    const handle = await fs.open(ws.path(roadmap.path), 'w');
    await handle.truncate(MAX_DOCUMENT_BYTES + 1);
    await handle.close();
    const s = await c.refresh();
    expect(s.data.roadmap).toBe(good);
    expect(s.status.roadmap.up).toBe(false);
    expect(s.status.roadmap.lastError).toMatch(/too large/);
  });

  it('survives the state directory being deleted and recreated; log counters keep accumulating', async () => {
    ws = await makeWorkspace();
    const c = await start();
    await ws.writeAtomic(health.path, report(50));
    await ws.write(executions.path, execLines(3));
    let s = await c.refresh();
    expect(s.data.executions.total).toBe(3);
    await ws.remove('state');
    s = await c.refresh();
    for (const id of ['health', 'executions', 'resolution', 'resources', 'roadmap'] as const) {
      expect(s.status[id].present, id).toBe(false);
    }
    expect(s.data.executions.total).toBe(3);
    expect(s.data.health.lastCycle).toBe(50);

    await ws.writeAtomic(health.path, report(51));
    await ws.write(executions.path, execLines(2));
    s = await c.refresh();
    expect(s.status.health).toMatchObject({ present: true, up: true });
    expect(s.data.health.lastCycle).toBe(51);
    expect(s.data.executions.total).toBe(5);
  });

  it('treats a state path that is a regular file as every source absent', async () => {
    ws = await makeWorkspace();
    await ws.write('state', 'not a directory');
    const c = await start();
    const s = await c.refresh();
    for (const id of ['health', 'executions', 'roadmap'] as const) expect(s.status[id]).toMatchObject({ present: false, up: false, errors: 0 });
  });
});

describe('a workspace that does not exist at start', () => {
  it('starts with every source absent, then picks the files up when they appear', async () => {
    ws = await makeWorkspace();
    const root = ws.path('not-yet');
    collector = new Collector({ workspaceRoot: root, logger: silentLogger, maxLineBytes: 1 << 20, pollIntervalMs: 25, watch: true });
    const c = collector;
    const first = await c.start();
    expect(Object.keys(first.status).sort()).toEqual([...SOURCE_IDS].sort());
    for (const id of SOURCE_IDS) expect(first.status[id], id).toMatchObject({ present: false, up: false, errors: 0 });

    const seen = new Promise<Snapshot>((resolve) => {
      const onSnapshot = (s: Snapshot) => {
        if (s.status.health.up && s.data.executions.total === 2) {
          c.off('snapshot', onSnapshot);
          resolve(s);
        }
      };
      c.on('snapshot', onSnapshot);
    });
    const w = { path: (rel: string) => path.join(root, rel) };
    await fs.mkdir(path.dirname(w.path(health.path)), { recursive: true });
    await fs.mkdir(path.dirname(w.path(executions.path)), { recursive: true });
    await fs.writeFile(w.path(executions.path), execLines(2));
    await fs.writeFile(w.path(health.path), report(77));
    const s = await seen;
    expect(s.data.health.lastCycle).toBe(77);
    expect(s.status.roadmap.present).toBe(false);
  });
});
