/**
 * Load-test SSE clients (a child of scripts/load.ts): N EventSource-like clients on the stream
 * route. Most only scan the bytes (events counted, final marker searched); a few validators parse
 * every event. A stream that ends early is reconnected after the server's `retry` with
 * Last-Event-ID, as a browser would, and counted as a drop.
 */
import http from 'node:http';
import type { SseCommand, SseConfig, SseMessage, SseStats } from './load-protocol.js';

const config = JSON.parse(process.argv[2]!) as SseConfig;
const send = (m: SseMessage) => process.send!(m);
process.on('disconnect', () => process.exit(0));
setTimeout(() => process.exit(3), Math.max(0, config.hardDeadline - Date.now())).unref();

const EVENT = Buffer.from('\nevent: metrics\n');
const MARKER = Buffer.from(config.marker);
const KEEP = Math.max(EVENT.length, MARKER.length) - 1;
const EVENT_KEYS = ['timestamp', 'version', 'tasks', 'quality', 'resolution', 'resources'];

let stopping = false;
const malformed: string[] = [];
let malformedCount = 0;
let validatedEvents = 0;
let connectErrors = 0;
const badStatus: Record<string, number> = {};

function bad(msg: string): void {
  malformedCount++;
  if (malformed.length < 5) malformed.push(msg);
}

/** Occurrences of needle in chunk, including one straddling the previous chunk's tail. */
function count(needle: Buffer, tail: Buffer, chunk: Buffer): number {
  let n = 0;
  if (tail.length) {
    const window = Buffer.concat([tail.subarray(Math.max(0, tail.length - (needle.length - 1))), chunk.subarray(0, needle.length - 1)]);
    for (let i = window.indexOf(needle); i !== -1; i = window.indexOf(needle, i + 1)) n++;
  }
  for (let i = chunk.indexOf(needle); i !== -1; i = chunk.indexOf(needle, i + needle.length)) n++;
  return n;
}

class Client {
  events = 0;
  bytes = 0;
  connects = 0;
  drops = 0;
  markerAt: number | undefined;
  connected = false;
  lastId: string | undefined;
  private tail = Buffer.alloc(0);
  private text = '';
  private lastVersion = -1;
  private req: http.ClientRequest | undefined;

  constructor(
    readonly index: number,
    readonly validator: boolean,
  ) {}

  connect(): void {
    if (stopping) return;
    this.connects++;
    this.tail = Buffer.alloc(0);
    this.text = '';
    const headers: Record<string, string> = { Accept: 'text/event-stream' };
    if (this.lastId) headers['Last-Event-ID'] = this.lastId;
    const req = http.get(config.url, { agent: false, headers });
    this.req = req;
    req.on('response', (res) => {
      if (res.statusCode !== 200 || !String(res.headers['content-type']).startsWith('text/event-stream')) {
        badStatus[`${res.statusCode} ${res.headers['content-type']}`] = (badStatus[`${res.statusCode} ${res.headers['content-type']}`] ?? 0) + 1;
        res.resume();
        res.on('end', () => this.ended(req));
        return;
      }
      this.connected = true;
      res.on('data', (chunk: Buffer) => this.onData(chunk));
      res.on('end', () => this.ended(req));
      res.on('error', () => this.ended(req));
      res.on('close', () => this.ended(req));
    });
    req.on('error', () => {
      if (!this.connected && this.req === req) connectErrors++;
      this.ended(req);
    });
  }

  close(): void {
    this.req?.destroy();
  }

  /** Once per request, however it ended: count a drop and reconnect after the server's retry. */
  private ended(req: http.ClientRequest): void {
    if (this.req !== req) return;
    this.req = undefined;
    req.destroy();
    const wasConnected = this.connected;
    this.connected = false;
    if (stopping) return;
    if (wasConnected) this.drops++;
    setTimeout(() => this.connect(), 2000);
  }

  private onData(chunk: Buffer): void {
    this.bytes += chunk.length;
    this.events += count(EVENT, this.tail, chunk);
    if (this.markerAt === undefined && count(MARKER, this.tail, chunk) > 0) this.markerAt = Date.now();
    this.tail = Buffer.from(chunk.subarray(Math.max(0, chunk.length - KEEP)));
    if (this.validator) this.validate(chunk);
  }

