/**
 * GET /metrics: both exposition formats, every catalog metric with a value on the sample
 * workspace, known values per metric family on the fixture, the per-task cap, promtool, and
 * freshness after a file change.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { catalog } from '../../src/metrics/catalog.js';
import {
  cleanup,
  cleanupSuite,
  eventually,
  knownFixture,
  parseExposition,
  repoWorkspace,
  sampleValue,
  scrape,
  startTestExporter,
  suiteScoped,
  type PromSample,
  type TestExporter,
} from '../support/server.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const OPENMETRICS_ACCEPT = 'application/openmetrics-text; version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
const PROMTOOL = process.env.PROMTOOL ?? '/usr/bin/promtool';

const promtoolBin = existsSync(PROMTOOL) ? PROMTOOL : 'promtool';
// A fresh machine may lack Debian's prometheus package: the promtool checks then skip, visibly.
// Under CI (which installs it) a missing promtool is a failure, not a skip.
const noPromtool = !process.env.CI && spawnSync(promtoolBin, ['--version']).status !== 0;

function promtool(body: string): { status: number | null; output: string } {
  const r = spawnSync(promtoolBin, ['check', 'metrics'], { input: body, encoding: 'utf8' });
  if (r.error) {
    throw new Error(`promtool is required for this test and could not run (${r.error.message}); install it (apt-get install -y prometheus) or set PROMTOOL`);
  }
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

const f = knownFixture();
/** The sample workspace is served with its example budgets file, as docs/budgets.md runs it. */
const sampleBudgets = () => loadConfig({ WVO_BUDGETS_FILE: path.join(repoWorkspace().root, 'state/budgets.yaml') }).budgets;
let known: TestExporter;
let sample: TestExporter;
beforeAll(async () => {
  [known, sample] = await suiteScoped(() =>
    Promise.all([startTestExporter({ files: f.files }), startTestExporter({ workspace: repoWorkspace(), config: { budgets: sampleBudgets() } })]),
  );
});
afterAll(cleanupSuite);
afterEach(cleanup);

async function fetchMetrics(url: string, accept?: string) {
  const res = await fetch(`${url}/metrics`, { headers: accept ? { accept } : {} });
  expect(res.status).toBe(200);
  return { contentType: res.headers.get('content-type') ?? '', body: await res.text() };
}

/** The sample names a catalog entry produces in an exposition. */
function seriesOf(def: (typeof catalog)[number]): string[] {
  if (def.type === 'histogram') return [`${def.name}_bucket`, `${def.name}_sum`, `${def.name}_count`];
  if (def.type === 'summary') return [def.name, `${def.name}_sum`, `${def.name}_count`];
  return [def.name];
}

