import { Worker, type ResourceLimits } from 'node:worker_threads';

/**
 * Starts the worker module `name` (without extension) found next to `base` (a module URL):
 * the compiled .js under dist, the .ts through tsx when the exporter runs from source (tests).
 */
export function startWorker(base: string, name: string, workerData: unknown, resourceLimits?: ResourceLimits): Worker {
  const fromSource = base.endsWith('.ts');
  const entry = new URL(`./${name}${fromSource ? '.ts' : '.js'}`, base);
  return fromSource
    ? new Worker(new URL('./worker-boot.mjs', import.meta.url), { workerData: { data: workerData, entry: entry.href }, resourceLimits })
    : new Worker(entry, { workerData: { data: workerData }, resourceLimits });
}
