import { promises as fs } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { backfill, type BackfillOptions } from '../../src/backfill/backfill.js';
import { HOLD_MS } from '../../src/backfill/emitter.js';
import { REORDER_MAX_LINES } from '../../src/backfill/replay.js';
import { selectMetrics } from '../../src/backfill/selection.js';
import { cleanup, createWorkspace, sampleValue, scrape, startTestExporter, type Workspace } from '../support/server.js';

afterEach(cleanup);

const T0 = Date.parse('2026-11-20T00:00:00Z');
const MIN = 60_000;
const DECISIONS = 'state/analytics/quality_gate_decisions.jsonl';
const EXECUTIONS = 'state/telemetry/executions.jsonl';
const HEALTH = 'state/analytics/autopilot_health_report.json';
const ORCHESTRATION = 'state/analytics/orchestration_metrics.json';
const RESOLUTION = 'state/analytics/resolution_metrics.json';

interface Point {
  name: string;
  labels: Record<string, string>;
  value: number;
  ts: number;
}

/** OpenMetrics with timestamps: every sample, and the family each sample line sits under. */
function parseOm(text: string): { points: Point[]; families: string[]; types: Map<string, string>; units: Map<string, string> } {
  const points: Point[] = [];
  const families: string[] = [];
  const types = new Map<string, string>();
  const units = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line === '# EOF') continue;
    const meta = /^# (HELP|TYPE|UNIT) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      if (meta[1] === 'TYPE') {
        families.push(meta[2]!);
        types.set(meta[2]!, meta[3]!);
      }
      if (meta[1] === 'UNIT') units.set(meta[2]!, meta[3]!);
      continue;
    }
    const m = /^([a-z_:][a-z0-9_:]*)\{(.*)\} (\S+) (\S+)$/i.exec(line);
    if (!m) throw new Error(`not a timestamped sample: ${line}`);
    const labels = Object.fromEntries([...m[2]!.matchAll(/([a-z_]+)="((?:[^"\\]|\\.)*)"/gi)].map((x) => [x[1]!, x[2]!]));
    points.push({ name: m[1]!, labels, value: Number(m[3]), ts: Number(m[4]) * 1000 });
  }
  return { points, families, types, units };
}

async function runBackfill(ws: Workspace, options: Partial<BackfillOptions> = {}) {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const summary = await backfill({
    workspaceRoot: ws.root,
    out,
    job: 'wvo-exporter',
    instance: 'host:3030',
    fromMs: 0,
    untilMs: T0 + 10 * MIN,
    stepMs: MIN,
    maxLineBytes: 1024 * 1024,
    ...options,
  });
  out.end();
  const text = Buffer.concat(chunks).toString();
  return { summary, text, ...parseOm(text) };
}

const at = (points: Point[], name: string, labels: Record<string, string>, ts: number) =>
  points.find((p) => p.name === name && p.ts === ts && Object.entries(labels).every(([k, v]) => p.labels[k] === v))?.value;

const decision = (ts: number | string | undefined, d = 'APPROVED') => JSON.stringify({ taskId: 'T', decision: d, ...(ts === undefined ? {} : { timestamp: ts }) });
const execution = (ts: number | undefined, cost: number, agent = 'codex') =>
  JSON.stringify({ type: 'execution_summary', ...(ts === undefined ? {} : { timestamp: new Date(ts).toISOString() }), agent_type: agent, success: true, duration_seconds: 30, prompt_tokens: 10, completion_tokens: 5, token_cost_usd: cost });

