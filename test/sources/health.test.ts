import { describe, expect, it } from 'vitest';
import { health, MAX_SEEN_REMEDIATIONS } from '../../src/sources/health.js';

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

describe('health source: the monitor loop (activeAnomalies, recentRemediations, dependencySyncRatio)', () => {
  const anomaly = (type: string, severity: string, detectedAt: number) => ({ type, severity, description: `${type}!`, metrics: { n: 1 }, detectedAt });
  const rem = (type: string, detectedAt: number, action: string, success = true) => ({
    plan: { anomaly: anomaly(type, 'warning', detectedAt), action, rationale: 'r', estimatedImpact: 'low', safe: true },
    success,
    message: 'm',
  });

  it('reads anomalies and remediations in the writer shape, and the sync ratio of the newest snapshot', () => {
    const v = health.parse(
      report([snapshot(1, { dependencySyncRatio: 0.4 }), snapshot(2, { dependencySyncRatio: 1.25 })], {
        activeAnomalies: [anomaly('stale_tasks', 'CRITICAL', 5), 'not an anomaly', { type: 'queue_empty', severity: 'info', detectedAt: 'never' }],
        recentRemediations: [rem('stale_tasks', 5, 'recover_stale_tasks'), rem('dependency_desync', 6, 'resync_dependencies', false), 7],
      }),
    );
    // more deps in the table than in the YAML is a real value, not an error
    expect(v.latest?.dependencySyncRatio).toBe(1.25);
    expect(v.activeAnomalies).toEqual([
      { type: 'stale_tasks', severity: 'critical', description: 'stale_tasks!', metrics: { n: 1 }, detectedAt: 5 },
      { type: 'queue_empty', severity: 'info', description: undefined, metrics: {}, detectedAt: undefined },
    ]);
    expect(v.recentRemediations.map((r) => [r.anomalyType, r.anomalyDetectedAt, r.action, r.success])).toEqual([
      ['stale_tasks', 5, 'recover_stale_tasks', true],
      ['dependency_desync', 6, 'resync_dependencies', false],
    ]);
    expect(v.remediations.byAction).toEqual({ recover_stale_tasks: { success: 1, failure: 0 }, resync_dependencies: { success: 0, failure: 1 } });
  });

  it('merge counts each remediation once across rewrites, identified by anomaly type, detectedAt and action', () => {
    const first = health.merge!(health.empty, health.parse(report([], { recentRemediations: [rem('a', 1, 'x'), rem('a', 2, 'x')] })));
    expect(first.remediations.byAction).toEqual({ x: { success: 2, failure: 0 } });
    // same anomaly, other action: new; same triple with another message or outcome: the same one
    const next = health.parse(report([], { recentRemediations: [rem('a', 2, 'x', false), rem('a', 2, 'y'), rem('b', 1, 'x')] }));
    const second = health.merge!(first, next);
    expect(second.remediations.byAction).toEqual({ x: { success: 3, failure: 0 }, y: { success: 1, failure: 0 } });
    expect(second.recentRemediations).toEqual(next.recentRemediations);
    // nothing new: the very same counts object
    expect(health.merge!(second, next).remediations).toBe(second.remediations);
  });

  it('remembers a bounded number of remediation ids', () => {
    let v = health.empty;
    for (let cycle = 0; cycle < 150; cycle++) {
      const list = Array.from({ length: 10 }, (_, k) => rem('stale_tasks', cycle * 10 + k, 'recover_stale_tasks'));
      v = health.merge!(v, health.parse(report([], { recentRemediations: list })));
    }
    expect(v.remediations.byAction.recover_stale_tasks).toEqual({ success: 1500, failure: 0 });
    expect(v.remediations.seen.length).toBe(MAX_SEEN_REMEDIATIONS);
  });
});
