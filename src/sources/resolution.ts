import { z } from 'zod';
import { bool, count, countRecord, id, listOf, plainRecord, str, stringList, timestamp } from './fields.js';
import { parseJson, validate } from './parse.js';
import type { ResolutionStats } from '../resolution-store.js';
import { documentSource } from './source.js';

const activeLoop = z.object({
  taskId: id.pipe(z.string().min(1)),
  attempts: count,
  firstAttemptAt: timestamp,
  lastAttemptAt: timestamp,
  lastLabel: str,
  labels: stringList,
  elapsedMs: count,
  runId: id,
  infiniteLoopFlag: bool,
});

const closedLoop = z.object({ taskId: id, attempts: count, closedAt: timestamp, durationMs: count, runId: id });

const schema = z.object({
  updatedAt: timestamp,
  activeLoops: listOf(activeLoop),
  stats: z
    .object({
      totalLoops: count,
      closedLoops: count,
      closedWithin3: count,
      infiniteLoopCount: count,
      incidentCount: count,
      attemptHistogram: countRecord,
    })
    .optional()
    .catch(undefined),
  recentEvents: listOf(plainRecord),
  recentlyClosed: listOf(closedLoop),
});

export type ActiveLoop = z.output<typeof activeLoop>;
export type ClosedLoop = z.output<typeof closedLoop>;

export interface Resolution {
  updatedAt?: number;
  activeLoops: ActiveLoop[];
  /** The same stats the ResolutionMetricsStore writes. */
  stats: ResolutionStats;
  recentEvents: Record<string, unknown>[];
  recentlyClosed: ClosedLoop[];
}

export const emptyResolution: Resolution = {
  activeLoops: [],
  stats: { totalLoops: 0, closedLoops: 0, closedWithin3: 0, infiniteLoopCount: 0, incidentCount: 0, attemptHistogram: {} },
  recentEvents: [],
  recentlyClosed: [],
};

export const resolution = documentSource({
  id: 'resolution',
  path: 'state/analytics/resolution_metrics.json',
  empty: emptyResolution,
  parse(text): Resolution {
    const doc = validate(schema, parseJson(text));
    const s = doc.stats;
    return {
      updatedAt: doc.updatedAt,
      activeLoops: doc.activeLoops,
      stats: {
        totalLoops: s?.totalLoops ?? 0,
        closedLoops: s?.closedLoops ?? 0,
        closedWithin3: s?.closedWithin3 ?? 0,
        infiniteLoopCount: s?.infiniteLoopCount ?? 0,
        incidentCount: s?.incidentCount ?? 0,
        attemptHistogram: Object.fromEntries(
          Object.entries(s?.attemptHistogram ?? {}).filter(([k]) => /^\d{1,4}$/.test(k)),
        ),
      },
      recentEvents: doc.recentEvents,
      recentlyClosed: doc.recentlyClosed,
    };
  },
});
