import { fstatSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { catalog } from '../metrics/catalog.js';
import { sources, type SourceId } from '../sources/registry.js';
import type { LogSource, Source } from '../sources/source.js';
import { replayDocument, type DocumentSummary } from './documents.js';
import { Emitter, type Grid } from './emitter.js';
import { LogThread, type LogResult } from './log-thread.js';
import { FamilyFile, FamilySpool, familyName, placeFamilies, writeEof, writeFamilies, writeFamiliesAt } from './openmetrics.js';
import { Progress } from './progress.js';
import { logFiles, type LogSummary } from './replay.js';
import { emptySnapshot, selectMetrics, type HistorySource } from './selection.js';

export interface BackfillOptions {
  workspaceRoot: string;
  /** A stream, or a file descriptor (written from a thread of the pool, overlapping the formatting). */
  out: Writable | number;
  job: string;
  instance: string;
  /** Nothing is written before it; records before it count into the first points. */
  fromMs: number;
  untilMs: number;
  stepMs: number;
  maxLineBytes: number;
  /** Where progress goes (stderr); none when undefined. */
  progress?: NodeJS.WriteStream;
}

export interface BackfillSummary {
  logs: LogSummary[];
  documents: DocumentSummary[];
  samples: number;
  families: string[];
  /** Catalog metrics with no history in the files. */
  uncovered: string[];
  /** Metrics whose rendering failed on a rebuilt snapshot. */
  failed: string[];
  /** Time of the first sample written (undefined: none). */
  firstMs: number | undefined;
  /** The oldest timed record of the workspace, and its source. */
  oldest: { source: string; ms: number } | undefined;
}

/**
 * Writes the history the workspace's files hold as OpenMetrics text: every catalog metric
 * with a history at every step up to `until`, labelled as the live scrape labels it. Each log
 * replays in a worker thread of its own while the documents replay here; into a file, the
 * threads then write the families side by side, at places known from their exact sizes.
 */
export async function backfill(o: BackfillOptions): Promise<BackfillSummary> {
  const selection = selectMetrics(catalog);
  const grid: Grid = { fromMs: o.fromMs, stepMs: o.stepMs, untilMs: o.untilMs };
  const labels = { job: o.job, instance: o.instance };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wvo-backfill-'));
  const threads: LogThread[] = [];
  try {
    const logSources = (sources as readonly Source[]).filter((s): s is LogSource => s.kind === 'log' && selection.logs.has(s.id as SourceId));
    let total = 0;
    for (const s of logSources) for (const rel of await logFiles(o.workspaceRoot, s)) total += statSync(path.join(o.workspaceRoot, rel)).size;
    const progress = o.progress ? new Progress(total, o.progress) : undefined;
    for (const s of logSources) {
      const metrics = selection.logs.get(s.id as SourceId)!.map((d) => d.name);
      threads.push(new LogThread({ root: o.workspaceRoot, source: s.id, metrics, grid, labels, maxLineBytes: o.maxLineBytes, dir }, (n) => progress?.add(n)));
    }
    const spool = new FamilySpool(dir, 'documents-');
    const base = emptySnapshot();
    const emitters: Emitter[] = [];
    const documents: DocumentSummary[] = [];
    let results: LogResult[];
    try {
      for (const [id, metrics] of selection.documents) {
        const emitter = new Emitter(metrics, labels, spool, new Set([id]), grid);
        emitters.push(emitter);
        documents.push(await replayDocument({ root: o.workspaceRoot, id: id as HistorySource, grid, emitter, base }));
      }
      results = await Promise.all(threads.map((t) => t.replayed));
    } finally {
      progress?.stop();
    }
    const own = spool.close();
    const spooled = results.flatMap((r) => r.families);
    const adopted = spooled.map((f) => FamilyFile.adopt(f));
    const all = [...own, ...adopted];
    if (typeof o.out === 'number') {
      const fd = o.out;
      const { at, eofAt } = placeFamilies(all, catalog);
      // Largest first, each to the next thread free: the threads finish writing together.
      const queue = [...spooled].sort((a, b) => b.bytes - a.bytes);
      const drain = async (t: LogThread) => {
        for (let f = queue.shift(); f; f = queue.shift()) await t.write(fd, f, at.get(f.def)!);
      };
      await Promise.all([writeFamiliesAt(fd, own, at), ...threads.map(drain)]);
      const planned = writeEof(fd, eofAt);
      const { size } = fstatSync(fd);
      if (size !== planned) throw new Error(`backfill: internal error: the output is ${size} bytes, ${planned} were planned`);
    } else {
      await writeFamilies(o.out, all, catalog);
    }
    const logs = results.map((r) => r.summary);
    const timed = [...logs, ...documents].filter((x) => x.oldestMs !== undefined).map((x) => ({ source: x.source, ms: x.oldestMs! }));
    return {
      logs,
      documents,
      samples: all.reduce((n, f) => n + f.samples, 0),
      families: all.map((f) => familyName(f.def)),
      uncovered: selection.uncovered.map((d) => d.name),
      failed: [...results.flatMap((r) => r.failed), ...emitters.flatMap((e) => [...e.failed])],
      firstMs: all.length ? Math.min(...all.map((f) => f.firstMs)) : undefined,
      oldest: timed.sort((a, b) => a.ms - b.ms)[0],
    };
  } finally {
    await Promise.all(threads.map((t) => t.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The summary printed on stderr: what was replayed and what was left out, and why. */
export function describeSummary(s: BackfillSummary): string {
  const lines = [`backfill: ${s.samples} samples in ${s.families.length} metric families`];
  for (const l of s.logs) {
    lines.push(
      `  ${l.source}: ${l.replayed} lines replayed from ${l.files.length} file(s), ${(l.bytes / 1e6).toFixed(1)} MB` +
        `; without a usable timestamp (left out): ${l.untimed}; malformed: ${l.bad}; after --until: ${l.afterUntil}; later than the reorder window: ${l.late}`,
    );
    for (const e of l.errors) lines.push(`    not read: ${e}`);
  }
  for (const d of s.documents) {
    lines.push(
      d.error
        ? `  ${d.source}: no history (${d.error})`
        : `  ${d.source}: ${d.entries} timed entries; without a usable timestamp (left out): ${d.untimed}; after --until: ${d.afterUntil}`,
    );
  }
  if (s.failed.length) lines.push(`  not rendered (failed on a past snapshot): ${s.failed.join(', ')}`);
  lines.push(`  no history in the files (live only): ${s.uncovered.join(', ')}`);
  return lines.join('\n') + '\n';
}
