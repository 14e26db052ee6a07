/**
 * TimelineCache over a real collector on the timeline fixture: one lookup per task and snapshot
 * version however many requests ask at once, pages rendered from it, a new version looked up again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TimelineCache } from '../../src/views/timeline-cache.js';
import { EXECUTIONS, jsonl } from '../support/autopilot-fixture.js';
import { cleanup } from '../support/cleanup.js';
import { testCollector } from '../support/collector.js';
import { createWorkspace } from '../support/temp-workspace.js';
import { execution, writeTimelineFixture } from '../support/timeline-fixture.js';

afterEach(cleanup);

describe('TimelineCache', () => {
  it('looks a task up once per snapshot version, and again once the logs changed', async () => {
    const ws = await createWorkspace();
    await writeTimelineFixture(ws);
    const collector = testCollector(ws.root);
    let s = await collector.start();
    const asked: string[] = [];
    const cache = new TimelineCache((id) => {
      asked.push(id);
      return collector.taskEvents(id);
    });

    const pages = await Promise.all(Array.from({ length: 20 }, () => cache.page(s, 'T-7', { limit: 100 })));
    expect(asked).toEqual(['T-7']);
    const first = pages[0]!;
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    expect(pages.every((p) => p === first)).toBe(true);
    expect(JSON.parse(first.value.body.toString())).toMatchObject({ id: 'T-7', total: 7 });
    expect(first.value.etag).toMatch(/^[\w-]{22}$/);

    const small = await cache.page(s, 'T-7', { limit: 2 });
    expect(small?.ok && JSON.parse(small.value.body.toString()).events).toHaveLength(2);
    expect((await cache.timeline(s, 'T-7'))?.totals.executions).toBe(2);
    expect(await cache.page(s, 'nobody', { limit: 10 })).toBeUndefined();
    expect(asked).toEqual(['T-7', 'nobody']);

    expect(cache.peek(s, 'T-7', { limit: 100 })).toBe(first.value);
    expect(cache.peek(s, 'T-7', { limit: 3 })).toBeUndefined();

    await ws.append(EXECUTIONS, jsonl([execution('T-7', 6, { agent_type: 'codex', success: true })]));
    s = await collector.refresh();
    // A new version: peek gives the previous page while it starts this version's lookup, once.
    expect(cache.peek(s, 'T-7', { limit: 100 })).toBe(first.value);
    expect(cache.peek(s, 'T-7', { limit: 100 })).toBe(first.value);
    expect(asked).toEqual(['T-7', 'nobody', 'T-7']);
    const grown = await cache.page(s, 'T-7', { limit: 100 });
    expect(cache.peek(s, 'T-7', { limit: 100 })).toBe(grown?.ok && grown.value);
    expect(grown?.ok && JSON.parse(grown.value.body.toString()).total).toBe(8);
    expect(grown?.ok && grown.value.etag).not.toBe(first.value.etag);
  });

  it('keeps at most its limits, least recently used first; a timeline over the byte budget is answered, not kept', async () => {
    const ws = await createWorkspace();
    await writeTimelineFixture(ws);
    const collector = testCollector(ws.root);
    const s = await collector.start();
    const asked: string[] = [];
    const lookup = (id: string) => {
      asked.push(id);
      return collector.taskEvents(id);
    };
    const two = new TimelineCache(lookup, { tasks: 2, bytes: 1 << 20 });
    for (const id of ['T-7', 'T-8', 'T-7', 'X-1', 'T-7', 'T-8']) await two.page(s, id, { limit: 10 });
    // T-8 was the least recently used when X-1 came; T-7 never was.
    expect(asked).toEqual(['T-7', 'T-8', 'X-1', 'T-8']);

    asked.length = 0;
    const tiny = new TimelineCache(lookup, { tasks: 64, bytes: 3000 });
    for (let i = 0; i < 3; i++) expect((await tiny.page(s, 'T-7', { limit: 10 }))?.ok).toBe(true); // 7 events: over 3000 bytes
    await tiny.page(s, 'X-1', { limit: 10 });
    await tiny.page(s, 'X-1', { limit: 10 });
    expect(asked).toEqual(['T-7', 'T-7', 'T-7', 'X-1']);
  });
});
