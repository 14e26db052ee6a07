import { z } from 'zod';
import { bool, count, countRecord, id, listOf, str, timestamp } from './fields.js';
import { parseJson, validate } from './parse.js';
import { documentSource } from './source.js';

const schema = z.object({
  updatedAt: timestamp,
  totalDecisions: count,
  byType: countRecord,
  history: listOf(z.object({ id, taskId: id, type: str, timestamp, quorumSatisfied: bool })),
});

export interface Orchestration {
  updatedAt?: number;
  totalDecisions: number;
  byType: Record<string, number>;
  historyEntries: number;
  quorumSatisfied: number;
}

export const orchestration = documentSource({
  id: 'orchestration',
  path: 'state/analytics/orchestration_metrics.json',
  empty: { totalDecisions: 0, byType: {}, historyEntries: 0, quorumSatisfied: 0 } as Orchestration,
  parse(text): Orchestration {
    const doc = validate(schema, parseJson(text));
    return {
      updatedAt: doc.updatedAt,
      totalDecisions: doc.totalDecisions ?? Object.values(doc.byType).reduce((a, b) => a + b, 0),
      byType: doc.byType,
      historyEntries: doc.history.length,
      quorumSatisfied: doc.history.filter((h) => h.quorumSatisfied === true).length,
    };
  },
});