describe('backfill writer: known answers', () => {
  it('a counter at step T counts exactly the lines stamped before T, with job and instance labels', async () => {
    const ws = await createWorkspace({
      [DECISIONS]: [decision(T0 + 10_000), decision(new Date(T0 + 70_000).toISOString(), 'REJECTED'), decision(T0 + 120_000), decision(T0 + 125_000)],
    });
    const { points, summary } = await runBackfill(ws);
    const approved = (ts: number) => at(points, 'wvo_quality_gate_decisions_total', { decision: 'approved', job: 'wvo-exporter', instance: 'host:3030' }, ts);
    // Lines at +10 s, +120 s (on a boundary: not before it) and +125 s.
    expect([0, 1, 2, 3, 10].map((m) => approved(T0 + m * MIN))).toEqual([0, 1, 1, 3, 3]);
    expect(at(points, 'wvo_quality_gate_decisions_total', { decision: 'rejected' }, T0 + 2 * MIN)).toBe(1);
    expect(summary.logs.find((l) => l.source === 'quality_decisions')?.replayed).toBe(4);
  });

  it('the archives a log source declares are replayed before the live file; cost and the duration histogram follow the lines', async () => {
    const ws = await createWorkspace({
      'state/telemetry/archives/executions_2026-11-19.jsonl': [execution(T0 + 5_000, 0.25)],
      'state/telemetry/archives/other_2026-11-19.jsonl': [execution(T0 + 5_000, 100)],
      [EXECUTIONS]: [execution(T0 + 65_000, 0.5), execution(T0 + 66_000, 1, 'claude_code')],
    });
    const { points, types, summary } = await runBackfill(ws);
    expect(summary.logs.find((l) => l.source === 'executions')!.files).toEqual(['state/telemetry/archives/executions_2026-11-19.jsonl', EXECUTIONS]);
    expect(types.get('wvo_execution_cost_usd')).toBe('counter');
    expect(types.get('wvo_execution_duration_seconds')).toBe('histogram');
    expect(at(points, 'wvo_execution_cost_usd_total', { agent_type: 'codex' }, T0 + MIN)).toBe(0.25);
    expect(at(points, 'wvo_execution_cost_usd_total', { agent_type: 'codex' }, T0 + 2 * MIN)).toBe(0.75);
    expect(at(points, 'wvo_execution_cost_usd_total', { agent_type: 'claude_code' }, T0 + MIN)).toBeUndefined();
    expect(at(points, 'wvo_execution_duration_seconds_count', { agent_type: 'codex' }, T0 + 2 * MIN)).toBe(2);
    expect(at(points, 'wvo_execution_duration_seconds_bucket', { agent_type: 'codex', le: '30' }, T0 + 2 * MIN)).toBe(2);
    expect(at(points, 'wvo_execution_duration_seconds_bucket', { agent_type: 'codex', le: '15' }, T0 + 2 * MIN)).toBe(0);
    expect(at(points, 'wvo_execution_duration_seconds_bucket', { agent_type: 'codex', le: '+Inf' }, T0 + 2 * MIN)).toBe(2);
  });

  it('lines without a usable timestamp are counted in the summary and never placed in time', async () => {
    const ws = await createWorkspace({
      [DECISIONS]: [decision(T0 + 1_000), decision(undefined), decision('not a date'), '{broken', decision(T0 + 11 * MIN)],
    });
    const { points, summary } = await runBackfill(ws);
    const q = summary.logs.find((l) => l.source === 'quality_decisions')!;
    expect(q).toMatchObject({ replayed: 1, untimed: 2, bad: 1, afterUntil: 1 });
    expect(Math.max(...points.filter((p) => p.name === 'wvo_quality_gate_decisions_total').map((p) => p.value))).toBe(1);
  });

  it('a log that cannot be read (a symlink out of the workspace) is reported, and the other logs replayed', async () => {
    const outside = await createWorkspace({ 'secret.jsonl': [decision(T0 + 1_000)] });
    const ws = await createWorkspace({ [EXECUTIONS]: [execution(T0 + 1_000, 1)] });
    await fs.mkdir(path.dirname(ws.abs(DECISIONS)), { recursive: true });
    await fs.symlink(outside.abs('secret.jsonl'), ws.abs(DECISIONS));
    const { points, summary } = await runBackfill(ws);
    expect(summary.logs.find((l) => l.source === 'quality_decisions')!.errors.join()).toMatch(/outside the workspace/);
    expect(points.some((p) => p.name.startsWith('wvo_quality_gate'))).toBe(false);
    expect(at(points, 'wvo_execution_cost_usd_total', { agent_type: 'codex' }, T0 + MIN)).toBe(1);
  });

  it('the real execution writer\'s timestamp_ms / timestamp_iso are used when `timestamp` is absent', async () => {
    const line = (extra: object) => JSON.stringify({ type: 'execution_summary', agent_type: 'codex', success: false, token_cost_usd: 1, ...extra });
    const ws = await createWorkspace({ [EXECUTIONS]: [line({ timestamp_ms: T0 + 1_000 }), line({ timestamp_iso: new Date(T0 + 61_000).toISOString() })] });
    const { points } = await runBackfill(ws);
    expect(at(points, 'wvo_executions_total', { agent_type: 'codex', status: 'failure' }, T0 + MIN)).toBe(1);
    expect(at(points, 'wvo_executions_total', { agent_type: 'codex', status: 'failure' }, T0 + 2 * MIN)).toBe(2);
  });

  it('small disorder is sorted exactly; disorder beyond the window is counted as late and still counted', async () => {
    const ws = await createWorkspace({
      // +3 min, then +1 min and +2 min written later (within the window), then one an hour late.
      [DECISIONS]: [decision(T0 + 3 * MIN + 1), decision(T0 + MIN + 1), decision(T0 + 2 * MIN + 1), decision(T0 + 70 * MIN), decision(T0 + 5_000)],
    });
    const { points, summary } = await runBackfill(ws, { untilMs: T0 + 80 * MIN });
    const approved = (m: number) => at(points, 'wvo_quality_gate_decisions_total', { decision: 'approved' }, T0 + m * MIN);
    // The +5 s line arrives after +3 min was released: it counts from there (the 4 at +4 min).
    expect([1, 2, 3, 4].map(approved)).toEqual([0, 1, 2, 4]);
    expect(summary.logs.find((l) => l.source === 'quality_decisions')!.late).toBe(1);
    expect(approved(80)).toBe(5);
  });

  it('holds at most the reorder window\'s line cap, and stays exact for a sorted log larger than it', async () => {
    const n = REORDER_MAX_LINES * 3;
    const lines = Array.from({ length: n }, (_, i) => decision(T0 + i * 10));
    const ws = await createWorkspace({ [DECISIONS]: lines });
    const { points, summary } = await runBackfill(ws, { untilMs: T0 + 3 * MIN });
    expect(summary.logs.find((l) => l.source === 'quality_decisions')!.late).toBe(0);
    expect(at(points, 'wvo_quality_gate_decisions_total', { decision: 'approved' }, T0 + MIN)).toBe(6000);
    expect(at(points, 'wvo_quality_gate_decisions_total', { decision: 'approved' }, T0 + 2 * MIN)).toBe(12_000);
    expect(at(points, 'wvo_quality_gate_decisions_total', { decision: 'approved' }, T0 + 3 * MIN)).toBe(n);
  });

  it('gauges from metricsHistory, the quorum ratio from the history, closures counted back from recentlyClosed', async () => {
    const snap = (m: number, pending: number) => ({ timestamp: T0 + m * MIN, pendingCount: pending, doneCount: 1, queueDepth: pending * 2 });
    const ws = await createWorkspace({
      [HEALTH]: { running: true, metricsHistory: [snap(2, 5), snap(4, 7), { pendingCount: 99 }] },
      [ORCHESTRATION]: {
        history: [
          { timestamp: new Date(T0 + 30_000).toISOString(), quorumSatisfied: true },
          { timestamp: new Date(T0 + 90_000).toISOString(), quorumSatisfied: false },
        ],
      },
      [RESOLUTION]: {
        stats: { totalLoops: 10, closedLoops: 8, closedWithin3: 6 },
        recentlyClosed: [
          { taskId: 'a', attempts: 2, closedAt: new Date(T0 + 5 * MIN + 1).toISOString() },
          { taskId: 'b', attempts: 5, closedAt: new Date(T0 + 7 * MIN + 1).toISOString() },
        ],
      },
    });
    const { points, summary } = await runBackfill(ws);
    const pending = (m: number) => at(points, 'wvo_tasks', { state: 'pending' }, T0 + m * MIN);
    expect([1, 2, 3, 4, 10].map(pending)).toEqual([undefined, 5, 5, 7, 7]);
    expect(at(points, 'wvo_task_queue_depth', {}, T0 + 3 * MIN)).toBe(10);
    expect(summary.documents.find((d) => d.source === 'health')!.untimed).toBe(1);
    const quorum = (m: number) => at(points, 'wvo_consensus_quorum_ratio', {}, T0 + m * MIN);
    expect([0, 1, 2].map(quorum)).toEqual([undefined, 1, 0.5]);
    const closed = (m: number) => at(points, 'wvo_resolution_loops_closed_total', {}, T0 + m * MIN);
    expect([5, 6, 7, 8, 10].map(closed)).toEqual([undefined, 7, 7, 8, 8]);
    expect(at(points, 'wvo_resolution_loops_closed_within_3_total', {}, T0 + 6 * MIN)).toBe(6);
    expect(at(points, 'wvo_resolution_loops_closed_within_3_total', {}, T0 + 10 * MIN)).toBe(6);
  });
});

