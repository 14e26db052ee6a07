import { z } from 'zod';
import { loadConfigFile } from './parse.js';

// Strict objects: a misspelt key (per_1k_token) is an error, not a silently unused price.
const price = z.number().finite().nonnegative();
const prices = { per_1k_tokens: price, input_per_1k_tokens: price.optional(), output_per_1k_tokens: price.optional() };
const modelPrices = z
  .object({ ...prices, per_1k_tokens: price.optional() })
  .strict()
  .refine((m) => Object.keys(m).length > 0, { message: 'a model needs at least one price' });
const provider = z.object({ ...prices, models: z.record(z.string().min(1), modelPrices).optional() }).strict();
const schema = z.object({ providers: z.record(z.string().min(1), provider) }).strict();

/** WVO_PRICING_FILE: US dollars per 1K tokens per provider (names as in usage_log.json) and, optionally, per model. */
export type Pricing = z.output<typeof schema>;

export interface Price {
  per1k: number;
  input: number;
  output: number;
}

export class PricingError extends Error {}

/** Reads and validates a pricing file (YAML, or JSON when it ends in .json); throws naming the bad entry. */
export function loadPricing(file: string): Pricing {
  try {
    return loadConfigFile(file, schema);
  } catch (err) {
    throw new PricingError((err as Error).message);
  }
}

/**
 * The price for a provider (and model, when known): the model's own keys first, then the
 * provider's; input and output default to the single per-1K price. Without a pricing file,
 * or for a provider it does not list, every token costs `fallbackPer1k`.
 */
export function priceFor(pricing: Pricing | undefined, fallbackPer1k: number, providerName: string, model?: string): Price {
  const p = pricing?.providers[providerName];
  if (!p) return { per1k: fallbackPer1k, input: fallbackPer1k, output: fallbackPer1k };
  const m = model === undefined ? undefined : p.models?.[model];
  const per1k = m?.per_1k_tokens ?? p.per_1k_tokens;
  return {
    per1k,
    input: m?.input_per_1k_tokens ?? (m?.per_1k_tokens !== undefined ? per1k : (p.input_per_1k_tokens ?? per1k)),
    output: m?.output_per_1k_tokens ?? (m?.per_1k_tokens !== undefined ? per1k : (p.output_per_1k_tokens ?? per1k)),
  };
}
