import { z } from 'zod';
import { percent } from './fields.js';
import { parseJson, validate } from './parse.js';
import { documentSource } from './source.js';

const schema = z.object({
  operations: z
    .object({ latest_snapshot: z.object({ diskUsage: percent }).optional().catch(undefined) })
    .optional()
    .catch(undefined),
});

export interface MetricsSummary {
  /** Disk usage 0..100: the fallback when resources has none. */
  diskUsagePercent?: number;
}

export const metricsSummary = documentSource({
  id: 'metrics_summary',
  path: 'state/telemetry/metrics_summary.json',
  empty: {} as MetricsSummary,
  parse(text): MetricsSummary {
    const doc = validate(schema, parseJson(text));
    return { diskUsagePercent: doc.operations?.latest_snapshot?.diskUsage };
  },
});
