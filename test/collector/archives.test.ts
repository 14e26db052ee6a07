/**
 * Rotated execution logs (state/telemetry/archives/executions_*.jsonl): each read once, at
 * start and when it appears; a rotation neither loses nor double-counts; a restart reads the
 * same totals. Inline and in worker threads (as the exporter runs).
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Collector } from '../../src/collector/collector.js';
import { silentLogger } from '../../src/logger.js';
import { SETTLE_MS } from '../../src/collector/archives.js';
import { executions } from '../../src/sources/executions.js';
import { archiveName } from '../support/autopilot-fixture.js';
import { T0 } from '../support/server.js';
import { makeWorkspace, type Workspace } from '../support/workspace.js';

const LOG = executions.path;
const MAX_LINE = 4096;
const line = (n: number) => JSON.stringify({ timestamp: T0 + n, type: 'execution_summary', task_id: `T-${n}`, agent_type: 'codex', success: true, prompt_tokens: n }) + '\n';
const lines = (from: number, count: number) => Array.from({ length: count }, (_, i) => line(from + i)).join('');
/** Σ prompt_tokens of lines from..from+count-1: identifies which lines were counted, not only how many. */
const tokens = (ranges: [number, number][]) => ranges.reduce((n, [from, count]) => n + count * from + (count * (count - 1)) / 2, 0);

let ws: Workspace | undefined;
const collectors: Collector[] = [];
afterEach(async () => {
  await Promise.all(collectors.splice(0).map((c) => c.stop()));
  await ws?.cleanup();
  ws = undefined;
});

function collector(workers: boolean): Collector {
  const c = new Collector({
    workspaceRoot: ws!.root,
    logger: silentLogger,
    maxLineBytes: MAX_LINE,
    pollIntervalMs: 3_600_000,
    watch: false,
    sources: [executions],
    parseWorkers: workers ? 2 : 0,
  });
  collectors.push(c);
  return c;
}

async function read(c: Collector) {
  const s = await c.refresh();
  const codex = s.data.executions.byAgentType.codex;
  return { total: s.data.executions.total, tokens: codex?.promptTokens ?? 0, status: s.status.executions };
}

/** Writes an archive left alone long ago (as every archive is at a restart, but a fresh rotation). */
async function oldArchive(rel: string, text: string) {
  await ws!.write(rel, text);
  const past = new Date(Date.now() - 3_600_000);
  await fs.utimes(ws!.path(rel), past, past);
}

const rotate = async (at: number) => {
  await fs.mkdir(ws!.path('state/telemetry/archives'), { recursive: true });
  const to = archiveName(at);
  await fs.rename(ws!.path(LOG), ws!.path(to));
  return to;
};

describe.each([
  ['inline', false],
  ['in worker threads', true],
])('archives (%s)', (_name, workers) => {
  it('reads the archives present at start once, with the live log', async () => {
    ws = await makeWorkspace();
    await oldArchive(archiveName(T0 - 2 * 86_400_000), lines(0, 5));
    await oldArchive(archiveName(T0 - 86_400_000), lines(5, 3) + line(8).trimEnd()); // a settled archive's unterminated last line counts
    await ws.write(LOG, lines(100, 4));
    const c = collector(workers);
    let r = await read(c);
    expect([r.total, r.tokens]).toEqual([13, tokens([[0, 9], [100, 4]])]);
    expect(r.status).toMatchObject({ present: true, up: true, badLines: 0, errors: 0 });
    // appends to the live log count; the archives are not read again
    await ws.append(LOG, line(104));
    r = await read(c);
    expect([r.total, r.tokens]).toEqual([14, tokens([[0, 9], [100, 5]])]);
  });

  it('counts an archive that appears later once, and ignores files outside the glob', async () => {
    ws = await makeWorkspace();
    await ws.write(LOG, lines(0, 2));
    const c = collector(workers);
    expect((await read(c)).total).toBe(2);
    // copied in (a new inode, not the live log): read once, though the live log is unchanged
    await ws.write(archiveName(T0 - 86_400_000), lines(10, 3));
    await ws.write('state/telemetry/archives/executions-old.jsonl', lines(50, 3));
    await ws.write('state/telemetry/archives/operations_2026-11-20T00-00-00.jsonl', lines(60, 3));
    await ws.write('state/telemetry/archives/executions_2026-11-20T00-00-00.jsonl.gz', 'not text');
    let r = await read(c);
    expect([r.total, r.tokens]).toEqual([5, tokens([[0, 2], [10, 3]])]);
    // another entry in the directory makes it scan again: nothing is counted twice
    await ws.write(archiveName(T0 - 2 * 86_400_000), lines(20, 1));
    r = await read(c);
    expect([r.total, r.tokens]).toEqual([6, tokens([[0, 2], [10, 3], [20, 1]])]);
    expect(r.status.badLines).toBe(0);
  });

  it('neither loses nor double-counts a rotation, and a restart reads the same totals', async () => {
    ws = await makeWorkspace();
    await ws.write(LOG, lines(0, 3));
    const c = collector(workers);
    expect((await read(c)).total).toBe(3);
    // appended after the last read, then renamed into archives/ and a new log started
    await ws.append(LOG, lines(3, 2));
    await rotate(T0);
    await ws.write(LOG, lines(100, 2));
    let r = await read(c);
    expect([r.total, r.tokens]).toEqual([7, tokens([[0, 5], [100, 2]])]);
    // a second rotation, with nothing new in between
    await rotate(T0 + 3_600_000);
    await ws.write(LOG, lines(200, 1));
    r = await read(c);
    expect([r.total, r.tokens]).toEqual([8, tokens([[0, 5], [100, 2], [200, 1]])]);
    expect(r.status).toMatchObject({ badLines: 0, errors: 0 });
    // more scans (a new unrelated entry) change nothing
    await ws.write('state/telemetry/archives/README', 'rotated logs');
    expect((await read(c)).total).toBe(8);

    const before = (await c.refresh()).data.executions;
    await c.stop();
    const restarted = await collector(workers).refresh();
    expect(restarted.data.executions).toEqual(before);
  });

  it('counts the archives when the live log is missing', async () => {
    ws = await makeWorkspace();
    await ws.write(archiveName(T0), lines(0, 4));
    const c = collector(workers);
    const r = await read(c);
    expect(r.total).toBe(4);
    expect(r.status.present).toBe(false);
    // the log starts later: counted on top
    await ws.write(LOG, lines(10, 1));
    expect((await read(c)).total).toBe(5);
  });
});

