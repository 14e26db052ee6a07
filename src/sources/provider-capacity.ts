import { z } from 'zod';
import { count, listOf, str, timestamp } from './fields.js';
import { parseJson, validate } from './parse.js';
import { documentSource } from './source.js';

const provider = z.object({
  provider: z.string().min(1),
  totalLimitHits: count,
  totalRecoveries: count,
  totalFailovers: count,
  averageDowntimeMs: count,
  longestDowntimeMs: count,
  shortestDowntimeMs: count,
  currentStatus: str,
});

const schema = z.object({ lastUpdated: timestamp, providers: listOf(provider) });

export type ProviderCapacity = z.output<typeof schema>;

export const providerCapacity = documentSource({
  id: 'provider_capacity',
  path: 'state/analytics/provider_capacity_metrics.json',
  empty: { providers: [] } as ProviderCapacity,
  parse: (text): ProviderCapacity => validate(schema, parseJson(text)),
});
