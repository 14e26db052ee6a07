import { afterEach, describe, expect, it } from 'vitest';
import { qualityDecisions } from '../../src/sources/quality-decisions.js';
import { cleanup } from '../support/cleanup.js';
import { testCollector, testWorkspace } from '../support/collector.js';

afterEach(cleanup);

/** Writes the JSONL log and reads it the way the exporter does: through the Collector. */
async function readLog(text: string | Buffer) {
  const ws = await testWorkspace();
  await ws.write(qualityDecisions.path, text);
  const s = await testCollector(ws, { sources: [qualityDecisions] }).refresh();
  return { value: s.data.quality_decisions, status: s.status.quality_decisions };
}

const T1 = 1795515730971;
const lines = [
  // Shaped like state/analytics/quality_gate_decisions.jsonl.
  {
    id: 'qg-2201',
    taskId: 'T-1.1.4',
    decision: 'APPROVED',
    timestamp: T1,
    finalReasoning: 'All gates passed',
    consensusReached: true,
    reviews: {
      automated: { passed: true, reviewer: 'ci-runner', checks: { lint: true } },
      orchestrator: { approved: true, rubric: { correctness: 0.9, maintainability: 0.8 }, concerns: [], blockers: [] },
      adversarial: { passed: true, report: { detections: [{ detected: false, severity: 'none', category: 'prompt_injection' }], scannedFiles: 19 } },
    },
    runId: 'run-20261124-3e8',
  },
  {
    taskId: 'T-3.4.2',
    decision: 'REJECTED',
    timestamp: '2026-11-24T12:52:35.514Z',
    finalReasoning: 'Unit tests failing on CI',
    consensusReached: true,
    reviews: {
      automated: { passed: false, blockers: ['3 unit tests failing'] },
      peer: { approved: false, rubric: { correctness: 0.5, readability: 'good', test_coverage: -1, security: null, performance: 1e308 } },
      adversarial: {
        passed: false,
        report: {
          detections: [
            { detected: true, severity: 'high', category: 'test_gaming' },
            { detected: true, severity: 'low', category: 'test_gaming' },
            { severity: 'medium', category: 'hardcoded_secret' },
            { detected: false, category: 'prompt_injection' },
            { detected: 'yes', category: 'scope_creep' },
            null,
            { detected: true },
          ],
        },
      },
      domainExpert: { approved: true },
      securityReview: { passed: true },
    },
  },
  {
    taskId: 'T-2.3.3',
    decision: 'ESCALATED',
    timestamp: '2026-11-25T08:00:00.000Z',
    consensusReached: false,
    reviews: {
      peer: { approved: 'yes' },
      orchestrator: null,
      adversarial: { approved: false, adversarialCategory: 'prompt_injection' },
      automated: 'passed',
    },
  },
  { decision: 'rejected', finalReasoning: '  Unit tests failing on CI  ', timestamp: 'not a date' },
  { taskId: 'T-9', decision: 'MAYBE', consensusReached: 'true' },
];

const goodText = lines.map((l) => JSON.stringify(l)).join('\n') + '\n';

describe('quality_decisions source', () => {
  it('counts decisions, consensus, per-gate outcomes, rubric scores, adversarial catches and rejection reasons', async () => {
    const text = goodText + '{"taskId":"T-x"}\nnot json\n\n   \n[1,2]\n';
    const { value, status } = await readLog(text);
    expect(status).toMatchObject({ present: true, up: true, badLines: 3, errors: 0 });
    expect(value.total).toBe(5);
    expect(value.decisions).toEqual({ approved: 1, rejected: 2, escalated: 1, other: 1 });
    expect(value.consensus).toEqual({ true: 2, false: 1 });
    // approved === true OR passed === true; anything else (false, "yes", missing) is a rejection.
    expect(value.reviews).toEqual({
      automated: { approved: 1, rejected: 1 },
      orchestrator: { approved: 1, rejected: 0 },
      adversarial: { approved: 1, rejected: 2 },
      peer: { approved: 0, rejected: 2 },
      domainExpert: { approved: 1, rejected: 0 },
      securityReview: { approved: 1, rejected: 0 },
    });
    // Every detection with detected !== false counts once for its category; without report,
    // a rejecting review's adversarialCategory counts.
    expect(value.adversarial).toEqual({ test_gaming: 2, hardcoded_secret: 1, scope_creep: 1, prompt_injection: 1 });
    expect(value.rubric.correctness).toMatchObject({ count: 2, sum: 1.4 });
    expect(value.rubric.maintainability).toMatchObject({ count: 1, sum: 0.8 });
    expect(Object.keys(value.rubric).sort()).toEqual(['correctness', 'maintainability']);
    expect(value.rejectionReasons).toEqual({ 'Unit tests failing on CI': 2 });
    expect(value.lastTimestamp).toBe(Date.parse('2026-11-25T08:00:00.000Z'));
  });

  it('places rubric scores in the histogram buckets', async () => {
    const { value } = await readLog(goodText);
    const h = value.rubric.correctness!;
    // 0.9 falls in the le=0.9 bucket, 0.5 in le=0.5 (bounds are inclusive upper bounds).
    expect(h.counts[h.bounds.indexOf(0.9)]).toBe(1);
    expect(h.counts[h.bounds.indexOf(0.5)]).toBe(1);
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(2);
  });

  it('reads a log with a byte-order mark and CRLF line endings without bad lines', async () => {
    const { value, status } = await readLog('\uFEFF' + goodText.replace(/\n/g, '\r\n'));
    expect(status.badLines).toBe(0);
    expect(value.total).toBe(5);
    expect(value.decisions.approved).toBe(1);
  });

  it('counts a line whose decision is not a string as bad, and a gate review that is not an object not at all', async () => {
    const { value, status } = await readLog(
      ['{"decision": 5}', '{"decision": null, "reviews": {}}', '{"decision": "APPROVED", "reviews": {"peer": 3, "x": [true]}}'].join('\n') + '\n',
    );
    expect(status.badLines).toBe(2);
    expect(value.total).toBe(1);
    expect(value.reviews).toEqual({});
  });
});
