/**
 * GET /api/tasks, /api/tasks/{id} and the CSV exports over real HTTP on a fixture roadmap:
 * known answers for filters and sorts, a paginated walk, 400/404/410/304, and every export
 * parsed back with csv-parse.
 */
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CSV_EXPORTS } from '../../src/views/csv.js';
import { cleanupSuite, eventually, getJson, knownFixture, request, startTestExporter, suiteScoped, type TestExporter } from '../support/server.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const STATES = ['pending', 'ready', 'in_progress', 'blocked', 'done'] as const;
const RAW = { pending: 'todo', ready: 'ready', in_progress: 'In Progress', blocked: 'blocked', done: 'completed' };

interface Fx {
  id: string;
  title: string;
  status: (typeof STATES)[number];
  epic: string;
  milestone: string;
  domain: string;
  labels: string[];
  dependencies: string[];
}

/** 3 epics × 2 milestones × 20 tasks, plus awkward ids. */
function fixtureTasks(): Fx[] {
  const tasks: Fx[] = [];
  for (let e = 1; e <= 3; e++) {
    for (let m = 1; m <= 2; m++) {
      for (let i = 1; i <= 20; i++) {
        const n = tasks.length;
        tasks.push({
          id: `T-${e}.${m}.${i}`,
          title: i === 7 ? `Kafka consumer ${n}` : `Task ${n}`,
          status: STATES[n % 5]!,
          epic: `E-${e}`,
          milestone: `M-${e}.${m}`,
          domain: ['ingestion', 'storage', 'ops'][n % 3]!,
          labels: [n % 2 ? 'odd' : 'even', ...(n % 4 === 0 ? ['four'] : [])],
          dependencies: i > 1 ? [`T-${e}.${m}.${i - 1}`] : [],
        });
      }
    }
  }
  tasks.push({ id: '=T-9', title: 'Imported "=SUM(A1)", with comma', status: 'ready', epic: 'E-1', milestone: 'M-1.1', domain: 'ops', labels: ['a,b'], dependencies: ['T-1.1.1', 'GONE-1'] });
  tasks.push({ id: 'a/b c', title: 'multi\nline', status: 'blocked', epic: 'E-1', milestone: 'M-1.1', domain: 'ops', labels: [], dependencies: ['=T-9'] });
  return tasks;
}

function roadmapDoc(tasks: Fx[]) {
  const y = (t: Fx) => ({ id: t.id, title: t.title, status: RAW[t.status], domain: t.domain, labels: t.labels, dependencies: t.dependencies });
  return {
    epics: [1, 2, 3].map((e) => ({
      id: `E-${e}`,
      title: `Epic ${e}`,
      milestones: [1, 2].map((m) => ({
        id: `M-${e}.${m}`,
        title: `Milestone ${e}.${m}`,
        tasks: tasks.filter((t) => t.milestone === `M-${e}.${m}`).map(y),
      })),
    })),
  };
}

const collator = new Intl.Collator('en', { numeric: true });
const byId = (a: Fx, b: Fx) => collator.compare(a.id, b.id);

const f = knownFixture();
const tasks = fixtureTasks();
let t: TestExporter;
beforeAll(async () => {
  t = await suiteScoped(() =>
    startTestExporter({ files: { ...f.files, 'state/roadmap.yaml': roadmapDoc(tasks) }, config: { rateLimitPerMin: 100_000 } }),
  );
});
afterAll(cleanupSuite);

const list = (query: string) => getJson<{ total: number; tasks: { id: string }[]; next?: string }>(`${t.url}/api/tasks${query}`);
const listIds = async (query: string) => (await list(query)).tasks.map((x) => x.id);

