import { z } from 'zod';
import { bool, count, listOf, ratio, timestamp } from './fields.js';
import { parseJson, validate } from './parse.js';
import { documentSource } from './source.js';

const snapshot = z.object({
  timestamp,
  pendingCount: count,
  readyCount: count,
  inProgressCount: count,
  doneCount: count,
  blockedCount: count,
  queueDepth: count,
  wipUtilization: ratio,
  throughputLastHour: count,
  throughputLast5Min: count,
  staleTaskCount: count,
  maxStaleAgeMs: count,
  busyAgents: count,
  idleAgents: count,
  totalAgents: count,
});

const schema = z.object({ running: bool, lastCycle: count, metricsHistory: listOf(snapshot) });

export type HealthSnapshot = z.output<typeof snapshot>;
export interface Health {
  running?: boolean;
  lastCycle?: number;
  /** The newest element of metricsHistory. */
  latest?: HealthSnapshot;
}

export const health = documentSource({
  id: 'health',
  path: 'state/analytics/autopilot_health_report.json',
  empty: {} as Health,
  parse(text): Health {
    const doc = validate(schema, parseJson(text));
    return { running: doc.running, lastCycle: doc.lastCycle, latest: doc.metricsHistory.at(-1) };
  },
});
