/** GET /api/metrics/stream: first event, interval and change events, heartbeats, cleanup, limits. */
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  cleanup,
  eventually,
  EventStream,
  getJson,
  knownFixture,
  onCleanup,
  request,
  sampleValue,
  scrape,
  sleep,
  SseClient,
  startTestExporter,
} from '../support/server.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });
afterEach(cleanup);

const f = knownFixture();
const STREAM = '/api/metrics/stream';
const LONG = 60_000; // an interval no test waits for: events then come from connects and changes only

describe('SSE stream', () => {
  it('sends the bundle {timestamp, tasks, quality, resolution, resources} at connect, equal to the REST payloads', async () => {
    const t = await startTestExporter({ files: f.files, config: { streamIntervalMs: LONG } });
    const client = new EventStream(`${t.url}${STREAM}`);
    const first = await client.event(1);
    expect(client.connections[0]!.status).toBe(200);
    expect(client.connections[0]!.contentType).toMatch(/^text\/event-stream/);
    expect(client.events[0]!.lastEventId).toBe(String(t.exporter.collector.snapshot!.version));
    expect(Object.keys(first)).toEqual(expect.arrayContaining(['timestamp', 'tasks', 'quality', 'resolution', 'resources']));
    expect(new Date(first.timestamp).toISOString()).toBe(first.timestamp);
    expect(first.tasks).toEqual(await getJson(`${t.url}/api/metrics/tasks`));
    expect(first.quality).toEqual(await getJson(`${t.url}/api/metrics/quality_gates`));
    expect(first.resolution).toEqual(await getJson(`${t.url}/api/metrics/resolution`));
    expect(first.resources).toEqual(await getJson(`${t.url}/api/metrics/resources`));
    expect(first.tasks.tasksByState.pending).toBe(f.latest.pendingCount);
    const raw = await SseClient.open(`${t.url}${STREAM}`);
    expect(raw.headers['cache-control']).toMatch(/no-store|no-cache/);
  });

  it('sends an event every interval', async () => {
    const t = await startTestExporter({ files: f.files, config: { streamIntervalMs: 100 } });
    const client = new EventStream(`${t.url}${STREAM}`);
    const events = await client.until(() => client.events.length >= 4 && client.events, '4 events');
    const stamps = events.map((e) => Date.parse(e.data.timestamp));
    for (let i = 1; i < stamps.length; i++) expect(stamps[i]).toBeGreaterThanOrEqual(stamps[i - 1]!);
    expect(t.exporter.sse.counters.events).toBeGreaterThanOrEqual(3);
  });

  it('sends an event when a source file changes', async () => {
    const t = await startTestExporter({ files: f.files, config: { streamIntervalMs: LONG, cacheTtlMs: 50 } });
    const client = new EventStream(`${t.url}${STREAM}`);
    expect((await client.event(1)).resources.host.cpuPercent).toBe(f.resources.cpu_used_pct);
    await t.workspace.write('state/analytics/resource_metrics.json', { ...f.resources, cpu_used_pct: 12.5 });
    const changed = await client.until(() => client.events.find((e) => e.data.resources.host.cpuPercent === 12.5), 'the change event');
    expect(Number(changed.lastEventId)).toBeGreaterThan(Number(client.events[0]!.lastEventId));
    expect(client.events.length).toBeGreaterThanOrEqual(2);
  });

  it('a W3C EventSource reconnects after the stream ends, sending Last-Event-ID, and gets the current state', async () => {
    // The server keeps no event history: Last-Event-ID is not replayed from, every connect starts
    // with the whole current state, so what changed while the client was away is in that event.
    const t = await startTestExporter({ files: f.files, config: { streamIntervalMs: LONG, cacheTtlMs: 50 } });
    const client = new EventStream(`${t.url}${STREAM}`);
    await client.event(1);
    const seen = client.events[0]!.lastEventId;
    t.exporter.sse.close(); // ends every stream; the client waits `retry: 2000` and reconnects
    await t.workspace.write('state/analytics/resource_metrics.json', { ...f.resources, cpu_used_pct: 7.5 });
    await eventually(() => expect(t.exporter.collector.snapshot!.version).toBeGreaterThan(Number(seen)));
    const after = await client.until(() => client.connections.length >= 2 && client.events[1], 'the event after the reconnect', 15_000);
    expect(client.connections[0]!.headers.get('last-event-id')).toBeNull();
    expect(client.connections[1]!.headers.get('last-event-id')).toBe(seen);
    expect(client.connections[1]!.status).toBe(200);
    expect(after.data.resources.host.cpuPercent).toBe(7.5);
    expect(Number(after.lastEventId)).toBe(t.exporter.collector.snapshot!.version);
    expect(after.data.tasks).toEqual(await getJson(`${t.url}/api/metrics/tasks`));
  });

  it('sends comment heartbeats', async () => {
    const t = await startTestExporter({ files: f.files, config: { streamIntervalMs: LONG, sseHeartbeatMs: 50 } });
    const client = await SseClient.open(`${t.url}${STREAM}`);
    await client.until(() => client.comments.filter((c) => c === 'heartbeat').length >= 2, 'two heartbeats');
  });

  it('drops closed clients, and does no work while nobody listens', async () => {
    const t = await startTestExporter({ files: f.files, config: { streamIntervalMs: 20 } });
    const sse = t.exporter.sse;
    await sleep(100);
    expect(sse.counters.events).toBe(0); // no listener yet: no event was built

    const a = await SseClient.open(`${t.url}${STREAM}`);
    const b = await SseClient.open(`${t.url}${STREAM}`);
    await a.event(1);
    await b.event(1);
    expect(sse.size).toBe(2);
    await eventually(async () => expect(sampleValue(await scrape(t.url), 'wvo_sse_clients')).toBe(2));

    a.close();
    await eventually(() => expect(sse.size).toBe(1));
    b.close();
    await eventually(() => expect(sse.size).toBe(0));
    await eventually(async () => expect(sampleValue(await scrape(t.url), 'wvo_sse_clients')).toBe(0));

    const events = sse.counters.events;
    await sleep(200); // ten intervals
    expect(sse.counters.events).toBe(events);
  });

  it('ends every stream when the exporter stops', async () => {
    const t = await startTestExporter({ files: f.files, config: { streamIntervalMs: LONG } });
    const client = await SseClient.open(`${t.url}${STREAM}`);
    await client.event(1);
    await t.stop();
    await client.waitForEnd();
  });

  it('answers HEAD with the stream headers and ends, without taking a client slot', async () => {
    const t = await startTestExporter({ files: f.files, config: { streamIntervalMs: LONG } });
    const head = await request(`${t.url}${STREAM}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(head.body).toBe('');
    expect(t.exporter.sse.size).toBe(0);
  });

  it('answers 503 beyond WVO_SSE_MAX_CLIENTS', async () => {
    const t = await startTestExporter({ files: f.files, config: { streamIntervalMs: LONG, sseMaxClients: 2 } });
    const a = await SseClient.open(`${t.url}${STREAM}`);
    const b = await SseClient.open(`${t.url}${STREAM}`);
    await a.event(1);
    await b.event(1);
    const third = await request(`${t.url}${STREAM}`);
    expect(third.status).toBe(503);
    expect(typeof JSON.parse(third.body).error).toBe('string');
    expect(t.exporter.sse.counters.rejected).toBe(1);
    a.close();
    await eventually(() => expect(t.exporter.sse.size).toBe(1));
    const c = await SseClient.open(`${t.url}${STREAM}`);
    expect(c.status).toBe(200);
    await c.event(1);
  });

  it('drops a client that stops reading once its unsent buffer passes the bound', async () => {
    // ~1 MB events, several per 10 ms: a socket nobody reads fills the kernel buffers, then the bound.
    const activeLoops = Array.from({ length: 3000 }, (_, i) => ({
      taskId: `T-${i}`,
      attempts: 1 + (i % 7),
      lastLabel: 'tests_failed',
      labels: Array.from({ length: 20 }, (_, j) => `label-${j}-${'x'.repeat(10)}`),
      elapsedMs: i,
    }));
    const t = await startTestExporter({
      files: { ...f.files, 'state/analytics/resolution_metrics.json': { ...f.resolution, activeLoops } },
      config: { streamIntervalMs: 10 },
    });
    const sse = t.exporter.sse;
    const socket = net.connect(t.exporter.port, '127.0.0.1');
    onCleanup(() => void socket.destroy());
    socket.on('error', () => {});
    socket.pause(); // never reads
    await new Promise<void>((r) => socket.once('connect', () => r()));
    socket.write(`GET ${STREAM} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`);
    await eventually(() => expect(sse.size).toBe(1));
    await eventually(() => expect(sse.counters.dropped).toBeGreaterThanOrEqual(1), { timeoutMs: 45_000 });
    await eventually(() => expect(sse.size).toBe(0));
  });
});
