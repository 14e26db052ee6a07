/**
 * GET /api/tasks/{id}/timeline over real HTTP on a workspace in the writers' shapes: the known
 * story of a task (archive, live log, decisions, resolution loop, roadmap) with its totals,
 * paging, 400/404, ETag/304, appended lines, a rotation and malformed lines; and the totals on
 * GET /api/tasks/{id}. Inline and with the logs parsed in worker threads.
 */
import { promises as fs } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { archiveName, EXECUTIONS, jsonl } from '../support/autopilot-fixture.js';
import { T0 } from '../support/fixtures.js';
import { cleanupSuite, createWorkspace, eventually, getJson, request, startTestExporter, suiteScoped, type TestExporter } from '../support/server.js';
import { DECISIONS, decision, execution, writeTimelineFixture } from '../support/timeline-fixture.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const at = (s: number) => new Date(T0 + s * 1000).toISOString();

interface Timeline {
  id: string;
  task: Record<string, unknown> | null;
  resolution: Record<string, unknown> | null;
  totals: Record<string, unknown>;
  total: number;
  partial: boolean;
  events: ({ kind: string; at: string; line?: { path: string; offset: number; length: number } } & Record<string, unknown>)[];
  next?: string;
}

async function start(parseWorkers: number): Promise<TestExporter> {
  const workspace = await createWorkspace();
  await writeTimelineFixture(workspace);
  return startTestExporter({ workspace, config: { parseWorkers, rateLimitPerMin: 100_000 } });
}

const timeline = (t: TestExporter, id: string, query = '') => getJson<Timeline>(`${t.url}/api/tasks/${encodeURIComponent(id)}/timeline${query}`);

const T7_TOTALS = {
  executions: 2,
  failedExecutions: 1,
  decisions: 2,
  rejections: 1,
  attempts: 2,
  costUsd: 1.25,
  inputTokens: 2500,
  outputTokens: 500,
  firstEventAt: at(1),
  lastEventAt: at(5),
  doneAt: at(5),
  timeToDoneMs: 4000,
};

