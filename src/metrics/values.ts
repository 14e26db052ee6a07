import type { MetricDef, MetricInput } from './catalog.js';

// Apart from prometheus.ts so that the backfill threads need not load prom-client.

export interface PromValue {
  metricName?: string;
  labels: Record<string, string | number>;
  value: number;
}

/** The `le` label of a histogram's bucket `i`: its bound, `+Inf` for the last one. */
export const bucketLe = (bounds: readonly number[], i: number): number | string => (i < bounds.length ? bounds[i]! : '+Inf');

/** Turns catalog samples into prom-client's value list (histograms as cumulative buckets). */
export function promValues(def: MetricDef, input: MetricInput, name: string): PromValue[] {
  if (def.type === 'gauge' || def.type === 'counter') return def.collect(input);
  if (def.type === 'summary') {
    return def.collect(input).flatMap(({ labels, quantiles, sum, count }) => [
      ...Object.entries(quantiles).map(([quantile, value]) => ({ labels: { ...labels, quantile }, value })),
      { metricName: `${name}_sum`, labels, value: sum },
      { metricName: `${name}_count`, labels, value: count },
    ]);
  }
  if (def.type !== 'histogram') throw new Error(`unknown metric type of ${def.name}`);
  const values: PromValue[] = [];
  for (const { labels, data } of def.collect(input)) {
    let cumulative = 0;
    data.counts.forEach((n, i) => {
      cumulative += n;
      values.push({ metricName: `${name}_bucket`, labels: { ...labels, le: bucketLe(data.bounds, i) }, value: cumulative });
    });
    values.push({ metricName: `${name}_sum`, labels, value: data.sum });
    values.push({ metricName: `${name}_count`, labels, value: data.count });
  }
  return values;
}
