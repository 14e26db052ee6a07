import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Snapshot } from '../collector/snapshot.js';
import { parseArchiveGlob } from '../collector/archives.js';
import { statFile } from '../collector/files.js';
import { Tailer } from '../collector/tail.js';
import { readLogLine } from '../sources/log-line.js';
import type { LogSource } from '../sources/source.js';
import { Timeline, type Emitter, type Grid } from './emitter.js';
import { ReorderWindow } from './reorder.js';
import { lineTime } from './timestamps.js';

/** Lines are put in time order within this much disorder… */
export const REORDER_WINDOW_MS = 10 * 60_000;
/** …holding at most this many lines (the oldest is released first when full). */
export const REORDER_MAX_LINES = 4096;

export interface LogSummary {
  source: string;
  files: string[];
  bytes: number;
  /** Lines folded into the history. */
  replayed: number;
  /** Valid lines without a usable timestamp: not in the history (never given a guessed time). */
  untimed: number;
  /** Malformed, invalid or oversized lines (the live exporter skips them too). */
  bad: number;
  /** Lines later than the reorder window allows: counted from the step they were read at. */
  late: number;
  /** Lines stamped at or after --until: not in the history. */
  afterUntil: number;
  /** Files that could not be read (refused, unreadable): the rest is replayed. */
  errors: string[];
  /** Time of the oldest timed line. */
  oldestMs?: number;
}

/** The files of a log source that exist, archives first (in name order), each file once. */
export async function logFiles(root: string, source: LogSource): Promise<string[]> {
  const out: string[] = [];
  // The rotated copies the source declares: the same files the live source counts, so the history meets the live value.
  if (source.archives) {
    const archive = parseArchiveGlob(source.archives);
    const names = await fs.readdir(path.join(root, archive.dir)).catch(() => [] as string[]);
    for (const name of names.filter(archive.matches).sort()) out.push(path.posix.join(archive.dir, name));
  }
  out.push(source.path);
  const present: string[] = [];
  const seen = new Set<string>();
  for (const rel of out) {
    const id = await statFile(path.join(root, rel));
    // A file renamed between the listing and now, or linked twice, is read once.
    if (!id?.isFile || seen.has(`${id.dev}:${id.ino}`)) continue;
    seen.add(`${id.dev}:${id.ino}`);
    present.push(rel);
  }
  return present;
}

/**
 * Replays a log through its source's own line schema and accumulator, emitting the source's
 * metrics at every step: at step T they show exactly the lines stamped before T.
 */
export async function replayLog(options: {
  root: string;
  source: LogSource;
  grid: Grid;
  emitter: Emitter;
  base: Snapshot;
  maxLineBytes: number;
  onBytes?: (n: number) => void;
}): Promise<LogSummary> {
  const { root, source, grid, emitter, base } = options;
  const files = await logFiles(root, source);
  const summary: LogSummary = { source: source.id, files, bytes: 0, replayed: 0, untimed: 0, bad: 0, late: 0, afterUntil: 0, errors: [] };
  const acc = source.create();
  const snapshot = (): Snapshot => ({ ...base, data: { ...base.data, [source.id]: source.view(acc) } });
  const timeline = new Timeline(grid, emitter, snapshot, 'strict', 'floor');
  const window = new ReorderWindow<unknown>(REORDER_WINDOW_MS, REORDER_MAX_LINES);
  const release = (ts: number, line: unknown) => timeline.event(ts, () => source.add(acc, line));

  for (const rel of files) {
    const tailer = new Tailer(root, rel, options.maxLineBytes);
    try {
      const result = await tailer.poll(await statFile(path.join(root, rel)), (text) => {
        options.onBytes?.(text.length + 1);
        const line = readLogLine(source, text);
        if (line.kind !== 'line') {
          if (line.kind === 'bad') summary.bad++;
          return;
        }
        const ts = lineTime(line.data, line.raw);
        if (ts === undefined) summary.untimed++;
        else if (ts >= grid.untilMs) summary.afterUntil++;
        else window.push(ts, line.data, release);
      });
      summary.bad += result.oversized;
      summary.bytes += result.bytesRead;
    } catch (err) {
      summary.errors.push(`${rel}: ${(err as Error).message}`);
    } finally {
      await tailer.close();
    }
  }
  window.drain(release);
  timeline.finish();
  summary.replayed = timeline.events;
  summary.late = timeline.late;
  summary.oldestMs = timeline.oldestMs;
  return summary;
}
