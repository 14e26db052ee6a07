import type { Snapshot } from '../collector/snapshot.js';
import { readDocument } from '../collector/files.js';
import { CLOSED_WITHIN_ATTEMPTS } from '../resolution-store.js';
import { health } from '../sources/health.js';
import { orchestration } from '../sources/orchestration.js';
import { parseJson } from '../sources/parse.js';
import { resolution } from '../sources/resolution.js';
import { Timeline, type Emitter, type Grid } from './emitter.js';
import type { HistorySource } from './selection.js';
import { itemTime } from './timestamps.js';

export interface DocumentSummary {
  source: HistorySource;
  /** Timed entries the history was rebuilt from. */
  entries: number;
  /** Entries without a usable timestamp, or stamped at/after --until: left out. */
  untimed: number;
  afterUntil: number;
  /** Time of the oldest timed entry. */
  oldestMs?: number;
  /** Why the file gave no history (missing, unreadable, invalid). */
  error?: string;
}

interface Entry {
  ts: number;
  raw: unknown;
}

/** A list in a document, sorted by each element's time field; elements without one are counted. */
function timedEntries(list: unknown, field: string, grid: Grid, summary: DocumentSummary): Entry[] {
  const out: Entry[] = [];
  for (const raw of Array.isArray(list) ? list : []) {
    const ts = typeof raw === 'object' && raw !== null ? itemTime((raw as Record<string, unknown>)[field]) : undefined;
    if (ts === undefined) summary.untimed++;
    else if (ts >= grid.untilMs) summary.afterUntil++;
    else out.push({ ts, raw });
  }
  return out.sort((a, b) => a.ts - b.ts);
}

/**
 * Rebuilds a document source's past values from the timed history it carries, each value
 * produced by the source's own parse() of a document holding that part of the history.
 */
export async function replayDocument(options: { root: string; id: HistorySource; grid: Grid; emitter: Emitter; base: Snapshot }): Promise<DocumentSummary> {
  const { root, id, grid, emitter, base } = options;
  const summary: DocumentSummary = { source: id, entries: 0, untimed: 0, afterUntil: 0 };
  const path = { health: health.path, orchestration: orchestration.path, resolution: resolution.path }[id];
  let doc: Record<string, unknown>;
  try {
    const parsed = parseJson((await readDocument(root, path)).text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
    doc = parsed as Record<string, unknown>;
  } catch (err) {
    summary.error = (err as Error).message;
    return summary;
  }
  let value: unknown = base.data[id];
  const snapshot = (): Snapshot => ({ ...base, data: { ...base.data, [id]: value } });
  const safe = (f: () => unknown) => {
    try {
      return f();
    } catch {
      return base.data[id];
    }
  };

  if (id === 'health') {
    // The exporter shows the newest metricsHistory snapshot: each one, from its time on.
    const timeline = new Timeline(grid, emitter, snapshot, 'inclusive', 'ceil');
    for (const e of timedEntries(doc.metricsHistory, 'timestamp', grid, summary)) {
      timeline.event(e.ts, () => (value = safe(() => health.parse(JSON.stringify({ metricsHistory: [e.raw] })))));
    }
    timeline.finish();
    summary.entries = timeline.events;
    summary.oldestMs = timeline.oldestMs;
  } else if (id === 'orchestration') {
    // The quorum ratio over the history entries made before each time.
    // Parsed only when a step is rendered, so a burst of entries within one step costs one parse.
    const entries = timedEntries(doc.history, 'timestamp', grid, summary);
    let seen = 0;
    let parsedAt = -1;
    const lazy = (): Snapshot => {
      if (parsedAt !== seen) value = safe(() => orchestration.parse(JSON.stringify({ history: entries.slice(0, seen).map((x) => x.raw) })));
      parsedAt = seen;
      return snapshot();
    };
    const timeline = new Timeline(grid, emitter, lazy, 'strict', 'floor');
    for (const e of entries) timeline.event(e.ts, () => seen++);
    timeline.finish();
    summary.entries = timeline.events;
    summary.oldestMs = timeline.oldestMs;
  } else {
    // Closure counters at T: today's totals minus the listed closures at or after T.
    const now = safe(() => resolution.parse(JSON.stringify(doc))) as ReturnType<typeof resolution.parse>;
    const closed = timedEntries(doc.recentlyClosed, 'closedAt', grid, summary);
    const attempts = (raw: unknown) => Number((raw as { attempts?: unknown }).attempts);
    let later = closed.length;
    let laterWithin3 = closed.filter((e) => attempts(e.raw) <= CLOSED_WITHIN_ATTEMPTS).length;
    const at = () => ({
      ...now,
      stats: {
        ...now.stats,
        closedLoops: Math.max(0, now.stats.closedLoops - later),
        closedWithin3: Math.max(0, now.stats.closedWithin3 - laterWithin3),
      },
    });
    value = at();
    const timeline = new Timeline(grid, emitter, snapshot, 'strict', 'ceil');
    for (const e of closed) {
      timeline.event(e.ts, () => {
        later--;
        if (attempts(e.raw) <= CLOSED_WITHIN_ATTEMPTS) laterWithin3--;
        value = at();
      });
    }
    timeline.finish();
    summary.entries = timeline.events;
    summary.oldestMs = timeline.oldestMs;
  }
  return summary;
}
