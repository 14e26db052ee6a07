/** The tracer: each line sent once, positions saved only once their spans are settled, roots when tasks close. */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../src/collector/snapshot.js';
import type { LocatedTaskEvent, TaskEventBatch } from '../../src/collector/task-events.js';
import { silentLogger } from '../../src/logger.js';
import { emptyResolution } from '../../src/sources/resolution.js';
import { taskEventOf } from '../../src/tasks/events.js';
import { rootSpanIdOf } from '../../src/tasks/ids.js';
import { readPositions, writePositions } from '../../src/traces/positions.js';
import type { SpanRecord } from '../../src/traces/spans.js';
import { TaskTracer, type SpanSink } from '../../src/traces/tracer.js';
import { cleanup, tempDir } from '../support/server.js';

afterEach(cleanup);

const WS = 'ws-tracer';
const KEY = '1:100';

/** A sink that keeps what it got; the test settles the spans (as an export would). */
function recorder() {
  const sent: { record: SpanRecord; settled: () => void }[] = [];
  const sink: SpanSink = { send: (record, settled) => sent.push({ record, settled }) };
  return { sink, sent, settleAll: () => sent.splice(0).forEach((s) => s.settled()) };
}

function execution(taskId: string, offset: number, fileKey = KEY): LocatedTaskEvent {
  const line = { type: 'execution_summary', task_id: taskId, timestamp: 1_790_000_000_000 + offset, agent_type: 'codex', duration_seconds: 10, success: true };
  return { ...taskEventOf('executions', line)!, ref: { source: 'executions', fileKey, path: 'state/telemetry/executions.jsonl', offset, length: 50 } };
}
const batch = (events: LocatedTaskEvent[], positions: Record<string, number>): TaskEventBatch => ({ events, positions });

function snapshot(done: string[], closed: { taskId: string; closedAt: number; durationMs: number; attempts: number }[] = [], recentEvents: Record<string, unknown>[] = []): Snapshot {
  return {
    version: 1,
    takenAt: 1_790_000_999_000,
    data: {
      roadmap: { tasks: done.map((id) => ({ id, title: `title ${id}`, status: 'done', epic: 'E1', labels: [], dependencies: [] })), rejectedTasks: 0 },
      resolution: { ...emptyResolution, recentlyClosed: closed, recentEvents },
    },
    status: {},
  } as unknown as Snapshot;
}

describe('TaskTracer: lines', () => {
  it('sends one span per line and never a line twice in a run (a re-read, a rotated file drained again)', () => {
    const r = recorder();
    const t = new TaskTracer(WS, r.sink, {}, silentLogger);
    expect(t.from).toBe('start');
    t.onTaskEvents(batch([execution('T-1', 0), execution('T-2', 50)], { [KEY]: 100 }));
    // the same lines again (and one before them), then a new one, and a line of another file
    t.onTaskEvents(batch([execution('T-1', 0), execution('T-2', 50), execution('T-3', 100), execution('T-4', 0, '1:200')], { [KEY]: 150, '1:200': 50 }));
    expect(r.sent.map((s) => s.record.attributes['wvo.task.id'])).toEqual(['T-1', 'T-2', 'T-3', 'T-4']);
    expect(new Set(r.sent.map((s) => s.record.spanId)).size).toBe(4);
    for (const s of r.sent) expect(s.record.parentSpanId).toBe(rootSpanIdOf(WS, s.record.attributes['wvo.task.id'] as string));
  });

  it('resumes after saved positions: what they cover is not sent again', async () => {
    const r = recorder();
    const file = path.join(await tempDir(), 'positions.json');
    const t = new TaskTracer(WS, r.sink, { stateFile: { file, saved: { positions: { [KEY]: 100 }, roots: [] } } }, silentLogger);
    expect(t.from).toEqual({ [KEY]: 100 });
    t.onTaskEvents(batch([execution('T-1', 50), execution('T-2', 100)], { [KEY]: 150 }));
    expect(r.sent.map((s) => s.record.attributes['wvo.task.id'])).toEqual(['T-2']);
  });
});

describe('TaskTracer: positions file', () => {
  it('saves a poll\'s positions only once all its spans (and every earlier poll\'s) are settled, atomically', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'positions.json');
    const r = recorder();
    const t = new TaskTracer(WS, r.sink, { stateFile: { file } }, silentLogger);
    t.onTaskEvents(batch([execution('T-1', 0), execution('T-2', 50)], { [KEY]: 100 }));
    t.onTaskEvents(batch([execution('T-3', 100)], { [KEY]: 150 }));
    const [a, b, c] = r.sent;
    c!.settled(); // the later poll settles first: nothing may be saved past the unsettled earlier one
    a!.settled();
    await t.flushed();
    expect(readPositions(file)).toBeUndefined();
    b!.settled();
    await t.flushed();
    expect(readPositions(file)).toEqual({ positions: { [KEY]: 150 }, roots: [] });
    expect((await readdir(dir)).sort()).toEqual(['positions.json']);
  });

  it('a poll with no events still moves the positions (lines without a task)', async () => {
    const file = path.join(await tempDir(), 'positions.json');
    const t = new TaskTracer(WS, recorder().sink, { stateFile: { file } }, silentLogger);
    t.onTaskEvents(batch([], { [KEY]: 400 }));
    await t.flushed();
    expect(readPositions(file)?.positions).toEqual({ [KEY]: 400 });
  });

  it('rejects a corrupt positions file instead of starting over', async () => {
    const file = path.join(await tempDir(), 'positions.json');
    await writePositions(file, { positions: { [KEY]: 1 }, roots: ['T-1'] });
    expect(readPositions(file)).toEqual({ positions: { [KEY]: 1 }, roots: ['T-1'] });
    await import('node:fs/promises').then((fs) => fs.writeFile(file, '{"version":1,"positions":{"a":-1},"roots":[]}'));
    expect(() => readPositions(file)).toThrow(/positions/);
    await import('node:fs/promises').then((fs) => fs.writeFile(file, 'not json'));
    expect(() => readPositions(file)).toThrow(/not JSON/);
  });
});