describe('GET /api/tasks', () => {
  it('lists every task, 50 by default, in natural id order, with total', async () => {
    const body = await list('');
    expect(body.total).toBe(tasks.length);
    expect(body.tasks.map((x) => x.id)).toEqual([...tasks].sort(byId).slice(0, 50).map((x) => x.id));
    expect(body.tasks[0]).toEqual({ ...tasks.find((x) => x.id === '=T-9')!, milestone: 'M-1.1' });
    expect(body.next).toBeTypeOf('string');
  });

  it('filters by state, epic, milestone, domain, repeated labels and q; sorts by status and epic', async () => {
    const expectIds = async (query: string, pick: (x: Fx) => boolean, order: (a: Fx, b: Fx) => number = byId) =>
      expect(await listIds(`?limit=500&${query}`)).toEqual(tasks.filter(pick).sort(order).map((x) => x.id));
    await expectIds('state=blocked', (x) => x.status === 'blocked');
    await expectIds('epic=E-2&milestone=M-2.1', (x) => x.milestone === 'M-2.1');
    await expectIds('domain=storage&state=done', (x) => x.domain === 'storage' && x.status === 'done');
    await expectIds('label=even', (x) => x.labels.includes('even'));
    await expectIds('label=even&label=four', (x) => x.labels.includes('even') && x.labels.includes('four'));
    await expectIds(`label=${encodeURIComponent('a,b')}`, (x) => x.labels.includes('a,b'));
    await expectIds('q=KAFKA', (x) => x.title.includes('Kafka'));
    await expectIds('q=t-3.2.1', (x) => x.id.toLowerCase().includes('t-3.2.1'));
    await expectIds('sort=status', () => true, (a, b) => STATES.indexOf(a.status) - STATES.indexOf(b.status) || byId(a, b));
    await expectIds('sort=epic&state=ready', (x) => x.status === 'ready', (a, b) => collator.compare(a.epic, b.epic) || byId(a, b));
    // a link template with empty values filters nothing
    expect((await list('?state=&epic=&milestone=&domain=&label=&q=&sort=&limit=&cursor=')).total).toBe(tasks.length);
  });

  it('walks every page exactly once with the cursor', async () => {
    for (const query of ['limit=7', 'limit=7&sort=status&label=odd', 'limit=500']) {
      const seen: string[] = [];
      let next: string | undefined;
      let total = 0;
      do {
        const page = await list(`?${query}${next ? `&cursor=${encodeURIComponent(next)}` : ''}`);
        total = page.total;
        seen.push(...page.tasks.map((x) => x.id));
        next = page.next;
      } while (next);
      expect(seen).toHaveLength(total);
      expect(new Set(seen).size).toBe(total);
      expect(seen).toEqual(await listIds(`?${query.replace(/limit=\d+/, 'limit=500')}`));
    }
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=501', 'limit'],
    ['limit=ten', 'limit'],
    ['limit=1.5', 'limit'],
    ['limit=5&limit=6', 'limit'],
    ['state=finished', 'state'],
    ['state=done&state=ready', 'state'],
    ['sort=title', 'sort'],
    ['epic=a&epic=b', 'epic'],
    [`q=${'x'.repeat(201)}`, 'q'],
    ['page=2', 'page'],
    ['__proto__=1', '__proto__'],
    ['constructor=x', 'constructor'],
    ['cursor=not-a-cursor', 'cursor'],
  ])('answers 400 naming the parameter for ?%s', async (query, parameter) => {
    const res = await request(`${t.url}/api/tasks?${query}`);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const body = JSON.parse(res.body) as { error: string; parameter: string };
    expect(body.parameter).toBe(parameter);
    expect(body.error.startsWith(`${parameter}: `)).toBe(true);
  });

  it('answers 400 for a cursor reused with other filters', async () => {
    const { next } = await list('?limit=2&state=done');
    const res = await request(`${t.url}/api/tasks?limit=2&state=ready&cursor=${encodeURIComponent(next!)}`);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).parameter).toBe('cursor');
  });
});

