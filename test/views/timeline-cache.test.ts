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

    await ws.append(EXECUTIONS, jsonl([execution('T-7', 6, { agent_type: 'codex', success: true })]));
    s = await collector.refresh();
    const grown = await cache.page(s, 'T-7', { limit: 100 });
    expect(asked).toEqual(['T-7', 'nobody', 'T-7']);
    expect(grown?.ok && JSON.parse(grown.value.body.toString()).total).toBe(8);
    expect(grown?.ok && grown.value.etag).not.toBe(first.value.etag);
  });
});
