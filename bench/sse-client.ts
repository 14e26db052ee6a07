// Minimal Server-Sent-Events clients for the benchmark.
import http from 'node:http';
import net from 'node:net';

export interface SseEvent {
  id: number;
  data: string;
  /** performance.now() when the event's last byte arrived. */
  at: number;
}

/** A full client: splits the stream into events and hands each one (with its data) to onEvent. */
export function openSse(url: string, onEvent: (e: SseEvent) => void): Promise<{ close(): void }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, headers: { accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return reject(new Error(`stream answered ${res.statusCode}`));
      }
      res.setEncoding('utf8');
      let buf = '';
      res.on('data', (chunk: string) => {
        const at = performance.now();
        buf += chunk;
        for (let k = buf.indexOf('\n\n'); k >= 0; k = buf.indexOf('\n\n')) {
          const block = buf.slice(0, k);
          buf = buf.slice(k + 2);
          let id: number | undefined;
          let data: string | undefined;
          for (const line of block.split('\n')) {
            if (line.startsWith('id: ')) id = Number(line.slice(4));
            else if (line.startsWith('data: ')) data = line.slice(6);
          }
          if (id !== undefined && data !== undefined) onEvent({ id, data, at });
        }
      });
      res.on('error', () => undefined);
      resolve({ close: () => req.destroy() });
    });
    req.on('error', reject);
  });
}

const ID = Buffer.from('\nid: ');

/** Finds every complete `\nid: <digits>\n` in buf. */
function scanIds(buf: Buffer, found: (id: number) => void): void {
  for (let i = buf.indexOf(ID); i >= 0; i = buf.indexOf(ID, i + 1)) {
    let id = 0;
    let j = i + ID.length;
    for (; j < buf.length && buf[j]! >= 0x30 && buf[j]! <= 0x39; j++) id = id * 10 + (buf[j]! - 0x30);
    if (j > i + ID.length && j < buf.length && buf[j] === 0x0a) found(id);
  }
}

/**
 * A light client for fan-out, on a raw socket: records only the event ids it sees (payloads
 * are large and a thousand of these share one process, so nothing is decoded). Ids repeat with
 * the periodic broadcast; a set keeps each once.
 */
export function openIdOnlySse(url: string, onNewId: (id: number) => void): Promise<{ ids: Set<number>; close(): void; closed: () => boolean }> {
  const { hostname, port, pathname } = new URL(url);
  return new Promise((resolve, reject) => {
    const ids = new Set<number>();
    let closed = false;
    let answered = false;
    let tail = Buffer.alloc(0);
    const found = (id: number) => {
      if (!ids.has(id)) {
        ids.add(id);
        onNewId(id);
      }
    };
    const socket = net.connect(Number(port), hostname, () => {
      socket.write(`GET ${pathname} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAccept: text/event-stream\r\n\r\n`);
    });
    socket.on('data', (chunk: Buffer) => {
      if (!answered) {
        answered = true;
        if (!chunk.subarray(0, 16).toString('latin1').startsWith('HTTP/1.1 200')) {
          socket.destroy();
          return reject(new Error(`stream answered ${chunk.subarray(0, 12).toString('latin1')}`));
        }
        resolve({ ids, close: () => socket.destroy(), closed: () => closed });
      }
      // An id split across two reads is found in the joint of the last bytes and the new ones.
      scanIds(Buffer.concat([tail, chunk.subarray(0, 32)]), found);
      scanIds(chunk, found);
      tail = Buffer.from(chunk.subarray(Math.max(0, chunk.length - 32)));
    });
    socket.on('close', () => (closed = true));
    socket.on('error', (err) => {
      if (!answered) reject(err);
    });
  });
}
