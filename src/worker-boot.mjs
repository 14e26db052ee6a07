// Runs a TypeScript worker when the exporter itself runs from source (tests); dist runs the .js directly.
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';

register();
await import(workerData.entry);
