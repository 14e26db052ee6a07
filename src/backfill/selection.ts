import type { SourceStatus, Snapshot } from '../collector/snapshot.js';
import { catalog, type MetricDef, type MetricInput } from '../metrics/catalog.js';
import { sources, type SourceId, type SourceValues } from '../sources/registry.js';
import type { Source } from '../sources/source.js';
import { health } from '../sources/health.js';
import { orchestration } from '../sources/orchestration.js';

/** The snapshot before anything was read: every source at its empty value. */
export function emptySnapshot(): Snapshot {
  const data = {} as Record<string, unknown>;
  const status = {} as Record<string, SourceStatus>;
  for (const s of sources as readonly Source[]) {
    data[s.id] = s.kind === 'document' ? s.empty : s.view(s.create());
    status[s.id] = { id: s.id as SourceId, path: s.path, present: false, up: false, errors: 0, badLines: 0 };
  }
  return { version: 0, takenAt: 0, data: data as unknown as SourceValues, status: status as Snapshot['status'] };
}

/**
 * The snapshot metrics are classified on: empty, except that the health report holds one
 * metricsHistory snapshot, as it does at every step rebuilt from that history (the task
 * gauges fall back to the roadmap only when it holds none), and orchestration one entry.
 */
export function probeSnapshot(): Snapshot {
  const base = emptySnapshot();
  const parsed = (f: () => unknown, fallback: unknown) => {
    try {
      return f();
    } catch {
      return fallback;
    }
  };
  // With a history entry present, formulas that stop early on "no data" read on, and show
  // every source they depend on (e.g. the cost per task reads usage once decisions exist).
  const h = parsed(() => health.parse(JSON.stringify({ metricsHistory: [{ timestamp: 0 }] })), base.data.health);
  const o = parsed(
    () => orchestration.parse(JSON.stringify({ totalDecisions: 1, byType: { probe: 1 }, history: [{ timestamp: 0, quorumSatisfied: true }] })),
    base.data.orchestration,
  );
  return { ...base, data: { ...base.data, health: h, orchestration: o } as SourceValues };
}

/** The input of a catalog collect() for a snapshot rebuilt at some past time. */
export function inputFor(snapshot: Snapshot): MetricInput {
  return { snapshot, exporter: { cycleDurations: { bounds: [], counts: [0], sum: 0, count: 0 }, sseClients: 0 }, costPer1kTokens: 0, maxTaskSeries: 100 };
}

/**
 * Runs `fn` on a snapshot behind recording proxies: which sources of `snapshot.data` it
 * touches, and whether it touches anything else (status, version, the exporter's own figures)
 * that has no history.
 */
export function recordReads<R>(base: Snapshot, fn: (input: MetricInput) => R): { result?: R; sources: Set<string>; other: boolean; statusOf: Set<string> } {
  const read = new Set<string>();
  const statusOf = new Set<string>();
  let other = false;
  const recording = <T extends object>(target: T, into: Set<string>) =>
    new Proxy(target, {
      get(t, k) {
        into.add(String(k));
        return Reflect.get(t, k);
      },
    });
  const data = recording(base.data, read);
  const status = recording(base.status, statusOf);
  const snapshot = new Proxy(base, {
    get(t, k) {
      if (k === 'data') return data;
      other = true;
      return k === 'status' ? status : Reflect.get(t, k);
    },
  });
  const input = new Proxy(inputFor(base), {
    get(t, k) {
      if (k === 'snapshot') return snapshot;
      if (k === 'exporter') other = true;
      return Reflect.get(t, k);
    },
  });
  try {
    return { result: fn(input), sources: read, other, statusOf };
  } catch {
    return { sources: read, other: true, statusOf };
  }
}

/**
 * What a metric's collect() reads, found by running it on the probe snapshot, so a metric
 * added to the catalog is classified without being listed anywhere.
 */
export function readsOf(def: MetricDef, base: Snapshot = probeSnapshot()): { sources: Set<string>; other: boolean; statusOf: Set<string> } {
  const { sources: read, other, statusOf } = recordReads(base, (input) => def.collect(input));
  return { sources: read, other, statusOf };
}

const readsOnly = (def: MetricDef, id: SourceId, base: Snapshot) => {
  const r = readsOf(def, base);
  return !r.other && r.sources.size === 1 && r.sources.has(id);
};

/** Document sources whose files carry a timed history, and the metrics rebuilt from it. */
export const DOCUMENT_HISTORIES = {
  /** metricsHistory snapshots: every gauge computed from the health report alone. */
  health: (def: MetricDef, base: Snapshot) => def.type === 'gauge' && readsOnly(def, 'health', base),
  /** history entries: every gauge computed from the orchestration file alone (the quorum ratio). */
  orchestration: (def: MetricDef, base: Snapshot) => def.type === 'gauge' && readsOnly(def, 'orchestration', base),
  /** recentlyClosed: the closure counters, counted back from their current totals. */
  resolution: (def: MetricDef) => ['wvo_resolution_loops_closed_total', 'wvo_resolution_loops_closed_within_3_total'].includes(def.name),
} as const;
export type HistorySource = keyof typeof DOCUMENT_HISTORIES;

export interface Selection {
  /** Per log source: the counters and histograms computed from that log alone, replayed line by line. */
  logs: Map<SourceId, MetricDef[]>;
  documents: Map<HistorySource, MetricDef[]>;
  /** Every other catalog metric: no history in the files. */
  uncovered: MetricDef[];
}

/** Sorts the catalog into what backfill rebuilds, and from which file. */
export function selectMetrics(defs: readonly MetricDef[] = catalog): Selection {
  const base = probeSnapshot();
  const logIds = sources.filter((s) => s.kind === 'log').map((s) => s.id);
  const selection: Selection = { logs: new Map(), documents: new Map(), uncovered: [] };
  for (const def of defs) {
    const logId = def.type === 'counter' || def.type === 'histogram' ? logIds.find((id) => readsOnly(def, id, base)) : undefined;
    const doc = (Object.keys(DOCUMENT_HISTORIES) as HistorySource[]).find((id) => DOCUMENT_HISTORIES[id](def, base));
    if (logId) selection.logs.set(logId, [...(selection.logs.get(logId) ?? []), def]);
    else if (doc) selection.documents.set(doc, [...(selection.documents.get(doc) ?? []), def]);
    else selection.uncovered.push(def);
  }
  return selection;
}
