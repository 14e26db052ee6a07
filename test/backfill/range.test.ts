import { describe, expect, it } from 'vitest';
import { BLOCK_LADDER_MS, blockDurationMs, describeRange, parseFrom, promtoolCommand } from '../../src/backfill/range.js';

const H = 3_600_000;
const UNTIL = Date.parse('2026-12-01T00:00:00Z');

describe('backfill range', () => {
  it('--from: RFC 3339, epoch seconds, or a duration back from --until', () => {
    expect(parseFrom('2026-11-16T00:00:00Z', UNTIL)).toBe(Date.parse('2026-11-16T00:00:00Z'));
    expect(parseFrom(String(UNTIL / 1000 - 60), UNTIL)).toBe(UNTIL - 60_000);
    expect(parseFrom('15d', UNTIL)).toBe(UNTIL - 15 * 24 * H);
    expect(parseFrom('36h', UNTIL)).toBe(UNTIL - 36 * H);
    expect(parseFrom('2w', UNTIL)).toBe(UNTIL - 14 * 24 * H);
    for (const bad of ['yesterday', 'd', '-3d', '2026-11-16', '3y']) expect(parseFrom(bad, UNTIL), bad).toBeNaN();
  });

  it('block duration: the smallest of promtool\'s ranges (2h × 3^k) that holds the range', () => {
    expect(BLOCK_LADDER_MS.slice(0, 6).map((d) => d / H)).toEqual([2, 6, 18, 54, 162, 486]);
    expect(blockDurationMs(H) / H).toBe(2);
    expect(blockDurationMs(3 * 24 * H) / H).toBe(162);
    expect(blockDurationMs(15 * 24 * H) / H).toBe(486);
    expect(blockDurationMs(365 * 24 * H) / H).toBe(13122);
    expect(promtoolCommand('/tmp/a b.om', './blocks', 15 * 24 * H)).toBe("promtool tsdb create-blocks-from openmetrics --max-block-duration=486h '/tmp/a b.om' ./blocks");
  });

  it('stderr names the range and why it starts there', () => {
    const oldest = { source: 'orchestration', ms: UNTIL - 400 * 24 * H };
    expect(describeRange({ fromMs: UNTIL - 15 * 24 * H, fromGiven: false, untilMs: UNTIL, firstMs: UNTIL - 15 * 24 * H, oldest })).toMatch(
      /wrote 2026-11-16T00:00:00Z → 2026-12-01T00:00:00Z \(15\.0 d\): from the default --from.*oldest: orchestration, 2025-10-27/,
    );
    expect(describeRange({ fromMs: UNTIL - 15 * 24 * H, fromGiven: true, untilMs: UNTIL, firstMs: UNTIL - 3 * 24 * H, oldest: { source: 'executions', ms: UNTIL - 3 * 24 * H } })).toMatch(
      /from the oldest timed record in the workspace \(executions, 2026-11-28T00:00:00Z\), later than --from/,
    );
  });
});
