/**
 * The SDK pipeline (batch span processor over the real OTLP/HTTP protobuf exporter) against a real
 * receiver: our ids and times arrive as built, and every span is settled once, exported or counted
 * as dropped, whether the receiver answers, refuses (503) or hangs.
 */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SpanPipeline } from '../../src/traces/pipeline.js';
import type { TracesSettings } from '../../src/traces/settings.js';
import type { SpanRecord } from '../../src/traces/spans.js';
import { startOtlpReceiver, type ReceiverMode } from '../support/otlp-receiver.js';
import { cleanup, eventually } from '../support/server.js';

vi.setConfig({ testTimeout: 30_000 });
afterEach(cleanup);

const settings = (over: Partial<TracesSettings> = {}): TracesSettings => ({
  protocol: 'http/protobuf',
  maxQueueSize: 8,
  maxExportBatchSize: 4,
  scheduledDelayMs: 20,
  exportTimeoutMs: 2000,
  ...over,
});

const record = (i: number): SpanRecord => ({
  traceId: 'ab'.repeat(16),
  spanId: (i + 1).toString(16).padStart(16, '0'),
  parentSpanId: 'cd'.repeat(8),
  name: 'invoke_agent codex',
  kind: SpanKind.CLIENT,
  startMs: 1_790_000_000_000 + i,
  endMs: 1_790_000_001_000 + i,
  attributes: { 'wvo.task.id': `T-${i}` },
  events: [{ name: 'e', timeMs: 1_790_000_000_500, attributes: { n: i } }],
  status: { code: SpanStatusCode.ERROR, message: 'boom' },
});

async function pipeline(mode: ReceiverMode, over: Partial<TracesSettings> = {}) {
  const rx = await startOtlpReceiver(mode);
  // A short exporter timeout so a refusing or hung receiver is given up on quickly.
  const exporter = new OTLPTraceExporter({ url: `${rx.url}/v1/traces`, timeoutMillis: 300 });
  const p = new SpanPipeline(settings(over), resourceFromAttributes({ 'service.name': 'pipeline-test' }), { name: 'wvo-exporter' }, exporter);
  const settled: number[] = [];
  const send = (n: number, from = 0) => {
    for (let i = from; i < from + n; i++) p.send(record(i), () => settled.push(i));
  };
  return { rx, p, settled, send };
}

describe('SpanPipeline', () => {
  it('exports our spans with our ids, parent, times, attributes, events and status', async () => {
    const { rx, p, settled, send } = await pipeline('ok');
    send(6);
    await eventually(() => expect(rx.spans).toHaveLength(6));
    const s = rx.spans.find((x) => x.attributes['wvo.task.id'] === 'T-2')!;
    expect(s).toMatchObject({ traceId: 'ab'.repeat(16), spanId: '0000000000000003', parentSpanId: 'cd'.repeat(8), name: 'invoke_agent codex', kind: 3 /* CLIENT */ });
    expect([s.startMs, s.endMs]).toEqual([1_790_000_000_002, 1_790_000_001_002]);
    expect(s.events).toEqual([{ name: 'e', timeMs: 1_790_000_000_500, attributes: { n: 2 } }]);
    expect(s.status).toEqual({ code: 2, message: 'boom' });
    expect(s.resource['service.name']).toBe('pipeline-test');
    await eventually(() => expect(settled.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5]));
    expect(p.stats).toEqual({ exported: 6, dropped: { queue_full: 0, export_failed: 0 } });
    await p.shutdown(1000);
  });

  it('a large batch goes out as requests of at most 64 spans, so one request\'s serialisation never holds the event loop long', async () => {
    const { rx, p, settled, send } = await pipeline('ok', { maxQueueSize: 1024, maxExportBatchSize: 512, scheduledDelayMs: 5000 });
    send(512); // a full batch: exported at once
    await eventually(() => expect(settled).toHaveLength(512));
    const sizes = rx.requests.filter((r) => r.path === '/v1/traces').map((r) => r.spans);
    expect(sizes).toEqual(Array(8).fill(64));
    expect(new Set(rx.spans.map((s) => s.spanId)).size).toBe(512);
    expect(p.stats).toEqual({ exported: 512, dropped: { queue_full: 0, export_failed: 0 } });
    await p.shutdown(1000);
  });

  it('a receiver answering 503: the spans are counted as export_failed, each settled once', async () => {
    const { rx, p, settled, send } = await pipeline('unavailable');
    send(4);
    await eventually(() => expect(settled).toHaveLength(4), { timeoutMs: 20_000 });
    expect(rx.requests.length).toBeGreaterThan(0);
    expect(rx.spans).toEqual([]);
    expect(p.stats).toEqual({ exported: 0, dropped: { queue_full: 0, export_failed: 4 } });
    await p.shutdown(1000);
  });

  it('a receiver that hangs: beyond the bounded queue spans are dropped and counted, all settle, and a recovered receiver gets the next ones', async () => {
    const { rx, p, settled, send } = await pipeline('hang');
    send(30);
    await eventually(() => expect(rx.requests.length).toBeGreaterThan(0));
    expect(p.stats.dropped.queue_full).toBeGreaterThan(0);
    await eventually(() => expect(settled).toHaveLength(30), { timeoutMs: 20_000 });
    expect(new Set(settled).size).toBe(30);
    const { exported, dropped } = p.stats;
    expect(exported).toBe(0);
    expect(dropped.queue_full + dropped.export_failed).toBe(30);
    // the receiver recovers: new spans go through
    rx.mode = 'ok';
    send(2, 100);
    await eventually(() => expect(rx.spans.map((s) => s.attributes['wvo.task.id'])).toEqual(['T-100', 'T-101']));
    await p.shutdown(1000);
  });
});
