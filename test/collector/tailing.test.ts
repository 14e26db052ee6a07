import { promises as fs } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Collector } from '../../src/collector/collector.js';
import { executions } from '../../src/sources/executions.js';
import { qualityDecisions } from '../../src/sources/quality-decisions.js';
import type { Workspace } from '../support/workspace.js';
import { cleanup } from '../support/cleanup.js';
import { testCollector, testWorkspace } from '../support/collector.js';

const LOG = executions.path;
const MAX_LINE = 1024;

const line = (n: number, over: Record<string, unknown> = {}) =>
  JSON.stringify({ timestamp: 1795800000000 + n, type: 'execution_summary', task_id: `T-${n}`, agent_type: 'codex', success: true, prompt_tokens: 10, ...over }) + '\n';
const lines = (from: number, count: number) => Array.from({ length: count }, (_, i) => line(from + i)).join('');

/** A valid execution line of exactly `bytes` bytes, newline excluded. */
function lineOfLength(bytes: number): string {
  const base = JSON.stringify({ type: 'execution_summary', agent_type: 'codex', success: true, pad: '' });
  const pad = 'p'.repeat(bytes - base.length);
  const l = JSON.stringify({ type: 'execution_summary', agent_type: 'codex', success: true, pad });
  expect(Buffer.byteLength(l)).toBe(bytes);
  return l;
}

let ws: Workspace;
let collector: Collector | undefined;
afterEach(cleanup);

async function startCollector(workers: boolean) {
  ws = await testWorkspace();
  collector = testCollector(ws, { maxLineBytes: MAX_LINE, sources: [executions, qualityDecisions], parseWorkers: workers ? 2 : 0 });
  return collector;
}

const read = async (c: Collector) => {
  const s = await c.refresh();
  return { total: s.data.executions.total, status: s.status.executions, version: s.version };
};

describe('tailing JSONL through the Collector', () => {
  const start = () => startCollector(false);


  it('reads appended lines, and nothing on a refresh without changes', async () => {
    const c = await start();
    await ws.write(LOG, lines(1, 2));
    let r = await read(c);
    expect(r.total).toBe(2);
    expect(r.status).toMatchObject({ present: true, up: true, badLines: 0, errors: 0 });
    const version = r.version;
    expect((await read(c)).version).toBe(version);

    await ws.append(LOG, lines(3, 3));
    r = await read(c);
    expect(r.total).toBe(5);
    expect(r.version).toBe(version + 1);
  });

  it('counts a torn last line once, only when its newline arrives', async () => {
    const c = await start();
    const torn = line(2);
    await ws.write(LOG, line(1) + torn.slice(0, 20));
    expect((await read(c)).total).toBe(1);
    await ws.append(LOG, torn.slice(20, 50));
    let r = await read(c);
    expect(r.total).toBe(1);
    expect(r.status.badLines).toBe(0);
    await ws.append(LOG, torn.slice(50));
    r = await read(c);
    expect(r.total).toBe(2);
    expect(r.status.badLines).toBe(0);
    expect((await read(c)).total).toBe(2);
  });

  it('counts a bad line once in badLines and skips it', async () => {
    const c = await start();
    await ws.write(LOG, line(1) + 'garbage {\n' + line(2));
    let r = await read(c);
    expect(r.total).toBe(2);
    expect(r.status.badLines).toBe(1);
    expect(r.status.up).toBe(true);
    expect(r.status.lastError).toMatch(/bad line/);
    await ws.append(LOG, line(3));
    r = await read(c);
    expect(r.total).toBe(3);
    expect(r.status.badLines).toBe(1);
  });

  it('re-reads a truncated file from its start and keeps counting', async () => {
    const c = await start();
    await ws.write(LOG, lines(1, 3));
    expect((await read(c)).total).toBe(3);
    await ws.write(LOG, line(4)); // in place: same inode, smaller
    let r = await read(c);
    expect(r.total).toBe(4);
    await ws.write(LOG, '');
    expect((await read(c)).total).toBe(4);
    await ws.append(LOG, lines(5, 2));
    r = await read(c);
    expect(r.total).toBe(6);
    expect(r.status.badLines).toBe(0);
  });

  it('keeps lines appended just before a rename into archives/ and reads the new file from its start', async () => {
    const c = await start();
    await ws.write(LOG, lines(1, 2));
    expect((await read(c)).total).toBe(2);
    // Appended after the last read, then rotated away before the next one.
    await ws.append(LOG, lines(3, 2));
    await fs.mkdir(ws.path('state/telemetry/archives'), { recursive: true });
    await fs.rename(ws.path(LOG), ws.path('state/telemetry/archives/executions_2026-11-27T10-00-00.jsonl'));
    await ws.write(LOG, lines(5, 3));
    let r = await read(c);
    expect(r.total).toBe(7);
    expect(r.status).toMatchObject({ present: true, up: true, badLines: 0 });
    await ws.append(LOG, line(8));
    r = await read(c);
    expect(r.total).toBe(8);
    // The archive is not read again.
    await ws.append('state/telemetry/archives/executions_2026-11-27T10-00-00.jsonl', lines(100, 5));
    expect((await read(c)).total).toBe(8);
  });

  it('counts the unterminated last line of a rotated file: it will not grow again', async () => {
    const c = await start();
    await ws.write(LOG, line(1) + line(2).trimEnd());
    expect((await read(c)).total).toBe(1);
    await fs.rename(ws.path(LOG), ws.path('state/telemetry/executions.1.jsonl'));
    await ws.write(LOG, line(3));
    const r = await read(c);
    expect(r.total).toBe(3);
    expect(r.status.badLines).toBe(0);
  });

  it('drains a removed file, reports it absent, and reads it from the start when recreated', async () => {
    const c = await start();
    await ws.write(LOG, lines(1, 2));
    expect((await read(c)).total).toBe(2);
    await ws.append(LOG, line(3));
    await ws.remove(LOG);
    let r = await read(c);
    expect(r.status).toMatchObject({ present: false, up: false });
    expect(r.total).toBe(3);
    const absentVersion = r.version;
    expect((await read(c)).version).toBe(absentVersion);

    await ws.write(LOG, lines(4, 2));
    r = await read(c);
    expect(r.status).toMatchObject({ present: true, up: true, badLines: 0 });
    expect(r.total).toBe(5);
  });

  it('accepts a line of exactly maxLineBytes and skips one byte more, counting it once', async () => {
    const c = await start();
    await ws.write(LOG, lineOfLength(MAX_LINE) + '\n' + lineOfLength(MAX_LINE + 1) + '\n' + line(1));
    const r = await read(c);
    expect(r.total).toBe(2);
    expect(r.status.badLines).toBe(1);
  });

  it('skips an oversized line that arrives across several appends, counting it once', async () => {
    const c = await start();
    const big = lineOfLength(3000);
    await ws.write(LOG, line(1) + big.slice(0, 600));
    let r = await read(c);
    expect([r.total, r.status.badLines]).toEqual([1, 0]);
    await ws.append(LOG, big.slice(600, 1600));
    r = await read(c);
    expect([r.total, r.status.badLines]).toEqual([1, 1]);
    await ws.append(LOG, big.slice(1600, 2500));
    r = await read(c);
    expect([r.total, r.status.badLines]).toEqual([1, 1]);
    await ws.append(LOG, big.slice(2500) + '\n' + line(2));
    r = await read(c);
    expect([r.total, r.status.badLines]).toEqual([2, 1]);
  });

  it('does not let a skipped oversized line swallow the first line after a truncation', async () => {
    const c = await start();
    await ws.write(LOG, line(1) + 'x'.repeat(MAX_LINE * 3));
    let r = await read(c);
    expect([r.total, r.status.badLines]).toEqual([1, 1]);
    await ws.write(LOG, line(2));
    r = await read(c);
    expect([r.total, r.status.badLines]).toEqual([2, 1]);
  });

  it('reads a log that starts with a byte-order mark and uses CRLF', async () => {
    const c = await start();
    await ws.write(LOG, '\uFEFF' + lines(1, 3).replace(/\n/g, '\r\n'));
    const r = await read(c);
    expect(r.total).toBe(3);
    expect(r.status.badLines).toBe(0);
  });

  it('tails two logs independently', async () => {
    const c = await start();
    await ws.write(LOG, lines(1, 2));
    await ws.write(qualityDecisions.path, '{"decision":"APPROVED"}\n{"decision":"REJECTED"}\nnope\n');
    const s = await c.refresh();
    expect(s.data.executions.total).toBe(2);
    expect(s.data.quality_decisions.decisions).toEqual({ approved: 1, rejected: 1 });
    expect([s.status.executions.badLines, s.status.quality_decisions.badLines]).toEqual([0, 1]);
  });
});

