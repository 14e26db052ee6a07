/** Building blocks for log accumulators: capped label maps and fixed-bucket histograms. */

export const OTHER = 'other';
const MAX_LABEL_LENGTH = 64;

/** A label value from free-ish input: trimmed, bounded in length, never empty. */
export function labelValue(raw: unknown, fallback = 'unknown'): string {
  const s = typeof raw === 'string' ? raw.trim() : typeof raw === 'number' ? String(raw) : '';
  return s === '' ? fallback : s.slice(0, MAX_LABEL_LENGTH);
}

/** A map whose number of keys is capped: new keys beyond the cap fold into `other`. */
export class CappedMap<V> {
  readonly entries = new Map<string, V>();
  constructor(
    private readonly max: number,
    private readonly init: () => V,
  ) {}

  get(key: string): V {
    let v = this.entries.get(key);
    if (v === undefined) {
      if (this.entries.size >= this.max && key !== OTHER) return this.get(OTHER);
      v = this.init();
      this.entries.set(key, v);
    }
    return v;
  }
}

export interface HistogramData {
  /** Upper bounds of the finite buckets. */
  readonly bounds: readonly number[];
  /** Per-bucket (not cumulative) counts; one more than bounds, the last is +Inf. */
  readonly counts: readonly number[];
  readonly sum: number;
  readonly count: number;
}

/**
 * A sum that does not depend on the order of its terms: each term is rounded to a fixed unit
 * (1e-9 by default) and integers add exactly. Floating-point sums of the same lines in another
 * order (the backfill replays by time, the live tailer by file) can differ in the last bit, and
 * a counter a hair lower than its backfilled value is a reset to Prometheus.
 */
export class ExactSum {
  private units = 0;
  constructor(private readonly scale = 1e9) {}

  add(value: number): void {
    this.units += Math.round(value * this.scale);
  }

  get value(): number {
    return this.units / this.scale;
  }
}

export class Histogram {
  private readonly counts: number[];
  // Micro-units: exact up to ~9e9 (seconds, scores) in total.
  private readonly sum = new ExactSum(1e6);
  private count = 0;

  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  /** Counts the value; returns the index of the bucket it fell in. */
  observe(value: number): number {
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]!) i++;
    this.counts[i]!++;
    this.sum.add(value);
    this.count++;
    return i;
  }

  data(): HistogramData {
    return { bounds: this.bounds, counts: [...this.counts], sum: this.sum.value, count: this.count };
  }
}

/** Freezes a CappedMap into a plain record with each value mapped. */
export function toRecord<V, R>(map: CappedMap<V>, f: (v: V) => R): Record<string, R> {
  const out: Record<string, R> = {};
  for (const [k, v] of map.entries) out[k] = f(v);
  return out;
}

/**
 * Values keyed by a pair of labels, with the number of pairs capped: a new pair beyond the cap
 * folds into (`other`, `other`), so the series count stays bounded whatever the combinations.
 */
export class CappedPairs<V> {
  /** The values by a, then b (a lookup per log line builds no joined key), and the pairs in insertion order. */
  private readonly byA = new Map<string, Map<string, V>>();
  private readonly pairs: { a: string; b: string; value: V }[] = [];
  constructor(
    private readonly max: number,
    private readonly init: () => V,
  ) {}

  get(a: string, b: string): V {
    let inner = this.byA.get(a);
    const known = inner?.get(b);
    if (known !== undefined) return known;
    if (this.pairs.length >= this.max && !(a === OTHER && b === OTHER)) return this.get(OTHER, OTHER);
    const value = this.init();
    if (!inner) this.byA.set(a, (inner = new Map()));
    inner.set(b, value);
    this.pairs.push({ a, b, value });
    return value;
  }

  /** Each pair with its value mapped, in insertion order. */
  map<R>(f: (a: string, b: string, v: V) => R): R[] {
    return this.pairs.map((e) => f(e.a, e.b, e.value));
  }
}

/** Sums histograms with the same bounds (e.g. one per model into one per agent type). */
export function mergeHistograms(parts: readonly HistogramData[]): HistogramData {
  const first = parts[0]!;
  const counts = first.counts.map((_, i) => parts.reduce((n, p) => n + p.counts[i]!, 0));
  return { bounds: first.bounds, counts, sum: parts.reduce((n, p) => n + p.sum, 0), count: parts.reduce((n, p) => n + p.count, 0) };
}
