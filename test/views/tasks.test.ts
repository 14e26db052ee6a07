/** The task drill-down views over parsed roadmaps: filters, sorts, cursors, dependencies and dependents. */
import { describe, expect, it } from 'vitest';
import { roadmap } from '../../src/sources/roadmap.js';
import { filterTasks, listTasks, taskDetail, taskIndex, type TaskFilter } from '../../src/views/tasks.js';
import { emptyTotals } from '../../src/views/timeline.js';
import { stringify } from 'yaml';

const task = (id: string, status: string, extra: Record<string, unknown> = {}) => ({ id, title: `Task ${id}`, status, ...extra });

function fixture() {
  return {
    epics: [
      {
        id: 'E-2',
        title: 'Storage',
        milestones: [
          {
            id: 'M-2.1',
            title: 'Parquet',
            tasks: [
              task('T-10', 'done', { labels: ['parquet', 'storage'], domain: 'storage' }),
              task('T-2', 'blocked', { labels: ['storage'], domain: 'storage', dependencies: ['T-10', 'OPS-1', 'T-10'] }),
            ],
          },
        ],
      },
      {
        id: 'E-1',
        title: 'Ingestion',
        milestones: [
          { id: 'M-1.1', tasks: [task('T-1', 'in_progress', { labels: ['adapter'], domain: 'ingestion', dependencies: ['T-10'] })] },
          { id: 'M-1.2', title: 'Streaming', sets: [{ id: 'S', tasks: [task('T-3', 'ready', { title: 'Kafka CONSUMER', labels: ['kafka', 'storage'] })] }] },
        ],
        tasks: [task('T-20', 'pending', { dependencies: ['T-2'] })],
      },
    ],
    tasks: [task('OPS-1', 'ready', { epic_id: 'E-9', domain: 'ops', dependencies: ['T-2', 'T-404'] }), task('X-1', 'todo')],
  };
}

const parse = (doc: unknown) => roadmap.parse(stringify(doc));
const ALL: TaskFilter = { labels: [], sort: 'id' };
const ids = (f: Partial<TaskFilter>, doc = fixture()) => filterTasks(taskIndex(parse(doc)), { ...ALL, ...f }).map((t) => t.id);

describe('filterTasks', () => {
  it('sorts ids in natural order (T-2 before T-10), by state then id, or by epic then id', () => {
    expect(ids({})).toEqual(['OPS-1', 'T-1', 'T-2', 'T-3', 'T-10', 'T-20', 'X-1']);
    expect(ids({ sort: 'status' })).toEqual(['T-20', 'X-1', 'OPS-1', 'T-3', 'T-1', 'T-2', 'T-10']);
    expect(ids({ sort: 'epic' })).toEqual(['T-1', 'T-3', 'T-20', 'T-2', 'T-10', 'OPS-1', 'X-1']);
  });

  it('filters by state, epic, milestone, domain, every label and text in the id or title', () => {
    expect(ids({ state: 'ready' })).toEqual(['OPS-1', 'T-3']);
    expect(ids({ epic: 'E-1' })).toEqual(['T-1', 'T-3', 'T-20']);
    expect(ids({ epic: 'none' })).toEqual(['X-1']);
    expect(ids({ milestone: 'M-1.2' })).toEqual(['T-3']);
    expect(ids({ milestone: 'none' })).toEqual(['OPS-1', 'T-20', 'X-1']);
    expect(ids({ domain: 'storage' })).toEqual(['T-2', 'T-10']);
    expect(ids({ labels: ['storage'] })).toEqual(['T-2', 'T-3', 'T-10']);
    expect(ids({ labels: ['storage', 'parquet'] })).toEqual(['T-10']);
    expect(ids({ labels: ['storage', 'nope'] })).toEqual([]);
    expect(ids({ q: 'consumer' })).toEqual(['T-3']);
    expect(ids({ q: 'ops' })).toEqual(['OPS-1']);
    expect(ids({ q: 't-1' })).toEqual(['T-1', 'T-10']);
    expect(ids({ state: 'blocked', epic: 'E-2', labels: ['storage'], q: 'task' })).toEqual(['T-2']);
  });
});

describe('taskIndex', () => {
  it('is built once per roadmap value and its hash follows the content only', () => {
    const a = parse(fixture());
    expect(taskIndex(a)).toBe(taskIndex(a));
    expect(taskIndex(parse(fixture())).hash).toBe(taskIndex(a).hash);
    const changed = fixture();
    changed.tasks[1]!.status = 'done';
    expect(taskIndex(parse(changed)).hash).not.toBe(taskIndex(a).hash);
  });
});