describe('GET /api/tasks/{id}', () => {
  it('gives the task with titles, dependencies and dependents, each with its state', async () => {
    const body = await getJson(`${t.url}/api/tasks/T-1.1.1`);
    expect(body).toEqual({
      id: 'T-1.1.1',
      title: 'Task 0',
      status: 'pending',
      domain: 'ingestion',
      labels: ['even', 'four'],
      epic: { id: 'E-1', title: 'Epic 1' },
      milestone: { id: 'M-1.1', title: 'Milestone 1.1' },
      dependencies: [],
      dependents: [
        { id: 'T-1.1.2', title: 'Task 1', status: 'ready' },
        { id: '=T-9', title: 'Imported "=SUM(A1)", with comma', status: 'ready' },
      ],
      // No line or loop names it: its timeline's totals are zero (test/http/timeline.test.ts has some).
      totals: {
        executions: 0,
        failedExecutions: 0,
        decisions: 0,
        rejections: 0,
        attempts: 0,
        costUsd: 0,
        inputTokens: 0,
        outputTokens: 0,
        firstEventAt: null,
        lastEventAt: null,
        doneAt: null,
        timeToDoneMs: null,
      },
    });
    const odd = await getJson(`${t.url}/api/tasks/${encodeURIComponent('=T-9')}`);
    expect(odd.dependencies).toEqual([
      { id: 'T-1.1.1', title: 'Task 0', status: 'pending' },
      { id: 'GONE-1', title: null, status: null },
    ]);
    expect(odd.dependents).toEqual([{ id: 'a/b c', title: 'multi\nline', status: 'blocked' }]);
    expect((await getJson(`${t.url}/api/tasks/${encodeURIComponent('a/b c')}`)).id).toBe('a/b c');
  });

  it('is 404 JSON for an unknown id', async () => {
    for (const id of ['GONE-1', 'nope', '__proto__', encodeURIComponent('x/y')]) {
      const res = await request(`${t.url}/api/tasks/${id}`);
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(JSON.parse(res.body).error).toMatch(/no task|not found/);
    }
  });
});

