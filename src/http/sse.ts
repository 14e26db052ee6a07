import type { IncomingMessage, ServerResponse } from 'node:http';

export interface SseOptions {
  intervalMs: number;
  heartbeatMs: number;
  maxClients: number;
  /** A client whose unsent bytes pass this is dropped: it has stopped reading. */
  maxBufferedBytes: number;
  /** The current event's data (one line of JSON), or undefined before the first snapshot. */
  payload: () => { id: number; data: string } | undefined;
}

/**
 * Server-Sent-Events fan-out: each event is serialised once and the same bytes are written to
 * every client. Timers run only while someone listens.
 */
export class SseHub {
  private readonly clients = new Set<ServerResponse>();
  private interval: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  readonly counters = { events: 0, dropped: 0, rejected: 0 };
  /** The bytes of the last payload object, so clients connecting together share one buffer. */
  private last: { payload: object; bytes: Buffer } | undefined;

  constructor(private readonly options: SseOptions) {}

  get size(): number {
    return this.clients.size;
  }

  /** Accepts a client, or answers 503 when the hub is full. */
  connect(req: IncomingMessage, res: ServerResponse): void {
    if (this.clients.size >= this.options.maxClients) {
      this.counters.rejected++;
      res.writeHead(503, { 'Retry-After': '5', 'Content-Type': 'application/json; charset=utf-8' }).end('{"error":"too many stream clients"}');
      return;
    }
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    req.socket.setNoDelay(true);
    this.clients.add(res);
    const remove = () => this.remove(res);
    res.on('close', remove);
    res.on('error', remove);
    const event = this.event();
    if (event) this.write(res, event);
    this.startTimers();
  }

  /** Sends the current state to every client (on change, and each interval). */
  broadcast(): void {
    if (this.clients.size === 0) return;
    const event = this.event();
    if (!event) return;
    this.counters.events++;
    for (const res of this.clients) this.write(res, event);
  }

  close(): void {
    this.stopTimers();
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  private event(): Buffer | undefined {
    const p = this.options.payload();
    if (p && p !== this.last?.payload) this.last = { payload: p, bytes: Buffer.from(`id: ${p.id}\nevent: metrics\ndata: ${p.data}\n\n`) };
    return p && this.last!.bytes;
  }

  private write(res: ServerResponse, chunk: Buffer | string): void {
    if (res.writableLength > this.options.maxBufferedBytes) {
      this.counters.dropped++;
      this.remove(res);
      res.destroy();
      return;
    }
    res.write(chunk);
  }

  private remove(res: ServerResponse): void {
    this.clients.delete(res);
    if (this.clients.size === 0) this.stopTimers();
  }

  private startTimers(): void {
    if (this.interval) return;
    this.interval = setInterval(() => this.broadcast(), this.options.intervalMs);
    this.heartbeat = setInterval(() => {
      for (const res of this.clients) this.write(res, ': heartbeat\n\n');
    }, this.options.heartbeatMs);
  }

  private stopTimers(): void {
    clearInterval(this.interval);
    clearInterval(this.heartbeat);
    this.interval = undefined;
    this.heartbeat = undefined;
  }
}
