import type { Snapshot } from '../collector/snapshot.js';
import type { MetricDef, MetricInput } from '../metrics/catalog.js';
import { bucketLe, promValues } from '../metrics/values.js';
import { labelText, valueLength, lineEnd, seriesText, type FamilyFile, type FamilySpool } from './openmetrics.js';
import { recordReads } from './selection.js';

/**
 * The step grid: `from` (the first point anything may have), then boundaries at multiples of
 * the step, up to `until`, which is always the last point.
 */
export interface Grid {
  fromMs: number;
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
    // Nothing before --from: events before it only count into the first point.
    this.next = Math.min(Math.max(start, grid.fromMs), grid.untilMs);
  }

  /** Calls `at` for every point ≤ limit not yet visited. */
  upTo(limit: number, at: (t: number) => void): void {
    const until = this.grid.untilMs;
    while (this.next <= limit && this.next <= until) {
      at(this.next);
      if (this.next === until) this.next = Infinity;
      else this.next = Math.min(gridFloor(this.grid, this.next) + this.grid.stepMs, until);
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
  /** Time of the oldest event. */
  oldestMs: number | undefined;

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
      this.oldestMs = ts;
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

type Labels = Record<string, string | number>;

/**
 * A metric's samples at one time, in groups of one label set: a histogram's series is one
 * group (its buckets, sum and count), any other sample a group of its own.
 */
interface Samples {
  labels: Labels[];
  /** What else fixes a group's sample names: a histogram's bounds, a sample's own name. */
  shapes: (readonly number[] | string | undefined)[];
  values: Float64Array;
  texts: (fixed: string) => string[];
}

function samplesOf(def: MetricDef, input: MetricInput): Samples {
  if (def.type === 'histogram') {
    const series = def.collect(input);
    let size = 0;
    for (const { data } of series) size += data.counts.length + 2;
    const values = new Float64Array(size);
    let at = 0;
    for (const { data } of series) {
      let cumulative = 0;
      for (const n of data.counts) values[at++] = cumulative += n;
      values[at++] = data.sum;
      values[at++] = data.count;
    }
    return {
      labels: series.map((h) => h.labels),
      shapes: series.map((h) => h.data.bounds),
      values,
      texts: (fixed) =>
        series.flatMap(({ labels, data }) => [
          ...data.counts.map((_, i) => seriesText(`${def.name}_bucket`, { ...labels, le: bucketLe(data.bounds, i) }, fixed)),
          seriesText(`${def.name}_sum`, labels, fixed),
          seriesText(`${def.name}_count`, labels, fixed),
        ]),
    };
  }
  const samples = promValues(def, input, def.name);
  return {
    labels: samples.map((v) => v.labels),
    shapes: samples.map((v) => v.metricName),
    values: Float64Array.from(samples, (v) => v.value),
    texts: (fixed) => samples.map((v) => seriesText(v.metricName ?? def.name, v.labels, fixed)),
  };
}

/** A metric's last rendering: its samples and their series as a layout of its family. */
interface Rendering {
  file: FamilyFile;
  samples: Samples;
  layout: number;
  /** Bytes of its sample lines as text, but their line ends. */
  size: number;
  /** Of each value's text. */
  lengths: Uint8Array;
  /** Per series: the value last written and when (NaN: never, in this layout). */
  written: Float64Array;
  writtenAt: Float64Array;
}

/**
 * A series whose value does not change is written only at the first point of every HOLD_MS of
 * epoch time (the same points for every series) rather than every step: inside Prometheus'
 * 5-minute lookback, so an instant query anywhere sees it, and a range starting on such a point
 * finds every series there, while history that mostly stands still (histogram buckets, counters
 * between events) costs a quarter of the samples. A change is written at its step, with the
 * value before it at the step before, so rate() places it where the full grid would.
 */
export const HOLD_MS = 4 * 60_000;

const equal = (a: number, b: number) => a === b || (a !== a && b !== b);

/**
 * Renders a set of catalog metrics at past times. A rendering is reused until the data
 * changes, and its series texts until the series change, so most steps cost a value per sample.
 */
export class Emitter {
  private fresh = false;
  private readonly renderings = new Map<string, Rendering>();
  private readonly fixed: string;
  /** Metrics whose collect() failed or read a source without history (skipped, reported). */
  readonly failed = new Set<string>();

  /** The point emitted last (for the value before a change). */
  private lastT: number | undefined;
  /** Indices and values of a sparse step, reused. */
  private picked = new Float64Array(1024);

  constructor(
    private readonly defs: readonly MetricDef[],
    labels: { job: string; instance: string },
    private readonly spool: FamilySpool,
    /** The sources the rebuilt snapshot holds history for. */
    private readonly allowed: ReadonlySet<string>,
    private readonly grid: Grid,
  ) {
    this.fixed = labelText(labels);
  }

  /** The data changed: render again at the next step. */
  invalidate(): void {
    this.fresh = false;
  }

  emit(t: number, snapshot: () => Snapshot): void {
    if (!this.fresh) this.render(snapshot());
    this.fresh = true;
    const { untilMs, stepMs } = this.grid;
    // Skipping this point is fine while the next one still falls within HOLD_MS of the last write.
    const next = t >= untilMs ? Infinity : Math.min(gridFloor(this.grid, t) + stepMs, untilMs);
    const before = this.lastT;
    this.lastT = t;
    const held = before === undefined || Math.floor(t / HOLD_MS) !== Math.floor(before / HOLD_MS);
    for (const r of this.renderings.values()) this.write(r, t, next, before, held);
  }

  /** Writes the series of a rendering that changed, or are due (`held`, or the next point would be too late). */
  private write(r: Rendering, t: number, next: number, before: number | undefined, held: boolean): void {
    const { values } = r.samples;
    const n = values.length;
    if (this.picked.length < 2 * n) this.picked = new Float64Array(2 * n);
    const picked = this.picked;
    let count = 0;
    let prior: number[] | undefined;
    for (let i = 0; i < n; i++) {
      const v = values[i]!;
      const at = r.writtenAt[i]!;
      const changed = !(at === at) || !equal(v, r.written[i]!);
      if (!changed && !held && next - at <= HOLD_MS) continue;
      if (changed && at === at && before !== undefined && at < before) (prior ??= []).push(i, r.written[i]!);
      picked[2 * count] = i;
      picked[2 * count + 1] = v;
      r.written[i] = v;
      r.writtenAt[i] = t;
      count++;
    }
    if (prior) this.sparse(r, before!, Float64Array.from(prior));
    if (count === n) r.file.step(t, r.layout, values, r.size + lineEnd(t).length * n);
    else if (count > 0) this.sparse(r, t, picked.subarray(0, 2 * count));
  }

  /** Writes some series of a layout at `t`, as (index, value) pairs. */
  private sparse(r: Rendering, t: number, pairs: Float64Array): void {
    const sizes = r.file.seriesSizes(r.layout);
    let bytes = (pairs.length / 2) * lineEnd(t).length;
    for (let k = 0; k < pairs.length; k += 2) bytes += sizes[pairs[k]!]! + valueLength(pairs[k + 1]!);
    r.file.sparseStep(t, r.layout, pairs, bytes);
  }

  private render(snap: Snapshot): void {
    for (const def of this.defs) {
      if (this.failed.has(def.name)) continue;
      // A metric reading a source without history on this snapshot would show made-up empties: dropped.
      const r = recordReads(snap, (i) => samplesOf(def, i));
      if (!r.result || r.other || [...r.sources].some((id) => !this.allowed.has(id))) {
        this.failed.add(def.name);
        this.renderings.delete(def.name);
        continue;
      }
      const samples = r.result;
      const previous = this.renderings.get(def.name);
      const file = previous?.file ?? this.spool.family(def);
      const same = previous !== undefined && sameSeries(previous.samples, samples);
      const layout = same ? previous.layout : file.layout(samples.texts(this.fixed));
      let size = file.layoutSize(layout);
      // Most values are those of the last rendering: their text is as long as it was.
      const before = same ? previous.samples.values : undefined;
      const lengths = same ? previous.lengths : new Uint8Array(samples.values.length);
      const values = samples.values;
      for (let i = 0; i < values.length; i++) {
        if (before?.[i] !== values[i]) lengths[i] = valueLength(values[i]!);
        size += lengths[i]!;
      }
      const written = same ? previous.written : new Float64Array(values.length).fill(NaN);
      const writtenAt = same ? previous.writtenAt : new Float64Array(values.length).fill(NaN);
      this.renderings.set(def.name, { file, samples, layout, size, lengths, written, writtenAt });
    }
  }
}

function sameSeries(a: Samples, b: Samples): boolean {
  if (a.labels.length !== b.labels.length) return false;
  for (let i = 0; i < a.labels.length; i++) {
    if (!sameShape(a.shapes[i], b.shapes[i])) return false;
    const x = a.labels[i]!;
    const y = b.labels[i]!;
    let keys = 0;
    for (const k in x) {
      if (x[k] !== y[k]) return false;
      keys++;
    }
    for (const _ in y) keys--;
    if (keys !== 0) return false;
  }
  return true;
}

function sameShape(a: Samples['shapes'][number], b: Samples['shapes'][number]): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a.length !== b.length) return false;
  return a.every((v, i) => v === b[i]);
}
