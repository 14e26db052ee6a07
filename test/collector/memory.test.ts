import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Collector } from '../../src/collector/collector.js';
import { executions, type Executions } from '../../src/sources/executions.js';
import type { AnySource } from '../../src/sources/registry.js';
import type { Workspace } from '../support/workspace.js';
import { cleanup } from '../support/cleanup.js';
import { testCollector, testWorkspace } from '../support/collector.js';

const MB = 1024 * 1024;

let ws: Workspace;
let collector: Collector | undefined;
afterEach(cleanup);

/** Peak memory seen while the Collector folds lines: sampled from inside the source's add(). */
function sampling() {
  const peak = { rss: 0, arrayBuffers: 0 };
  const sample = () => {
    const m = process.memoryUsage();
    peak.rss = Math.max(peak.rss, m.rss);
    peak.arrayBuffers = Math.max(peak.arrayBuffers, m.arrayBuffers);
  };
  let n = 0;
  const source = {
    ...executions,
    add(acc: Parameters<typeof executions.add>[0], line: Parameters<typeof executions.add>[1]) {
      if (++n % 2000 === 0) sample();
      executions.add(acc, line);
    },
  };
  return { source: source as AnySource, peak, sample };
}

function start(source: AnySource, maxLineBytes: number) {
  collector = testCollector(ws, { maxLineBytes, sources: [source] });
  return collector;
}

// Eight executions a task, as the autopilot's retries make: one id a line would measure the
// line index's task table (bounded and measured in line-index.test.ts), not the reading.
const execLine = (n: number) =>
  JSON.stringify({
    timestamp: 1795800000000 + n,
    type: 'execution_summary',
    task_id: `T-${n >> 3}`,
    agent_id: `codex-worker-${n % 8}`,
    agent_type: n % 3 === 0 ? 'claude_code' : 'codex',
    success: n % 4 !== 0,
    final_status: 'completed',
    duration_seconds: (n % 900) + 0.5,
    prompt_tokens: 1000 + (n % 100),
    completion_tokens: 200,
    total_tokens: 1200 + (n % 100),
    token_cost_usd: 0.01,
    project_phase: 'implementation',
  }) + '\n';

describe('bounded memory', () => {
  it('reads a 20 MB log in chunks, counting every line, without holding the file in memory', async () => {
    ws = await testWorkspace();
    await fs.mkdir(path.dirname(ws.path(executions.path)), { recursive: true });
    const handle = await fs.open(ws.path(executions.path), 'w');
    let count = 0;
    let bytes = 0;
    let expectedSuccess = 0;
    while (bytes < 20 * MB) {
      let batch = '';
      for (let i = 0; i < 2000; i++, count++) {
        batch += execLine(count);
        if (count % 4 !== 0) expectedSuccess++;
      }
      bytes += Buffer.byteLength(batch);
      await handle.write(batch);
    }
    await handle.close();

    const s = sampling();
    const c = start(s.source, 1 << 20);
    s.sample();
    const before = { ...s.peak };
    const snap = await c.refresh();
    const v: Executions = snap.data.executions;
    expect(v.total).toBe(count);
    const agents = Object.values(v.byAgentType);
    expect(agents.reduce((n, a) => n + a.success, 0)).toBe(expectedSuccess);
    expect(snap.status.executions.badLines).toBe(0);
    // Buffers in use stay around one 64 KiB chunk, far from the file's 20 MB; the process does not grow by the file's size.
    expect(s.peak.arrayBuffers - before.arrayBuffers).toBeLessThan(4 * MB);
    // RSS also carries the young generation's garbage (up to ~16 MB here, whatever the file size);
    // holding the file's text, let alone its parsed lines, would add several times the file.
    expect(s.peak.rss - before.rss).toBeLessThan(bytes + 16 * MB);
  });

  it('streams 20 MB of archives in chunks, counting every line, without holding them in memory', async () => {
    ws = await testWorkspace();
    const dir = ws.path('state/telemetry/archives');
    await fs.mkdir(dir, { recursive: true });
    let count = 0;
    for (let f = 0; f < 4; f++) {
      const handle = await fs.open(path.join(dir, `executions_2026-11-2${f}T00-00-00.jsonl`), 'w');
      for (let bytes = 0; bytes < 5 * MB; ) {
        let batch = '';
        for (let i = 0; i < 2000; i++) batch += execLine(count++);
        bytes += Buffer.byteLength(batch);
        await handle.write(batch);
      }
      await handle.close();
    }
    const s = sampling();
    const c = start(s.source, 1 << 20);
    s.sample();
    const before = { ...s.peak };
    const snap = await c.refresh();
    expect(snap.data.executions.total).toBe(count);
    expect(snap.status.executions).toMatchObject({ badLines: 0, errors: 0, up: true });
    expect(s.peak.arrayBuffers - before.arrayBuffers).toBeLessThan(4 * MB);
  });

  it('skips a 100 MB line without a newline, written in chunks, with bounded memory, counting it once', async () => {
    ws = await testWorkspace();
    await ws.write(executions.path, execLine(1));
    const s = sampling();
    const c = start(s.source, 1024);
    await c.refresh();
    s.sample();
    const base = { rss: process.memoryUsage().rss, arrayBuffers: process.memoryUsage().arrayBuffers };
    let peakRss = base.rss;
    let peakBuffers = base.arrayBuffers;

    const chunk = Buffer.alloc(MB, 'x');
    const handle = await fs.open(ws.path(executions.path), 'a');
    for (let i = 0; i < 100; i++) {
      await handle.write(chunk);
      if (i % 10 === 9) {
        const snap = await c.refresh();
        expect(snap.status.executions.badLines).toBe(1);
        const m = process.memoryUsage();
        peakRss = Math.max(peakRss, m.rss);
        peakBuffers = Math.max(peakBuffers, m.arrayBuffers);
      }
    }
    await handle.write('\n' + execLine(2));
    await handle.close();
    const snap = await c.refresh();
    expect(snap.data.executions.total).toBe(2);
    expect(snap.status.executions.badLines).toBe(1);
    expect(snap.status.executions.up).toBe(true);
    expect(peakRss - base.rss).toBeLessThan(50 * MB);
    expect(peakBuffers - base.arrayBuffers).toBeLessThan(8 * MB);
  });
});
