/**
 * A real OTLP/HTTP receiver on loopback for the trace and GenAI metric suites. Protobuf requests are
 * decoded with protobufjs from the official opentelemetry-proto definitions (the .proto files that
 * @opentelemetry/otlp-grpc-exporter-base 0.38 ships, a dev dependency kept for them), never with
 * the exporter's own encoding code; JSON requests (http/json) are read as the OTLP JSON mapping.
 */
import { createRequire } from 'node:module';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import protobuf from 'protobufjs';
import { onCleanup } from './cleanup.js';

const require = createRequire(import.meta.url);
const PROTOS = path.join(path.dirname(require.resolve('@opentelemetry/otlp-grpc-exporter-base')), '../protos');

let root: protobuf.Root | undefined;
function protos(): protobuf.Root {
  if (root) return root;
  root = new protobuf.Root();
  root.resolvePath = (_origin, target) => path.join(PROTOS, target);
  root.loadSync(['opentelemetry/proto/collector/trace/v1/trace_service.proto', 'opentelemetry/proto/collector/metrics/v1/metrics_service.proto']);
  return root;
}

export type AttrValue = string | number | boolean | AttrValue[] | undefined;

export interface ReceivedEvent {
  name: string;
  timeMs: number;
  attributes: Record<string, AttrValue>;
}

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  startMs: number;
  endMs: number;
  attributes: Record<string, AttrValue>;
  events: ReceivedEvent[];
  status: { code: number; message?: string };
  resource: Record<string, AttrValue>;
}

export interface ReceivedHistogramPoint {
  attributes: Record<string, AttrValue>;
  count: number;
  sum: number;
  bucketCounts: number[];
  explicitBounds: number[];
}

export interface ReceivedMetric {
  name: string;
  unit: string;
  histogram?: { temporality: number; points: ReceivedHistogramPoint[] };
}

export interface ReceivedRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  contentType: string;
  /** Spans in a /v1/traces request the receiver accepted. */
  spans?: number;
}

/** How the receiver answers: 200, a 503 every time, or never (the request hangs until the client gives up). */
export type ReceiverMode = 'ok' | 'unavailable' | 'hang';

const hex = (b: unknown) => (b instanceof Uint8Array ? Buffer.from(b).toString('hex') : typeof b === 'string' ? b.toLowerCase() : '');
const nanosToMs = (n: unknown) => Number(BigInt(String(n ?? 0)) / 1_000_000n);

function anyValue(v: any): AttrValue {
  if (v == null) return undefined;
  if (v.stringValue != null) return v.stringValue;
  if (v.boolValue != null) return v.boolValue;
  if (v.intValue != null) return Number(v.intValue);
  if (v.doubleValue != null) return Number(v.doubleValue);
  if (v.arrayValue != null) return (v.arrayValue.values ?? []).map(anyValue);
  return undefined;
}
const attributes = (list: any[] | undefined) => Object.fromEntries((list ?? []).map((kv: any) => [kv.key, anyValue(kv.value)]));

function spansOf(body: any): ReceivedSpan[] {
  return (body.resourceSpans ?? []).flatMap((rs: any) => {
    const resource = attributes(rs.resource?.attributes);
    return (rs.scopeSpans ?? []).flatMap((ss: any) =>
      (ss.spans ?? []).map(
        (s: any): ReceivedSpan => ({
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          parentSpanId: hex(s.parentSpanId),
          name: s.name,
          kind: Number(s.kind ?? 0),
          startMs: nanosToMs(s.startTimeUnixNano),
          endMs: nanosToMs(s.endTimeUnixNano),
          attributes: attributes(s.attributes),
          events: (s.events ?? []).map((e: any) => ({ name: e.name, timeMs: nanosToMs(e.timeUnixNano), attributes: attributes(e.attributes) })),
          status: { code: Number(s.status?.code ?? 0), ...(s.status?.message ? { message: s.status.message } : {}) },
          resource,
        }),
      ),
    );
  });
}

function metricsOf(body: any): ReceivedMetric[] {
  return (body.resourceMetrics ?? []).flatMap((rm: any) =>
    (rm.scopeMetrics ?? []).flatMap((sm: any) =>
      (sm.metrics ?? []).map((m: any): ReceivedMetric => ({
        name: m.name,
        unit: m.unit ?? '',
        ...(m.histogram
          ? {
              histogram: {
                temporality: Number(m.histogram.aggregationTemporality ?? 0),
                points: (m.histogram.dataPoints ?? []).map((p: any) => ({
                  attributes: attributes(p.attributes),
                  count: Number(p.count ?? 0),
                  sum: Number(p.sum ?? 0),
                  bucketCounts: (p.bucketCounts ?? []).map(Number),
                  explicitBounds: (p.explicitBounds ?? []).map(Number),
                })),
              },
            }
          : {}),
      })),
    ),
  );
}

/** OTLP JSON enums may come as names; the protobuf decoder gives numbers. */
function decode(pathName: string, contentType: string, raw: Buffer): any {
  if (contentType.startsWith('application/json')) return JSON.parse(raw.toString('utf8'));
  const type = protos().lookupType(
    pathName === '/v1/traces' ? 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest' : 'opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest',
  );
  return type.toObject(type.decode(raw), { longs: String, enums: Number, defaults: false });
}

export interface OtlpReceiver {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** Every span of every accepted (200) trace request, in arrival order. */
  readonly spans: ReceivedSpan[];
  /** The metrics of the latest accepted metrics request. */
  latestMetrics(): ReceivedMetric[] | undefined;
  mode: ReceiverMode;
  close(): Promise<void>;
}

export async function startOtlpReceiver(mode: ReceiverMode = 'ok'): Promise<OtlpReceiver> {
  const requests: ReceivedRequest[] = [];
  const spans: ReceivedSpan[] = [];
  let latest: ReceivedMetric[] | undefined;
  const hanging = new Set<http.ServerResponse>();
  const rx: OtlpReceiver = {
    url: '',
    requests,
    spans,
    latestMetrics: () => latest,
    mode,
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const contentType = String(req.headers['content-type'] ?? '');
      const request: ReceivedRequest = { path: req.url ?? '', headers: req.headers, contentType };
      requests.push(request);
      if (rx.mode === 'hang') {
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      }
      if (rx.mode === 'unavailable') {
        res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '0' }).end('unavailable');
        return;
      }
      let raw = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
      const body = decode(req.url ?? '', contentType, raw);
      if (req.url === '/v1/traces') {
        const got = spansOf(body);
        request.spans = got.length;
        spans.push(...got);
      }
      else if (req.url === '/v1/metrics') latest = metricsOf(body);
      res.writeHead(200, { 'content-type': contentType.startsWith('application/json') ? 'application/json' : 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  (rx as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  onCleanup(() => rx.close());
  return rx;
}
