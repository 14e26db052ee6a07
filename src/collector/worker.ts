import { parentPort, workerData } from 'node:worker_threads';
import { InlineEngine, type EngineOptions } from './engine.js';

/** Worker-thread side of WorkerEngine: an InlineEngine answering requests by id. */
export interface Request {
  seq: number;
  op: 'loadDocument' | 'pollLog' | 'initialView' | 'taskEvents' | 'indexStats' | 'close';
  args: unknown[];
}

const engine = new InlineEngine((workerData as { data: EngineOptions }).data);
const port = parentPort!;

port.on('message', async ({ seq, op, args }: Request) => {
  try {
    const result = await (engine[op] as (...a: unknown[]) => unknown)(...args);
    port.postMessage({ seq, result });
  } catch (err) {
    const e = err as Error & { partial?: unknown };
    port.postMessage({ seq, error: { message: e.message, partial: e.partial } });
  }
});
