import type { MetricDef, MetricInput, TaskExemplar } from './catalog.js';

// Apart from prometheus.ts so that the backfill threads need not load prom-client.

export interface PromValue {
  metricName?: string;
  labels: Record<string, string | number>;
  value: number;
  /** prom-client writes it after the sample in OpenMetrics only; timestamp in seconds. */
  exemplar?: { labelSet: Record<string, string>; value: number; timestamp: number };
}

/** The exemplar labels of a task's observation (its trace id, and its span id when known), or undefined to write none. */
export type ExemplarLabels = (e: TaskExemplar) => Record<string, string> | undefined;

/** The `le` label of a histogram's bucket `i`: its bound, `+Inf` for the last one. */
export const bucketLe = (bounds: readonly number[], i: number): number | string => (i < bounds.length ? bounds[i]! : '+Inf');

/**
 * Turns catalog samples into prom-client's value list (histograms as cumulative buckets, each
 * with its latest observation as exemplar when `exemplarLabels` is given).
 */
export function promValues(def: MetricDef, input: MetricInput, name: string, exemplarLabels?: ExemplarLabels): PromValue[] {
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
  for (const { labels, data, exemplars } of def.collect(input)) {
    let cumulative = 0;
    data.counts.forEach((n, i) => {
      cumulative += n;
      const value: PromValue = { metricName: `${name}_bucket`, labels: { ...labels, le: bucketLe(data.bounds, i) }, value: cumulative };
      const e = exemplarLabels && exemplars?.[i];
      const labelSet = e && exemplarLabels(e);
      if (e && labelSet) value.exemplar = { labelSet, value: e.value, timestamp: e.timestamp / 1000 };
      values.push(value);
    });
    values.push({ metricName: `${name}_sum`, labels, value: data.sum });
    values.push({ metricName: `${name}_count`, labels, value: data.count });
  }
  return values;
}