describe.each([
  ['inline', 0],
  ['in worker threads', 2],
])('the timeline of a known task (%s)', (_name, parseWorkers) => {
  let t: TestExporter;
  beforeAll(async () => {
    t = await suiteScoped(() => start(parseWorkers));
  });
  afterAll(cleanupSuite);

  it('lists exactly its events in time order, from the archive, the live log, the decisions and the resolution loop, with totals', async () => {
    const tl = await timeline(t, 'T-7');
    expect(tl.events.map((e) => [e.kind, e.at])).toEqual([
      ['execution', at(1)],
      ['decision', at(2)],
      ['resolution_attempt', at(2.5)],
      ['execution', at(3)],
      ['resolution_attempt', at(3.5)],
      ['decision', at(4)],
      ['resolution_closed', at(5)],
    ]);
    expect(tl).toMatchObject({
      id: 'T-7',
      task: { title: 'Fix the parser', status: 'done', epic: 'none', milestone: null, domain: 'core', labels: ['p1'] },
      resolution: { state: 'closed', attempts: 2, labels: ['tests_failed', 'lint'], lastLabel: 'lint', firstAttemptAt: at(2.5), lastAttemptAt: at(3.5), closedAt: at(5), durationMs: 2500, infiniteLoop: false, runId: 'run-7' },
      totals: T7_TOTALS,
      total: 7,
      partial: false,
    });
    expect(tl.next).toBeUndefined();
    const [failed, rejected, attempt1, succeeded, , approved, closed] = tl.events;
    expect(failed).toMatchObject({
      agentType: 'codex',
      agentId: 'codex-worker-0',
      model: 'gpt-5-codex',
      success: false,
      outcome: 'failed',
      failureType: 'timeout',
      durationSeconds: 30,
      inputTokens: 1000,
      outputTokens: 200,
      costUsd: 0.5,
      qualityScore: 0.1,
      promptCacheHit: false,
      phase: 'implementation',
      line: { path: archiveName(T0 - 86_400_000), offset: 0 },
    });
    expect(succeeded).toMatchObject({ agentType: 'claude_code', model: 'claude-sonnet-4-5', success: true, promptCacheHit: true, costUsd: 0.75, line: { path: EXECUTIONS, offset: 0 } });
    expect(rejected).toEqual({
      kind: 'decision',
      at: at(2),
      line: expect.objectContaining({ path: DECISIONS, offset: 0 }),
      verdict: 'rejected',
      reasoning: 'Tests missing',
      consensus: true,
      runId: 'run-7',
      reviews: [
        { gate: 'automated', approved: true, reviewer: null, model: null, rubric: {}, concerns: [], blockers: [], detections: [] },
        { gate: 'peer', approved: false, reviewer: 'peer-1', model: 'gpt-5', rubric: { correctness: 0.2, readability: 0.6 }, concerns: ['no tests'], blockers: ['missing tests'], detections: [] },
        { gate: 'adversarial', approved: false, reviewer: null, model: null, rubric: {}, concerns: [], blockers: [], detections: [{ category: 'test_gaming', severity: 'high' }] },
      ],
    });
    expect(approved).toMatchObject({ verdict: 'approved', reasoning: 'All gates passed' });
    expect(attempt1).toEqual({ kind: 'resolution_attempt', at: at(2.5), attempt: 1, label: 'tests_failed', runId: 'run-7' });
    expect(closed).toEqual({ kind: 'resolution_closed', at: at(5), attempts: 2, durationMs: 2500, runId: 'run-7' });
    // The line refs read the lines back.
    const bytes = await fs.readFile(t.workspace.abs(EXECUTIONS));
    const ref = succeeded!.line!;
    expect(JSON.parse(bytes.subarray(ref.offset, ref.offset + ref.length).toString())).toMatchObject({ task_id: 'T-7', token_cost_usd: 0.75 });
  });

  it('gives GET /api/tasks/{id} the same totals', async () => {
    const detail = await getJson<{ id: string; totals: unknown }>(`${t.url}/api/tasks/T-7`);
    expect(detail.totals).toEqual(T7_TOTALS);
    const idle = await getJson<{ totals: Record<string, unknown> }>(`${t.url}/api/tasks/T-8`);
    expect(idle.totals).toMatchObject({ executions: 2, decisions: 1, rejections: 1, attempts: 0, costUsd: 1.25, doneAt: null, timeToDoneMs: null });
  });

  it('knows a task seen only in the logs or only in the resolution file; 404 JSON for an unknown one', async () => {
    const logOnly = await timeline(t, 'X-1');
    expect(logOnly).toMatchObject({ task: null, resolution: null, total: 1, totals: { executions: 1, costUsd: 0.75, doneAt: null } });
    const loopOnly = await timeline(t, 'L-1');
    expect(loopOnly).toMatchObject({ task: null, resolution: { state: 'active', attempts: 6, infiniteLoop: true, lastLabel: 'build_failed', firstAttemptAt: at(60), lastAttemptAt: at(360) }, totals: { attempts: 6 } });
    expect(loopOnly.events.map((e) => e.kind)).toEqual(Array(6).fill('resolution_attempt'));
    for (const id of ['nope', '__proto__', 'T-7 ', 'a/b']) {
      const res = await request(`${t.url}/api/tasks/${encodeURIComponent(id)}/timeline`);
      expect(res.status, id).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(JSON.parse(res.body).error).toContain('no task with id');
    }
  });
});

