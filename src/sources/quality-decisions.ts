import { z } from 'zod';
import { bool, isObj, MAX_COUNT, str, timestamp, type Obj } from './fields.js';
import { CappedMap, Histogram, labelValue, OTHER, toRecord, type HistogramData } from './aggregate.js';
import { logSource } from './source.js';

export const RUBRIC_BUCKETS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 2, 3, 4, 5, 7.5, 10, 25, 50, 75, 100] as const;
const MAX_GATES = 50;
const MAX_CATEGORIES = 50;
const MAX_DIMENSIONS = 50;
const MAX_REASONS = 1000;
const MAX_REASON_LENGTH = 200;


// Reviews are walked with plain type guards rather than a zod schema: with about five reviews
// per line and logs of 100k+ lines, a schema parse per review dominated the cold start.
// The rules are the same as a lenient schema's: a field of the wrong type is ignored.
function foldReview(acc: Acc, gate: string, rv: Obj): void {
  const approved = rv.approved === true || rv.passed === true;
  acc.reviews.get(labelValue(gate))[approved ? 'approved' : 'rejected']++;
  if (isObj(rv.rubric)) {
    for (const dim in rv.rubric) {
      const value = rv.rubric[dim];
      if (typeof value === 'number' && value >= 0 && value <= MAX_COUNT) acc.rubric.get(labelValue(dim)).observe(value);
    }
  }
  const detections = isObj(rv.report) && Array.isArray(rv.report.detections) ? rv.report.detections : undefined;
  if (detections) {
    for (const d of detections) {
      if (isObj(d) && d.detected !== false && typeof d.category === 'string' && d.category) acc.adversarial.get(labelValue(d.category)).n++;
    }
  } else if (typeof rv.adversarialCategory === 'string' && rv.adversarialCategory && !approved) {
    acc.adversarial.get(labelValue(rv.adversarialCategory)).n++;
  }
}

/** A decision line as this source reads it (the task events extend it). */
export const decisionLine = z.object({
  taskId: z.unknown().optional(), // zod 4: a bare z.unknown() key is required
  decision: z.string(),
  timestamp,
  finalReasoning: str,
  consensusReached: bool,
  // Walked by foldReview: a map of gate → review, where any key is a gate.
  reviews: z.unknown().optional(),
});

type Line = z.output<typeof decisionLine>;

export const DECISIONS = ['approved', 'rejected', 'escalated'] as const;

function decisionLabel(raw: string): string {
  const d = raw.trim().toLowerCase();
  return (DECISIONS as readonly string[]).includes(d) ? d : OTHER;
}

function createAcc() {
  return {
    decisions: new Map<string, number>(),
    reviews: new CappedMap(MAX_GATES, () => ({ approved: 0, rejected: 0 })),
    consensus: { true: 0, false: 0 },
    rubric: new CappedMap(MAX_DIMENSIONS, () => new Histogram(RUBRIC_BUCKETS)),
    adversarial: new CappedMap(MAX_CATEGORIES, () => ({ n: 0 })),
    reasons: new CappedMap(MAX_REASONS, () => ({ n: 0 })),
    lastTimestamp: undefined as number | undefined,
  };
}
type Acc = ReturnType<typeof createAcc>;

export interface QualityDecisions {
  total: number;
  /** By lower-case decision: approved, rejected, escalated, other. */
  decisions: Record<string, number>;
  reviews: Record<string, { approved: number; rejected: number }>;
  consensus: { true: number; false: number };
  rubric: Record<string, HistogramData>;
  adversarial: Record<string, number>;
  /** Reasons of rejected decisions (capped in number and length). */
  rejectionReasons: Record<string, number>;
  lastTimestamp?: number;
}

function add(acc: Acc, l: Line): void {
  const decision = decisionLabel(l.decision);
  acc.decisions.set(decision, (acc.decisions.get(decision) ?? 0) + 1);
  if (l.timestamp !== undefined) acc.lastTimestamp = Math.max(acc.lastTimestamp ?? 0, l.timestamp);
  if (l.consensusReached !== undefined) acc.consensus[l.consensusReached ? 'true' : 'false']++;
  if (decision === 'rejected' && l.finalReasoning) {
    acc.reasons.get(l.finalReasoning.trim().slice(0, MAX_REASON_LENGTH)).n++;
  }
  const reviews = l.reviews;
  if (isObj(reviews)) for (const gate in reviews) if (isObj(reviews[gate])) foldReview(acc, gate, reviews[gate] as Obj);
}

export const qualityDecisions = logSource({
  id: 'quality_decisions',
  path: 'state/analytics/quality_gate_decisions.jsonl',
  line: decisionLine,
  create: createAcc,
  add,
  view(acc): QualityDecisions {
    const decisions = Object.fromEntries(acc.decisions);
    return {
      total: [...acc.decisions.values()].reduce((a, b) => a + b, 0),
      decisions,
      reviews: toRecord(acc.reviews, (v) => ({ ...v })),
      consensus: { ...acc.consensus },
      rubric: toRecord(acc.rubric, (h) => h.data()),
      adversarial: toRecord(acc.adversarial, (v) => v.n),
      rejectionReasons: toRecord(acc.reasons, (v) => v.n),
      lastTimestamp: acc.lastTimestamp,
    };
  },
});
