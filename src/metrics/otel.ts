import { ValueType } from '@opentelemetry/api';
import { hrTime, type InstrumentationScope } from '@opentelemetry/core';
import {
  AggregationTemporality,
  DataPointType,
  type CollectionResult,
  type MetricData,
  type MetricProducer,
} from '@opentelemetry/sdk-metrics';
import { emptyResource } from '@opentelemetry/resources';
import { catalog as defaultCatalog, type MetricDef, type MetricInput } from './catalog.js';
import { genAiMetricData } from './genai.js';

const scope: InstrumentationScope = { name: 'wvo-exporter' };

/** OTLP names drop Prometheus' _total: the OTLP→Prometheus translation adds it back for monotonic sums. */
export const otelName = (def: MetricDef) => (def.type === 'counter' ? def.name.replace(/_total$/, '') : def.name);

/** Renders the catalog as OTLP metric data: gauges, cumulative monotonic sums and explicit-bucket histograms. */
export function catalogToMetricData(input: MetricInput, catalog: readonly MetricDef[], startTime: [number, number]): MetricData[] {
  const endTime = hrTime();
  return catalog.map((def): MetricData => {
    const descriptor = { name: otelName(def), description: def.help, unit: def.unit, valueType: ValueType.DOUBLE };
    if (def.type === 'histogram') {
      return {
        descriptor,
        aggregationTemporality: AggregationTemporality.CUMULATIVE,
        dataPointType: DataPointType.HISTOGRAM,
        dataPoints: def.collect(input).map(({ labels, data }) => ({
          startTime,
          endTime,
          attributes: labels,
          value: { buckets: { boundaries: [...data.bounds], counts: [...data.counts] }, sum: data.sum, count: data.count, hasMinMax: false },
        })),
      };
    }
    if (def.type === 'summary') {
      // OTLP's summary type is legacy and the SDK has none: quantiles go out as a gauge.
      const dataPoints = def.collect(input).flatMap(({ labels, quantiles }) =>
        Object.entries(quantiles).map(([quantile, value]) => ({ startTime, endTime, attributes: { ...labels, quantile }, value })),
      );
      return { descriptor, aggregationTemporality: AggregationTemporality.CUMULATIVE, dataPointType: DataPointType.GAUGE, dataPoints };
    }
    const dataPoints = def.collect(input).map(({ labels, value }) => ({ startTime, endTime, attributes: labels, value }));
    return def.type === 'counter'
      ? { descriptor, aggregationTemporality: AggregationTemporality.CUMULATIVE, dataPointType: DataPointType.SUM, isMonotonic: true, dataPoints }
      : { descriptor, aggregationTemporality: AggregationTemporality.CUMULATIVE, dataPointType: DataPointType.GAUGE, dataPoints };
  });
}

/**
 * A MetricProducer over the catalog, so the OTel SDK's periodic reader pushes the same metrics
 * /metrics serves, and beside them the GenAI client metrics (OTLP only: their dotted names are the
 * conventions', which dashboards for the GenAI conventions query as they are).
 */
export class CatalogMetricProducer implements MetricProducer {
  private readonly startTime = hrTime();

  constructor(
    private readonly input: () => MetricInput | undefined,
    private readonly catalog: readonly MetricDef[] = defaultCatalog,
  ) {}

  async collect(): Promise<CollectionResult> {
    const input = this.input();
    return {
      resourceMetrics: {
        resource: emptyResource(),
        scopeMetrics: input
          ? [{ scope, metrics: [...catalogToMetricData(input, this.catalog, this.startTime), ...genAiMetricData(input.snapshot.data.executions, this.startTime, hrTime())] }]
          : [],
      },
      errors: [],
    };
  }
}
