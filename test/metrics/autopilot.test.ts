/**
 * Issue 8's metrics, scraped over real HTTP from an exporter over files in the writers' shapes:
 * executions by model, failure, outcome, quality and cache; the health loop's anomalies and
 * remediations (each counted once over rewrites); model routing; prices per provider.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { QUALITY_BUCKETS } from '../../src/sources/executions.js';
import {
  EXECUTIONS,
  executionRecord,
  HEALTH,
  healthReport,
  jsonl,
  knownExecutions,
  MODEL_ROUTER,
  modelRouterDoc,
  remediation,
  tenRemediations,
} from '../support/autopilot-fixture.js';
import {
  cleanup,
  cleanupSuite,
  eventually,
  getJson,
  knownFixture,
  sampleValue,
  scrape,
  SseClient,
  startTestExporter,
  suiteScoped,
  tempDir,
  T0,
  type PromSample,
  type TestExporter,
} from '../support/server.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const base = knownFixture();
const files = {
  ...base.files,
  [EXECUTIONS]: jsonl(knownExecutions.map(executionRecord)),
  [HEALTH]: healthReport({ remediations: tenRemediations(0) }),
  [MODEL_ROUTER]: modelRouterDoc,
};

let t: TestExporter;
let samples: PromSample[];
beforeAll(async () => {
  t = await suiteScoped(() => startTestExporter({ files, config: { cacheTtlMs: 50 } }));
  samples = await scrape(t.url);
});
afterAll(cleanupSuite);
afterEach(cleanup);
const v = (name: string, labels: Record<string, string> = {}) => sampleValue(samples, name, labels);
const family = (name: string) => samples.filter((s) => s.name === name);

describe('executions by model, failure and outcome', () => {
  it('labels the four execution metrics with codex_model, else model, else unknown', () => {
    const codex = { agent_type: 'codex', model: 'gpt-5-codex' };
    expect(v('wvo_executions_total', { ...codex, status: 'success' })).toBe(1);
    // the line with codex_model null and model "gpt-5-codex" counts under gpt-5-codex
    expect(v('wvo_executions_total', { ...codex, status: 'failure' })).toBe(3);
    expect(v('wvo_executions_total', { agent_type: 'codex', model: 'gpt-5', status: 'success' })).toBe(1);
    expect(v('wvo_executions_total', { agent_type: 'claude_code', model: 'claude-sonnet-4-5', status: 'success' })).toBe(2);
    expect(v('wvo_executions_total', { agent_type: 'claude_code', model: 'claude-sonnet-4-5', status: 'failure' })).toBe(1);
    expect(v('wvo_executions_total', { agent_type: 'claude_code', model: 'unknown', status: 'success' })).toBe(1);
    expect(family('wvo_executions_total').reduce((n, s) => n + s.value, 0)).toBe(knownExecutions.length);

    expect(v('wvo_execution_tokens_total', { ...codex, kind: 'prompt' })).toBe(1000 + 2000 + 100 + 100);
    expect(v('wvo_execution_tokens_total', { ...codex, kind: 'completion' })).toBe(200 + 10 + 10 + 10);
    expect(v('wvo_execution_cost_usd_total', codex)).toBeCloseTo(0.5 + 0.25 + 0.01 + 0.01, 12);
    // token_cost_usd null (the writer's "not finite") costs nothing
    expect(v('wvo_execution_cost_usd_total', { agent_type: 'claude_code', model: 'unknown' })).toBe(0);
    expect(v('wvo_execution_duration_seconds_count', codex)).toBe(4);
    expect(v('wvo_execution_duration_seconds_count', { agent_type: 'claude_code', model: 'claude-sonnet-4-5' })).toBe(3);
  });

  it('counts failed executions by failure_type (null is unknown) and every execution by final_status', () => {
    expect(family('wvo_execution_failures_total').map((s) => [s.labels.agent_type, s.labels.failure_type, s.value]).sort()).toEqual(
      [
        ['claude_code', 'tool_error', 1],
        ['codex', 'timeout', 2],
        ['codex', 'unknown', 1],
      ].sort(),
    );
    expect(family('wvo_execution_outcomes_total').map((s) => [s.labels.agent_type, s.labels.final_status, s.value]).sort()).toEqual(
      [
        ['claude_code', 'done', 3],
        ['claude_code', 'failed', 1],
        ['codex', 'blocked', 1],
        ['codex', 'done', 2],
        ['codex', 'failed', 2],
      ].sort(),
    );
  });

  it('observes quality scores 0..1 in buckets of 0.1 and counts boolean prompt_cache_hit only', () => {
    const observed: Record<string, number[]> = { codex: [0.9, 0.1, 0.35, 1, 0.2], claude_code: [0.75, 0.05, 0.55] };
    for (const [agent_type, obs] of Object.entries(observed)) {
      const buckets = family('wvo_execution_quality_score_bucket').filter((s) => s.labels.agent_type === agent_type);
      expect(buckets.map((b) => b.labels.le)).toEqual([...QUALITY_BUCKETS.map(String), '+Inf']);
      for (const b of buckets) {
        const le = b.labels.le === '+Inf' ? Infinity : Number(b.labels.le);
        expect(b.value, `${agent_type} le=${b.labels.le}`).toBe(obs.filter((x) => x <= le).length);
      }
      expect(v('wvo_execution_quality_score_count', { agent_type })).toBe(obs.length);
      expect(v('wvo_execution_quality_score_sum', { agent_type })).toBeCloseTo(obs.reduce((a, b) => a + b, 0), 12);
    }
    expect(v('wvo_execution_quality_score_bucket', { agent_type: 'codex', le: '0.1' })).toBe(1); // le is inclusive
    expect(v('wvo_execution_prompt_cache_total', { agent_type: 'codex', result: 'hit' })).toBe(2);
    expect(v('wvo_execution_prompt_cache_total', { agent_type: 'codex', result: 'miss' })).toBe(1);
    expect(v('wvo_execution_prompt_cache_total', { agent_type: 'claude_code', result: 'hit' })).toBe(0);
    expect(v('wvo_execution_prompt_cache_total', { agent_type: 'claude_code', result: 'miss' })).toBe(1);
  });

  it('keeps label combinations bounded: 50 (agent type, model) pairs, the rest folded into other', async () => {
    const lines = Array.from({ length: 120 }, (_, i) =>
      executionRecord({ agent_type: `agent-${i % 30}`, codex_model: `model-${i}`, success: false, failure_type: `failure-${i}`, final_status: `status-${i}` }, i),
    );
    const x = await startTestExporter({ files: { [EXECUTIONS]: jsonl(lines) } });
    const s = await scrape(x.url);
    const pairs = (name: string, a: string, b: string) => new Set(s.filter((p) => p.name === name).map((p) => `${p.labels[a]}/${p.labels[b]}`));
    expect(pairs('wvo_executions_total', 'agent_type', 'model').size).toBe(51);
    expect(pairs('wvo_execution_failures_total', 'agent_type', 'failure_type').size).toBe(51);
    expect(pairs('wvo_execution_outcomes_total', 'agent_type', 'final_status').size).toBe(51);
    // nothing is lost from the totals
    expect(sampleValue(s, 'wvo_executions_total', { agent_type: 'other', model: 'other', status: 'failure' })).toBe(70);
    expect(s.filter((p) => p.name === 'wvo_executions_total').reduce((n, p) => n + p.value, 0)).toBe(120);
    expect(s.filter((p) => p.name === 'wvo_execution_failures_total').reduce((n, p) => n + p.value, 0)).toBe(120);
  });
});

describe('the autopilot health loop', () => {
  it('gauges active anomalies by type and severity, and the dependency sync ratio', () => {
    expect(v('wvo_autopilot_anomalies', { type: 'stale_tasks', severity: 'warning' })).toBe(2);
    expect(v('wvo_autopilot_anomalies', { type: 'throughput_degradation', severity: 'critical' })).toBe(1);
    expect(v('wvo_autopilot_anomalies', { type: 'dependency_desync', severity: 'warning' })).toBe(1);
    expect(family('wvo_autopilot_anomalies')).toHaveLength(3);
    expect(v('wvo_task_dependency_sync_ratio')).toBe(0.75);
  });

  it('counts the remediations the report holds at start, by action and outcome', () => {
    // cycles 0..9: 0,3,6,9 resync (success on even cycles), the other six recover
    expect(v('wvo_autopilot_remediations_total', { action: 'recover_stale_tasks', outcome: 'success' })).toBe(6);
    expect(v('wvo_autopilot_remediations_total', { action: 'resync_dependencies', outcome: 'success' })).toBe(2);
    expect(v('wvo_autopilot_remediations_total', { action: 'resync_dependencies', outcome: 'failure' })).toBe(2);
  });

  it('grows by exactly one when the writer rewrites its last ten, repeating nine and adding one', async () => {
    const x = await startTestExporter({ files: { [HEALTH]: healthReport({ remediations: tenRemediations(0) }) }, config: { cacheTtlMs: 50 } });
    const total = (s: PromSample[]) => s.filter((p) => p.name === 'wvo_autopilot_remediations_total').reduce((n, p) => n + p.value, 0);
    expect(total(await scrape(x.url))).toBe(10);
    // cycle 10 is a recover_stale_tasks remediation: 1..10 is 9 repeated + 1 new
    await x.workspace.write(HEALTH, healthReport({ remediations: tenRemediations(1), syncRatio: 0.5 }));
    const after = await eventually(async () => {
      const s = await scrape(x.url);
      expect(sampleValue(s, 'wvo_task_dependency_sync_ratio')).toBe(0.5);
      return s;
    });
    expect(total(after)).toBe(11);
    expect(sampleValue(after, 'wvo_autopilot_remediations_total', { action: 'recover_stale_tasks', outcome: 'success' })).toBe(7);
    // the same report again, and one with the same ten reordered: no change
    await x.workspace.write(HEALTH, { ...healthReport({ remediations: [...tenRemediations(1)].reverse(), syncRatio: 0.25 }) });
    await eventually(async () => expect(sampleValue(await scrape(x.url), 'wvo_task_dependency_sync_ratio')).toBe(0.25));
    expect(total(await scrape(x.url))).toBe(11);
    // a failed remediation of a new anomaly counts under outcome="failure"
    const failed = remediation('stale_tasks', T0 + 99 * 300_000, 'recover_stale_tasks', false);
    await x.workspace.write(HEALTH, healthReport({ remediations: [...tenRemediations(2), failed], syncRatio: 0.3 }));
    await eventually(async () => expect(sampleValue(await scrape(x.url), 'wvo_task_dependency_sync_ratio')).toBe(0.3));
    const last = await scrape(x.url);
    expect(total(last)).toBe(13); // cycle 11 and the failed one
    expect(sampleValue(last, 'wvo_autopilot_remediations_total', { action: 'recover_stale_tasks', outcome: 'failure' })).toBe(1);
    // a torn rewrite keeps the counts (last good value)
    await x.workspace.write(HEALTH, '{"recentRemediations": [');
    await eventually(async () => expect(sampleValue(await scrape(x.url), 'wvo_source_up', { source: 'health' })).toBe(0));
    expect(total(await scrape(x.url))).toBe(13);
  });

  it('answers GET /api/metrics/health with the anomalies and remediations and their text', async () => {
    const body = await getJson(`${t.url}/api/metrics/health`);
    expect(Object.keys(body).sort()).toEqual(['activeAnomalies', 'dependencySyncRatio', 'recentRemediations', 'running', 'updatedAt']);
    expect(body.updatedAt).toBe(new Date(T0).toISOString());
    expect(body.running).toBe(true);
    expect(body.dependencySyncRatio).toBe(0.75);
    expect(body.activeAnomalies).toHaveLength(4);
    expect(body.activeAnomalies[2]).toEqual({
      type: 'throughput_degradation',
      severity: 'critical',
      description: 'Throughput degraded to 0.0/hr (baseline: 10/hr)',
      detectedAt: new Date(T0).toISOString(),
      metrics: { staleCount: 2, maxStaleAgeMs: 5_400_000 },
    });
    expect(body.recentRemediations).toHaveLength(10);
    expect(body.recentRemediations[0]).toEqual({
      anomalyType: 'dependency_desync',
      anomalyDetectedAt: new Date(T0).toISOString(),
      action: 'resync_dependencies',
      rationale: 'why resync_dependencies',
      estimatedImpact: 'low',
      safe: true,
      success: true,
      message: 'resync_dependencies done',
    });
    // free text is in JSON only, never a label
    const text = await (await fetch(`${t.url}/metrics`)).text();
    expect(text).not.toContain('Throughput degraded');
    expect(text).not.toContain('why resync');
  });

  it('nulls what the report does not say, and answers empty lists without a report', async () => {
    const x = await startTestExporter({
      files: { [HEALTH]: { running: false, metricsHistory: [], activeAnomalies: [{ type: 'queue_empty', severity: 'info' }], recentRemediations: [{ success: false }] } },
    });
    const body = await getJson(`${x.url}/api/metrics/health`);
    expect(body.dependencySyncRatio).toBeNull();
    expect(body.activeAnomalies).toEqual([{ type: 'queue_empty', severity: 'info', description: null, detectedAt: null, metrics: {} }]);
    expect(body.recentRemediations).toEqual([
      { anomalyType: 'unknown', anomalyDetectedAt: null, action: 'unknown', rationale: null, estimatedImpact: null, safe: null, success: false, message: null },
    ]);
    const none = await startTestExporter({ files: {} });
    expect(await getJson(`${none.url}/api/metrics/health`)).toMatchObject({ running: false, dependencySyncRatio: null, activeAnomalies: [], recentRemediations: [] });
  });

  it('bundles the health payload into every SSE event', async () => {
    const client = await SseClient.open(`${t.url}/api/metrics/stream`);
    const data = await client.event(1);
    expect(data.health).toEqual(await getJson(`${t.url}/api/metrics/health`));
    client.close();
  });
});

describe('model routing', () => {
  it('exports tiers, routed tasks, actual and baseline cost and the savings ratio', () => {
    for (const [tier, n] of Object.entries(modelRouterDoc.tierDistribution)) expect(v('wvo_model_router_tasks', { tier })).toBe(n);
    expect(v('wvo_model_router_routed_tasks')).toBe(40);
    expect(v('wvo_model_router_cost_usd', { kind: 'actual' })).toBe(1.8);
    expect(v('wvo_model_router_cost_usd', { kind: 'baseline' })).toBe(3);
    expect(v('wvo_model_router_savings_ratio')).toBe(0.4);
  });

  it('adds modelRouter to /api/metrics/resources', async () => {
    const body = await getJson(`${t.url}/api/metrics/resources`);
    expect(body.modelRouter).toEqual({
      totalTasks: 40,
      totalCostActual: 1.8,
      totalCostBaseline: 3,
      totalSavings: 1.2,
      savingsPercent: 40,
      tierDistribution: modelRouterDoc.tierDistribution,
    });
  });

  it('keeps the last good value over a torn rewrite; negative savings stay negative', async () => {
    const x = await startTestExporter({ files: { [MODEL_ROUTER]: { ...modelRouterDoc, totalSavings: -0.3, savingsPercent: -10 } }, config: { cacheTtlMs: 50 } });
    expect(sampleValue(await scrape(x.url), 'wvo_model_router_savings_ratio')).toBe(-0.1);
    await x.workspace.write(MODEL_ROUTER, '{"totalTasks": 4');
    await eventually(async () => expect(sampleValue(await scrape(x.url), 'wvo_source_up', { source: 'model_router' })).toBe(0));
    const s = await scrape(x.url);
    expect(sampleValue(s, 'wvo_model_router_routed_tasks')).toBe(40);
    expect((await getJson(`${x.url}/api/metrics/resources`)).modelRouter.totalSavings).toBe(-0.3);
  });
});

describe('prices per provider and model', () => {
  const tokens = (p: string) => base.usage.providers[p as keyof typeof base.usage.providers].usage;

  it('without a pricing file, prices every token at WVO_COST_PER_1K_TOKENS', () => {
    expect(v('wvo_provider_estimated_cost_usd', { provider: 'claude', account: 'primary', window: 'hour' })).toBeCloseTo((tokens('claude:primary').current_hour.tokens / 1000) * 0.015, 12);
    expect(v('wvo_provider_estimated_cost_usd', { provider: 'codex', account: 'team', window: 'day' })).toBeCloseTo((tokens('codex:team').current_day.tokens / 1000) * 0.015, 12);
  });

  it('with WVO_PRICING_FILE, prices each provider (and model) and the cost per task follows', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'pricing.yaml');
    await fs.writeFile(
      file,
      ['providers:', '  claude:', '    per_1k_tokens: 0.02', '    output_per_1k_tokens: 0.08', '  codex:', '    per_1k_tokens: 0.004', '    models:', '      gpt-5-codex: { per_1k_tokens: 0.003 }', ''].join('\n'),
    );
    const usage = structuredClone(base.usage) as Record<string, any>;
    usage.providers['codex:team'].model = 'gpt-5-codex';
    usage.providers['gemini:free'] = { provider: 'gemini', account: 'free', usage: { current_hour: { tokens: 1000 }, current_day: { tokens: 4000 } } };
    const x = await startTestExporter({
      files: { ...base.files, 'state/limits/usage_log.json': usage },
      baseConfig: loadConfig({ WVO_PRICING_FILE: file, WVO_COST_PER_1K_TOKENS: '0.5' }),
    });
    const s = await scrape(x.url);
    const cost = (provider: string, account: string, window: string) => sampleValue(s, 'wvo_provider_estimated_cost_usd', { provider, account, window });
    const claudeDay = tokens('claude:primary').current_day.tokens;
    const codexDay = tokens('codex:team').current_day.tokens;
    expect(cost('claude', 'primary', 'day')).toBeCloseTo((claudeDay / 1000) * 0.02, 12);
    // the model's own price wins over its provider's
    expect(cost('codex', 'team', 'day')).toBeCloseTo((codexDay / 1000) * 0.003, 12);
    // a provider the file does not list: WVO_COST_PER_1K_TOKENS
    expect(cost('gemini', 'free', 'hour')).toBeCloseTo(0.5, 12);
    const perTask = ((claudeDay / 1000) * 0.02 + (codexDay / 1000) * 0.003 + (4000 / 1000) * 0.5) / base.orchestration.totalDecisions;
    expect(sampleValue(s, 'wvo_estimated_cost_per_task_usd')).toBeCloseTo(perTask, 12);
    expect((await getJson(`${x.url}/api/metrics/resources`)).estimatedCostPerTask).toBeCloseTo(perTask, 12);
  });
});

describe('restart with archives', () => {
  it('serves the same execution counts after the exporter restarts', async () => {
    const x = await startTestExporter({ files: { [EXECUTIONS]: jsonl(knownExecutions.slice(0, 4).map(executionRecord)) }, config: { cacheTtlMs: 50 } });
    const archive = 'state/telemetry/archives/executions_2026-11-27T11-00-00.jsonl';
    await fs.mkdir(path.dirname(x.workspace.abs(archive)), { recursive: true });
    // rotation: the live log renamed into archives/, a new one started
    await fs.rename(x.workspace.abs(EXECUTIONS), x.workspace.abs(archive));
    await x.workspace.append(EXECUTIONS, jsonl(knownExecutions.slice(4).map(executionRecord)));
    const executions = (s: PromSample[]) => s.filter((p) => p.name === 'wvo_executions_total').map((p) => `${JSON.stringify(p.labels)}=${p.value}`).sort();
    const before = await eventually(async () => {
      const s = await scrape(x.url);
      expect(s.filter((p) => p.name === 'wvo_executions_total').reduce((n, p) => n + p.value, 0)).toBe(knownExecutions.length);
      return executions(s);
    });
    await x.stop();
    const again = await startTestExporter({ workspace: x.workspace, config: { parseWorkers: 2 } });
    expect(executions(await scrape(again.url))).toEqual(before);
  });
});