describe('backfill writer: what promtool needs', () => {
  it('one TYPE per family, samples of a family together, timestamps increasing per series, # EOF last', async () => {
    const ws = await createWorkspace({
      [DECISIONS]: [decision(T0 + 1_000), decision(T0 + 200_000, 'REJECTED')],
      [EXECUTIONS]: [execution(T0 + 2_000, 1)],
      [HEALTH]: { metricsHistory: [{ timestamp: T0, pendingCount: 1 }] },
    });
    const { text, families, points } = await runBackfill(ws);
    expect(text.endsWith('# EOF\n')).toBe(true);
    expect(new Set(families).size).toBe(families.length);
    // Walk the text: a sample's family is the last TYPE above it, and must own the sample name.
    let family = '';
    const seen = new Set<string>();
    const lastTs = new Map<string, number>();
    for (const line of text.split('\n')) {
      const t = /^# TYPE (\S+)/.exec(line);
      if (t) {
        expect(seen.has(t[1]!)).toBe(false);
        seen.add((family = t[1]!));
        continue;
      }
      if (line.startsWith('#') || line === '') continue;
      const [series, , ts] = line.split(' ');
      expect(series!.startsWith(family), `${series} under ${family}`).toBe(true);
      expect(Number(ts)).toBeGreaterThan(lastTs.get(series!) ?? -Infinity);
      lastTs.set(series!, Number(ts));
    }
    // Counters: family without _total, samples with it; the last point is --until.
    expect(families).toContain('wvo_quality_gate_decisions');
    expect(points.some((p) => p.name === 'wvo_quality_gate_decisions_total')).toBe(true);
    expect(Math.max(...points.map((p) => p.ts))).toBe(T0 + 10 * MIN);
  });

  it('a --until between steps is the last point', async () => {
    const ws = await createWorkspace({ [DECISIONS]: [decision(T0 + 1_000), decision(T0 + 90_000)] });
    const { points } = await runBackfill(ws, { untilMs: T0 + 100_000 });
    const ts = points.filter((p) => p.name === 'wvo_quality_gate_decisions_total' && p.labels.decision === 'approved').map((p) => [p.ts - T0, p.value]);
    expect(ts).toEqual([[0, 0], [60_000, 1], [100_000, 2]]);
  });
});

