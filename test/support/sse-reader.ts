/** A raw SSE reader over node:http: sees every byte, comment and the end of the stream. */
import { EventEmitter } from 'node:events';
import http from 'node:http';
import { onCleanup } from './cleanup.js';
import { untilUpdate } from './wait.js';

export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}

/** Reads an SSE response with node:http, keeping every event and comment it received. */
export class SseClient extends EventEmitter {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  ended = false;
  private buffer = '';

  private constructor(
    private readonly req: http.ClientRequest,
    readonly status: number,
    readonly headers: http.IncomingHttpHeaders,
    readonly res: http.IncomingMessage,
  ) {
    super();
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => this.feed(chunk));
    const end = () => {
      if (this.ended) return;
      this.ended = true;
      this.emit('update');
    };
    res.on('end', end);
    res.on('close', end);
    res.on('error', end);
  }

  static open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const u = new URL(url);
    return new Promise((resolve, reject) => {
      const req = http.get(
        { host: u.hostname, port: u.port, path: `${u.pathname}${u.search}`, headers: { accept: 'text/event-stream', ...headers }, agent: false },
        (res) => {
          const client = new SseClient(req, res.statusCode!, res.headers, res);
          onCleanup(() => client.close());
          resolve(client);
        },
      );
      req.on('error', reject);
    });
  }

  private feed(chunk: string): void {
    this.buffer += chunk;
    let idx: number;
    while ((idx = this.buffer.indexOf('\n\n')) !== -1) {
      const block = this.buffer.slice(0, idx);
      this.buffer = this.buffer.slice(idx + 2);
      const event: SseEvent = { data: '' };
      const data: string[] = [];
      let isEvent = false;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) {
          this.comments.push(line.slice(1).trim());
          continue;
        }
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'data') (data.push(value), (isEvent = true));
        else if (field === 'id') event.id = value;
        else if (field === 'event') event.event = value;
      }
      if (isEvent) {
        event.data = data.join('\n');
        this.events.push(event);
      }
    }
    this.emit('update');
  }

  /** Resolves when check() holds (checked now and after every chunk); rejects after timeoutMs. */
  until<T>(check: () => T | undefined | false, what: string, timeoutMs = 10_000): Promise<T> {
    return untilUpdate(this, check, what, timeoutMs, () => `${this.events.length} events, ${this.comments.length} comments`, () => (this.ended ? 'stream ended' : undefined));
  }

  /** The n-th (1-based) event's data as JSON, once it arrived. */
  async event(n: number, timeoutMs?: number): Promise<any> {
    const e = await this.until(() => this.events[n - 1], `event #${n}`, timeoutMs);
    return JSON.parse(e.data);
  }

  waitForEnd(timeoutMs?: number): Promise<true> {
    return this.until(() => this.ended, 'the end of the stream', timeoutMs);
  }

  close(): void {
    this.req.destroy();
    this.res.destroy();
  }
}