  /** Splits the stream into events and checks each one completely. */
  private validate(chunk: Buffer): void {
    this.text += chunk.toString('latin1');
    let end: number;
    while ((end = this.text.indexOf('\n\n')) !== -1) {
      const block = this.text.slice(0, end);
      this.text = this.text.slice(end + 2);
      let id: string | undefined;
      let event: string | undefined;
      let data: string | undefined;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        if (line.startsWith('id: ')) id = line.slice(4);
        else if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data = (data === undefined ? '' : `${data}\n`) + line.slice(6);
        else if (line.startsWith('retry: ') && /^retry: \d+$/.test(line)) continue;
        else bad(`client ${this.index}: unexpected line ${line.slice(0, 80)}`);
      }
      if (data === undefined && event === undefined && id === undefined) continue;
      if (event !== 'metrics' || data === undefined || id === undefined) {
        bad(`client ${this.index}: incomplete event (id ${id}, event ${event})`);
        continue;
      }
      let payload: Record<string, unknown>;
      try {
        payload = JSON.parse(Buffer.from(data, 'latin1').toString('utf8')) as Record<string, unknown>;
      } catch (err) {
        bad(`client ${this.index}: event data is not JSON: ${(err as Error).message}`);
        continue;
      }
      const missing = EVENT_KEYS.filter((k) => !(k in payload));
      if (missing.length) bad(`client ${this.index}: event lacks ${missing.join(', ')}`);
      const version = payload.version as number;
      if (String(version) !== id) bad(`client ${this.index}: id ${id} but version ${version}`);
      if (version < this.lastVersion) bad(`client ${this.index}: version went back ${this.lastVersion} → ${version}`);
      this.lastVersion = version;
      this.lastId = id;
      validatedEvents++;
    }
  }
}

const clients = Array.from({ length: config.clients }, (_, i) => new Client(i, i < config.validators));
let markerWrittenAt = Infinity;

function stats(): SseStats {
  const events = clients.map((c) => c.events);
  const delays = clients.flatMap((c) => (c.markerAt === undefined ? [] : [c.markerAt - markerWrittenAt])).sort((a, b) => a - b);
  const cpu = process.cpuUsage();
  return {
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    clients: clients.length,
    connected: clients.filter((c) => c.connected).length,
    connects: clients.reduce((n, c) => n + c.connects, 0),
    drops: clients.reduce((n, c) => n + c.drops, 0),
    badStatus,
    connectErrors,
    eventsMin: Math.min(...events),
    eventsMax: Math.max(...events),
    eventsTotal: events.reduce((a, b) => a + b, 0),
    bytesTotal: clients.reduce((n, c) => n + c.bytes, 0),
    validatedEvents,
    malformed,
    malformedCount,
    sawMarker: clients.filter((c) => c.markerAt !== undefined && c.markerAt >= markerWrittenAt).length,
    earlyMarker: clients.filter((c) => c.markerAt !== undefined && c.markerAt < markerWrittenAt).length,
    markerDelayMsMax: delays.length ? delays.at(-1)! : -1,
    markerDelayMsP50: delays.length ? delays[Math.floor(delays.length / 2)]! : -1,
  };
}

async function connectAll(): Promise<void> {
  // In batches, so 500 connects do not overflow the listen backlog.
  for (let i = 0; i < clients.length; i += 50) {
    for (const c of clients.slice(i, i + 50)) c.connect();
    await new Promise((r) => setTimeout(r, 20));
  }
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && clients.some((c) => !c.connected || c.events === 0)) await new Promise((r) => setTimeout(r, 50));
  send({ type: 'connected', stats: stats() });
}

process.on('message', async (m: SseCommand) => {
  if (m.cmd === 'marker') {
    markerWrittenAt = m.writtenAt;
    const deadline = m.writtenAt + m.timeoutMs;
    while (Date.now() < deadline && clients.some((c) => c.markerAt === undefined)) await new Promise((r) => setTimeout(r, 25));
    send({ type: 'marker', stats: stats() });
  }
  if (m.cmd === 'stop') {
    stopping = true;
    send({ type: 'stats', stats: stats() });
  }
  if (m.cmd === 'close') {
    for (const c of clients) c.close();
    process.exit(0);
  }
});

void connectAll();
