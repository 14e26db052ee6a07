/**
 * The CSV exports from a real snapshot (a collector over a temp workspace full of awkward
 * values), parsed back with csv-parse: RFC 4180 quoting, formulas neutralised, one row per item.
 */
import { text } from 'node:stream/consumers';
import { parse } from 'csv-parse/sync';
import { afterEach, describe, expect, it } from 'vitest';
import { Collector } from '../../src/collector/collector.js';
import type { Snapshot } from '../../src/collector/snapshot.js';
import { silentLogger } from '../../src/logger.js';
import { CSV_EXPORTS, csvFileName, csvStream, type CsvExport } from '../../src/views/csv.js';
import type { TaskFilter } from '../../src/views/tasks.js';
import { cleanup, createWorkspace, knownFixture, T0, type FileContent } from '../support/server.js';

/** The ' prefix csv-stringify's escape_formulas puts before = + - @ tab CR. */
const neutralised = (s: string) => (/^[=+\-@\t\r]/.test(s) ? `'${s}` : s);
/** Label-like sources (gates, agent types, reasons) trim their keys. */
const key = (s: string) => neutralised(s.trim());
const AWKWARD = ['has,comma', 'has "quotes"', 'multi\nline', 'cr\r\nlf', '=HYPERLINK("http://x","y")', '+1', '-2', '@SUM(A1)', '\ttab', 'plain'];

let collector: Collector | undefined;
afterEach(async () => {
  await collector?.stop();
  collector = undefined;
  await cleanup();
});

async function snapshotOf(files: Record<string, FileContent>): Promise<Snapshot> {
  const ws = await createWorkspace(files);
  collector = new Collector({ workspaceRoot: ws.root, logger: silentLogger, maxLineBytes: 1 << 20, pollIntervalMs: 3_600_000, watch: false });
  return collector.refresh();
}

const ALL: TaskFilter = { labels: [], sort: 'id' };
const exportOf = (name: string): CsvExport => CSV_EXPORTS.get(name)!;

async function rows(name: string, s: Snapshot, filter = ALL): Promise<string[][]> {
  const body = await text(csvStream(exportOf(name), s, filter));
  expect(body.endsWith('\r\n')).toBe(true);
  const parsed = parse(body, { relax_column_count: false }) as string[][];
  expect(parsed[0]).toEqual(exportOf(name).headers);
  return parsed.slice(1);
}

const EXTRA_MODEL = { agent_type: 'plain', codex_model: 'codex-mini', success: true, duration_seconds: 100, prompt_tokens: 7, completion_tokens: 3, token_cost_usd: 0.5 };
const NO_MODEL = { agent_type: 'plain', success: false, duration_seconds: 2, prompt_tokens: 1, completion_tokens: 1, token_cost_usd: 0.125 };

function awkwardFiles() {
  const f = knownFixture();
  const tasks = AWKWARD.map((v, i) => ({ id: i === 4 ? '=T-1' : `T-${i}`, title: v, status: i % 2 ? 'done' : 'ready', domain: v, labels: [v, 'x'], dependencies: [v] }));
  return {
    ...f.files,
    'state/roadmap.yaml': { epics: [{ id: 'E,1', title: 'Epic "one"', milestones: [{ id: '=M', title: '+m', tasks }] }] },
    'state/analytics/quality_gate_decisions.jsonl': AWKWARD.map((reason, i) => ({
      taskId: `R-${i}`,
      decision: 'REJECTED',
      timestamp: T0,
      finalReasoning: reason,
      reviews: { [reason]: { approved: false } },
    })),
    'state/analytics/resolution_metrics.json': {
      ...f.resolution,
      recentlyClosed: AWKWARD.map((taskId, i) => ({ taskId, attempts: i, closedAt: new Date(T0 + i).toISOString(), durationMs: i * 10, runId: `run,${i}` })),
    },
    'state/limits/usage_log.json': {
      providers: Object.fromEntries(AWKWARD.map((v, i) => [`p${i}:${v}`, { provider: `p${i}`, account: v, tier: v, warnings: { percentage_used: i } }])),
    },
    'state/telemetry/executions.jsonl': [
      ...AWKWARD.map((agent_type, i) => ({
        timestamp: new Date(T0).toISOString(),
        type: 'execution_summary',
        agent_type,
        model: AWKWARD[AWKWARD.length - 1 - i],
        success: i % 3 !== 0,
        duration_seconds: i,
        prompt_tokens: 10 * i,
        completion_tokens: i,
        total_tokens: 11 * i,
        token_cost_usd: i / 4,
      })),
      // a second model for one agent type (codex_model wins over model), and a line naming none
      { ...EXTRA_MODEL, timestamp: new Date(T0).toISOString(), type: 'execution_summary', model: 'ignored', total_tokens: 10 },
      { ...NO_MODEL, timestamp: new Date(T0).toISOString(), type: 'execution_summary', total_tokens: 2 },
    ],
  };
}

