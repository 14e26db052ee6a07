import { z } from 'zod';
import { labelValue, OTHER } from './aggregate.js';
import { count, countRecord, num, timestamp } from './fields.js';
import { parseJson, validate } from './parse.js';
import { documentSource } from './source.js';

const MAX_TIERS = 50;

// The writer's ModelRouterTelemetry; savings are negative when routing cost more than the baseline.
const schema = z.object({
  lastUpdatedAt: timestamp,
  totalTasks: count,
  totalCostActual: count,
  totalCostBaseline: count,
  totalSavings: num,
  savingsPercent: num,
  tierDistribution: countRecord,
});

export interface ModelRouter {
  lastUpdatedAt?: number;
  totalTasks?: number;
  totalCostActual?: number;
  totalCostBaseline?: number;
  totalSavings?: number;
  /** 0..100 as the writer reports it (negative when routing cost more). */
  savingsPercent?: number;
  /** Tasks per tier (capped in number of tiers). */
  tierDistribution: Record<string, number>;
}

export const modelRouter = documentSource({
  id: 'model_router',
  path: 'state/analytics/model_router_telemetry.json',
  // null until the file has been read: the REST view answers `modelRouter: null`.
  empty: null as ModelRouter | null,
  parse(text): ModelRouter | null {
    const { tierDistribution, ...doc } = validate(schema, parseJson(text));
    const tiers: Record<string, number> = {};
    for (const [tier, n] of Object.entries(tierDistribution ?? {})) {
      const label = labelValue(tier);
      const key = label in tiers || Object.keys(tiers).length < MAX_TIERS ? label : OTHER;
      tiers[key] = (tiers[key] ?? 0) + n;
    }
    return { ...doc, tierDistribution: tiers };
  },
});
