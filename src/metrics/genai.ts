import { ValueType, type Attributes } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';
import {
  ATTR_GEN_AI_TOKEN_TYPE,
  GEN_AI_TOKEN_TYPE_VALUE_INPUT,
  GEN_AI_TOKEN_TYPE_VALUE_OUTPUT,
  METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
} from '@opentelemetry/semantic-conventions/incubating';
import { AggregationTemporality, DataPointType, type HistogramMetricData } from '@opentelemetry/sdk-metrics';
import type { HistogramData } from '../sources/aggregate.js';
import type { Executions } from '../sources/executions.js';
import { executionGenAiAttributes } from '../tasks/genai.js';

type HrTime = [number, number];

function point(attributes: Attributes, data: HistogramData, startTime: HrTime, endTime: HrTime) {
  return {
    startTime,
    endTime,
    attributes,
    value: { buckets: { boundaries: [...data.bounds], counts: [...data.counts] }, sum: data.sum, count: data.count, hasMinMax: false },
  };
}

const histogram = (name: string, description: string, unit: string, dataPoints: HistogramMetricData['dataPoints']): HistogramMetricData => ({
  descriptor: { name, description, unit, valueType: ValueType.DOUBLE },
  aggregationTemporality: AggregationTemporality.CUMULATIVE,
  dataPointType: DataPointType.HISTOGRAM,
  dataPoints,
});

/**
 * The GenAI client metrics of the executions, OTLP only: every execution line of the logs (archives
 * included, cumulative like the catalog's counters) with the operation, model and provider
 * attributes its span carries, on the convention's bucket boundaries.
 */
export function genAiMetricData(executions: Executions, startTime: HrTime, endTime: HrTime): HistogramMetricData[] {
  const base = (model: string) => executionGenAiAttributes(model || undefined);
  const { tokens, durations } = executions.genai;
  return [
    histogram(
      METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
      'Number of input and output tokens used per agent invocation.',
      '{token}',
      tokens.flatMap((t) => [
        ...(t.input.count > 0 ? [point({ ...base(t.model), [ATTR_GEN_AI_TOKEN_TYPE]: GEN_AI_TOKEN_TYPE_VALUE_INPUT }, t.input, startTime, endTime)] : []),
        ...(t.output.count > 0 ? [point({ ...base(t.model), [ATTR_GEN_AI_TOKEN_TYPE]: GEN_AI_TOKEN_TYPE_VALUE_OUTPUT }, t.output, startTime, endTime)] : []),
      ]),
    ),
    histogram(
      METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
      'Duration of agent invocations.',
      's',
      durations.map((d) => point({ ...base(d.model), ...(d.errorType ? { [ATTR_ERROR_TYPE]: d.errorType } : {}) }, d.data, startTime, endTime)),
    ),
  ];
}
