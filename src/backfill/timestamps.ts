import { timestamp } from '../sources/fields.js';

/**
 * When a line happened: the source schema's own `timestamp`, else the real execution writer's
 * `timestamp_ms` / `timestamp_iso` (parsed by the same field rule). Undefined when none is usable.
 */
export function lineTime(parsed: unknown, raw: unknown): number | undefined {
  const own = (parsed as { timestamp?: unknown } | null)?.timestamp;
  if (typeof own === 'number' && Number.isFinite(own)) return own;
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  for (const key of ['timestamp_ms', 'timestamp_iso']) {
    const ms = timestamp.safeParse(r[key]).data;
    if (typeof ms === 'number') return ms;
  }
  return undefined;
}

/** An item's time by the source fields' rule (epoch ms or a date string). */
export const itemTime = (value: unknown): number | undefined => {
  const ms = timestamp.safeParse(value).data;
  return typeof ms === 'number' ? ms : undefined;
};
