/**
 * Every JSON route of SPEC §4 against a workspace whose numbers are known, plus the HTTP
 * conventions (content type, caching, CORS, OPTIONS, 404, 405, HEAD) and "never a 500".
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Collector } from '../../src/collector/collector.js';
import { defaultConfig, loadConfig } from '../../src/config.js';
import { createApp } from '../../src/http/app.js';
import { SseHub } from '../../src/http/sse.js';
import { silentLogger } from '../../src/logger.js';
import { PrometheusProjection } from '../../src/metrics/prometheus.js';
import { ViewCache } from '../../src/views/cache.js';
import {
  cleanup,
  cleanupSuite,
  createWorkspace,
  eventually,
  getJson,
  knownFixture,
  onCleanup,
  request,
  SOURCE_PATHS,
  SseClient,
  startTestExporter,
  suiteScoped,
  type FixtureTask,
  type KnownFixture,
  type TestExporter,
} from '../support/server.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

// One exporter over the known fixture for the read-only tests; tests that change files start their own.
const f = knownFixture();
let known: TestExporter;
beforeAll(async () => {
  // a high limit: express serves (with rate limiting on), and the many requests here never hit it
  known = await suiteScoped(() => startTestExporter({ files: f.files, config: { rateLimitPerMin: 10_000 } }));
});
afterAll(cleanupSuite);
afterEach(cleanup);

const JSON_ROUTES = ['/api/metrics/tasks', '/api/metrics/quality_gates', '/api/metrics/resolution', '/api/metrics/resources', '/api/metrics/usage'];
const CSV_ROUTES = ['/api/metrics/export/tasks', '/api/metrics/export/resolution'];
const ALL_ROUTES = ['/healthz', '/metrics', ...JSON_ROUTES, ...CSV_ROUTES, '/api/metrics/stream'];

const STATES = ['pending', 'ready', 'in_progress', 'blocked', 'done'] as const;

// --- expectations computed from the fixture ---------------------------------------------------

const isApproved = (r: Record<string, unknown>) => r.approved === true || r.passed === true;

function expectedSuccess(f: KnownFixture) {
  const total = f.quality.length;
  const approved = f.quality.filter((q) => q.decision === 'APPROVED').length;
  return { total, approved, success: approved / total, failure: 1 - approved / total, retry: f.resolution.stats.totalLoops / total };
}

function expectedBottleneck(counts: Record<(typeof STATES)[number], number>): string | null {
  // SPEC §4: the share is of the tasks that are not done.
  const total = STATES.filter((s) => s !== 'done').reduce((n, s) => n + counts[s], 0);
  const [best, n] = STATES.filter((s) => s !== 'done')
    .map((s) => [s, counts[s]] as const)
    .reduce((a, b) => (b[1] > a[1] ? b : a));
  return total > 0 && n > 0 && n / total >= 0.25 ? best : null;
}

const drill = (t: FixtureTask) => ({
  id: t.id,
  title: t.title,
  status: t.status,
  domain: t.domain ?? null,
  milestone: t.milestone,
  labels: t.labels,
});

function expectedDrilldown(tasks: FixtureTask[]) {
  return Object.fromEntries(STATES.map((s) => [s, tasks.filter((t) => t.status === s).slice(0, 20).map(drill)]));
}

function expectedGates(f: KnownFixture) {
  const gates = new Map<string, { approvals: number; rejections: number }>();
  for (const q of f.quality) {
    for (const [gate, review] of Object.entries(q.reviews)) {
      const g = gates.get(gate) ?? { approvals: 0, rejections: 0 };
      if (isApproved(review)) g.approvals++;
      else g.rejections++;
      gates.set(gate, g);
    }
  }
  return [...gates].map(([gate, v]) => ({ gate, ...v }));
}

function expectedRubric(f: KnownFixture) {
  const sums = new Map<string, { sum: number; n: number }>();
  for (const q of f.quality) {
    for (const review of Object.values(q.reviews)) {
      for (const [dim, v] of Object.entries((review.rubric as Record<string, number> | undefined) ?? {})) {
        const s = sums.get(dim) ?? { sum: 0, n: 0 };
        s.sum += v;
        s.n++;
        sums.set(dim, s);
      }
    }
  }
  return Object.fromEntries([...sums].map(([dim, s]) => [dim, s.sum / s.n]));
}

function expectedAdversarial(f: KnownFixture) {
  const counts = new Map<string, number>();
  for (const q of f.quality) {
    for (const review of Object.values(q.reviews)) {
      const detections = (review.report as { detections?: { detected?: boolean; category: string }[] } | undefined)?.detections ?? [];
      for (const d of detections) if (d.detected !== false) counts.set(d.category, (counts.get(d.category) ?? 0) + 1);
    }
  }
  return [...counts].map(([category, count]) => ({ category, count }));
}

const byKey = <T>(key: keyof T) => (a: T, b: T) => String(a[key]).localeCompare(String(b[key]));

// ---------------------------------------------------------------------------------------------

describe('/healthz', () => {
  it('is 200 {status: "ok", timestamp} once the first collection has finished', async () => {
    const t = known;
    const res = await fetch(`${t.url}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as { status: string; timestamp: string };
    expect(body.status).toBe('ok');
    expect(new Date(body.timestamp).toISOString()).toBe(body.timestamp);
  });

  it('is 503 before the first collection (and so are the data routes), never 500', async () => {
    const ws = await createWorkspace(knownFixture().files);
    const config = defaultConfig({ workspaceRoot: ws.root });
    const collector = new Collector({ workspaceRoot: ws.root, logger: silentLogger, maxLineBytes: config.maxLineBytes, pollIntervalMs: 1000, watch: false });
    onCleanup(() => collector.stop());
    const views = new ViewCache({ costPer1kTokens: config.costPer1kTokens });
    const app = createApp({
      config,
      logger: silentLogger,
      snapshot: () => undefined,
      scrapeSnapshot: () => collector.refresh(),
      views,
      prometheus: new PrometheusProjection(() => ({
        snapshot: collector.snapshot!,
        exporter: { cycleDurations: collector.cycleDurations, sseClients: 0 },
        costPer1kTokens: config.costPer1kTokens,
        maxTaskSeries: config.maxTaskSeries,
      })),
      sse: new SseHub({ intervalMs: 1000, heartbeatMs: 1000, maxClients: 10, maxBufferedBytes: 1 << 20, payload: () => undefined }),
    });
    const server = http.createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    onCleanup(() => new Promise<void>((r) => server.close(() => r())));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const health = await request(`${url}/healthz`);
    expect(health.status).toBe(503);
    expect(JSON.parse(health.body).status).not.toBe('ok');
    for (const route of [...JSON_ROUTES, ...CSV_ROUTES, '/api/metrics/stream']) {
      const res = await request(`${url}${route}`);
      expect(res.status, route).toBe(503);
      expect(JSON.parse(res.body), route).toHaveProperty('error');
    }
  });
});

describe('/api/metrics/tasks', () => {
  it('reports the newest health snapshot and the SPEC §4 formulas', async () => {
    const t = known;
    const body = await getJson(`${t.url}/api/metrics/tasks`);
    const l = f.latest;
    const counts = { pending: l.pendingCount, ready: l.readyCount, in_progress: l.inProgressCount, blocked: l.blockedCount, done: l.doneCount };
    const e = expectedSuccess(f);
    expect(body).toEqual({
      updatedAt: new Date(l.timestamp).toISOString(),
      running: f.health.running,
      tasksByState: { pending: l.pendingCount, ready: l.readyCount, inProgress: l.inProgressCount, blocked: l.blockedCount, done: l.doneCount },
      queueDepth: l.queueDepth,
      throughputLastHour: l.throughputLastHour,
      throughputLast5Min: l.throughputLast5Min,
      wipUtilization: l.wipUtilization,
      completionRatePerHour: l.throughputLastHour,
      completionRatePerDay: l.throughputLastHour * 24,
      successRate: e.success,
      failureRate: e.failure,
      retryRate: e.retry,
      bottleneckStage: expectedBottleneck(counts),
      drilldown: expectedDrilldown(f.tasks),
    });
    // the fixture is built so that these are not trivial
    expect(body.bottleneckStage).toBe('pending');
    expect(body.drilldown.pending).toHaveLength(20);
    expect(f.tasks.filter((x) => x.status === 'pending').length).toBeGreaterThan(20);
  });

  it('counts roadmap tasks when there is no health report; the bottleneck is a share of the non-done tasks', async () => {
    const f = knownFixture();
    const files = { ...f.files };
    delete files['state/analytics/autopilot_health_report.json'];
    const t = await startTestExporter({ files, config: { cacheTtlMs: 50 } });
    const fromRoadmap = Object.fromEntries(STATES.map((s) => [s, f.tasks.filter((x) => x.status === s).length])) as Record<(typeof STATES)[number], number>;
    const body = await getJson(`${t.url}/api/metrics/tasks`);
    expect(body.tasksByState).toEqual({
      pending: fromRoadmap.pending,
      ready: fromRoadmap.ready,
      inProgress: fromRoadmap.in_progress,
      blocked: fromRoadmap.blocked,
      done: fromRoadmap.done,
    });
    expect(body.running).toBe(false);
    expect(body.completionRatePerDay).toBe(0);

    // 2 of 20 tasks (10 %) but 2 of the 8 non-done (exactly 25 %, a tie: the first state wins)
    const spread = { pendingCount: 2, readyCount: 2, inProgressCount: 2, blockedCount: 2, doneCount: 12 };
    await t.workspace.write('state/analytics/autopilot_health_report.json', { running: true, metricsHistory: [{ ...spread, throughputLastHour: 7 }] });
    await eventually(async () => {
      const b = await getJson(`${t.url}/api/metrics/tasks`);
      expect(b.completionRatePerDay).toBe(7 * 24);
      expect(b.bottleneckStage).toBe('pending');
    }, { intervalMs: 200 });

    // 5 of the 8 non-done tasks, whatever the 12 done ones
    const quarter = { pendingCount: 1, readyCount: 1, inProgressCount: 1, blockedCount: 5, doneCount: 12 };
    await t.workspace.write('state/analytics/autopilot_health_report.json', { running: true, metricsHistory: [quarter] });
    await eventually(async () => {
      expect((await getJson(`${t.url}/api/metrics/tasks`)).bottleneckStage).toBe('blocked');
    });

    // no tasks at all → null
    const none = { pendingCount: 0, readyCount: 0, inProgressCount: 0, blockedCount: 0, doneCount: 0 };
    await t.workspace.write('state/analytics/autopilot_health_report.json', { running: true, metricsHistory: [none] });
    await eventually(async () => {
      const b = await getJson(`${t.url}/api/metrics/tasks`);
      expect(b.tasksByState).toEqual({ pending: 0, ready: 0, inProgress: 0, blocked: 0, done: 0 });
      expect(b.bottleneckStage).toBeNull();
    });
  });

  it('rates are 0 with no quality-gate decisions', async () => {
    const f = knownFixture();
    const files = { ...f.files };
    delete files['state/analytics/quality_gate_decisions.jsonl'];
    const t = await startTestExporter({ files });
    const body = await getJson(`${t.url}/api/metrics/tasks`);
    expect([body.successRate, body.failureRate, body.retryRate]).toEqual([0, 0, 0]);
  });
});

describe('/api/metrics/quality_gates', () => {
  it('reports decisions, consensus, top-10 reasons, gates, rubric means and adversarial categories', async () => {
    const t = known;
    const body = await getJson(`${t.url}/api/metrics/quality_gates`);

    // decisions in the log (29 + 14 + 3 = the fixture's lines), not orchestration.totalDecisions (40)
    expect(body.totalDecisions).toBe(f.quality.length);
    expect(f.quality.length).not.toBe(f.orchestration.totalDecisions);
    expect(body.byType).toEqual(f.orchestration.byType);
    expect(body.consensusReachRate).toBe(f.orchestration.history.filter((h) => h.quorumSatisfied).length / f.orchestration.history.length);
    expect(body.approvals).toBe(f.quality.filter((q) => q.decision === 'APPROVED').length);
    // every decision that is not APPROVED, escalated included: 44 rejected + 3 escalated
    expect(body.rejections).toBe(f.quality.filter((q) => q.decision !== 'APPROVED').length);
    expect(body.rejections).toBe(47);

    // top 10 by count, from the rejected decisions' reasons
    const reasons = new Map<string, number>();
    for (const q of f.quality) if (q.decision === 'REJECTED') reasons.set(q.finalReasoning, (reasons.get(q.finalReasoning) ?? 0) + 1);
    const sorted = [...reasons].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count);
    expect(sorted[9]!.count).toBeGreaterThan(sorted[10]!.count); // no tie across the cut
    const got = body.rejectionReasons as { reason: string; count: number }[];
    expect(got).toHaveLength(10);
    expect(got.map((r) => r.count)).toEqual(sorted.slice(0, 10).map((r) => r.count));
    expect([...got].sort(byKey('reason'))).toEqual(sorted.slice(0, 10).sort(byKey('reason')));

    expect([...body.gateBreakdown].sort(byKey('gate'))).toEqual(expectedGates(f).sort(byKey('gate')));
    const rubric = expectedRubric(f);
    expect(Object.keys(body.rubricAverages).sort()).toEqual(Object.keys(rubric).sort());
    for (const [dim, mean] of Object.entries(rubric)) expect(body.rubricAverages[dim]).toBeCloseTo(mean, 12);
    expect([...body.adversarialCategories].sort(byKey('category'))).toEqual(expectedAdversarial(f).sort(byKey('category')));
    expect(new Date(body.updatedAt).toISOString()).toBe(body.updatedAt);
  });
});

describe('/api/metrics/resolution', () => {
  it('is the resolution file in its own shape', async () => {
    const t = known;
    expect(await getJson(`${t.url}/api/metrics/resolution`)).toEqual(f.resolution);
  });

  it('is the empty default when the file is missing', async () => {
    const t = await startTestExporter({ files: {} });
    expect(await getJson(`${t.url}/api/metrics/resolution`)).toEqual({
      updatedAt: null,
      activeLoops: [],
      stats: { totalLoops: 0, closedLoops: 0, closedWithin3: 0, infiniteLoopCount: 0, incidentCount: 0, attemptHistogram: {} },
      recentEvents: [],
      recentlyClosed: [],
    });
  });
});

describe('/api/metrics/resources', () => {
  const expectedCost = (f: KnownFixture, price: number) =>
    ((Object.values(f.usage.providers).reduce((n, p) => n + p.usage.current_day.tokens, 0) / 1000) * price) / f.orchestration.totalDecisions;

  it('reports host, processes, throttle, providers, token usage and the cost per task (disk from the metrics summary)', async () => {
    const t = known;
    const body = await getJson(`${t.url}/api/metrics/resources`);
    expect(body).toEqual({
      updatedAt: f.resources.timestamp,
      host: { cpuPercent: f.resources.cpu_used_pct, memoryPercent: f.resources.memory_used_pct, diskPercent: f.metricsSummary.operations.latest_snapshot.diskUsage },
      processes: { claude: f.resources.claude_processes, node: f.resources.node_processes },
      throttle: { level: f.resources.throttle_level, params: f.resources.throttle_params },
      providers: f.providerCapacity.providers,
      tokenUsage: Object.entries(f.usage.providers).map(([id, p]) => ({
        provider: id,
        hourlyTokens: p.usage.current_hour.tokens,
        dailyTokens: p.usage.current_day.tokens,
        utilizationPercent: p.warnings.percentage_used,
      })),
      estimatedCostPerTask: expectedCost(f, 0.015),
      // no model_router_telemetry.json in this workspace
      modelRouter: null,
    });
    expect(body.estimatedCostPerTask).toBeGreaterThan(0);
  });

  it('prefers resources.disk_used_pct and prices tokens with WVO_COST_PER_1K_TOKENS', async () => {
    const f = knownFixture();
    const files = { ...f.files, 'state/analytics/resource_metrics.json': { ...f.resources, disk_used_pct: 12.5 } };
    const t = await startTestExporter({ files, baseConfig: loadConfig({ WVO_COST_PER_1K_TOKENS: '0.2' }) });
    const body = await getJson(`${t.url}/api/metrics/resources`);
    expect(body.host.diskPercent).toBe(12.5);
    expect(body.estimatedCostPerTask).toBeCloseTo(expectedCost(f, 0.2), 12);
  });

  it('costs 0 per task with no orchestration decisions, and nulls what is unknown', async () => {
    const t = await startTestExporter({ files: {} });
    const body = await getJson(`${t.url}/api/metrics/resources`);
    expect(body.estimatedCostPerTask).toBe(0);
    expect(body.host).toEqual({ cpuPercent: null, memoryPercent: null, diskPercent: null });
    expect(body.providers).toEqual([]);
    expect(body.tokenUsage).toEqual([]);
  });
});

describe('/api/metrics/usage', () => {
  it('lists each provider account with its hourly and daily usage', async () => {
    const t = known;
    expect(await getJson(`${t.url}/api/metrics/usage`)).toEqual({
      updatedAt: f.usage.last_saved,
      providers: Object.entries(f.usage.providers).map(([id, p]) => ({
        id,
        provider: p.provider,
        hourlyTokens: p.usage.current_hour.tokens,
        hourlyRequests: p.usage.current_hour.requests,
        dailyTokens: p.usage.current_day.tokens,
        dailyRequests: p.usage.current_day.requests,
        utilizationPercent: p.warnings.percentage_used,
      })),
    });
  });
});

describe('HTTP conventions', () => {
  // With the rate limit off the JSON routes take the exporter's fast path: both must behave alike.
  it.each([
    ['express', 10_000],
    ['fast path', 0],
  ] as const)('JSON routes: application/json, Cache-Control no-store, CORS * (%s)', async (_path, rateLimitPerMin) => {
    const t = rateLimitPerMin > 0 ? known : await startTestExporter({ files: f.files, config: { rateLimitPerMin } });
    for (const route of ['/healthz', ...JSON_ROUTES]) {
      const res = await request(`${t.url}${route}`, { headers: { origin: 'https://somewhere.example' } });
      expect(res.status, route).toBe(200);
      expect(res.headers['content-type'], route).toMatch(/^application\/json(;|$)/);
      expect(res.headers['cache-control'], route).toBe('no-store');
      expect(res.headers['access-control-allow-origin'], route).toBe('*');
      expect(() => JSON.parse(res.body), route).not.toThrow();
    }
  });

  it.each(['100', '0'])('uses the configured CORS origin (rate limit %s)', async (limit) => {
    const origin = 'https://grafana.example.com';
    const t = await startTestExporter({ files: {}, baseConfig: loadConfig({ WVO_OBSERVABILITY_CORS_ORIGIN: origin, WVO_RATE_LIMIT_PER_MIN: limit }) });
    for (const route of ['/healthz', '/metrics', '/api/metrics/usage', '/api/metrics/export/tasks', '/nope']) {
      const res = await request(`${t.url}${route}`, { headers: { origin } });
      expect(res.headers['access-control-allow-origin'], route).toBe(origin);
      expect(res.headers.vary, route).toMatch(/origin/i);
    }
    const pre = await request(`${t.url}/api/metrics/tasks`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'GET' } });
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe(origin);
  });

  it('OPTIONS answers 204 with the allowed methods', async () => {
    const t = known;
    for (const route of ALL_ROUTES) {
      const res = await request(`${t.url}${route}`, { method: 'OPTIONS' });
      expect(res.status, route).toBe(204);
      expect(res.body, route).toBe('');
      expect(res.headers['access-control-allow-methods'], route).toMatch(/GET/);
      expect(res.headers['access-control-allow-origin'], route).toBe('*');
    }
  });

  it('unknown routes are 404 with a JSON {error}', async () => {
    const t = known;
    for (const route of ['/nope', '/index.html', '/api/metrics/nope', '/api/metrics/tasks/extra', '/metrics/x']) {
      const res = await request(`${t.url}${route}`);
      expect(res.status, route).toBe(404);
      expect(res.headers['content-type'], route).toMatch(/^application\/json/);
      expect(typeof JSON.parse(res.body).error, route).toBe('string');
    }
  });

  it('POST, PUT, DELETE and PATCH are 405 with an Allow header', async () => {
    const t = known;
    for (const route of ALL_ROUTES) {
      for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
        const res = await request(`${t.url}${route}`, { method });
        expect(res.status, `${method} ${route}`).toBe(405);
        expect(res.headers.allow, `${method} ${route}`).toMatch(/^GET, HEAD(, OPTIONS)?$/);
        expect(typeof JSON.parse(res.body).error).toBe('string');
      }
    }
  });

  it.each([
    ['express', 10_000],
    ['fast path', 0],
  ] as const)('HEAD answers like GET without a body (%s)', async (_path, rateLimitPerMin) => {
    const t = rateLimitPerMin > 0 ? known : await startTestExporter({ files: f.files, config: { rateLimitPerMin } });
    for (const route of ['/healthz', '/metrics', ...JSON_ROUTES, ...CSV_ROUTES]) {
      const get = await request(`${t.url}${route}`);
      const head = await request(`${t.url}${route}`, { method: 'HEAD' });
      expect(head.status, route).toBe(200);
      expect(head.body, route).toBe('');
      expect(head.headers['content-type'], route).toBe(get.headers['content-type']);
      if (route !== '/healthz' && route !== '/metrics') expect(head.headers['content-length'], route).toBe(get.headers['content-length']);
    }
  });
});

describe('bad state files never give a 500', () => {
  const garbage: Record<string, string | Buffer> = {
    'state/analytics/autopilot_health_report.json': '{"running": tru',
    'state/analytics/orchestration_metrics.json': Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x7b, 0x80]),
    'state/analytics/quality_gate_decisions.jsonl': '{"decision": 5}\nnot json\n\u0000\u0001\n[1,2]\n',
    'state/analytics/resolution_metrics.json': '{"activeLoops": "nope", "stats": [1], "recentlyClosed": {"x": 1}}',
    'state/analytics/resource_metrics.json': '[[[[[[[[[[',
    'state/analytics/provider_capacity_metrics.json': 'null',
    'state/limits/usage_log.json': '"just a string"',
    'state/telemetry/executions.jsonl': '{"type":"execution_summary","duration_seconds":"slow"}\n{{{\n',
    'state/telemetry/metrics_summary.json': '',
    'state/roadmap.yaml': 'epics: [\n  - : : :\n\t- {',
    'state/.mcp.pid': 'not-a-pid',
    'state/analytics/model_router_telemetry.json': '{"tierDistribution": {"fast": "many"}, "totalTasks": -1',
    'state/telemetry/archives/executions_2026-11-20T00-00-00-000Z.jsonl': '{"type":"execution_summary","success":"yes"}\n[[\n',
  };

  const callEverything = async (url: string) => {
    for (const route of ALL_ROUTES.filter((r) => r !== '/api/metrics/stream')) {
      for (const method of ['GET', 'HEAD']) {
        const res = await request(`${url}${route}`, { method });
        expect(res.status, `${method} ${route}`).toBe(200);
      }
    }
    const stream = await SseClient.open(`${url}/api/metrics/stream`);
    expect(stream.status).toBe(200);
    const first = await stream.event(1);
    expect(Object.keys(first)).toEqual(expect.arrayContaining(['timestamp', 'tasks', 'quality', 'resolution', 'resources']));
    stream.close();
  };

  it('garbage in every source from the start: every route answers 200', async () => {
    expect(Object.keys(garbage)).toEqual(expect.arrayContaining([...SOURCE_PATHS]));
    const t = await startTestExporter({ files: garbage });
    await callEverything(t.url);
    const status = t.exporter.collector.snapshot!.status;
    for (const id of ['health', 'orchestration', 'resources', 'roadmap', 'mcp_pid', 'metrics_summary'] as const) expect(status[id].up, id).toBe(false);
  });

  // Documents that do not parse at all (the ones above that parse but hold wrong types are read per field).
  const unparseable: Record<string, string | Buffer> = {
    ...garbage,
    'state/analytics/resolution_metrics.json': '{"activeLoops": [{"taskId": "x", "attem',
  };

  it('good files turned to garbage: every route still 200, with the last good values', async () => {
    const f = knownFixture();
    const t = await startTestExporter({ files: f.files, config: { cacheTtlMs: 50 } });
    const before = Object.fromEntries(await Promise.all(JSON_ROUTES.map(async (r) => [r, await getJson(`${t.url}${r}`)] as const)));
    const badBefore = t.exporter.collector.snapshot!.status.quality_decisions.badLines;
    for (const [rel, content] of Object.entries(unparseable)) {
      // JSONL logs are appended to, documents rewritten
      if (rel.endsWith('.jsonl')) await t.workspace.append(rel, content.toString());
      else await t.workspace.write(rel, content);
    }
    await eventually(() => {
      const s = t.exporter.collector.snapshot!.status;
      for (const id of ['health', 'orchestration', 'resolution', 'resources', 'provider_capacity', 'usage', 'metrics_summary', 'roadmap', 'mcp_pid'] as const) {
        expect(s[id].up, id).toBe(false);
      }
      expect(s.quality_decisions.badLines).toBeGreaterThan(badBefore);
    });
    await callEverything(t.url);
    for (const route of JSON_ROUTES) expect(await getJson(`${t.url}${route}`), route).toEqual(before[route]);
  });
});