// The exporter runs the tails in worker threads (one boot per Collector is slow, so one scenario).
describe('tailing JSONL through the Collector with worker threads', () => {
  it('applies the same rules: BOM/CRLF, torn and bad lines, oversized lines, truncation, rotation, removal', async () => {
    const c = await startCollector(true);
    const torn = line(3);
    await ws.write(LOG, '\uFEFF' + lines(1, 2).replace(/\n/g, '\r\n') + torn.slice(0, 30));
    let r = await read(c);
    expect([r.total, r.status.badLines]).toEqual([2, 0]);
    await ws.append(LOG, torn.slice(30) + 'garbage\n' + lineOfLength(MAX_LINE + 1).slice(0, MAX_LINE));
    r = await read(c);
    expect([r.total, r.status.badLines]).toEqual([3, 1]);
    await ws.append(LOG, 'x'.repeat(100));
    r = await read(c);
    expect([r.total, r.status.badLines]).toEqual([3, 2]);
    // Truncated while skipping the oversized line: the new first line still counts.
    await ws.write(LOG, line(4));
    r = await read(c);
    expect([r.total, r.status.badLines]).toEqual([4, 2]);
    await ws.append(LOG, line(5));
    await fs.mkdir(ws.path('state/telemetry/archives'), { recursive: true });
    await fs.rename(ws.path(LOG), ws.path('state/telemetry/archives/executions_2026-11-27T11-00-00.jsonl'));
    await ws.write(LOG, line(6));
    r = await read(c);
    expect([r.total, r.status.badLines]).toEqual([6, 2]);
    await ws.append(LOG, line(7));
    await ws.remove(LOG);
    r = await read(c);
    expect(r.status.present).toBe(false);
    expect(r.total).toBe(7);
    await ws.write(LOG, line(8));
    r = await read(c);
    expect([r.total, r.status.badLines, r.status.up]).toEqual([8, 2, true]);
  });
});
