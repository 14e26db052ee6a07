/**
 * The task-events hook: the collector turns execution and decision lines into located task
 * events, each exactly once across appends, rotations into the archives and a restart from saved
 * positions; inline and in worker threads (as the exporter runs).
 */
import { promises as fs } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Collector, CollectorOptions } from '../../src/collector/collector.js';
import type { LocatedTaskEvent, TaskEventBatch } from '../../src/collector/task-events.js';
import { Tailer } from '../../src/collector/tail.js';
import { executions } from '../../src/sources/executions.js';
import { qualityDecisions } from '../../src/sources/quality-decisions.js';
import { archiveName } from '../support/autopilot-fixture.js';
import { cleanup } from '../support/cleanup.js';
import { testCollector, testWorkspace } from '../support/collector.js';
import { T0 } from '../support/server.js';
import type { Workspace } from '../support/workspace.js';

const EXEC = executions.path;
const DEC = qualityDecisions.path;
const exec = (n: number, task = `T-${n % 3}`) =>
  JSON.stringify({ timestamp: T0 + n * 1000, type: 'execution_summary', task_id: task, agent_type: 'codex', success: true, prompt_tokens: n }) + '\n';
const dec = (n: number, task = `T-${n % 3}`) =>
  JSON.stringify({ taskId: task, decision: n % 2 ? 'REJECTED' : 'APPROVED', timestamp: T0 + n * 1000, reviews: { peer: { approved: n % 2 === 0 } } }) + '\n';
const execs = (from: number, count: number) => Array.from({ length: count }, (_, i) => exec(from + i)).join('');

let ws: Workspace;
afterEach(cleanup);

/** A collector that records every batch it emits. */
function tap(options: Partial<CollectorOptions>) {
  const c = testCollector(ws, { sources: [executions, qualityDecisions], ...options });
  const batches: TaskEventBatch[] = [];
  let last: Record<string, number> | undefined;
  c.on('taskEvents', (b) => {
    batches.push(b);
    last = b.positions;
  });
  const take = () => batches.splice(0).flatMap((b) => b.events);
  const positions = () => last;
  return { c, batches, take, positions };
}

/** The executions' prompt_tokens (each test line's number) and the decisions' timestamps, in order read. */
const numbers = (events: LocatedTaskEvent[]) =>
  events.map((e) => (e.kind === 'execution' ? e.inputTokens : `d${(e.timestamp - T0) / 1000}`));

async function rotate(at: number): Promise<string> {
  await fs.mkdir(ws.path('state/telemetry/archives'), { recursive: true });
  const to = archiveName(at);
  await fs.rename(ws.path(EXEC), ws.path(to));
  return to;
}

describe.each([
  ['inline', 0],
  ['in worker threads', 2],
])('task events (%s)', (_name, parseWorkers) => {
  it("from 'start': only lines read after the first poll, each once, through a rotation", async () => {
    ws = await testWorkspace();
    await ws.write(archiveName(T0 - 86_400_000), execs(0, 3));
    await ws.write(EXEC, execs(10, 2));
    await ws.write(DEC, dec(1));
    const { c, take, positions, batches } = tap({ parseWorkers, taskEvents: { from: 'start' } });
    await c.start();
    expect(take()).toEqual([]);
    // The baseline's positions name every file read: the archive, the live log, the decisions.
    expect(Object.keys(positions() ?? {})).toHaveLength(3);

    await ws.append(EXEC, exec(12) + exec(13));
    await ws.append(DEC, dec(2));
    await c.refresh();
    const events = take();
    expect(numbers(events)).toEqual(expect.arrayContaining([12, 13, 'd2']));
    expect(events).toHaveLength(3);
    const e12 = events.find((e) => e.kind === 'execution' && e.inputTokens === 12)!;
    expect(e12).toMatchObject({ kind: 'execution', taskId: 'T-0', agentType: 'codex', timestamp: T0 + 12_000 });
    // The ref reads the line back: offset and length (newline included) in the file it names.
    const bytes = await fs.readFile(ws.path(EXEC));
    expect(bytes.subarray(e12.ref.offset, e12.ref.offset + e12.ref.length).toString()).toBe(exec(12));
    const st = await fs.stat(ws.path(EXEC));
    expect(e12.ref).toMatchObject({ source: 'executions', fileKey: `${st.dev}:${st.ino}`, path: EXEC });
    expect(positions()![`${st.dev}:${st.ino}`]).toBe(st.size);

    // Nothing new: no events (and no batch).
    batches.length = 0;
    await c.refresh();
    expect(batches).toEqual([]);

    // A line appended just before the rename, then the new live log: each exactly once.
    await ws.append(EXEC, exec(14));
    const archived = await rotate(T0);
    await ws.write(EXEC, exec(20));
    await c.refresh();
    await new Promise((r) => setTimeout(r, 400)); // let the renamed file settle among the archives
    await ws.append(EXEC, exec(21));
    await c.refresh();
    expect(numbers(take())).toEqual([14, 20, 21]);
    const old = await fs.stat(ws.path(archived));
    expect(positions()![`${old.dev}:${old.ino}`]).toBe(old.size);
  });

  it('resumes from saved positions after a restart: every line exactly once, rotation included', async () => {
    ws = await testWorkspace();
    await ws.write(EXEC, execs(0, 3));
    await ws.write(DEC, dec(1));
    const first = tap({ parseWorkers, taskEvents: { from: 'start' } });
    await first.c.start();
    await ws.append(EXEC, exec(3));
    await first.c.refresh();
    expect(numbers(first.take())).toEqual([3]);
    const saved = first.positions()!;
    await first.c.stop();

    // While stopped: more lines, a rotation, a new live log, a copied-in archive, decisions.
    await ws.append(EXEC, exec(4) + exec(5).trimEnd()); // the rotated file's unterminated last line counts
    await rotate(T0);
    await ws.write(EXEC, exec(6));
    await ws.write(archiveName(T0 - 86_400_000), execs(30, 2));
    await ws.append(DEC, dec(2));
    await new Promise((r) => setTimeout(r, 400)); // archives left alone, as at any restart

    const second = tap({ parseWorkers, taskEvents: { from: saved } });
    await second.c.start();
    expect(numbers(second.take()).sort()).toEqual([30, 31, 4, 5, 6, 'd2'].sort());
    await ws.append(EXEC, exec(7));
    await second.c.refresh();
    expect(numbers(second.take())).toEqual([7]);
  });

  it('emits the lines of a log created after the start, and skips lines with no task', async () => {
    ws = await testWorkspace();
    await ws.write(EXEC, exec(0));
    const { c, take } = tap({ parseWorkers, taskEvents: { from: 'start' } });
    await c.start();
    await ws.append(DEC, dec(1) + 'not json\n' + JSON.stringify({ decision: 'APPROVED', timestamp: T0 }) + '\n' + dec(3));
    await ws.append(EXEC, JSON.stringify({ type: 'execution_summary', timestamp: T0, agent_type: 'codex' }) + '\n');
    await c.refresh();
    expect(numbers(take())).toEqual(['d1', 'd3']);
  });

  it('is off by default: no event, no positions', async () => {
    ws = await testWorkspace();
    await ws.write(EXEC, exec(0));
    const { c, batches } = tap({ parseWorkers });
    await c.start();
    await ws.append(EXEC, exec(1));
    await c.refresh();
    expect(batches).toEqual([]);
  });
});