describe('exposition formats', () => {
  it('serves the Prometheus text format by default', async () => {
    const { contentType, body } = await fetchMetrics(known.url);
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(body).not.toContain('# EOF');
    expect(body).toMatch(/^# HELP wvo_consensus_decisions_total /m);
    expect(body).toMatch(/^# TYPE wvo_consensus_decisions_total counter$/m);
  });

  it('serves OpenMetrics when Accept asks for it, ending in # EOF', async () => {
    const { contentType, body } = await fetchMetrics(known.url, OPENMETRICS_ACCEPT);
    expect(contentType).toMatch(/^application\/openmetrics-text; version=1\.0\.0/);
    expect(body.trimEnd().endsWith('# EOF')).toBe(true);
    expect(body.indexOf('# EOF')).toBe(body.trimEnd().length - '# EOF'.length);
    // OpenMetrics names the counter family without _total; its samples keep it
    expect(body).toMatch(/^# TYPE wvo_consensus_decisions counter$/m);
    expect(body).toMatch(/^wvo_consensus_decisions_total\{type="task_assignment"\} 25$/m);
  });

  it('declares HELP and TYPE for every family, _total only on counters, and only catalog labels', async () => {
    const { body } = await fetchMetrics(sample.url);
    const parsed = parseExposition(body);
    for (const def of catalog) {
      expect(parsed.types.get(def.name), def.name).toBe(def.type);
      expect(parsed.help.get(def.name), def.name).toBe(def.help);
      expect(def.name.endsWith('_total'), def.name).toBe(def.type === 'counter');
      const allowed = new Set([...def.labels, ...(def.type === 'histogram' ? ['le'] : []), ...(def.type === 'summary' ? ['quantile'] : [])]);
      for (const s of parsed.samples.filter((x) => seriesOf(def).includes(x.name))) {
        for (const k of Object.keys(s.labels)) expect(allowed.has(k), `${def.name} label ${k}`).toBe(true);
      }
    }
  });
});

describe('the sample workspace', () => {
  it.each([
    ['text', undefined],
    ['OpenMetrics', OPENMETRICS_ACCEPT],
  ])('has every catalog metric with a value (%s)', async (_format, accept) => {
    const { body } = await fetchMetrics(sample.url, accept);
    const { samples } = parseExposition(body);
    const missing: string[] = [];
    for (const def of catalog) {
      for (const name of seriesOf(def)) {
        const values = samples.filter((s) => s.name === name);
        if (values.length === 0 || values.some((s) => !Number.isFinite(s.value) && !(name.endsWith('_bucket') && s.labels.le === '+Inf'))) missing.push(name);
      }
    }
    expect(missing).toEqual([]);
    // and the process metrics of prom-client
    expect(samples.some((s) => s.name === 'process_cpu_seconds_total')).toBe(true);
  });

  it.skipIf(noPromtool)('is clean under promtool check metrics (text format)', async () => {
    const { body } = await fetchMetrics(sample.url);
    const r = promtool(body);
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  });

  it.skipIf(noPromtool)('is clean under promtool check metrics (OpenMetrics), apart from promtool reading counters as text', async () => {
    const { body } = await fetchMetrics(sample.url, OPENMETRICS_ACCEPT);
    const r = promtool(body);
    // promtool's linter parses the Prometheus text format only: an OpenMetrics counter family
    // `x` (HELP on `x`, samples `x_total`) reads to it as `x_total` without help. Anything
    // else it reports is a real problem.
    const parsed = parseExposition(body);
    const problems = r.output
      .split('\n')
      .filter((l) => l.trim() !== '')
      .filter((l) => {
        const m = /^(\S+)_total no help text$/.exec(l.trim());
        return !(m && parsed.types.get(m[1]!) === 'counter' && parsed.help.has(m[1]!));
      });
    expect(problems).toEqual([]);
    // the same metrics as the text format, only the counter families renamed
    const text = parseExposition((await fetchMetrics(sample.url)).body);
    const wvo = (p: typeof parsed) => [...new Set(p.samples.filter((s) => s.name.startsWith('wvo_')).map((s) => s.name))].sort();
    expect(wvo(parsed)).toEqual(wvo(text));
  });
});

describe('values from a workspace with known numbers', () => {
  let samples: PromSample[];
  beforeAll(async () => {
    samples = await scrape(known.url);
  });
  const v = (name: string, labels: Record<string, string> = {}) => sampleValue(samples, name, labels);

  it('names the exporter: wvo_exporter_info{workspace,version} 1', async () => {
    const info = samples.filter((s) => s.name === 'wvo_exporter_info');
    expect(info).toHaveLength(1);
    expect(info[0]!.value).toBe(1);
    expect(info[0]!.labels.workspace).toBe(path.basename(known.workspace.root));
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(info[0]!.labels.version).toBe(pkg.version);
    const named = await startTestExporter({ files: f.files, config: { workspaceName: 'fleet-alpha' } });
    expect(sampleValue(await scrape(named.url), 'wvo_exporter_info', { workspace: 'fleet-alpha', version: pkg.version })).toBe(1);
  });

  it('gauges from the health report', () => {
    const l = f.latest;
    expect(v('wvo_autopilot_running')).toBe(1);
    expect(v('wvo_autopilot_last_cycle')).toBe(f.health.lastCycle);
    expect(v('wvo_tasks', { state: 'pending' })).toBe(l.pendingCount);
    expect(v('wvo_tasks', { state: 'ready' })).toBe(l.readyCount);
    expect(v('wvo_tasks', { state: 'in_progress' })).toBe(l.inProgressCount);
    expect(v('wvo_tasks', { state: 'blocked' })).toBe(l.blockedCount);
    expect(v('wvo_tasks', { state: 'done' })).toBe(l.doneCount);
    expect(v('wvo_task_queue_depth')).toBe(l.queueDepth);
    expect(v('wvo_task_wip_utilization_ratio')).toBe(l.wipUtilization);
    expect(v('wvo_task_throughput', { window: '5m' })).toBe(l.throughputLast5Min);
    expect(v('wvo_task_throughput', { window: '1h' })).toBe(l.throughputLastHour);
    expect(v('wvo_tasks_stale')).toBe(l.staleTaskCount);
    expect(v('wvo_task_max_stale_age_seconds')).toBe(l.maxStaleAgeMs / 1000);
    expect(v('wvo_agents', { status: 'busy' })).toBe(l.busyAgents);
    expect(v('wvo_agents', { status: 'idle' })).toBe(l.idleAgents);
  });

  it('ratio gauges follow the SPEC §4 formulas', () => {
    const total = f.quality.length;
    const approved = f.quality.filter((q) => q.decision === 'APPROVED').length;
    expect(v('wvo_task_success_ratio')).toBeCloseTo(approved / total, 12);
    expect(v('wvo_task_failure_ratio')).toBeCloseTo(1 - approved / total, 12);
    expect(v('wvo_task_retry_ratio')).toBeCloseTo(f.resolution.stats.totalLoops / total, 12);
    const h = f.orchestration.history;
    expect(v('wvo_consensus_quorum_ratio')).toBe(h.filter((x) => x.quorumSatisfied).length / h.length);
    const dailyTokens = Object.values(f.usage.providers).reduce((n, p) => n + p.usage.current_day.tokens, 0);
    expect(v('wvo_estimated_cost_per_task_usd')).toBeCloseTo(((dailyTokens / 1000) * 0.015) / f.orchestration.totalDecisions, 12);
  });

  it('roadmap tasks by epic and normalised status', () => {
    for (const epic of new Set(f.tasks.map((t) => t.epic))) {
      for (const status of ['pending', 'ready', 'in_progress', 'blocked', 'done']) {
        expect(v('wvo_roadmap_tasks', { epic, status }), `${epic}/${status}`).toBe(f.tasks.filter((t) => t.epic === epic && t.status === status).length);
      }
    }
  });

  it('host, process, throttle and provider gauges', () => {
    expect(v('wvo_host_cpu_utilization_ratio')).toBeCloseTo(f.resources.cpu_used_pct / 100, 12);
    expect(v('wvo_host_memory_utilization_ratio')).toBeCloseTo(f.resources.memory_used_pct / 100, 12);
    expect(v('wvo_host_disk_utilization_ratio')).toBeCloseTo(f.metricsSummary.operations.latest_snapshot.diskUsage / 100, 12);
    expect(v('wvo_agent_processes', { kind: 'claude' })).toBe(f.resources.claude_processes);
    expect(v('wvo_agent_processes', { kind: 'node' })).toBe(f.resources.node_processes);
    expect(v('wvo_throttle_level')).toBe(f.resources.throttle_level);
    for (const p of Object.values(f.usage.providers)) {
      const base = { provider: p.provider, account: p.account };
      expect(v('wvo_provider_requests', { ...base, window: 'hour' })).toBe(p.usage.current_hour.requests);
      expect(v('wvo_provider_requests', { ...base, window: 'day' })).toBe(p.usage.current_day.requests);
      expect(v('wvo_provider_tokens', { ...base, window: 'hour' })).toBe(p.usage.current_hour.tokens);
      expect(v('wvo_provider_tokens', { ...base, window: 'day' })).toBe(p.usage.current_day.tokens);
      expect(v('wvo_provider_request_limit', { ...base, window: 'hour' })).toBe(p.limits.hourly_requests);
      expect(v('wvo_provider_token_limit', { ...base, window: 'day' })).toBe(p.limits.daily_tokens);
      expect(v('wvo_provider_usage_ratio', base)).toBeCloseTo(p.warnings.percentage_used / 100, 12);
    }
    for (const p of f.providerCapacity.providers) {
      expect(v('wvo_provider_downtime_seconds', { provider: p.provider, stat: 'avg' })).toBe(p.averageDowntimeMs / 1000);
      expect(v('wvo_provider_downtime_seconds', { provider: p.provider, stat: 'max' })).toBe(p.longestDowntimeMs / 1000);
      expect(v('wvo_provider_downtime_seconds', { provider: p.provider, stat: 'min' })).toBe(p.shortestDowntimeMs / 1000);
      const states = samples.filter((s) => s.name === 'wvo_provider_status' && s.labels.provider === p.provider);
      expect(states.filter((s) => s.value === 1).map((s) => s.labels.status)).toEqual([p.currentStatus]);
      expect(states.every((s) => s.value === 0 || s.value === 1)).toBe(true);
    }
    expect(v('wvo_mcp_server_up')).toBe(1); // the pid file holds this (live) process
  });

  it('counters from the logs and documents', () => {
    for (const [type, n] of Object.entries(f.orchestration.byType)) expect(v('wvo_consensus_decisions_total', { type })).toBe(n);
    for (const d of ['APPROVED', 'REJECTED', 'ESCALATED']) {
      expect(v('wvo_quality_gate_decisions_total', { decision: d.toLowerCase() })).toBe(f.quality.filter((q) => q.decision === d).length);
    }
    expect(v('wvo_quality_gate_consensus_total', { reached: 'true' })).toBe(f.quality.filter((q) => q.consensusReached).length);
    expect(v('wvo_quality_gate_consensus_total', { reached: 'false' })).toBe(f.quality.filter((q) => !q.consensusReached).length);
    const reviews = f.quality.flatMap((q) => Object.entries(q.reviews));
    for (const gate of new Set(reviews.map(([g]) => g))) {
      const of = reviews.filter(([g]) => g === gate).map(([, r]) => r.approved === true || r.passed === true);
      expect(v('wvo_quality_gate_reviews_total', { gate, outcome: 'approved' }), gate).toBe(of.filter(Boolean).length);
      expect(v('wvo_quality_gate_reviews_total', { gate, outcome: 'rejected' }), gate).toBe(of.filter((x) => !x).length);
    }
    const detections = reviews.flatMap(([, r]) => ((r.report as { detections?: { detected?: boolean; category: string }[] })?.detections ?? []).filter((d) => d.detected !== false));
    for (const category of new Set(detections.map((d) => d.category))) {
      expect(v('wvo_quality_gate_adversarial_catches_total', { category })).toBe(detections.filter((d) => d.category === category).length);
    }
    const st = f.resolution.stats;
    expect(v('wvo_resolution_loops_total')).toBe(st.totalLoops);
    expect(v('wvo_resolution_loops_closed_total')).toBe(st.closedLoops);
    expect(v('wvo_resolution_loops_closed_within_3_total')).toBe(st.closedWithin3);
    expect(v('wvo_resolution_infinite_loops_total')).toBe(st.infiniteLoopCount);
    expect(v('wvo_resolution_incidents_total')).toBe(st.incidentCount);
    expect(v('wvo_resolution_active_loops')).toBe(f.resolution.activeLoops.length);
    for (const [attempt, n] of Object.entries(st.attemptHistogram)) expect(v('wvo_resolution_attempt_events', { attempt })).toBe(n);
    for (const p of f.providerCapacity.providers) {
      expect(v('wvo_provider_limit_hits_total', { provider: p.provider })).toBe(p.totalLimitHits);
      expect(v('wvo_provider_recoveries_total', { provider: p.provider })).toBe(p.totalRecoveries);
      expect(v('wvo_provider_failovers_total', { provider: p.provider })).toBe(p.totalFailovers);
    }
    // the fixture's lines name no model: model="unknown"
    const model = 'unknown';
    for (const agent_type of new Set(f.executions.map((e) => e.agent_type))) {
      const ex = f.executions.filter((e) => e.agent_type === agent_type);
      expect(v('wvo_executions_total', { agent_type, status: 'success', model })).toBe(ex.filter((e) => e.success).length);
      expect(v('wvo_executions_total', { agent_type, status: 'failure', model })).toBe(ex.filter((e) => !e.success).length);
      expect(v('wvo_execution_tokens_total', { agent_type, kind: 'prompt', model })).toBe(ex.reduce((n, e) => n + e.prompt_tokens, 0));
      expect(v('wvo_execution_tokens_total', { agent_type, kind: 'completion', model })).toBe(ex.reduce((n, e) => n + e.completion_tokens, 0));
      expect(v('wvo_execution_cost_usd_total', { agent_type, model })).toBeCloseTo(ex.reduce((n, e) => n + e.token_cost_usd, 0), 12);
    }
    // one malformed line in each log; the heartbeat line of another type is skipped, not bad
    expect(v('wvo_source_bad_lines_total', { source: 'quality_decisions' })).toBe(1);
    expect(v('wvo_source_bad_lines_total', { source: 'executions' })).toBe(1);
    expect(v('wvo_source_errors_total', { source: 'health' })).toBe(0);
    expect(v('wvo_source_up', { source: 'health' })).toBe(1);
    expect(v('wvo_source_present', { source: 'resolution' })).toBe(1);
  });

  /** Checks a histogram's cumulative buckets, sum and count against raw observations. */
  function expectHistogram(name: string, labels: Record<string, string>, observations: number[]) {
    const buckets = samples.filter((s) => s.name === `${name}_bucket` && Object.entries(labels).every(([k, x]) => s.labels[k] === x));
    expect(buckets.length, `${name} buckets`).toBeGreaterThan(1);
    for (const b of buckets) {
      const le = b.labels.le === '+Inf' ? Infinity : Number(b.labels.le);
      expect(b.value, `${name}${JSON.stringify(labels)} le=${b.labels.le}`).toBe(observations.filter((o) => o <= le).length);
    }
    expect(buckets.at(-1)!.labels.le).toBe('+Inf');
    expect(v(`${name}_count`, labels)).toBe(observations.length);
    expect(v(`${name}_sum`, labels)).toBeCloseTo(observations.reduce((a, b) => a + b, 0), 9);
  }

  it('histograms: cumulative buckets (le inclusive), sum and count', () => {
    for (const agent_type of new Set(f.executions.map((e) => e.agent_type))) {
      expectHistogram('wvo_execution_duration_seconds', { agent_type, model: 'unknown' }, f.executions.filter((e) => e.agent_type === agent_type).map((e) => e.duration_seconds));
    }
    // observations that sit exactly on a bound and beyond the last one are in the fixture
    expect(v('wvo_execution_duration_seconds_bucket', { agent_type: 'claude_code', model: 'unknown', le: '1' })).toBe(2);
    const rubric = new Map<string, number[]>();
    for (const q of f.quality) {
      for (const r of Object.values(q.reviews)) {
        for (const [dim, x] of Object.entries((r.rubric as Record<string, number>) ?? {})) rubric.set(dim, [...(rubric.get(dim) ?? []), x]);
      }
    }
    for (const [dimension, obs] of rubric) expectHistogram('wvo_quality_gate_rubric_score', { dimension }, obs);
    expect(v('wvo_collector_cycle_duration_seconds_count')).toBeGreaterThan(0);
  });

  it('summary: nearest-rank quantiles of recently closed loop durations, with sum and count', () => {
    const secs = f.closedDurationsMs.map((ms) => ms / 1000).sort((a, b) => a - b);
    const nearestRank = (q: number) => secs[Math.max(1, Math.ceil(q * secs.length)) - 1];
    for (const q of ['0.5', '0.95', '0.99']) expect(v('wvo_resolution_duration_seconds', { quantile: q }), q).toBe(nearestRank(Number(q)));
    expect(v('wvo_resolution_duration_seconds_count')).toBe(secs.length);
    expect(v('wvo_resolution_duration_seconds_sum')).toBe(secs.reduce((a, b) => a + b, 0));
  });

  it('per-task series: every active loop under the default cap', () => {
    for (const l of f.resolution.activeLoops) expect(v('wvo_resolution_loop_attempts', { task_id: l.taskId })).toBe(l.attempts);
    expect(v('wvo_resolution_loop_attempts_truncated')).toBe(0);
  });
});

describe('per-task cap', () => {
  it('exports at most maxTaskSeries task_id series and the number left out', async () => {
    const t = await startTestExporter({ files: f.files, config: { maxTaskSeries: 2 } });
    const samples = await scrape(t.url);
    const loops = samples.filter((s) => s.name === 'wvo_resolution_loop_attempts');
    expect(f.resolution.activeLoops).toHaveLength(4);
    expect(loops).toHaveLength(2);
    const mostAttempted = [...f.resolution.activeLoops].sort((a, b) => b.attempts - a.attempts).slice(0, 2);
    expect(loops.map((s) => [s.labels.task_id, s.value]).sort()).toEqual(mostAttempted.map((l) => [l.taskId, l.attempts]).sort());
    expect(sampleValue(samples, 'wvo_resolution_loop_attempts_truncated')).toBe(2);
    // the roadmap's epic label is capped too, nothing lost from the totals
    const roadmap = samples.filter((s) => s.name === 'wvo_roadmap_tasks');
    expect(new Set(roadmap.map((s) => s.labels.epic)).size).toBeLessThanOrEqual(3);
    expect(roadmap.reduce((n, s) => n + s.value, 0)).toBe(f.tasks.length);
  });
});

describe('freshness', () => {
  it('reflects a file change on the next scrapes, without a restart', async () => {
    const t = await startTestExporter({ files: f.files, config: { cacheTtlMs: 50 } });
    expect(sampleValue(await scrape(t.url), 'wvo_throttle_level')).toBe(f.resources.throttle_level);
    await t.workspace.write('state/analytics/resource_metrics.json', { ...f.resources, throttle_level: 7, cpu_used_pct: 12.5 });
    await eventually(async () => {
      const s = await scrape(t.url);
      expect(sampleValue(s, 'wvo_throttle_level')).toBe(7);
      expect(sampleValue(s, 'wvo_host_cpu_utilization_ratio')).toBe(0.125);
    });
    // an appended log line is counted
    const extra = { ...f.executions[0]!, agent_type: 'gemini', success: true, duration_seconds: 2 };
    await t.workspace.append('state/telemetry/executions.jsonl', `${JSON.stringify(extra)}\n`);
    await eventually(async () => {
      expect(sampleValue(await scrape(t.url), 'wvo_executions_total', { agent_type: 'gemini', status: 'success', model: 'unknown' })).toBe(1);
    });
  });
});