describe('backfill writer: series that stand still', () => {
  /** What an instant query at T sees: the newest sample at or before T, within Prometheus' 5-minute lookback. */
  const instant = (series: Point[], t: number) => series.filter((p) => p.ts <= t && p.ts > t - 5 * MIN).at(-1)?.value;

  it(`a series is written when it changes (the value before at the step before) and otherwise every ${HOLD_MS / MIN} min: every step still reads as the full grid`, async () => {
    const stamps = [3, 4, 31, 32, 33, 70, 118].map((m) => T0 + m * MIN + 7_000);
    const ws = await createWorkspace({
      [DECISIONS]: stamps.map((t) => decision(t)),
      [HEALTH]: { metricsHistory: [{ timestamp: T0, pendingCount: 4 }, { timestamp: T0 + 50 * MIN, pendingCount: 9 }] },
    });
    const until = T0 + 120 * MIN;
    const { points } = await runBackfill(ws, { untilMs: until });
    const steps = Array.from({ length: 121 }, (_, k) => T0 + k * MIN);
    const counter = points.filter((p) => p.name === 'wvo_quality_gate_decisions_total' && p.labels.decision === 'approved');
    const gauge = points.filter((p) => p.name === 'wvo_tasks' && p.labels.state === 'pending');
    // Known answers at every step: lines stamped before T; the newest health snapshot at or before T.
    // (The counter starts at the step of its first line.)
    expect(steps.map((t) => instant(counter, t))).toEqual(steps.map((t) => (t < T0 + 3 * MIN ? undefined : stamps.filter((s) => s < t).length)));
    expect(steps.map((t) => instant(gauge, t))).toEqual(steps.map((t) => (t >= T0 + 50 * MIN ? 9 : 4)));
    for (const series of [counter, gauge]) {
      const ts = series.map((p) => p.ts);
      // Never more than HOLD_MS apart, a point at every multiple of it, the last point written; far fewer than the 121 steps.
      expect(Math.max(...ts.slice(1).map((t, i) => t - ts[i]!))).toBeLessThanOrEqual(HOLD_MS);
      expect(steps.filter((t) => t >= ts[0]! && t % HOLD_MS === 0).every((t) => ts.includes(t))).toBe(true);
      expect(ts.at(-1)).toBe(until);
      expect(ts.length).toBeLessThan(121 / 2);
      // Each change sits where the full grid puts it: the old value one step before the new one.
      for (let i = 1; i < series.length; i++) {
        if (series[i]!.value === series[i - 1]!.value) continue;
        expect(series[i - 1]!.ts, `change at ${(series[i]!.ts - T0) / MIN} min`).toBe(series[i]!.ts - MIN);
      }
    }
  });

  it('at a step coarser than the hold every point is written', async () => {
    const ws = await createWorkspace({ [DECISIONS]: [decision(T0 + 1_000)] });
    const { points } = await runBackfill(ws, { untilMs: T0 + 60 * MIN, stepMs: 5 * MIN });
    const ts = points.filter((p) => p.name === 'wvo_quality_gate_decisions_total' && p.labels.decision === 'approved').map((p) => (p.ts - T0) / MIN);
    expect(ts).toEqual(Array.from({ length: 13 }, (_, k) => k * 5));
  });
});

