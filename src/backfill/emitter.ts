import type { Snapshot } from '../collector/snapshot.js';
import type { MetricDef } from '../metrics/catalog.js';
import { promValues } from '../metrics/prometheus.js';
import { labelText, samplePrefix, timestampText, type FamilyFile, type FamilySpool } from './openmetrics.js';
import { recordReads } from './selection.js';

/** The step grid: boundaries at multiples of the step, up to `until`, which is always the last point. */
export interface Grid {
  stepMs: number;
  untilMs: number;
}

/** The first boundary at or before `ms`. */
export const gridFloor = (grid: Grid, ms: number): number => Math.floor(ms / grid.stepMs) * grid.stepMs;

/** Walks the grid from a start point: every boundary up to `until`, and `until` itself last. */
export class Steps {
  private next: number;

  constructor(
    private readonly grid: Grid,
    start: number,
  ) {
    this.next = Math.min(start, grid.untilMs);
  }

  /** Calls `at` for every point ≤ limit not yet visited. */
  upTo(limit: number, at: (t: number) => void): void {
    const until = this.grid.untilMs;
    while (this.next <= limit && this.next <= until) {
      at(this.next);
      if (this.next === until) this.next = Infinity;
      else this.next = Math.min(this.next + this.grid.stepMs, until);
    }
  }
}

/**
 * A source's history as a sequence of timed events applied to its state. `before` decides
 * what a point in time sees: `strict` — events earlier than it (log lines: a counter at T
 * counts what happened before T); `inclusive` — events at or before it (a snapshot written at
 * T is what the exporter showed from T on). Events must come in time order; one that does
 * not is applied at the current position and counted as late.
 */
export class Timeline {
  private steps: Steps | undefined;
  private last = -Infinity;
  late = 0;
  events = 0;

  constructor(
    private readonly grid: Grid,
    private readonly emitter: Emitter,
    private readonly snapshot: () => Snapshot,
    private readonly before: 'strict' | 'inclusive',
    /** Where the first point falls: the boundary at or before the first event, or the one after. */
    private readonly start: 'floor' | 'ceil',
  ) {}

  event(ts: number, apply: () => void): void {
    if (ts < this.last) {
      this.late++;
      ts = this.last;
    }
    if (!this.steps) {
      const floor = gridFloor(this.grid, ts);
      this.steps = new Steps(this.grid, this.start === 'floor' || floor === ts ? floor : floor + this.grid.stepMs);
    }
    this.steps.upTo(this.before === 'strict' ? ts : Math.ceil(ts) - 1, this.emitAt);
    apply();
    this.emitter.invalidate();
    this.last = ts;
    this.events++;
  }

  /** Every remaining point up to `until`. */
  finish(): void {
    this.steps?.upTo(this.grid.untilMs, this.emitAt);
  }

  private readonly emitAt = (t: number) => this.emitter.emit(t, this.snapshot);
}

/**
 * Renders a set of catalog metrics at past times. The rendered sample prefixes are reused
 * until the data changes, so a quiet stretch of history costs one string per sample and step.
 */
export class Emitter {
  private cache: { file: FamilyFile; prefixes: string[] }[] | undefined;
  private readonly fixed: string;
  /** Metrics whose collect() failed or read a source without history (skipped, reported). */
  readonly failed = new Set<string>();

  constructor(
    private readonly defs: readonly MetricDef[],
    labels: { job: string; instance: string },
    private readonly spool: FamilySpool,
    /** The sources the rebuilt snapshot holds history for. */
    private readonly allowed: ReadonlySet<string>,
  ) {
    this.fixed = labelText(labels);
  }

  /** The data changed: render again at the next step. */
  invalidate(): void {
    this.cache = undefined;
  }

  emit(t: number, snapshot: () => Snapshot): void {
    if (!this.cache) {
      const snap = snapshot();
      this.cache = [];
      for (const def of this.defs) {
        if (this.failed.has(def.name)) continue;
        // A metric reading a source without history on this snapshot would show made-up empties: dropped.
        const r = recordReads(snap, (i) => promValues(def, i, def.name));
        if (!r.result || r.other || [...r.sources].some((id) => !this.allowed.has(id))) {
          this.failed.add(def.name);
          continue;
        }
        this.cache.push({ file: this.spool.family(def), prefixes: r.result.map((v) => samplePrefix(v.metricName ?? def.name, v.labels, v.value, this.fixed)) });
      }
    }
    const ts = `${timestampText(t)}\n`;
    for (const { file, prefixes } of this.cache) for (const p of prefixes) file.sample(p, ts);
  }
}