describe('ETag and cursors across snapshots', () => {
  it('answers 304 to If-None-Match, keeps cursors across snapshots and answers 410 once the roadmap changed', async () => {
    const own = await startTestExporter({ files: { ...f.files, 'state/roadmap.yaml': roadmapDoc(tasks) } });
    const first = await request(`${own.url}/api/tasks?limit=5`);
    const etag = first.headers.etag!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(first.headers['cache-control']).toBe('no-cache');
    const { next } = JSON.parse(first.body) as { next: string };

    for (const inm of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const res = await request(`${own.url}/api/tasks?limit=5`, { headers: { 'If-None-Match': inm } });
      expect(res.status).toBe(304);
      expect(res.body).toBe('');
    }
    // A task's ETag covers the roadmap and its timeline's totals.
    const detail = await request(`${own.url}/api/tasks/T-1.1.1`);
    const detailTag = detail.headers.etag!;
    expect(detailTag).toMatch(/^"[\w-]+"$/);
    expect((await request(`${own.url}/api/tasks/T-1.1.1`, { headers: { 'If-None-Match': detailTag } })).status).toBe(304);
    // fetch() adds Cache-Control: no-cache to a request with If-None-Match: still a 304
    expect((await fetch(`${own.url}/api/tasks?limit=5`, { headers: { 'If-None-Match': etag } })).status).toBe(304);
    expect((await request(`${own.url}/api/tasks?limit=5`, { headers: { 'If-None-Match': '"stale"' } })).status).toBe(200);

    // Another source changes: a new snapshot, the same roadmap: same ETag, the cursor still works.
    const version = own.exporter.collector.snapshot!.version;
    await own.workspace.write('state/analytics/resource_metrics.json', { ...f.resources, cpu_used_pct: 1 });
    await eventually(() => expect(own.exporter.collector.snapshot!.version).toBeGreaterThan(version));
    expect((await request(`${own.url}/api/tasks?limit=5`, { headers: { 'If-None-Match': etag } })).status).toBe(304);
    expect((await request(`${own.url}/api/tasks?limit=5&cursor=${encodeURIComponent(next)}`)).status).toBe(200);
    expect((await request(`${own.url}/api/tasks/T-1.1.1`, { headers: { 'If-None-Match': detailTag } })).status).toBe(304);

    // The roadmap changes: a new ETag, and the old cursor is gone.
    await own.workspace.write('state/roadmap.yaml', roadmapDoc(tasks.slice(1)));
    await eventually(async () => expect((await getJson(`${own.url}/api/tasks`)).total).toBe(tasks.length - 1));
    const changed = await request(`${own.url}/api/tasks?limit=5`, { headers: { 'If-None-Match': etag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
    const gone = await request(`${own.url}/api/tasks?limit=5&cursor=${encodeURIComponent(next)}`);
    expect(gone.status).toBe(410);
    expect(JSON.parse(gone.body)).toEqual({ error: expect.stringMatching(/roadmap changed/), parameter: 'cursor' });
  });
});

describe('CSV exports over HTTP', () => {
  it.each([...CSV_EXPORTS.keys()])('/api/metrics/export/%s is a dated attachment that csv-parse reads back', async (name) => {
    const res = await request(`${t.url}/api/metrics/export/${name}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toBe(`attachment; filename="wvo-${name}-${new Date().toISOString().slice(0, 10)}.csv"`);
    const rows = parse(res.body) as string[][];
    expect(rows[0]).toEqual(CSV_EXPORTS.get(name)!.headers);
    for (const row of rows) expect(row).toHaveLength(rows[0]!.length);
    const expectedRows: Record<string, number> = {
      tasks: 5,
      resolution: f.resolution.activeLoops.length,
      roadmap: tasks.length,
      quality_gates: new Set(f.quality.flatMap((q) => Object.keys(q.reviews))).size,
      rejection_reasons: f.reasonCounts.length,
      // one row per (agent type, model); the fixture's lines name no model, so each is `unknown`
      executions: new Set(f.executions.map((e) => e.agent_type)).size,
      usage: Object.keys(f.usage.providers).length,
      resolution_closed: f.resolution.recentlyClosed.length,
    };
    expect(rows.length - 1).toBe(expectedRows[name]);
    if (name === 'executions') {
      expect(rows[0]!.slice(0, 2)).toEqual(['agent_type', 'model']);
      expect(rows.slice(1).map((r) => r.slice(0, 2))).toEqual([...new Set(f.executions.map((e) => e.agent_type))].sort().map((a) => [a, 'unknown']));
    }
  });

  it('exports the roadmap with the filters of /api/tasks, awkward values intact and formulas neutralised', async () => {
    const res = await request(`${t.url}/api/metrics/export/roadmap?epic=E-1&milestone=M-1.1&state=blocked&sort=status`);
    // streamed: no Content-Length known up front
    expect(res.headers['transfer-encoding']).toBe('chunked');
    const rows = parse(res.body) as string[][];
    const expected = tasks.filter((x) => x.milestone === 'M-1.1' && x.status === 'blocked').sort(byId);
    expect(rows.slice(1).map((r) => r[0])).toEqual(expected.map((x) => x.id));
    expect(rows.find((r) => r[0] === 'a/b c')).toEqual(['a/b c', 'multi\nline', 'blocked', 'E-1', 'Epic 1', 'M-1.1', 'Milestone 1.1', 'ops', '', "'=T-9"]);
    const odd = parse((await request(`${t.url}/api/metrics/export/roadmap?label=${encodeURIComponent('a,b')}`)).body) as string[][];
    expect(odd[1]).toEqual(["'=T-9", 'Imported "=SUM(A1)", with comma', 'ready', 'E-1', 'Epic 1', 'M-1.1', 'Milestone 1.1', 'ops', 'a,b', 'T-1.1.1;GONE-1']);

    const labelled = parse((await request(`${t.url}/api/metrics/export/roadmap?label=even&label=four`)).body) as string[][];
    expect(labelled.length - 1).toBe(tasks.filter((x) => x.labels.includes('even') && x.labels.includes('four')).length);
  });

  it.each([
    ['state=nope', 'state'],
    ['limit=5', 'limit'],
    ['cursor=x', 'cursor'],
  ])('answers 400 for the roadmap export with ?%s', async (query, parameter) => {
    const res = await request(`${t.url}/api/metrics/export/roadmap?${query}`);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).parameter).toBe(parameter);
  });
});

describe('with a bearer token', () => {
  it('the drill-down, export and OpenAPI routes want it like every /api route', async () => {
    const token = 'drill-down-token-0123456789';
    const own = await startTestExporter({ files: f.files, config: { token } });
    for (const path of ['/api/tasks?limit=1', '/api/tasks/P-1', '/api/metrics/export/roadmap', '/api/metrics/export/usage', '/api/openapi.json']) {
      expect((await request(`${own.url}${path}`)).status, path).toBe(401);
      expect((await request(`${own.url}${path}`, { headers: { Authorization: `Bearer ${token}` } })).status, path).toBe(200);
    }
  });
});