describe('paging, caching and a log that moves', () => {
  let t: TestExporter;
  beforeAll(async () => {
    t = await suiteScoped(() => start(0));
  });
  afterAll(cleanupSuite);

  it('pages by cursor: every event once, in order, and the cursor is checked', async () => {
    const all = await timeline(t, 'T-7');
    const seen: Timeline['events'] = [];
    let page = await timeline(t, 'T-7', '?limit=3');
    const sizes = [page.events.length];
    seen.push(...page.events);
    while (page.next) {
      page = await timeline(t, 'T-7', `?limit=3&cursor=${page.next}`);
      sizes.push(page.events.length);
      seen.push(...page.events);
      expect(page.totals).toEqual(all.totals);
    }
    expect(sizes).toEqual([3, 3, 1]);
    expect(seen).toEqual(all.events);

    const first = await timeline(t, 'T-7', '?limit=2');
    const other = await request(`${t.url}/api/tasks/T-8/timeline?cursor=${first.next}`);
    expect([other.status, JSON.parse(other.body)]).toEqual([400, { error: 'cursor: issued for another task', parameter: 'cursor' }]);
    for (const q of ['cursor=garbage', 'limit=0', 'limit=1001', 'limit=x', 'state=done', 'limit=1&limit=2']) {
      const res = await request(`${t.url}/api/tasks/T-7/timeline?${q}`);
      expect(res.status, q).toBe(400);
      expect(JSON.parse(res.body).parameter, q).toBeTypeOf('string');
    }
  });

  it('answers If-None-Match with 304, and a new ETag once the task has a new line; the cursor survives the append', async () => {
    const url = `${t.url}/api/tasks/T-7/timeline`;
    const first = await request(url);
    const etag = first.headers.etag!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(first.headers['cache-control']).toBe('no-cache');
    const again = await request(url, { headers: { 'If-None-Match': etag } });
    expect([again.status, again.body]).toEqual([304, '']);
    const page1 = await timeline(t, 'T-7', '?limit=4');

    await t.workspace.append(EXECUTIONS, jsonl([execution('T-7', 6, { agent_type: 'codex', success: true, prompt_tokens: 10, completion_tokens: 1, token_cost_usd: 0.01 })]));
    const grown = await eventually(async () => {
      const tl = await timeline(t, 'T-7');
      expect(tl.total).toBe(8);
      return tl;
    });
    expect(grown.events.at(-1)).toMatchObject({ kind: 'execution', at: at(6), inputTokens: 10 });
    expect(grown.totals).toMatchObject({ executions: 3, costUsd: 1.26, lastEventAt: at(6) });
    const after = await request(url, { headers: { 'If-None-Match': etag } });
    expect(after.status).toBe(200);
    expect(after.headers.etag).not.toBe(etag);
    // Another task's timeline keeps its ETag: the tag is the answer's content, not the snapshot's version.
    const page2 = await timeline(t, 'T-7', `?limit=10&cursor=${page1.next}`);
    expect([...page1.events, ...page2.events]).toEqual(grown.events);
  });

  it('keeps every line exactly once through a rotation, and a malformed or odd line never breaks it', async () => {
    const before = await timeline(t, 'T-7');
    await fs.mkdir(t.workspace.abs('state/telemetry/archives'), { recursive: true });
    const rotated = archiveName(T0);
    await fs.rename(t.workspace.abs(EXECUTIONS), t.workspace.abs(rotated));
    await t.workspace.append(EXECUTIONS, jsonl([execution('T-7', 7, { agent_type: 'codex', success: false, failure_type: 'crash', token_cost_usd: 0.02 })]));
    await t.workspace.append(EXECUTIONS, '{"type":"execution_summary","task_id":"T-7","timestamp":\n');
    await t.workspace.append(EXECUTIONS, JSON.stringify({ type: 'execution_summary', task_id: 'T-7', timestamp: at(8), token_cost_usd: 'lots', prompt_tokens: -5, agent_type: 42 }) + '\n');
    await t.workspace.append(DECISIONS, jsonl([decision('T-7', 9, 'APPROVED', { peer: 'not an object', other: { approved: true, rubric: { x: 'high' } } }, 'ok')]));
    const after = await eventually(async () => {
      const tl = await timeline(t, 'T-7');
      expect(tl.total).toBe(before.total + 3);
      return tl;
    });
    const keys = after.events.filter((e) => e.line).map((e) => `${e.line!.path}@${e.line!.offset}`);
    expect(new Set(keys).size).toBe(keys.length);
    // The lines read before the rotation are found in the archive they were renamed to.
    expect(after.events.filter((e) => e.line?.path === rotated).map((e) => e.at)).toEqual([at(3), at(6)]);
    expect(after.events.slice(-3)).toMatchObject([
      { kind: 'execution', at: at(7), failureType: 'crash', success: false },
      { kind: 'execution', at: at(8), costUsd: null, inputTokens: null, agentType: null },
      { kind: 'decision', at: at(9), reviews: [{ gate: 'other', approved: true, rubric: {} }] },
    ]);
  });
});