describe('listTasks', () => {
  it('pages through every task exactly once, `next` absent on the last page', () => {
    const index = taskIndex(parse(fixture()));
    for (const limit of [1, 2, 3, 7, 50]) {
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const r = listTasks(index, { ...ALL, sort: 'status' }, { limit, cursor });
        if (!r.ok) throw new Error(r.error);
        expect(r.value.total).toBe(7);
        expect(r.value.tasks.length).toBeLessThanOrEqual(limit);
        seen.push(...r.value.tasks.map((t) => t.id));
        cursor = r.value.next;
        pages++;
      } while (cursor);
      expect(seen).toEqual(ids({ sort: 'status' }));
      expect(pages).toBe(Math.ceil(7 / limit));
    }
  });

  it('answers 410 for a cursor of another roadmap content and 400 for another query or garbage', () => {
    const index = taskIndex(parse(fixture()));
    const first = listTasks(index, { ...ALL, state: 'ready' }, { limit: 1 });
    if (!first.ok) throw new Error(first.error);
    const cursor = first.value.next!;
    expect(cursor).toBeTypeOf('string');

    const changed = fixture();
    changed.tasks.push(task('NEW', 'ready'));
    const gone = listTasks(taskIndex(parse(changed)), { ...ALL, state: 'ready' }, { limit: 1, cursor });
    expect(gone).toMatchObject({ ok: false, status: 410, parameter: 'cursor' });

    expect(listTasks(index, { ...ALL, state: 'done' }, { limit: 1, cursor })).toMatchObject({ ok: false, status: 400, parameter: 'cursor' });
    expect(listTasks(index, { ...ALL, state: 'ready', sort: 'epic' }, { limit: 1, cursor })).toMatchObject({ ok: false, status: 400 });
    for (const bad of ['garbage', Buffer.from('{"h":1}').toString('base64url'), Buffer.from('{"h":"a","f":"b","o":-1}').toString('base64url')]) {
      expect(listTasks(index, ALL, { limit: 1, cursor: bad })).toMatchObject({ ok: false, status: 400, parameter: 'cursor' });
    }
    // the same roadmap content parsed again (a new snapshot): the cursor still works
    const again = listTasks(taskIndex(parse(fixture())), { ...ALL, state: 'ready' }, { limit: 1, cursor });
    expect(again).toMatchObject({ ok: true, value: { total: 2, tasks: [{ id: 'T-3' }] } });
  });
});

describe('taskDetail', () => {
  it('gives the epic and milestone titles, dependencies (unknown ones with null state) and dependents', () => {
    const index = taskIndex(parse(fixture()));
    expect(taskDetail(index, 'T-2', emptyTotals())).toEqual({
      ok: true,
      value: {
        id: 'T-2',
        title: 'Task T-2',
        status: 'blocked',
        domain: 'storage',
        labels: ['storage'],
        epic: { id: 'E-2', title: 'Storage' },
        milestone: { id: 'M-2.1', title: 'Parquet' },
        dependencies: [
          { id: 'T-10', title: 'Task T-10', status: 'done' },
          { id: 'OPS-1', title: 'Task OPS-1', status: 'ready' },
        ],
        dependents: [
          { id: 'T-20', title: 'Task T-20', status: 'pending' },
          { id: 'OPS-1', title: 'Task OPS-1', status: 'ready' },
        ],
        totals: emptyTotals(),
      },
    });
    const ops = taskDetail(index, 'OPS-1', emptyTotals());
    expect(ops).toMatchObject({
      ok: true,
      value: { epic: { id: 'E-9', title: null }, milestone: null, dependencies: [{ id: 'T-2' }, { id: 'T-404', title: null, status: null }] },
    });
    expect(taskDetail(index, 'T-1', emptyTotals())).toMatchObject({ ok: true, value: { milestone: { id: 'M-1.1', title: null }, dependents: [] } });
    expect(taskDetail(index, 'T-10', emptyTotals())).toMatchObject({ ok: true, value: { dependents: [{ id: 'T-2' }, { id: 'T-1' }] } });
    expect(taskDetail(index, 'T-404', emptyTotals())).toMatchObject({ ok: false, status: 404 });
    expect(taskDetail(index, '__proto__', emptyTotals())).toMatchObject({ ok: false, status: 404 });
  });
});