describe('task events when a parse worker crashes', () => {
  it('the replacement worker resumes after the last positions: no line lost, none emitted twice', async () => {
    ws = await testWorkspace();
    await ws.write(EXEC, execs(0, 3));
    await ws.write(DEC, dec(1));
    const { c, take } = tap({ parseWorkers: 2, taskEvents: { from: 'start' } });
    await c.start();
    await ws.append(EXEC, exec(3));
    await ws.append(DEC, dec(2));
    await c.refresh();
    expect(numbers(take()).sort()).toEqual([3, 'd2'].sort());

    // A worker thread dies (as on a fatal error in it): the engine starts another for its logs.
    const { workers } = (c as unknown as { engine: { workers: { worker: import('node:worker_threads').Worker }[] } }).engine;
    const dead = workers.map((w) => w.worker);
    await Promise.all(dead.map((w) => w.terminate()));
    await new Promise((r) => setTimeout(r, 200));
    expect(workers.every((w, i) => w.worker !== dead[i])).toBe(true);

    await ws.append(EXEC, exec(4) + exec(5));
    await ws.append(DEC, dec(3));
    // The replacements read the logs afresh; only what follows the positions comes out as events.
    let got: (string | number | undefined)[] = [];
    for (let i = 0; i < 20 && got.length < 3; i++) {
      await c.refresh().catch(() => undefined);
      got = got.concat(numbers(take()));
    }
    expect(got.sort()).toEqual([4, 5, 'd3'].sort());
    await ws.append(EXEC, exec(6));
    await c.refresh();
    expect(numbers(take())).toEqual([6]);
  });
});

describe('Tailer line positions', () => {
  it('gives each line its offset, its length with the newline, and the file, across chunks, CRLF and a BOM', async () => {
    ws = await testWorkspace();
    const long = 'x'.repeat(70 * 1024);
    const text = '\ufeff{"a":1}\r\n\n' + `{"b":"${long}"}\n` + '{"c":3}';
    await ws.write('log.jsonl', text);
    const seen: [string, number, number, string][] = [];
    const r = await new Tailer(ws.root, 'log.jsonl', 1 << 20).readAll((line, offset, length, file) => seen.push([line.slice(0, 6), offset, length, file.key]), () => false);
    const st = await fs.stat(ws.path('log.jsonl'));
    const key = `${st.dev}:${st.ino}`;
    const bytes = Buffer.from(text);
    const second = bytes.indexOf('{"b"');
    expect(r?.lines).toBe(3);
    expect(seen).toEqual([
      ['{"a":1', 0, 3 + 9, key],
      ['{"b":"', second, long.length + 9, key],
      ['{"c":3', bytes.length - 7, 7, key],
    ]);
  });
});
