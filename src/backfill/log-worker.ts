// Worker-thread side of LogThread: one log replayed into its own family spools, then families written where told.
import { parentPort, workerData } from 'node:worker_threads';
import { catalog } from '../metrics/catalog.js';
import { sources } from '../sources/registry.js';
import type { LogSource, Source } from '../sources/source.js';
import { Emitter } from './emitter.js';
import type { LogJob, MainMessage, WorkerMessage } from './log-thread.js';
import { FamilyFile, FamilySpool, writeFamiliesAt } from './openmetrics.js';
import { replayLog } from './replay.js';
import { emptySnapshot } from './selection.js';

/** Progress is reported in steps of this many bytes. */
const REPORT_BYTES = 4 * 1024 * 1024;

const job = (workerData as { data: LogJob }).data;
const port = parentPort!;
const post = (m: WorkerMessage) => port.postMessage(m);

const source = (sources as readonly Source[]).find((s): s is LogSource => s.id === job.source && s.kind === 'log');
if (!source) throw new Error(`backfill: no log source ${job.source}`);
const spool = new FamilySpool(job.dir, `${job.source}-`);
const metrics = catalog.filter((d) => job.metrics.includes(d.name));
const emitter = new Emitter(metrics, job.labels, spool, new Set([job.source]), job.grid);
let unreported = 0;
const summary = await replayLog({
  root: job.root,
  source,
  grid: job.grid,
  emitter,
  base: emptySnapshot(),
  maxLineBytes: job.maxLineBytes,
  onBytes: (n) => {
    unreported += n;
    if (unreported < REPORT_BYTES) return;
    post({ bytes: unreported });
    unreported = 0;
  },
});
post({ bytes: unreported });
const families = spool.close();
post({ replayed: { summary, failed: [...emitter.failed], families: families.map((f) => f.spooled()) } });
port.on('message', async ({ write }: MainMessage) => {
  await writeFamiliesAt(write.fd, [FamilyFile.adopt(write.family)], new Map([[write.family.def, write.at]]));
  post({ written: true });
});
