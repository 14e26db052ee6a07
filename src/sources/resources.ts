import { z } from 'zod';
import { count, percent, plainRecord, timestamp } from './fields.js';
import { parseJson, validate } from './parse.js';
import { documentSource } from './source.js';

const schema = z.object({
  timestamp,
  memory_used_pct: percent,
  cpu_used_pct: percent,
  disk_used_pct: percent,
  claude_processes: count,
  node_processes: count,
  throttle_level: count,
  throttle_params: plainRecord.optional().catch(undefined),
});

export type Resources = z.output<typeof schema>;

export const resources = documentSource({
  id: 'resources',
  path: 'state/analytics/resource_metrics.json',
  empty: {} as Resources,
  parse: (text): Resources => validate(schema, parseJson(text)),
});
