/** The range a backfill writes, and the promtool command that turns it into blocks of its size. */

const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
/** The default range: Prometheus' default retention (and the compose stack's). */
export const DEFAULT_RANGE_MS = 15 * DAY;
/** Prometheus' staleness window (lookback delta): an instant query sees a point this long. */
export const STALENESS_MS = 5 * 60_000;

/**
 * The block durations promtool accepts: it rounds --max-block-duration down to one of the
 * TSDB's ranges, 2h × 3^k (2h, 6h, 18h, 54h, 162h, 486h, …), and aligns blocks to multiples of it.
 */
export const BLOCK_LADDER_MS = Array.from({ length: 10 }, (_, k) => 2 * HOUR * 3 ** k);

/**
 * The block duration for a range: the smallest that is at least the range, so it falls in at
 * most two aligned blocks. promtool re-reads the whole file for every block it cuts, so this
 * keeps the import to one or two passes (the default 2 h blocks meant 180 passes for 15 days).
 */
export function blockDurationMs(rangeMs: number): number {
  return BLOCK_LADDER_MS.find((d) => d >= rangeMs) ?? BLOCK_LADDER_MS.at(-1)!;
}

/** `486h`: a duration as promtool's flag takes it. */
export const hoursText = (ms: number): string => `${ms / HOUR}h`;

const shellQuote = (s: string): string => (/^[\w./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** The promtool arguments that turn `file` into blocks in `dir`. */
export function promtoolArgs(file: string, dir: string, rangeMs: number): string[] {
  return ['tsdb', 'create-blocks-from', 'openmetrics', `--max-block-duration=${hoursText(blockDurationMs(rangeMs))}`, file, dir];
}

/** The same, as a command line to paste into a shell. */
export const promtoolCommand = (file: string, dir: string, rangeMs: number): string => ['promtool', ...promtoolArgs(file, dir, rangeMs)].map(shellQuote).join(' ');

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: HOUR, d: DAY, w: 7 * DAY };
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** RFC 3339 or epoch seconds → epoch ms (whole); NaN when neither. */
export function parseTime(text: string): number {
  const ms = RFC3339.test(text) ? Date.parse(text) : /^\d+(\.\d+)?$/.test(text) ? Number(text) * 1000 : NaN;
  return Number.isFinite(ms) ? Math.floor(ms) : NaN;
}

/** `--from`: RFC 3339, epoch seconds, or a duration back from `until` (15d, 36h, 2w, 90m); NaN when none. */
export function parseFrom(text: string, untilMs: number): number {
  const m = /^(\d+(?:\.\d+)?)(s|m|h|d|w)$/.exec(text);
  if (m) return Math.floor(untilMs - Number(m[1]) * UNITS[m[2]!]!);
  return parseTime(text);
}

const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');
const days = (ms: number): string => `${(ms / DAY).toFixed(ms < DAY ? 2 : 1)} d`;

/** Why the range starts where it does, for stderr. */
export function describeRange(r: { fromMs: number; fromGiven: boolean; untilMs: number; firstMs: number | undefined; oldest: { source: string; ms: number } | undefined }): string {
  if (r.firstMs === undefined) return `backfill: nothing to write between ${iso(r.fromMs)} and ${iso(r.untilMs)} (no timed records there)\n`;
  const range = `backfill: wrote ${iso(r.firstMs)} → ${iso(r.untilMs)} (${days(r.untilMs - r.firstMs)})`;
  const oldest = r.oldest ? `${r.oldest.source}, ${iso(r.oldest.ms)}` : 'none';
  if (r.oldest && r.oldest.ms >= r.fromMs) return `${range}: from the oldest timed record in the workspace (${oldest}), later than ${r.fromGiven ? '--from' : 'the default --from, --until − 15d'}\n`;
  return (
    `${range}: from ${r.fromGiven ? '--from' : 'the default --from, --until − 15d (Prometheus\' default retention; --from to change)'}; ` +
    `the records before it (oldest: ${oldest}) are counted into the first points, not written\n`
  );
}
