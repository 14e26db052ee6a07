import { statSync } from 'node:fs';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { catalog, type MetricDef } from '../metrics/catalog.js';
import { sources, type SourceId } from '../sources/registry.js';
import type { LogSource, Source } from '../sources/source.js';
import { replayDocument, type DocumentSummary } from './documents.js';
import { Emitter, type Grid } from './emitter.js';
import { FamilySpool } from './openmetrics.js';
import { Progress } from './progress.js';
import { logFiles, replayLog, type LogSummary } from './replay.js';
import { emptySnapshot, selectMetrics, type HistorySource } from './selection.js';

export interface BackfillOptions {
  workspaceRoot: string;
  /** A stream, or a file descriptor (written synchronously, faster). */
  out: Writable | number;
  job: string;
  instance: string;
  untilMs: number;
  stepMs: number;
  maxLineBytes: number;
  /** Where progress goes (stderr); none when undefined. */
  progress?: NodeJS.WriteStream;
  defs?: readonly MetricDef[];
  /** The sources (default: the registry's); same ids, e.g. a log declaring other archives. */
  sources?: readonly Source[];
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
}

/**
 * Writes the history the workspace's files hold as OpenMetrics text: every selected catalog
 * metric at every step up to `until`, labelled as the live scrape labels it.
 */
export async function backfill(o: BackfillOptions): Promise<BackfillSummary> {
  const defs = o.defs ?? catalog;
  const selection = selectMetrics(defs);
  const grid: Grid = { stepMs: o.stepMs, untilMs: o.untilMs };
  const base = emptySnapshot();
  const labels = { job: o.job, instance: o.instance };
  const spool = new FamilySpool();
  const emitters: Emitter[] = [];
  const emitterFor = (metrics: readonly MetricDef[], source: string) => {
    const e = new Emitter(metrics, labels, spool, new Set([source]));
    emitters.push(e);
    return e;
  };
  try {
    const logSources = (o.sources ?? sources).filter((s): s is LogSource => s.kind === 'log' && selection.logs.has(s.id as SourceId));
    let total = 0;
    for (const s of logSources) for (const rel of await logFiles(o.workspaceRoot, s as LogSource)) total += statSync(path.join(o.workspaceRoot, rel)).size;
    const progress = o.progress ? new Progress(total, o.progress) : undefined;
    const logs: LogSummary[] = [];
    try {
      for (const s of logSources) {
        logs.push(
          await replayLog({
            root: o.workspaceRoot,
            source: s as LogSource,
            grid,
            emitter: emitterFor(selection.logs.get(s.id as SourceId)!, s.id),
            base,
            maxLineBytes: o.maxLineBytes,
            onBytes: (n) => progress?.add(n),
          }),
        );
      }
    } finally {
      progress?.stop();
    }
    const documents: DocumentSummary[] = [];
    for (const [id, metrics] of selection.documents) {
      documents.push(await replayDocument({ root: o.workspaceRoot, id: id as HistorySource, grid, emitter: emitterFor(metrics, id), base }));
    }
    await spool.finish(o.out, defs);
    return {
      logs,
      documents,
      samples: spool.samples,
      families: spool.families,
      uncovered: selection.uncovered.map((d) => d.name),
      failed: emitters.flatMap((e) => [...e.failed]),
    };
  } finally {
    spool.dispose();
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
