import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, copySampleWorkspace, startTestExporter } from '../support/server.js';

afterEach(cleanup);

/** Sends bytes and resolves with what the server answered when it closed the socket. */
function slowClient(url: string, chunks: string[], everyMs: number): Promise<{ answer: string; closedAfterMs: number }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect(Number(u.port), u.hostname);
    let answer = '';
    let i = 0;
    const timer = setInterval(() => {
      if (i < chunks.length && !socket.destroyed) socket.write(chunks[i++]!);
    }, everyMs);
    socket.on('data', (d) => (answer += d.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ answer, closedAfterMs: Date.now() - started });
    });
    setTimeout(() => reject(new Error('server never closed the connection')), 40_000).unref();
  });
}

describe('request and header timeouts', () => {
  it('closes a client that trickles its headers (slowloris) with 408 after the header timeout', async () => {
    const { url } = await startTestExporter({ workspace: await copySampleWorkspace() });
    // One header line a second, never the blank line that ends them: only the timeout ends this.
    const chunks = ['GET /healthz HTTP/1.1\r\n', 'Host: x\r\n', ...Array.from({ length: 60 }, (_, n) => `X-Slow-${n}: y\r\n`)];
    const { answer, closedAfterMs } = await slowClient(url, chunks, 1000);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    // It was the 10 s header timeout, not the end of what the client had to send (60 s).
    expect(closedAfterMs).toBeLessThan(30_000);
  }, 45_000);
});
