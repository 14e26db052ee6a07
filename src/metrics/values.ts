import type { MetricDef, MetricInput } from './catalog.js';

// Apart from prometheus.ts so that the backfill threads need not load prom-client.

export interface PromValue {
  metricName?: string;
  labels: Record<string, string | number>;
  value: number;
}

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
      const le = i < data.bounds.length ? data.bounds[i]! : '+Inf';
      values.push({ metricName: `${name}_bucket`, labels: { ...labels, le }, value: cumulative });
    });
    values.push({ metricName: `${name}_sum`, labels, value: data.sum });
    values.push({ metricName: `${name}_count`, labels, value: data.count });
  }
  return values;
}
