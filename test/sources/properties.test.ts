import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { sources } from '../../src/sources/registry.js';
import type { DocumentSource, LogSource } from '../../src/sources/source.js';

// Field names the schemas read, so generated objects often hit real fields with hostile values.
const KEYS = [
  ...['running', 'lastCycle', 'metricsHistory', 'timestamp', 'pendingCount', 'readyCount', 'doneCount', 'queueDepth', 'wipUtilization', 'busyAgents'],
  ...['updatedAt', 'totalDecisions', 'byType', 'history', 'id', 'taskId', 'type', 'quorumSatisfied'],
  ...['activeLoops', 'attempts', 'firstAttemptAt', 'labels', 'elapsedMs', 'stats', 'totalLoops', 'attemptHistogram', 'recentEvents', 'recentlyClosed'],
  ...['memory_used_pct', 'cpu_used_pct', 'claude_processes', 'throttle_level', 'throttle_params'],
  ...['lastUpdated', 'providers', 'provider', 'totalLimitHits', 'averageDowntimeMs', 'currentStatus'],
  ...['last_saved', 'account', 'limits', 'hourly_tokens', 'usage', 'current_hour', 'requests', 'tokens', 'warnings', 'percentage_used'],
  ...['operations', 'latest_snapshot', 'diskUsage', 'epics', 'milestones', 'sets', 'tasks', 'title', 'status', 'epic_id', 'name'],
  ...['decision', 'reviews', 'approved', 'passed', 'rubric', 'report', 'detections', 'detected', 'category', 'adversarialCategory', 'consensusReached'],
  ...['agent_type', 'success', 'duration_seconds', 'prompt_tokens', 'completion_tokens', 'token_cost_usd', 'finalReasoning'],
  '0',
  '1',
  '__proto__',
  'constructor',
];

const leaf = fc.oneof(
  fc.double(), // includes NaN, ±Infinity, -0 and huge magnitudes
  fc.constantFrom(Number.MAX_VALUE, 1e308, Number.MAX_SAFE_INTEGER, -1, Number.NaN, Number.POSITIVE_INFINITY, 0, 0.5, 7),
  fc.integer(),
  fc.string(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom('done', 'In Progress', 'blocked', 'APPROVED', 'REJECTED', 'execution_summary', '2026-11-27T14:29:40.000Z', 'claude:primary'),
);

const { value: hostile } = fc.letrec<{ value: unknown; array: unknown[]; object: Record<string, unknown> }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 4 }),
  object: fc.dictionary(fc.constantFrom(...KEYS), tie('value'), { maxKeys: 6 }),
}));

/** JSON as a writer might produce it, with ±Infinity spelled as an overflowing literal (what JSON.parse turns into Infinity). */
function toJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isNaN(x) && !Number.isFinite(x) ? (x > 0 ? '__+INF__' : '__-INF__') : x))
    .replaceAll('"__+INF__"', '1e999')
    .replaceAll('"__-INF__"', '-1e999');
}

// Free-form objects passed through to the views as the writer wrote them (not metrics).
const PASS_THROUGH = new Set(['recentEvents', 'throttle_params']);

/** Every number reachable in a parsed value (outside pass-through fields): the exporter turns these into samples. */
function numbers(v: unknown, out: number[] = [], depth = 0): number[] {
  if (typeof v === 'number') out.push(v);
  else if (v && typeof v === 'object' && depth < 64) {
    for (const [k, x] of Object.entries(v)) if (!PASS_THROUGH.has(k)) numbers(x, out, depth + 1);
  }
  return out;
}

const documents = sources.filter((s): s is Extract<(typeof sources)[number], DocumentSource> => s.kind === 'document');
const logs = sources.filter((s): s is Extract<(typeof sources)[number], LogSource> => s.kind === 'log');

/** Returns the parsed value, or undefined after checking that the failure is an Error. */
function tryParse(source: DocumentSource, text: string): unknown {
  try {
    return source.parse(text);
  } catch (err) {
    expect(err).toBeInstanceOf(Error);
    return undefined;
  }
}

describe('document parsers on arbitrary input', () => {
  it('covers all ten document sources', () => {
    expect(documents.map((s) => s.id).sort()).toEqual(
      ['health', 'mcp_pid', 'metrics_summary', 'model_router', 'orchestration', 'provider_capacity', 'resolution', 'resources', 'roadmap', 'usage'].sort(),
    );
  });

  it.each(documents.map((s) => [s.id, s] as const))('%s: arbitrary text either parses or throws an Error', (_id, source) => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' })), (text) => {
        tryParse(source, text);
      }),
      { numRuns: 150 },
    );
  });

  it.each(documents.map((s) => [s.id, s] as const))('%s: hostile documents never yield a non-finite number', (_id, source) => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...KEYS), hostile, { maxKeys: 8 }), (doc) => {
        const text = source.id === 'roadmap' ? toYaml(doc) : toJson(doc);
        const value = tryParse(source, text);
        if (value === undefined) return;
        for (const n of numbers(value)) expect(Number.isFinite(n)).toBe(true);
        expect(() => JSON.stringify(value)).not.toThrow();
      }),
      { numRuns: 150 },
    );
  });

  it('mcp_pid: a returned pid is always a positive integer', () => {
    const source = documents.find((s) => s.id === 'mcp_pid')!;
    fc.assert(
      fc.property(fc.oneof(fc.integer().map(String), fc.double().map(String), fc.string()), (text) => {
        const v = tryParse(source, text) as { pid?: number; alive: boolean } | undefined;
        if (v === undefined) return;
        expect(Number.isSafeInteger(v.pid) && v.pid! > 0).toBe(true);
        expect(typeof v.alive).toBe('boolean');
      }),
      { numRuns: 200 },
    );
  });
});

describe('log line schemas on arbitrary values', () => {
  it.each(logs.map((s) => [s.id, s] as const))('%s: folding hostile records keeps every number finite and non-negative', (_id, source) => {
    // Records with the real field names and hostile values, plus arbitrary shapes.
    const fields = fc.record(
      {
        type: fc.constantFrom('execution_summary', 'heartbeat'),
        decision: fc.oneof(fc.constantFrom('APPROVED', 'REJECTED', 'escalated'), leaf),
        agent_type: fc.constantFrom('claude_code', 'codex'),
        success: leaf,
        duration_seconds: leaf,
        prompt_tokens: leaf,
        completion_tokens: leaf,
        token_cost_usd: leaf,
        timestamp: leaf,
        consensusReached: leaf,
        reviews: fc.dictionary(
          fc.constantFrom('peer', 'adversarial', 'automated'),
          fc.record(
            { approved: leaf, passed: leaf, rubric: fc.dictionary(fc.constantFrom('correctness', 'security'), leaf), report: hostile, adversarialCategory: leaf },
            { requiredKeys: [] },
          ),
        ),
      },
      { requiredKeys: ['type', 'decision'] },
    );
    const record = fc.oneof(fields, hostile);
    fc.assert(
      fc.property(fc.array(record, { maxLength: 20 }), (records) => {
        const s = source as LogSource;
        const acc = s.create();
        for (const raw of records) {
          if (s.relevant && !s.relevant(raw)) continue;
          const r = s.line.safeParse(raw);
          if (r.success) s.add(acc, r.data);
        }
        const view = s.view(acc);
        for (const n of numbers(view)) expect(Number.isFinite(n) && n >= 0).toBe(true);
      }),
      { numRuns: 150 },
    );
  });
});