describe('backfill: seamless with the live exporter', () => {
  it('the last point of every backfilled counter equals what the running exporter reports for the same files', async () => {
    const now = Date.now();
    const ws = await createWorkspace({
      [DECISIONS]: [decision(now - 3 * MIN), decision(now - 2 * MIN, 'REJECTED'), decision(new Date(now - MIN).toISOString(), 'ESCALATED')],
      // Counted by both sides exactly when the executions source declares archives (issue 8).
      'state/telemetry/archives/executions_2026-11-19T10-05-12.jsonl': [execution(now - 9 * MIN, 0.5)],
      [EXECUTIONS]: [execution(now - 4 * MIN, 1.25), execution(now - 30_000, 2, 'gemini_cli')],
    });
    const { points } = await runBackfill(ws, { untilMs: now });
    const live = await scrape((await startTestExporter({ workspace: ws })).url);
    const selection = selectMetrics();
    const names = [...selection.logs.values()].flat().flatMap((d) => (d.type === 'histogram' ? [`${d.name}_bucket`, `${d.name}_sum`, `${d.name}_count`] : [d.name]));
    let compared = 0;
    for (const p of points.filter((x) => x.ts === now && names.includes(x.name))) {
      const { job: _job, instance: _instance, ...labels } = p.labels;
      expect(sampleValue(live, p.name, labels), `${p.name}${JSON.stringify(labels)}`).toBe(p.value);
      compared++;
    }
    // And nothing the exporter shows for these metrics is missing from the backfill.
    const liveCount = live.filter((s) => names.includes(s.name)).length;
    expect(compared).toBe(liveCount);
    expect(compared).toBeGreaterThan(20);
  });
});

