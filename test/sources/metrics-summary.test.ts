import { describe, expect, it } from 'vitest';
import { metricsSummary } from '../../src/sources/metrics-summary.js';

const sample = {
  generated_at: '2026-11-27T14:29:30.000Z',
  executions: { total: 55, successful: 41, failed: 14 },
  operations: { latest_snapshot: { timestamp: '2026-11-27T14:29:00.000Z', diskUsage: 58.1, memoryUsage: 71, cpuUsage: 61.8 } },
};

describe('metrics_summary source', () => {
  it('reads operations.latest_snapshot.diskUsage as the disk usage fallback', () => {
    expect(metricsSummary.parse(JSON.stringify(sample, null, 2))).toEqual({ diskUsagePercent: 58.1 });
  });

  it.each([
    ['above 100', '{"operations": {"latest_snapshot": {"diskUsage": 101}}}'],
    ['negative', '{"operations": {"latest_snapshot": {"diskUsage": -1}}}'],
    ['a string', '{"operations": {"latest_snapshot": {"diskUsage": "58.1"}}}'],
    ['infinite', '{"operations": {"latest_snapshot": {"diskUsage": 1e999}}}'],
    ['missing snapshot', '{"operations": {}}'],
    ['operations not an object', '{"operations": "down"}'],
    ['snapshot not an object', '{"operations": {"latest_snapshot": [58]}}'],
    ['empty object', '{}'],
  ])('gives no disk usage when it is %s', (_name, text) => {
    expect(metricsSummary.parse(text).diskUsagePercent).toBeUndefined();
  });

  it('throws on torn or empty input', () => {
    expect(() => metricsSummary.parse(JSON.stringify(sample).slice(0, 50))).toThrow(Error);
    expect(() => metricsSummary.parse('')).toThrow(Error);
  });
});
