import { z } from 'zod';

// Per-field leniency: a bad field becomes undefined instead of failing the whole record,
// so one NaN or string-typed count never blanks the rest of a file. null, the writers' "none"
// (failure_type of a success), is absent too, taken apart from bad values because it is common
// and a caught failure costs an issue object.
const none = z.null().transform(() => undefined);
const lenient = <T extends z.ZodType>(schema: T) => z.union([schema, none]).optional().catch(undefined);

/** Above this a count is not real data; the bound also keeps sums of counts finite. */
export const MAX_COUNT = Number.MAX_SAFE_INTEGER;

/** A finite number 0..MAX_COUNT (counts, sizes, durations). */
export const count = lenient(z.number().finite().nonnegative().max(MAX_COUNT));
/** Any finite number. */
export const num = lenient(z.number().finite());
/** A percentage 0..100. */
export const percent = lenient(z.number().finite().min(0).max(100));
/** A ratio 0..1. */
export const ratio = lenient(z.number().finite().min(0).max(1));
export const bool = lenient(z.boolean());
export const str = lenient(z.string());
/** An id-like value: strings kept, numbers turned into strings. */
export const id = lenient(z.union([z.string(), z.number().finite()]).transform(String));
/** A timestamp as epoch ms or a date string, normalised to epoch ms. */
export const timestamp = lenient(
  z.union([z.number().finite(), z.string()]).transform((v, ctx) => {
    const ms = typeof v === 'number' ? v : Date.parse(v);
    if (!Number.isFinite(ms)) {
      ctx.addIssue({ code: 'custom', message: 'not a timestamp' });
      return z.NEVER;
    }
    return ms;
  }),
);
export const stringList = lenient(z.array(z.unknown()).transform((a) => a.filter((x): x is string => typeof x === 'string')));

export type Obj = Record<string, unknown>;
/** A plain JSON object (not an array, not null). */
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const MAX_NESTING = 32;

/** True when no path into value is deeper than max (iterative: the value may be 100k levels deep). */
function nestedAtMost(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= max) return false;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return true;
}

/**
 * A free-form object passed through to the views: rejected when nested so deeply that
 * JSON.stringify (recursive) would overflow the stack when serving it.
 */
export const plainRecord = z
  .record(z.string(), z.unknown())
  .refine((v) => nestedAtMost(v, MAX_NESTING), { message: 'nested too deeply' });

/** A list whose bad elements are dropped one by one rather than rejecting the list. */
export function listOf<T extends z.ZodType>(item: T) {
  return z
    .array(z.unknown())
    .catch([])
    .optional()
    .transform((items) => {
      const out: z.output<T>[] = [];
      for (const raw of items ?? []) {
        const r = item.safeParse(raw);
        if (r.success) out.push(r.data);
      }
      return out;
    });
}

/** A record of counts keyed by string; bad values dropped. */
export const countRecord = z
  .record(z.string(), z.unknown())
  .catch({})
  .optional()
  .transform((rec) => {
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(rec ?? {})) {
      if (typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= MAX_COUNT) out[k] = v;
    }
    return out;
  });

