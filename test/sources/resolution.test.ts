import { describe, expect, it } from 'vitest';
import { resolution } from '../../src/sources/resolution.js';

const loop = (taskId: unknown, attempts: unknown, over: Record<string, unknown> = {}) => ({
  taskId,
  attempts,
  firstAttemptAt: '2026-11-27T04:50:00.000Z',
  lastAttemptAt: '2026-11-27T07:11:49.228Z',
  lastLabel: 'review_rejected',
  labels: ['tests_failed', 'review_rejected'],
  elapsedMs: 8509228,
  runId: 'run-20261127-10a',
  infiniteLoopFlag: false,
  ...over,
});

const doc = {
  updatedAt: '2026-11-27T13:48:00.000Z',
  activeLoops: [loop('T-2.3.3 hotfix, rev2', 6, { infiniteLoopFlag: true }), loop('T-1.2.5', 3)],
  stats: { totalLoops: 14, closedLoops: 9, closedWithin3: 7, infiniteLoopCount: 1, incidentCount: 2, attemptHistogram: { '1': 14, '2': 9, '3': 5, '6': 1 } },
  recentEvents: [{ type: 'attempt', taskId: 'T-1.2.5', attempt: 3, timestamp: '2026-11-27T10:46:37.294Z', label: 'typecheck_failed' }],
  recentlyClosed: [{ taskId: 'T-1.1.4', attempts: 2, closedAt: '2026-11-27T08:00:00.000Z', durationMs: 3600000, runId: 'run-1' }],
};

describe('resolution source', () => {
  it('reads active loops, stats, recent events and recently closed loops', () => {
    const v = resolution.parse(JSON.stringify(doc, null, 2));
    expect(v.updatedAt).toBe(Date.parse(doc.updatedAt));
    expect(v.activeLoops).toHaveLength(2);
    expect(v.activeLoops[0]).toEqual({
      taskId: 'T-2.3.3 hotfix, rev2',
      attempts: 6,
      firstAttemptAt: Date.parse('2026-11-27T04:50:00.000Z'),
      lastAttemptAt: Date.parse('2026-11-27T07:11:49.228Z'),
      lastLabel: 'review_rejected',
      labels: ['tests_failed', 'review_rejected'],
      elapsedMs: 8509228,
      runId: 'run-20261127-10a',
      infiniteLoopFlag: true,
    });
    expect(v.stats).toEqual(doc.stats);
    expect(v.recentEvents).toEqual(doc.recentEvents);
    expect(v.recentlyClosed).toEqual([{ taskId: 'T-1.1.4', attempts: 2, closedAt: Date.parse('2026-11-27T08:00:00.000Z'), durationMs: 3600000, runId: 'run-1' }]);
  });

  it('keeps only numeric attempt keys with valid counts in the histogram', () => {
    const text = JSON.stringify({ stats: { attemptHistogram: { '1': 4, '2': -1, x: 3, '-1': 2, '12345': 1, '3': '7', '4': 2 } } });
    expect(resolution.parse(text).stats.attemptHistogram).toEqual({ '1': 4, '4': 2 });
  });

  it('drops loops without a task id and rejects bad numbers per field', () => {
    const v = resolution.parse(
      JSON.stringify({
        activeLoops: [loop(undefined, 2), loop('', 2), loop(42, '3', { elapsedMs: -5, labels: ['a', 1, null, 'b'] }), null, 'T-9'],
        stats: { totalLoops: -1, closedLoops: '9', closedWithin3: 2 },
      }),
    );
    expect(v.activeLoops).toHaveLength(1);
    expect(v.activeLoops[0]!.taskId).toBe('42');
    expect(v.activeLoops[0]!.attempts).toBeUndefined();
    expect(v.activeLoops[0]!.elapsedMs).toBeUndefined();
    expect(v.activeLoops[0]!.labels).toEqual(['a', 'b']);
    expect(v.stats).toEqual({ totalLoops: 0, closedLoops: 0, closedWithin3: 2, infiniteLoopCount: 0, incidentCount: 0, attemptHistogram: {} });
  });

  it('defaults missing stats and lists to empty', () => {
    expect(resolution.parse('{}')).toEqual({
      updatedAt: undefined,
      activeLoops: [],
      stats: { totalLoops: 0, closedLoops: 0, closedWithin3: 0, infiniteLoopCount: 0, incidentCount: 0, attemptHistogram: {} },
      recentEvents: [],
      recentlyClosed: [],
    });
  });

  it('drops a recent event nested too deeply to serialise, keeping its siblings', () => {
    const depth = 100_000;
    const deep = '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
    const v = resolution.parse(`{"recentEvents": [{"type": "attempt"}, {"type": "x", "payload": ${deep}}, 5, {"type": "closed"}]}`);
    expect(v.recentEvents).toEqual([{ type: 'attempt' }, { type: 'closed' }]);
    expect(() => JSON.stringify(v)).not.toThrow();
  });
});
