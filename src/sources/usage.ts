import { z } from 'zod';
import { count, percent, str, timestamp } from './fields.js';
import { parseJson, validate } from './parse.js';
import { documentSource } from './source.js';

const window = z.object({ requests: count, tokens: count, reset_at: timestamp }).optional().catch(undefined);

const entry = z.object({
  provider: str,
  account: str,
  tier: str,
  // Not written by today's writer; priced per model when present.
  model: str,
  limits: z
    .object({ hourly_requests: count, daily_requests: count, hourly_tokens: count, daily_tokens: count })
    .optional()
    .catch(undefined),
  usage: z.object({ current_hour: window, current_day: window }).optional().catch(undefined),
  warnings: z.object({ percentage_used: percent }).optional().catch(undefined),
});

const schema = z.object({
  last_saved: timestamp,
  providers: z.record(z.string(), z.unknown()).optional().catch(undefined),
});

export interface ProviderUsage {
  /** The `<provider>:<account>` key. */
  id: string;
  provider: string;
  account: string;
  tier?: string;
  model?: string;
  hourlyRequests?: number;
  hourlyTokens?: number;
  dailyRequests?: number;
  dailyTokens?: number;
  limits: { hourlyRequests?: number; dailyRequests?: number; hourlyTokens?: number; dailyTokens?: number };
  /** 0..100 as the writer reports it. */
  percentageUsed?: number;
}

export interface Usage {
  lastSaved?: number;
  providers: ProviderUsage[];
}

export const usage = documentSource({
  id: 'usage',
  path: 'state/limits/usage_log.json',
  empty: { providers: [] } as Usage,
  parse(text): Usage {
    const doc = validate(schema, parseJson(text));
    const providers: ProviderUsage[] = [];
    for (const [key, raw] of Object.entries(doc.providers ?? {})) {
      const r = entry.safeParse(raw);
      if (!r.success) continue;
      const e = r.data;
      const [keyProvider, ...rest] = key.split(':');
      providers.push({
        id: key,
        provider: e.provider || keyProvider || key,
        account: e.account || rest.join(':') || 'default',
        tier: e.tier,
        model: e.model,
        hourlyRequests: e.usage?.current_hour?.requests,
        hourlyTokens: e.usage?.current_hour?.tokens,
        dailyRequests: e.usage?.current_day?.requests,
        dailyTokens: e.usage?.current_day?.tokens,
        limits: {
          hourlyRequests: e.limits?.hourly_requests,
          dailyRequests: e.limits?.daily_requests,
          hourlyTokens: e.limits?.hourly_tokens,
          dailyTokens: e.limits?.daily_tokens,
        },
        percentageUsed: e.warnings?.percentage_used,
      });
    }
    return { lastSaved: doc.last_saved, providers };
  },
});
