/**
 * The task line index: built while the logs are parsed, a task's lines are read back from the
 * files by offset (live log and archives, found by identity after a rename), inline and in
 * worker threads; lines of removed files go with them.
 */
import { promises as fs } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Collector } from '../../src/collector/collector.js';
import { executions } from '../../src/sources/executions.js';
import { qualityDecisions } from '../../src/sources/quality-decisions.js';
import { archiveName } from '../support/autopilot-fixture.js';
import { cleanup } from '../support/cleanup.js';
import { testCollector, testWorkspace } from '../support/collector.js';
import { T0 } from '../support/server.js';
import type { Workspace } from '../support/workspace.js';

const EXEC = executions.path;
const DEC = qualityDecisions.path;
const exec = (n: number, task: unknown) =>
  JSON.stringify({ timestamp: T0 + n * 1000, type: 'execution_summary', task_id: task, agent_type: 'codex', success: true, prompt_tokens: n }) + '\n';
const dec = (n: number, task: string) => JSON.stringify({ taskId: task, decision: 'APPROVED', timestamp: T0 + n * 1000 }) + '\n';

let ws: Workspace;
afterEach(cleanup);

/** The task's events as `e<prompt_tokens>` / `d<seconds after T0>`, sorted. */
async function lookup(c: Collector, task: string): Promise<string[]> {
  const { events } = await c.taskEvents(task);
  return events.map((e) => (e.kind === 'execution' ? `e${e.inputTokens}` : `d${(e.timestamp - T0) / 1000}`)).sort();
}

describe.each([
  ['inline', 0],
  ['in worker threads', 2],
])('task line index (%s)', (_name, parseWorkers) => {
  it("finds a task's lines in the archives, the live log and the decisions, through a rotation and a removal", async () => {
    ws = await testWorkspace();
    const archive = archiveName(T0 - 86_400_000);
    await ws.write(archive, exec(1, 'A') + exec(2, 'B') + exec(3, 'A'));
    await ws.write(EXEC, exec(4, 'A') + 'not json\n' + exec(5, 7) + exec(6, ''));
    await ws.write(DEC, dec(10, 'A') + dec(11, 'B'));
    const c = testCollector(ws, { sources: [executions, qualityDecisions], parseWorkers });
    await c.start();
    expect(await lookup(c, 'A')).toEqual(['d10', 'e1', 'e3', 'e4']);
    expect(await lookup(c, 'B')).toEqual(['d11', 'e2']);
    expect(await lookup(c, '7')).toEqual(['e5']); // a numeric id, as the schemas read it
    expect(await lookup(c, 'nobody')).toEqual([]);

    // Appended, then the live log renamed into the archives: its lines are found there.
    await ws.append(EXEC, exec(7, 'A'));
    await c.refresh();
    await fs.mkdir(ws.path('state/telemetry/archives'), { recursive: true });
    const rotated = archiveName(T0);
    await fs.rename(ws.path(EXEC), ws.path(rotated));
    await ws.write(EXEC, exec(8, 'A'));
    await c.refresh();
    const { events } = await c.taskEvents('A');
    expect(events.map((e) => (e.kind === 'execution' ? e.inputTokens : 0)).sort()).toEqual([0, 1, 3, 4, 7, 8]);
    const e7 = events.find((e) => e.kind === 'execution' && e.inputTokens === 7)!;
    expect(e7.ref.path).toBe(rotated);
    const bytes = await fs.readFile(ws.path(rotated));
    expect(bytes.subarray(e7.ref.offset, e7.ref.offset + e7.ref.length).toString()).toBe(exec(7, 'A'));

    // An archive deleted: its lines leave the index (and the lookup) once the collector sees it.
    await fs.rm(ws.path(archive));
    await c.refresh();
    expect(await lookup(c, 'A')).toEqual(['d10', 'e4', 'e7', 'e8']);
    const stats = await c.taskIndexStats();
    expect(stats.executions).toMatchObject({ lines: 4, files: 2, dropped: 0 });
    expect(stats.quality_decisions).toMatchObject({ lines: 2, files: 1 });
  });

  it('leaves out a line that changed under the index, and re-indexes a truncated log', async () => {
    ws = await testWorkspace();
    await ws.write(EXEC, exec(1, 'A') + exec(2, 'A'));
    const c = testCollector(ws, { sources: [executions], parseWorkers });
    await c.start();
    // Overwritten in place without changing size: the index still points at the old offsets.
    const text = await fs.readFile(ws.path(EXEC), 'utf8');
    const first = exec(1, 'A');
    await fs.writeFile(ws.path(EXEC), '#'.repeat(first.length - 1) + '\n' + text.slice(first.length));
    expect(await lookup(c, 'A')).toEqual(['e2']);
    await fs.writeFile(ws.path(EXEC), exec(3, 'A'));
    await c.refresh();
    expect(await lookup(c, 'A')).toEqual(['e3']);
  });
});