describe('CSV exports', () => {
  it('are dated wvo-<name>-YYYY-MM-DD.csv files by the UTC day', () => {
    expect(csvFileName(exportOf('roadmap'), new Date('2026-12-01T23:59:59Z'))).toBe('wvo-roadmap-2026-12-01.csv');
    expect([...CSV_EXPORTS.keys()].sort()).toEqual(
      ['executions', 'quality_gates', 'rejection_reasons', 'resolution', 'resolution_closed', 'roadmap', 'tasks', 'usage'].sort(),
    );
  });

  it('round-trip the roadmap with awkward titles, ids, labels and dependencies, formulas neutralised', async () => {
    const s = await snapshotOf(awkwardFiles());
    const got = await rows('roadmap', s);
    const expected = s.data.roadmap.tasks
      .map((t) => [t.id, t.title, t.status, 'E,1', 'Epic "one"', '=M', '+m', t.domain!, t.labels.join(';'), t.dependencies.join(';')])
      .sort((a, b) => a[0]!.localeCompare(b[0]!, 'en', { numeric: true }))
      .map((r) => r.map(neutralised));
    expect(got).toEqual(expected);
    expect(got.map((r) => r[0])).toContain("'=T-1");
    for (const row of got) for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
  });

  it('apply the task filter and sort to the roadmap export', async () => {
    const s = await snapshotOf(awkwardFiles());
    const done = await rows('roadmap', s, { ...ALL, state: 'done', sort: 'id' });
    expect(done.map((r) => r[2])).toEqual(Array(AWKWARD.length / 2).fill('done'));
    const labelled = await rows('roadmap', s, { ...ALL, labels: ['has,comma', 'x'] });
    expect(labelled.map((r) => r[0])).toEqual(['T-0']);
  });

  it('round-trip rejection reasons (every one, most frequent first) and quality gates', async () => {
    const files = awkwardFiles();
    const lines = files['state/analytics/quality_gate_decisions.jsonl'] as Record<string, unknown>[];
    lines.push({ ...lines[2]!, taskId: 'again' });
    const s = await snapshotOf(files);
    const reasons = await rows('rejection_reasons', s);
    expect(reasons[0]).toEqual([neutralised('multi\nline'), '2']);
    expect(reasons.slice(1).map((r) => r[0]).sort()).toEqual(AWKWARD.filter((r) => r !== 'multi\nline').map(key).sort());
    expect(reasons.slice(1).every((r) => r[1] === '1')).toBe(true);

    const gates = await rows('quality_gates', s);
    expect(Object.fromEntries(gates.map(([g, a, r]) => [g, [a, r]]))).toEqual(
      Object.fromEntries(AWKWARD.map((g) => [key(g), ['0', g === 'multi\nline' ? '2' : '1']])),
    );
  });

  it('round-trip executions per agent type and model, usage and recently closed loops', async () => {
    const s = await snapshotOf(awkwardFiles());
    const execs = await rows('executions', s);
    const expected = [
      ...AWKWARD.map((agent, i) => {
        const ok = i % 3 !== 0 ? 1 : 0;
        return [agent, AWKWARD[AWKWARD.length - 1 - i]!, '1', String(ok), String(1 - ok), String(10 * i), String(i), String(i / 4), String(i)];
      }),
      ['plain', 'codex-mini', '1', '1', '0', '7', '3', '0.5', '100'],
      ['plain', 'unknown', '1', '0', '1', '1', '1', '0.125', '2'],
    ]
      .sort((a, b) => a[0]!.trim().localeCompare(b[0]!.trim()) || a[1]!.trim().localeCompare(b[1]!.trim()))
      .map(([agent, model, ...rest]) => [key(agent!), key(model!), ...rest]);
    expect(execs).toEqual(expected);
    // the rows of one agent type add up to its totals
    const plain = execs.filter((r) => r[0] === 'plain');
    expect(plain).toHaveLength(3);
    const totals = s.data.executions.byAgentType['plain']!;
    expect(plain.reduce((n, r) => n + Number(r[2]), 0)).toBe(totals.success + totals.failure);
    expect(plain.reduce((n, r) => n + Number(r[7]), 0)).toBe(totals.costUsd);

    const usage = await rows('usage', s);
    expect(usage.map((r) => [r[0], r[2], r[3], r[12]])).toEqual(AWKWARD.map((v, i) => [`p${i}:${v}`, neutralised(v), neutralised(v), String(i)]));

    const closed = await rows('resolution_closed', s);
    expect(closed).toEqual(AWKWARD.map((v, i) => [neutralised(v), String(i), new Date(T0 + i).toISOString(), String(i * 10), `run,${i}`]));
  });

  it('are the header alone on an empty workspace', async () => {
    const s = await snapshotOf({});
    for (const e of CSV_EXPORTS.values()) {
      const body = await text(csvStream(e, s, ALL));
      if (e.name === 'tasks') expect(body).toBe('state,count\r\npending,0\r\nready,0\r\nin_progress,0\r\nblocked,0\r\ndone,0\r\n');
      else expect(body).toBe(`${e.headers.join(',')}\r\n`);
    }
  });
});