describe('TaskTracer: root spans', () => {
  it('without saved roots, tasks already closed at the first snapshot get none; a task closing later gets one, once', () => {
    const r = recorder();
    const t = new TaskTracer(WS, r.sink, {}, silentLogger);
    t.onSnapshot(snapshot(['T-old']));
    expect(r.sent).toEqual([]);
    t.onTaskEvents(batch([execution('T-new', 0)], { [KEY]: 50 }));
    const closedAt = 1_790_000_500_000;
    const events = [
      { type: 'attempt', taskId: 'T-new', attempt: 1, label: 'tests_failed', timestamp: new Date(closedAt - 60_000).toISOString() },
      { type: 'attempt', taskId: 'T-other', attempt: 1, label: 'lint_failed', timestamp: closedAt },
      { type: 'closed', taskId: 'T-new', attempt: 2, timestamp: closedAt },
    ];
    t.onSnapshot(snapshot(['T-old'], [{ taskId: 'T-new', closedAt, durationMs: 600_000, attempts: 2 }], events));
    t.onSnapshot(snapshot(['T-old', 'T-new'], [{ taskId: 'T-new', closedAt, durationMs: 600_000, attempts: 2 }], events));
    const roots = r.sent.filter((s) => s.record.parentSpanId === undefined).map((s) => s.record);
    expect(roots).toHaveLength(1);
    const root = roots[0]!;
    expect(root.spanId).toBe(rootSpanIdOf(WS, 'T-new'));
    expect(root.attributes).toMatchObject({ 'wvo.task.id': 'T-new', 'wvo.task.closed_by': 'resolution', 'wvo.resolution.attempts': 2 });
    expect(root.endMs).toBe(closedAt);
    expect(root.startMs).toBe(closedAt - 600_000);
    expect(root.events.map((e) => [e.name, e.attributes])).toEqual([
      ['wvo.resolution.attempt', { 'wvo.resolution.attempt': 1, 'wvo.resolution.label': 'tests_failed' }],
      ['wvo.resolution.closed', { 'wvo.resolution.attempts': 2 }],
    ]);
  });

  it('a task done in the roadmap is bounded by its lines seen; saved roots are not sent again', async () => {
    const file = path.join(await tempDir(), 'positions.json');
    const r = recorder();
    const t = new TaskTracer(WS, r.sink, { stateFile: { file, saved: { positions: {}, roots: ['T-old'] } } }, silentLogger);
    t.onTaskEvents(batch([execution('T-1', 0), execution('T-1', 50)], { [KEY]: 100 }));
    t.onSnapshot(snapshot(['T-old', 'T-1']));
    const root = r.sent.find((s) => s.record.parentSpanId === undefined)!.record;
    expect(root.attributes).toMatchObject({ 'wvo.task.id': 'T-1', 'wvo.task.closed_by': 'roadmap', 'wvo.task.title': 'title T-1', 'wvo.task.epic': 'E1' });
    expect(root.startMs).toBe(1_790_000_000_000 - 10_000);
    expect(root.endMs).toBe(1_790_000_000_050);
    expect(r.sent.filter((s) => s.record.parentSpanId === undefined)).toHaveLength(1);
    r.settleAll();
    await t.flushed();
    expect(readPositions(file)?.roots.sort()).toEqual(['T-1', 'T-old']);
    expect(JSON.parse(await readFile(file, 'utf8')).version).toBe(1);
  });

  it('saves the roots of the baseline at once, and a sent root only once it is settled', async () => {
    const file = path.join(await tempDir(), 'positions.json');
    const r = recorder();
    const t = new TaskTracer(WS, r.sink, { stateFile: { file } }, silentLogger);
    t.onTaskEvents(batch([], { [KEY]: 10 }));
    t.onSnapshot(snapshot(['T-old']));
    await t.flushed();
    expect(readPositions(file)).toEqual({ positions: { [KEY]: 10 }, roots: ['T-old'] });
    t.onSnapshot(snapshot(['T-old', 'T-new']));
    await t.flushed();
    expect(readPositions(file)?.roots).toEqual(['T-old']); // T-new's root is in flight: a crash now sends it again next run
    r.settleAll();
    await t.flushed();
    expect(readPositions(file)?.roots.sort()).toEqual(['T-new', 'T-old']);
  });
});
