// A loopback OTLP/HTTP receiver for the bench: it accepts every export (200, an empty response in
// the request's encoding) and counts what came, so the exporter runs with traces and the metric
// push on, as a user pointing it at Tempo or a collector would, without measuring anyone else.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OtlpSink {
  endpoint: string;
  /** Requests and bytes received per path (`/v1/traces`, `/v1/metrics`). */
  received: Map<string, { requests: number; bytes: number }>;
  close(): Promise<void>;
}

export async function startOtlpSink(): Promise<OtlpSink> {
  const received = new Map<string, { requests: number; bytes: number }>();
  const server: Server = createServer((req, res) => {
    const count = received.get(req.url ?? '') ?? { requests: 0, bytes: 0 };
    received.set(req.url ?? '', count);
    req.on('data', (c: Buffer) => (count.bytes += c.length));
    req.on('end', () => {
      count.requests++;
      const json = String(req.headers['content-type']).includes('json');
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
      res.end(json ? '{}' : undefined);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** One line for the bench's notes: what the sink received. */
export function describeSink(sink: OtlpSink): string {
  const parts = [...sink.received].map(([p, c]) => `${p}: ${c.requests} requests, ${(c.bytes / 1e6).toFixed(1)} MB`);
  return `traces on: the exporter sent OTLP/HTTP (protobuf) to a loopback sink: ${parts.join('; ') || 'nothing'}`;
}