describe('metric selection', () => {
  it('log counters/histograms and history gauges are covered; metrics reading other state are not', () => {
    const s = selectMetrics();
    const names = (defs: { name: string }[] | undefined) => (defs ?? []).map((d) => d.name);
    expect(names(s.logs.get('quality_decisions'))).toContain('wvo_quality_gate_decisions_total');
    expect(names(s.logs.get('executions'))).toEqual(expect.arrayContaining(['wvo_execution_cost_usd_total', 'wvo_execution_duration_seconds']));
    expect(names(s.documents.get('health'))).toEqual(expect.arrayContaining(['wvo_tasks', 'wvo_task_queue_depth', 'wvo_agents']));
    expect(names(s.documents.get('orchestration'))).toEqual(['wvo_consensus_quorum_ratio']);
    const uncovered = names(s.uncovered);
    // Reads usage as well as orchestration; reads the exporter; reads source status.
    expect(uncovered).toEqual(expect.arrayContaining(['wvo_estimated_cost_per_task_usd', 'wvo_sse_clients', 'wvo_source_up', 'wvo_task_success_ratio']));
  });
});

describe('backfill --from', () => {
  it('writes nothing before --from; a counter\'s first point there counts the lines before it; an old document gauge starts there too', async () => {
    const from = T0 + 5 * MIN + 30_000;
    const ws = await createWorkspace({
      [DECISIONS]: [decision(T0 + 1_000), decision(T0 + 2 * MIN), decision(T0 + 5 * MIN), decision(T0 + 6 * MIN), decision(T0 + 8 * MIN + 1)],
      // Documents a year older than the logs, as the real writers' lists are.
      [ORCHESTRATION]: { history: [{ timestamp: new Date(T0 - 365 * 24 * 60 * MIN).toISOString(), quorumSatisfied: true }] },
      [HEALTH]: { metricsHistory: [{ timestamp: T0 - 300 * 24 * 60 * MIN, pendingCount: 42 }] },
    });
    const { points, summary } = await runBackfill(ws, { fromMs: from });
    expect(points.length).toBeGreaterThan(0);
    expect(Math.min(...points.map((p) => p.ts))).toBe(from);
    expect(summary.firstMs).toBe(from);
    const approved = (ts: number) => at(points, 'wvo_quality_gate_decisions_total', { decision: 'approved' }, ts);
    // The lines at +1 s, +2 min and +5 min are before --from: counted in, not written as points.
    expect(approved(from)).toBe(3);
    expect([6, 7, 8, 9, 10].map((m) => approved(T0 + m * MIN))).toEqual([3, 4, 4, 5, 5]);
    expect(at(points, 'wvo_consensus_quorum_ratio', {}, from)).toBe(1);
    expect(at(points, 'wvo_tasks', { state: 'pending' }, from)).toBe(42);
    expect(summary.oldest).toEqual({ source: 'orchestration', ms: T0 - 365 * 24 * 60 * MIN });
  });

  it('a --from before every record changes nothing: the history starts at the oldest record', async () => {
    const ws = await createWorkspace({ [DECISIONS]: [decision(T0 + 2 * MIN + 1), decision(T0 + 3 * MIN)] });
    const early = await runBackfill(ws, { fromMs: T0 - 30 * 24 * 60 * MIN });
    const none = await runBackfill(ws, { fromMs: 0 });
    expect(early.text).toBe(none.text);
    expect(early.summary.firstMs).toBe(T0 + 2 * MIN);
  });
});
