import { describe, expect, it } from 'vitest';
import { orchestration } from '../../src/sources/orchestration.js';

const entry = (n: number, type: string, quorumSatisfied: unknown) => ({
  id: `dec-${String(n).padStart(6, '0')}`,
  taskId: `T-${n}`,
  type,
  timestamp: `2026-11-27T09:${String(n % 60).padStart(2, '0')}:08.124Z`,
  quorumSatisfied,
  participants: ['orchestrator', 'planner'],
});

describe('orchestration source', () => {
  it('reads totalDecisions, byType and counts quorum-satisfied history entries', () => {
    const v = orchestration.parse(
      JSON.stringify({
        updatedAt: '2026-11-27T14:29:40.000Z',
        totalDecisions: 128,
        byType: { task_assignment: 71, critical_review: 33, escalation: 14, wip_rebalance: 10 },
        history: [entry(1, 'task_assignment', true), entry(2, 'escalation', false), entry(3, 'critical_review', true)],
      }),
    );
    expect(v.updatedAt).toBe(Date.parse('2026-11-27T14:29:40.000Z'));
    expect(v.totalDecisions).toBe(128);
    expect(v.byType).toEqual({ task_assignment: 71, critical_review: 33, escalation: 14, wip_rebalance: 10 });
    expect(v.historyEntries).toBe(3);
    expect(v.quorumSatisfied).toBe(2);
  });

  it('falls back to the sum of byType when totalDecisions is missing or invalid', () => {
    const doc = { byType: { a: 3, b: 4 }, history: [] };
    expect(orchestration.parse(JSON.stringify(doc)).totalDecisions).toBe(7);
    expect(orchestration.parse(JSON.stringify({ ...doc, totalDecisions: -1 })).totalDecisions).toBe(7);
    expect(orchestration.parse(JSON.stringify({ ...doc, totalDecisions: '9' })).totalDecisions).toBe(7);
    expect(orchestration.parse(JSON.stringify({ ...doc, totalDecisions: 0 })).totalDecisions).toBe(0);
  });

  it('drops byType values that are not finite non-negative numbers', () => {
    const text = '{"byType": {"ok": 5, "neg": -1, "str": "12", "inf": 1e999, "nul": null, "obj": {}, "huge1": 1e308, "huge2": 1.7e308}}';
    const v = orchestration.parse(text);
    expect(v.byType).toEqual({ ok: 5 });
    expect(v.totalDecisions).toBe(5);
  });

  it('counts only boolean true quorums and drops non-object history entries', () => {
    const v = orchestration.parse(
      JSON.stringify({ history: [entry(1, 'a', true), entry(2, 'a', 'true'), entry(3, 'a', 1), null, 7, 'x', entry(4, 'b', true)] }),
    );
    expect(v.historyEntries).toBe(4);
    expect(v.quorumSatisfied).toBe(2);
  });

  it('treats a non-array history and non-object byType as empty', () => {
    const v = orchestration.parse('{"totalDecisions": 4, "byType": [1,2], "history": {"a": 1}}');
    expect(v).toEqual({ updatedAt: undefined, totalDecisions: 4, byType: {}, historyEntries: 0, quorumSatisfied: 0 });
  });

  it('accepts BOM and CRLF, throws on torn JSON', () => {
    const text = JSON.stringify({ totalDecisions: 2, byType: { a: 2 } }, null, 2);
    expect(orchestration.parse('\uFEFF' + text.replace(/\n/g, '\r\n')).totalDecisions).toBe(2);
    expect(() => orchestration.parse(text.slice(0, text.length - 3))).toThrow(Error);
  });
});
