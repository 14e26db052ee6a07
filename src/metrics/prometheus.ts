import { collectDefaultMetrics, Registry } from 'prom-client';
import { executions } from '../sources/executions.js';
import { lineSpanIdOf, traceIdOf } from '../tasks/ids.js';
import { catalog as defaultCatalog, type MetricDef, type MetricInput } from './catalog.js';
import { promValues, type ExemplarLabels } from './values.js';

const nextLoopTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
/** Catalog metrics rendered per event-loop turn, so a render never holds the loop for long. */
const METRICS_PER_TURN = 4;

/** A prom-client metric whose values are read from the catalog at scrape time: nothing is mutated. */
function catalogMetric(def: MetricDef, input: () => MetricInput, openMetrics: boolean, index: number, exemplarLabels?: ExemplarLabels) {
  // OpenMetrics names a counter family without _total and prom-client appends it to samples.
  const name = openMetrics && def.type === 'counter' ? def.name.replace(/_total$/, '') : def.name;
  return {
    name,
    help: def.help,
    type: def.type,
    aggregator: 'sum' as const,
    get: async () => {
      // prom-client starts every metric at once; waiting index/N turns spreads the work out.
      for (let turn = 0; turn < Math.floor(index / METRICS_PER_TURN); turn++) await nextLoopTurn();
      return { name, help: def.help, type: def.type, aggregator: 'sum', values: promValues(def, input(), name, exemplarLabels) };
    },
    reset() {},
  };
}

const LINT_FAILING_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

const MAX_CACHED_EXEMPLARS = 4096;
/** The exemplar label naming the trace (Grafana's exemplarTraceIdDestinations use it). */
export const EXEMPLAR_TRACE_ID_LABEL = 'trace_id';
/** The exemplar label naming the execution's own span, as OpenTelemetry's exemplars do. */
export const EXEMPLAR_SPAN_ID_LABEL = 'span_id';

/**
 * An execution's exemplar labels: its task's trace id and its line's span id, as the traces carry
 * them (hashes cached, the cache bounded; a line without a place gets the trace id alone).
 */
function exemplarIds(workspace: string): ExemplarLabels {
  const cache = new Map<string, Record<string, string>>();
  return ({ taskId, fileKey, offset }) => {
    const line = fileKey !== undefined && offset !== undefined;
    const key = line ? `${taskId}\u0000${fileKey}\u0000${offset}` : taskId;
    let labels = cache.get(key);
    if (!labels) {
      if (cache.size >= MAX_CACHED_EXEMPLARS) cache.clear();
      labels = { [EXEMPLAR_TRACE_ID_LABEL]: traceIdOf(workspace, taskId) };
      if (line) labels[EXEMPLAR_SPAN_ID_LABEL] = lineSpanIdOf(executions.id, fileKey, offset);
      cache.set(key, labels);
    }
    return labels;
  };
}

export interface PrometheusOptions {
  /** How long an unchanged snapshot's rendering is reused (process metrics age meanwhile). */
  maxAgeMs?: number;
  /** Renders are at least this far apart, whatever the snapshot does. */
  minIntervalMs?: number;
  catalog?: readonly MetricDef[];
  /**
   * With traces on: the workspace name the trace ids are derived from. OpenMetrics renderings
   * then carry, on histogram buckets, the trace id of their latest task; the text format never does.
   */
  exemplarWorkspace?: string;
}

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
  private readonly state = new Map<
    'text' | 'openmetrics',
    { done?: { rendered: RenderedMetrics; version: number; at: number }; pending?: Promise<RenderedMetrics> }
  >();

  private readonly maxAgeMs: number;
  private readonly minIntervalMs: number;

  constructor(
    private readonly input: () => MetricInput,
    { maxAgeMs = 1000, minIntervalMs = 250, catalog = defaultCatalog, exemplarWorkspace }: PrometheusOptions = {},
  ) {
    this.maxAgeMs = maxAgeMs;
    this.minIntervalMs = minIntervalMs;
    const text = new Registry();
    const om = new Registry();
    om.setContentType(Registry.OPENMETRICS_CONTENT_TYPE as never);
    const exemplarLabels = exemplarWorkspace === undefined ? undefined : exemplarIds(exemplarWorkspace);
    for (const [registry, openMetrics] of [
      [text, false],
      [om, true],
    ] as const) {
      catalog.forEach((def, i) => registry.registerMetric(catalogMetric(def, input, openMetrics, i, openMetrics ? exemplarLabels : undefined) as never));
      collectDefaultMetrics({ register: registry });
      // Gauges named *_total break the naming guide (promtool flags them); the per-type gauges stay.
      for (const name of LINT_FAILING_DEFAULTS) registry.removeSingleMetric(name);
    }
    this.registries = { text, openmetrics: om };
  }

  /**
   * The current rendering. While a newer one is being made, a complete one younger than
   * `maxAgeMs` is served instead of waiting (under load, requests never queue behind a render);
   * an older one is not, so a scrape every 15 s always gets a fresh rendering.
   */
  render(openMetrics: boolean): Promise<RenderedMetrics> {
    const format = openMetrics ? 'openmetrics' : 'text';
    const version = this.input().snapshot.version;
    const now = Date.now();
    let state = this.state.get(format);
    if (!state) this.state.set(format, (state = {}));
    const done = state.done;
    if (done && (now - done.at < this.minIntervalMs || (done.version === version && now - done.at < this.maxAgeMs))) {
      return Promise.resolve(done.rendered);
    }
    let pending = state.pending;
    if (!pending) {
      const registry = this.registries[format];
      const s = state;
      pending = s.pending = registry
        .metrics()
        .then((text) => {
          const rendered = { contentType: registry.contentType, body: Buffer.from(text) };
          s.done = { rendered, version, at: now };
          return rendered;
        })
        .finally(() => (s.pending = undefined));
    }
    return done && now - done.at < this.maxAgeMs ? Promise.resolve(done.rendered) : pending;
  }
}

/** Whether an Accept header asks for OpenMetrics (as Prometheus does when it prefers it). */
export function wantsOpenMetrics(accept: string | undefined): boolean {
  return accept !== undefined && /application\/openmetrics-text/i.test(accept);
}
