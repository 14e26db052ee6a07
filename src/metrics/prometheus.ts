import { collectDefaultMetrics, Registry } from 'prom-client';
import { catalog as defaultCatalog, type MetricDef, type MetricInput } from './catalog.js';

interface PromValue {
  metricName?: string;
  labels: Record<string, string | number>;
  value: number;
}

/** Turns catalog samples into prom-client's value list (histograms as cumulative buckets). */
function promValues(def: MetricDef, input: MetricInput, name: string): PromValue[] {
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

/** A prom-client metric whose values are read from the catalog at scrape time: nothing is mutated. */
function catalogMetric(def: MetricDef, input: () => MetricInput, openMetrics: boolean) {
  // OpenMetrics names a counter family without _total and prom-client appends it to samples.
  const name = openMetrics && def.type === 'counter' ? def.name.replace(/_total$/, '') : def.name;
  return {
    name,
    help: def.help,
    type: def.type,
    aggregator: 'sum' as const,
    get: async () => ({ name, help: def.help, type: def.type, aggregator: 'sum', values: promValues(def, input(), name) }),
    reset() {},
  };
}

const LINT_FAILING_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export interface RenderedMetrics {
  contentType: string;
  body: Buffer;
}

/**
 * The Prometheus projection: one registry per exposition format (prom-client renames counters
 * in place for OpenMetrics, so the two cannot share metric objects), each with the default
 * process metrics. A rendering is reused while the snapshot version is unchanged, for at most
 * `maxAgeMs` so the process metrics stay current; and whatever the version, renders are at
 * least `minIntervalMs` apart, so a burst of file changes cannot turn into a render per request.
 */
export class PrometheusProjection {
  private readonly registries: Record<'text' | 'openmetrics', Registry>;
  private readonly cache = new Map<'text' | 'openmetrics', { version: number; at: number; rendered: Promise<RenderedMetrics> }>();

  constructor(
    private readonly input: () => MetricInput,
    private readonly maxAgeMs = 1000,
    private readonly minIntervalMs = 250,
    catalog: readonly MetricDef[] = defaultCatalog,
  ) {
    const text = new Registry();
    const om = new Registry();
    om.setContentType(Registry.OPENMETRICS_CONTENT_TYPE as never);
    for (const [registry, openMetrics] of [
      [text, false],
      [om, true],
    ] as const) {
      for (const def of catalog) registry.registerMetric(catalogMetric(def, input, openMetrics) as never);
      collectDefaultMetrics({ register: registry });
      // Gauges named *_total break the naming guide (promtool flags them); the per-type gauges stay.
      for (const name of LINT_FAILING_DEFAULTS) registry.removeSingleMetric(name);
    }
    this.registries = { text, openmetrics: om };
  }

  render(openMetrics: boolean): Promise<RenderedMetrics> {
    const format = openMetrics ? 'openmetrics' : 'text';
    const version = this.input().snapshot.version;
    const now = Date.now();
    const hit = this.cache.get(format);
    if (hit && (now - hit.at < this.minIntervalMs || (hit.version === version && now - hit.at < this.maxAgeMs))) return hit.rendered;
    const registry = this.registries[format];
    const rendered = registry.metrics().then((text) => ({ contentType: registry.contentType, body: Buffer.from(text) }));
    rendered.catch(() => this.cache.delete(format));
    this.cache.set(format, { version, at: now, rendered });
    return rendered;
  }
}

/** Whether an Accept header asks for OpenMetrics (as Prometheus does when it prefers it). */
export function wantsOpenMetrics(accept: string | undefined): boolean {
  return accept !== undefined && /application\/openmetrics-text/i.test(accept);
}
