import { mkdir, rename } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { Collector } from '../../src/collector/collector.js';
import { INLINE_DOCUMENT_BYTES } from '../../src/collector/worker-engine.js';
import type { Workspace } from '../support/workspace.js';
import { cleanup } from '../support/cleanup.js';
import { testCollector, testWorkspace } from '../support/collector.js';

const DECISIONS = 'state/analytics/quality_gate_decisions.jsonl';
const EXECUTIONS = 'state/telemetry/executions.jsonl';
const ROADMAP = 'state/roadmap.yaml';

const decision = (d: string) => JSON.stringify({ taskId: 'T-1', decision: d, timestamp: 1, consensusReached: true, reviews: { peer: { passed: d === 'APPROVED' } } }) + '\n';
const execution = (ok: boolean) => JSON.stringify({ type: 'execution_summary', agent_type: 'codex', success: ok, duration_seconds: 10, prompt_tokens: 5, completion_tokens: 2 }) + '\n';

let ws: Workspace;
let collector: Collector | undefined;
afterEach(cleanup);

function start(root: string) {
  collector = testCollector(root, { maxLineBytes: 4096, parseWorkers: 2 });
  return collector;
}

describe('Collector with worker threads', () => {
  it('tails logs in workers: appends, torn lines, bad lines and rotation', async () => {
    ws = await testWorkspace();
    await ws.write(DECISIONS, decision('APPROVED') + decision('REJECTED') + 'not json\n' + '{"decision":"APPR');
    await ws.write(EXECUTIONS, execution(true) + execution(false));
    const c = start(ws.root);
    let s = await c.start();
    expect(s.data.quality_decisions.decisions).toEqual({ approved: 1, rejected: 1 });
    expect(s.status.quality_decisions.badLines).toBe(1);
    expect(s.data.executions.byAgentType.codex).toMatchObject({ success: 1, failure: 1, promptTokens: 10 });

    await ws.append(DECISIONS, 'OVED","taskId":"T-2","timestamp":2}\n');
    s = await c.refresh();
    expect(s.data.quality_decisions.decisions).toEqual({ approved: 2, rejected: 1 });

    await ws.append(EXECUTIONS, execution(true));
    await mkdir(ws.path('state/telemetry/archives'), { recursive: true });
    await rename(ws.path(EXECUTIONS), ws.path('state/telemetry/archives/executions_2026-11-27T11-00-00.jsonl'));
    await ws.write(EXECUTIONS, execution(true));
    s = await c.refresh();
    // The line appended just before the rotation and the new file's line both count.
    expect(s.data.executions.byAgentType.codex).toMatchObject({ success: 3, failure: 1 });
  });

  it('parses a large YAML document in a worker with the same result as inline', async () => {
    ws = await testWorkspace();
    const tasks = Array.from({ length: 3000 }, (_, i) => ({ id: `T-${i}`, title: `Task ${i} with a reasonably long title`, status: ['done', 'In Progress', 'blocked'][i % 3], domain: 'd', labels: ['x'] }));
    const text = stringify({ epics: [{ id: 'E-1', milestones: [{ id: 'M-1', tasks }] }] });
    expect(text.length).toBeGreaterThan(INLINE_DOCUMENT_BYTES);
    await ws.write(ROADMAP, text);
    const viaWorker = await start(ws.root).start();
    await collector!.stop();
    collector = testCollector(ws, { maxLineBytes: 4096 });
    const inline = await collector.start();
    expect(viaWorker.data.roadmap.tasks).toHaveLength(3000);
    expect(viaWorker.data.roadmap).toEqual(inline.data.roadmap);
    expect(viaWorker.data.roadmap.tasks.filter((t) => t.status === 'in_progress')).toHaveLength(1000);
  });

  it('keeps the last good value when a large document goes bad in a worker', async () => {
    ws = await testWorkspace();
    const tasks = Array.from({ length: 3000 }, (_, i) => ({ id: `T-${i}`, title: `Task ${i} with a reasonably long title`, status: 'done' }));
    await ws.write(ROADMAP, stringify({ tasks }));
    const c = start(ws.root);
    await c.start();
    await ws.write(ROADMAP, 'tasks: [unclosed\n' + 'x'.repeat(INLINE_DOCUMENT_BYTES));
    const s = await c.refresh();
    expect(s.status.roadmap).toMatchObject({ up: false, errors: 1 });
    expect(s.data.roadmap.tasks).toHaveLength(3000);
  });
});
