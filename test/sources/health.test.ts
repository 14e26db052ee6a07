import { describe, expect, it } from 'vitest';
import { health } from '../../src/sources/health.js';

// Shaped like state/analytics/autopilot_health_report.json (the bundled sample).
const snapshot = (cycle: number, over: Record<string, unknown> = {}) => ({
  timestamp: 1795788600000 + cycle * 300_000,
  cycle,
  pendingCount: 11,
  readyCount: 6,
  inProgressCount: 7,
  doneCount: 12,
  blockedCount: 4,
  queueDepth: 17,
  wipUtilization: 0.875,
  throughputLastHour: 2,
  throughputLast5Min: 0,
  staleTaskCount: 3,
  maxStaleAgeMs: 4980000,
  busyAgents: 7,
  idleAgents: 1,
  totalAgents: 8,
  ...over,
});

const report = (history: unknown[], over: Record<string, unknown> = {}) =>
  JSON.stringify(
    { generatedAt: '2026-11-27T14:30:01.843Z', running: true, lastCycle: 1842, pid: 48211, uptimeMs: 187420331, metricsHistory: history, ...over },
    null,
    2,
  );

describe('health source', () => {
  it('reads running, lastCycle and the last element of metricsHistory as the newest snapshot', () => {
    const v = health.parse(report([snapshot(1838), snapshot(1839), snapshot(1840, { doneCount: 13, wipUtilization: 0.75, timestamp: 1 })]));
    expect(v.running).toBe(true);
    expect(v.lastCycle).toBe(1842);
    // The last element wins even though its timestamp is the oldest.
    expect(v.latest?.timestamp).toBe(1);
    expect(v.latest?.doneCount).toBe(13);
    expect(v.latest?.wipUtilization).toBe(0.75);
    expect(v.latest?.totalAgents).toBe(8);
    // Unknown fields are ignored, not errors and not carried.
    expect(v.latest).not.toHaveProperty('cycle');
    expect(v).not.toHaveProperty('pid');
  });

  it('rejects bad numbers field by field and keeps the rest of the snapshot', () => {
    const text = report([
      {
        ...snapshot(1),
        pendingCount: -3,
        readyCount: '6',
        queueDepth: 1e999, // JSON for Infinity
        wipUtilization: 1.5,
        throughputLastHour: null,
        staleTaskCount: true,
      },
    ]).replace('"queueDepth": null', '"queueDepth": 1e999');
    // JSON.stringify turns Infinity into null; put the literal back so JSON.parse yields Infinity.
    expect(text).toContain('1e999');
    const v = health.parse(text);
    expect(v.latest).toBeDefined();
    expect(v.latest!.pendingCount).toBeUndefined();
    expect(v.latest!.readyCount).toBeUndefined();
    expect(v.latest!.queueDepth).toBeUndefined();
    expect(v.latest!.wipUtilization).toBeUndefined();
    expect(v.latest!.throughputLastHour).toBeUndefined();
    expect(v.latest!.staleTaskCount).toBeUndefined();
    expect(v.latest!.doneCount).toBe(12);
    expect(v.latest!.busyAgents).toBe(7);
  });

  it('drops non-object history entries and treats wrong-typed top-level fields as absent', () => {
    const v = health.parse(report([snapshot(1), null, 'x', 7], { running: 'true', lastCycle: -1 }));
    expect(v.running).toBeUndefined();
    expect(v.lastCycle).toBeUndefined();
    expect(v.latest?.timestamp).toBe(snapshot(1).timestamp);
    expect(health.parse(report([], { metricsHistory: 'nope' })).latest).toBeUndefined();
  });

  it('accepts a byte-order mark and CRLF line endings', () => {
    const text = '\uFEFF' + report([snapshot(5)]).replace(/\n/g, '\r\n');
    const v = health.parse(text);
    expect(v.lastCycle).toBe(1842);
    expect(v.latest?.queueDepth).toBe(17);
  });

  it.each([
    ['empty', ''],
    ['whitespace', ' \r\n\t'],
    ['torn', report([snapshot(1)]).slice(0, 40)],
    ['NaN literal', '{"running": true, "lastCycle": NaN}'],
    ['an array', '[1,2,3]'],
    ['a number', '42'],
    ['null', 'null'],
  ])('throws an Error on %s input', (_name, text) => {
    expect(() => health.parse(text)).toThrow(Error);
  });
});
