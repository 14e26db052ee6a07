/**
 * SSE as a browser reads it: the W3C EventSource client of the `eventsource` package, which
 * honours `retry:` and reconnects with Last-Event-ID. Every connection attempt's request headers
 * and response status are recorded so tests can see the reconnects.
 */
import { EventEmitter } from 'node:events';
import { EventSource } from 'eventsource';
import { onCleanup } from './cleanup.js';
import { untilUpdate } from './wait.js';

export interface StreamEvent {
  type: string;
  lastEventId: string;
  data: any;
}

export class EventStream {
  readonly events: StreamEvent[] = [];
  /** One entry per connection the client made: what it sent and what it got. */
  readonly connections: { headers: Headers; status: number; contentType: string | null }[] = [];
  readonly errors: string[] = [];
  private readonly source: EventSource;
  private readonly updates = new EventEmitter();

  constructor(url: string, headers: Record<string, string> = {}, eventType = 'metrics') {
    this.source = new EventSource(url, {
      fetch: async (input, init) => {
        const sent = new Headers({ ...init.headers, ...headers });
        const res = await fetch(input, { ...init, headers: sent });
        this.connections.push({ headers: sent, status: res.status, contentType: res.headers.get('content-type') });
        this.notify();
        return res;
      },
    });
    this.source.addEventListener(eventType, (e) => {
      this.events.push({ type: e.type, lastEventId: e.lastEventId, data: JSON.parse(e.data) });
      this.notify();
    });
    this.source.addEventListener('error', (e) => {
      this.errors.push(String((e as { message?: string }).message ?? 'error'));
      this.notify();
    });
    onCleanup(() => this.close());
  }

  get readyState(): number {
    return this.source.readyState;
  }

  private notify(): void {
    this.updates.emit('update');
  }

  /** Resolves when check() holds (checked now and after every event or connection); rejects after timeoutMs. */
  until<T>(check: () => T | undefined | false, what: string, timeoutMs = 10_000): Promise<T> {
    return untilUpdate(this.updates, check, what, timeoutMs, () => `${this.events.length} events, ${this.connections.length} connections, errors: ${this.errors.join('; ')}`);
  }

  /** The n-th (1-based) event's data, once it arrived. */
  async event(n: number, timeoutMs?: number): Promise<any> {
    return (await this.until(() => this.events[n - 1], `event #${n}`, timeoutMs)).data;
  }

  close(): void {
    this.source.close();
  }
}