describe('archive watch', () => {
  it('pushes a snapshot when an archive appears, without waiting for the poll', async () => {
    ws = await makeWorkspace();
    await ws.write(LOG, lines(0, 1));
    await fs.mkdir(ws.path('state/telemetry/archives'), { recursive: true });
    const c = new Collector({ workspaceRoot: ws.root, logger: silentLogger, maxLineBytes: MAX_LINE, pollIntervalMs: 3_600_000, watch: true, sources: [executions] });
    collectors.push(c);
    expect((await c.start()).data.executions.total).toBe(1);
    const next = new Promise<number>((resolve) => c.on('snapshot', (s) => s.data.executions.total === 4 && resolve(s.data.executions.total)));
    await ws.write(archiveName(T0), lines(10, 3));
    expect(await next).toBe(4);
  });
});

describe('hostile archives', () => {
  it('refuses an archive linking outside the workspace, counts the others, and skips bad lines', async () => {
    ws = await makeWorkspace();
    const outside = await fs.mkdtemp(path.join(os.tmpdir(), 'wvo-outside-'));
    try {
      await fs.writeFile(path.join(outside, 'secret.jsonl'), lines(500, 5));
      await ws.write(archiveName(T0), lines(0, 2) + 'not json\n' + 'x'.repeat(MAX_LINE + 10) + '\n' + line(2));
      await fs.symlink(path.join(outside, 'secret.jsonl'), ws.path(archiveName(T0 + 1000)));
      await ws.write(LOG, lines(10, 1));
      const r = await read(collector(false));
      expect([r.total, r.tokens]).toEqual([4, tokens([[0, 3], [10, 1]])]);
      expect(r.status.badLines).toBe(2);
      expect(r.status.errors).toBe(1);
    } finally {
      await fs.rm(outside, { recursive: true, force: true });
    }
  });
});

describe('an archive still being copied in', () => {
  it('is tailed until it settles, then its last line counts: never taken half-written for whole', async () => {
    ws = await makeWorkspace();
    await ws.write(LOG, lines(0, 1));
    const c = collector(false);
    expect((await read(c)).total).toBe(1);
    const name = archiveName(T0);
    const half = lines(10, 3);
    const rest = lines(13, 2) + line(15).trimEnd(); // the copy's last line has no newline
    // Modified "just now" as far as the exporter can tell, however loaded the machine (an mtime a
    // little ahead of the clock waits as well).
    const justNow = async () => {
      const soon = new Date(Date.now() + 30_000);
      await fs.utimes(ws!.path(name), soon, soon);
    };
    await ws.write(name, half + rest.slice(0, 20));
    await justNow();
    expect((await read(c)).total).toBe(4); // three complete lines so far
    await ws.append(name, rest.slice(20));
    await justNow();
    expect((await read(c)).total).toBe(6); // the unterminated last line waits: the copy may go on
    expect((await read(c)).total).toBe(6);
    // left alone: the rest is taken as complete
    const past = new Date(Date.now() - SETTLE_MS - 1000);
    await fs.utimes(ws.path(name), past, past);
    const r = await read(c);
    expect([r.total, r.tokens]).toEqual([7, tokens([[0, 1], [10, 6]])]);
    // read: not counted again on later scans
    await ws.write('state/telemetry/archives/other.txt', 'x');
    expect((await read(c)).total).toBe(7);
    expect(r.status.badLines).toBe(0);
  });
});
