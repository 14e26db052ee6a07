import { z } from 'zod';
import { CappedMap, labelValue } from './aggregate.js';
import { bool, count, listOf, plainRecord, ratio, str, timestamp } from './fields.js';
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
  // table deps / YAML deps: 1 when in sync, and it can exceed 1.
  dependencySyncRatio: count,
});

const MAX_TEXT = 2000;
const text = str.transform((s) => (s === undefined ? undefined : s.slice(0, MAX_TEXT)));

// The writer's AnomalyDetection: severity is info | warning | critical.
const anomaly = z.object({
  type: str,
  severity: str,
  description: text,
  metrics: plainRecord.optional().catch(undefined),
  detectedAt: timestamp,
});

// The writer's RemediationResult: { plan: { anomaly, action, rationale, estimatedImpact, safe }, success, message }.
const remediation = z.object({
  plan: z
    .object({ anomaly: anomaly.optional().catch(undefined), action: str, rationale: text, estimatedImpact: str, safe: bool })
    .optional()
    .catch(undefined),
  success: bool,
  message: text,
});

const MAX_LISTED = 100;
const schema = z.object({
  running: bool,
  lastCycle: count,
  metricsHistory: listOf(snapshot),
  activeAnomalies: listOf(anomaly),
  recentRemediations: listOf(remediation),
});

export type HealthSnapshot = z.output<typeof snapshot>;

export interface Anomaly {
  type: string;
  severity: string;
  description?: string;
  metrics: Record<string, unknown>;
  detectedAt?: number;
}

export interface Remediation {
  anomalyType: string;
  anomalyDetectedAt?: number;
  action: string;
  rationale?: string;
  estimatedImpact?: string;
  safe?: boolean;
  success: boolean;
  message?: string;
}

/** Remediations counted once each since the exporter started (seeded from what the file held then). */
export interface RemediationCounts {
  /** By action, then outcome. */
  byAction: Record<string, { success: number; failure: number }>;
  /** Ids already counted, newest last (bounded). */
  seen: readonly string[];
}

export interface Health {
  running?: boolean;
  lastCycle?: number;
  /** The newest element of metricsHistory. */
  latest?: HealthSnapshot;
  activeAnomalies: Anomaly[];
  recentRemediations: Remediation[];
  remediations: RemediationCounts;
}

/** The writer keeps its last 10: remembering 1000 ids is ample and bounds memory. */
export const MAX_SEEN_REMEDIATIONS = 1000;
const MAX_ACTIONS = 50;

/** A remediation is identified by its anomaly's type and detectedAt, and its action. */
export const remediationId = (r: Remediation) => `${r.anomalyType}\u0000${r.anomalyDetectedAt ?? ''}\u0000${r.action}`;

function countRemediations(previous: RemediationCounts, list: readonly Remediation[]): RemediationCounts {
  const seen = new Set(previous.seen);
  const fresh = list.filter((r) => {
    const id = remediationId(r);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  if (fresh.length === 0) return previous;
  const byAction = new CappedMap(MAX_ACTIONS, () => ({ success: 0, failure: 0 }));
  for (const [action, c] of Object.entries(previous.byAction)) Object.assign(byAction.get(action), c);
  for (const r of fresh) byAction.get(r.action)[r.success ? 'success' : 'failure']++;
  return {
    byAction: Object.fromEntries([...byAction.entries].map(([k, v]) => [k, { ...v }])),
    seen: [...seen].slice(-MAX_SEEN_REMEDIATIONS),
  };
}

const NO_REMEDIATIONS: RemediationCounts = { byAction: {}, seen: [] };

export const health = documentSource({
  id: 'health',
  path: 'state/analytics/autopilot_health_report.json',
  empty: { activeAnomalies: [], recentRemediations: [], remediations: NO_REMEDIATIONS } as Health,
  parse(text): Health {
    const doc = validate(schema, parseJson(text));
    const recentRemediations = doc.recentRemediations.slice(-MAX_LISTED).map(
      (r): Remediation => ({
        anomalyType: labelValue(r.plan?.anomaly?.type),
        anomalyDetectedAt: r.plan?.anomaly?.detectedAt,
        action: labelValue(r.plan?.action),
        rationale: r.plan?.rationale,
        estimatedImpact: r.plan?.estimatedImpact,
        safe: r.plan?.safe,
        success: r.success === true,
        message: r.message,
      }),
    );
    return {
      running: doc.running,
      lastCycle: doc.lastCycle,
      latest: doc.metricsHistory.at(-1),
      activeAnomalies: doc.activeAnomalies.slice(-MAX_LISTED).map((a) => ({
        type: labelValue(a.type),
        severity: labelValue(a.severity?.toLowerCase()),
        description: a.description,
        metrics: a.metrics ?? {},
        detectedAt: a.detectedAt,
      })),
      recentRemediations,
      // parse alone (no history) counts what this version of the file holds.
      remediations: countRemediations(NO_REMEDIATIONS, recentRemediations),
    };
  },
  merge(previous, next): Health {
    return { ...next, remediations: countRemediations(previous.remediations, next.recentRemediations) };
  },
});
