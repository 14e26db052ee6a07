import { TraceFlags } from '@opentelemetry/api';
import { ExportResultCode, hrTimeDuration, millisToHrTime, type ExportResult, type InstrumentationScope } from '@opentelemetry/core';
import { OTLPTraceExporter as OTLPHttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPHttpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { TracesSettings } from './settings.js';
import type { SpanRecord } from './spans.js';

/** Spans per OTLP request, whatever the batch processor's batch size. */
const SERIALIZE_CHUNK = 64;

/** What the trace pipeline did so far (the wvo_exporter_trace_spans_* counters). */
export interface TraceStats {
  exported: number;
  dropped: { queue_full: number; export_failed: number };
}

/** Our span records as the SDK's finished spans, with the ids we derived (the SDK's tracer would make its own). */
export function readableSpan(r: SpanRecord, resource: Resource, instrumentationScope: InstrumentationScope): ReadableSpan {
  const startTime = millisToHrTime(r.startMs);
  const endTime = millisToHrTime(Math.max(r.startMs, r.endMs));
  const context = { traceId: r.traceId, spanId: r.spanId, traceFlags: TraceFlags.SAMPLED };
  return {
    name: r.name,
    kind: r.kind,
    spanContext: () => context,
    parentSpanContext: r.parentSpanId === undefined ? undefined : { traceId: r.traceId, spanId: r.parentSpanId, traceFlags: TraceFlags.SAMPLED },
    startTime,
    endTime,
    duration: hrTimeDuration(startTime, endTime),
    status: r.status,
    attributes: r.attributes,
    links: [],
    events: r.events.map((e) => ({ name: e.name, time: millisToHrTime(e.timeMs), attributes: e.attributes })),
    ended: true,
    resource,
    instrumentationScope,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

/**
 * The SDK's batch span processor over the OTLP exporter, with the accounting the exporter needs:
 * every span handed in is settled exactly once (exported, refused by the receiver after the OTLP
 * exporter's retries, or dropped because the queue is full), which is what lets the positions
 * file record only lines whose spans are settled.
 */
export class SpanPipeline {
  readonly stats: TraceStats = { exported: 0, dropped: { queue_full: 0, export_failed: 0 } };
  private readonly processor: BatchSpanProcessor;
  private readonly settle = new WeakMap<ReadableSpan, () => void>();
  private handed = 0;
  /** Set once shutdown began: an export failing from then on was cut short by it, not refused. */
  private closing = false;
  /** Spans the processor passed to the exporter: handed - taken is its queue's length. */
  private taken = 0;

  constructor(
    private readonly settings: TracesSettings,
    private readonly resource: Resource,
    private readonly scope: InstrumentationScope,
    exporter: SpanExporter = settings.protocol === 'http/json' ? new OTLPHttpJsonExporter() : new OTLPHttpProtoExporter(),
  ) {
    const exportChunk = (spans: ReadableSpan[], done: (result: ExportResult) => void) =>
      exporter.export(spans, (result: ExportResult) => {
        if (result.code === ExportResultCode.SUCCESS) this.stats.exported += spans.length;
        // Cut short by the shutdown: left unsettled, so the positions stop before them and the next run sends them.
        else if (this.closing) return done(result);
        else this.stats.dropped.export_failed += spans.length;
        for (const s of spans) this.settled(s);
        done(result);
      });
    const counting: SpanExporter = {
      export: (spans, done) => {
        this.taken += spans.length;
        // The OTLP exporter serialises a request on the event loop (512 decision spans: ~1 MB, tens of
        // ms): a batch goes out as requests of SERIALIZE_CHUNK spans, each serialised on its own turn.
        const chunks: ReadableSpan[][] = [];
        for (let i = 0; i < spans.length; i += SERIALIZE_CHUNK) chunks.push(spans.slice(i, i + SERIALIZE_CHUNK));
        let left = chunks.length;
        let failed: ExportResult | undefined;
        if (left === 0) return done({ code: ExportResultCode.SUCCESS });
        const go = (i: number) => {
          exportChunk(chunks[i]!, (result) => {
            if (result.code !== ExportResultCode.SUCCESS) failed ??= result;
            if (--left === 0) done(failed ?? result);
          });
          // The next chunk on a later turn of the event loop, so requests waiting to be served go first.
          if (i + 1 < chunks.length) setImmediate(go, i + 1);
        };
        go(0);
      },
      shutdown: () => exporter.shutdown(),
      forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
    };
    this.processor = new BatchSpanProcessor(counting, {
      maxQueueSize: settings.maxQueueSize,
      maxExportBatchSize: settings.maxExportBatchSize,
      scheduledDelayMillis: settings.scheduledDelayMs,
      exportTimeoutMillis: settings.exportTimeoutMs,
    });
  }

  /** Hands a span to the processor; `settled` runs once when it was exported, refused or dropped. */
  send(record: SpanRecord, settled: () => void): void {
    // The processor would drop it silently here (its own count is private): drop and count it ourselves.
    if (this.handed - this.taken >= this.settings.maxQueueSize) {
      this.stats.dropped.queue_full++;
      settled();
      return;
    }
    const span = readableSpan(record, this.resource, this.scope);
    this.settle.set(span, settled);
    this.handed++;
    this.processor.onEnd(span);
  }

  private settled(span: ReadableSpan): void {
    const f = this.settle.get(span);
    this.settle.delete(span);
    f?.();
  }

  forceFlush(): Promise<void> {
    return this.processor.forceFlush();
  }

  /** Exports what is queued and stops, giving up after deadlineMs (a hung receiver must not hold the shutdown). */
  async shutdown(deadlineMs: number): Promise<void> {
    this.closing = true;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, deadlineMs)));
    await Promise.race([this.processor.shutdown().catch(() => undefined), deadline]);
    clearTimeout(timer);
  }
}
