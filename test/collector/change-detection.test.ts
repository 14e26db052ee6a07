import { promises as fs } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { Collector } from '../../src/collector/collector.js';
import { executions } from '../../src/sources/executions.js';
import { health } from '../../src/sources/health.js';
import { sources, type AnySource } from '../../src/sources/registry.js';
import type { Workspace } from '../support/workspace.js';
import { cleanup } from '../support/cleanup.js';
import { testCollector, testWorkspace } from '../support/collector.js';

const SAMPLE = fileURLToPath(new URL('../../state/', import.meta.url));

let ws: Workspace;
let collector: Collector | undefined;
afterEach(cleanup);

/** The same source definition, counting how often the Collector asks it to parse. */
function counting<S extends AnySource>(source: S): { source: S; calls: () => number } {
  let calls = 0;
  if (source.kind === 'document') {
    const wrapped = { ...source, parse: (text: string) => (calls++, source.parse(text)) };
    return { source: wrapped as S, calls: () => calls };
  }
  // A log's lines pass `relevant` (when it has one) right after JSON.parse: one call per line parsed.
  const relevant = source.relevant;
  const wrapped = { ...source, relevant: (raw: unknown) => (calls++, relevant ? relevant(raw) : true) };
  return { source: wrapped as S, calls: () => calls };
}

function start(list: readonly AnySource[]) {
  collector = testCollector(ws, { sources: list });
  return collector;
}

const report = (lastCycle: number) => JSON.stringify({ running: true, lastCycle });
const execLine = (n: number) => JSON.stringify({ type: 'execution_summary', task_id: `T-${n}`, agent_type: 'codex', success: true }) + '\n';

describe('change detection', () => {
  it('parses an unchanged document zero times, and once after a change', async () => {
    ws = await testWorkspace();
    const h = counting(health);
    const c = start([h.source]);
    await ws.writeAtomic(health.path, report(1));
    const first = await c.refresh();
    expect(h.calls()).toBe(1);

    for (let i = 0; i < 3; i++) await c.refresh();
    expect(h.calls()).toBe(1);
    expect(c.counters.cycles).toBe(4);
    expect(c.counters.changedCycles).toBe(1);
    expect(c.snapshot!.version).toBe(first.version);

    await ws.writeAtomic(health.path, report(2));
    const s = await c.refresh();
    expect(h.calls()).toBe(2);
    expect(s.data.health.lastCycle).toBe(2);
    expect(s.version).toBe(first.version + 1);
  });

  it('re-reads a document whose mtime changed although size and inode did not', async () => {
    ws = await testWorkspace();
    const h = counting(health);
    const c = start([h.source]);
    await ws.write(health.path, report(1));
    await c.refresh();
    const later = new Date(Date.now() + 60_000);
    await fs.utimes(ws.path(health.path), later, later);
    await c.refresh();
    expect(h.calls()).toBe(2);
    await c.refresh();
    expect(h.calls()).toBe(2);
  });

  it('parses no log line twice: nothing on an unchanged refresh, only the appended line after an append', async () => {
    ws = await testWorkspace();
    const e = counting(executions);
    const c = start([e.source]);
    await ws.write(executions.path, execLine(1) + execLine(2) + execLine(3));
    await c.refresh();
    expect(e.calls()).toBe(3);
    await c.refresh();
    await c.refresh();
    expect(e.calls()).toBe(3);
    await ws.append(executions.path, execLine(4));
    const s = await c.refresh();
    expect(e.calls()).toBe(4);
    expect(s.data.executions.total).toBe(4);
  });

  it('parses none of the eleven sample sources again on an unchanged refresh', async () => {
    ws = await testWorkspace();
    await fs.cp(SAMPLE, ws.path('state'), { recursive: true });
    const wrapped = sources.map((s) => counting(s));
    const c = start(wrapped.map((w) => w.source));
    await c.refresh();
    const afterFirst = wrapped.map((w) => w.calls());
    expect(afterFirst.every((n) => n > 0)).toBe(true);
    const version = c.snapshot!.version;
    await c.refresh();
    await c.refresh();
    expect(wrapped.map((w) => w.calls())).toEqual(afterFirst);
    expect(c.snapshot!.version).toBe(version);
    expect(c.counters.changedCycles).toBe(1);
  });
});
