/**
 * GET /api/openapi.json: a valid OpenAPI 3.1 document (checked by @seriousme/openapi-schema-validator
 * and its schemas compiled by ajv's 2020-12 dialect in strict mode) that names every express
 * route, and against which the real answers of every route validate.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../src/http/app.js';
import { defaultConfig } from '../../src/config.js';
import { SseHub } from '../../src/http/sse.js';
import { silentLogger } from '../../src/logger.js';
import { PrometheusProjection } from '../../src/metrics/prometheus.js';
import { ViewCache } from '../../src/views/cache.js';
import { anomaly, HEALTH, healthReport, MODEL_ROUTER, modelRouterDoc, remediation } from '../support/autopilot-fixture.js';
import { T0 } from '../support/fixtures.js';
import { cleanupSuite, createWorkspace, knownFixture, request, SseClient, startTestExporter, suiteScoped, type TestExporter } from '../support/server.js';
import { writeTimelineFixture } from '../support/timeline-fixture.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

// ajv-formats is CommonJS with a default export; under NodeNext its namespace is what we get.
const addFormats = ((addFormatsModule as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => Ajv2020;

type Doc = {
  openapi: string;
  paths: Record<string, { get: { responses: Record<string, { content?: Record<string, { schema?: unknown; 'x-event-data'?: unknown }>; description: string }> } }>;
  components: { schemas: Record<string, unknown> };
};

const f = knownFixture();
let t: TestExporter;
let doc: Doc;
let ajv: Ajv2020;
beforeAll(async () => {
  t = await suiteScoped(() => startTestExporter({ files: f.files }));
  const res = await request(`${t.url}/api/openapi.json`);
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  doc = JSON.parse(res.body) as Doc;
  ajv = addFormats(new Ajv2020({ strict: true, allErrors: true }));
  // The components, as the $defs of one schema (strict mode would refuse an OpenAPI document's other keys).
  ajv.addSchema({ $id: 'openapi.json', $defs: local(doc.components.schemas) });
});
afterAll(cleanupSuite);

/** Express routes of the real app, as OpenAPI paths (`:id` → `{id}`). */
function expressPaths(): string[] {
  const config = defaultConfig();
  const app = createApp({
    config,
    logger: silentLogger,
    snapshot: () => undefined,
    scrapeSnapshot: () => Promise.reject(new Error('not used')),
    views: new ViewCache({ costPer1kTokens: 0.015 }),
    prometheus: new PrometheusProjection(() => {
      throw new Error('not used');
    }),
    sse: new SseHub({ intervalMs: 1000, heartbeatMs: 1000, maxClients: 1, maxBufferedBytes: 1024, payload: () => undefined }),
  });
  type Layer = { route?: { path: unknown }; handle?: { stack?: Layer[] } };
  const paths: string[] = [];
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route && typeof layer.route.path === 'string') paths.push(layer.route.path.replace(/:(\w+)/g, '{$1}'));
      else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return paths;
}

/** Validates a JSON body against the schema the document gives for this path, status and media type. */
function expectValid(path: string, status: number, body: unknown, media = 'application/json', key: 'schema' | 'x-event-data' = 'schema') {
  const response = doc.paths[path]?.get.responses[String(status)];
  expect(response, `${path} documents ${status}`).toBeDefined();
  const schema = response!.content?.[media]?.[key];
  expect(schema, `${path} ${status} documents ${media}`).toBeDefined();
  const validate = ajv.compile(local(schema));
  const ok = validate(body);
  expect(ok, `${path} ${status}: ${JSON.stringify(validate.errors?.slice(0, 5))}`).toBe(true);
}

/** A deep copy whose `#/components/schemas/X` references point into the registered $defs. */
const local = (schema: unknown): object => JSON.parse(JSON.stringify(schema).replaceAll('"#/components/schemas/', '"openapi.json#/$defs/'));

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc) as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    expect(doc.openapi).toMatch(/^3\.1\./);
  });

  it('has schemas that compile as JSON Schema 2020-12 in strict mode', () => {
    for (const id of Object.keys(doc.components.schemas)) expect(ajv.getSchema(`openapi.json#/$defs/${id}`), id).toBeDefined();
  });

  it('describes every express route, and every documented path is routed', () => {
    const routed = expressPaths();
    expect(routed.length).toBeGreaterThan(15);
    const documented = Object.keys(doc.paths);
    expect(routed.filter((p) => !documented.includes(p))).toEqual([]);
    expect(documented.filter((p) => !routed.includes(p))).toEqual([]);
  });

  it('answers If-None-Match with 304', async () => {
    const first = await request(`${t.url}/api/openapi.json`);
    expect((await request(`${t.url}/api/openapi.json`, { headers: { 'If-None-Match': first.headers.etag! } })).status).toBe(304);
  });
});

describe('real answers validate against the document', () => {
  it('of every JSON route', async () => {
    const jsonPaths = Object.entries(doc.paths)
      .filter(([, p]) => p.get.responses['200']?.content?.['application/json'])
      .map(([path]) => path);
    expect(jsonPaths.length).toBeGreaterThanOrEqual(10);
    expect(jsonPaths).toContain('/api/metrics/health');
    for (const path of jsonPaths) {
      const res = await request(`${t.url}${path.replace('{id}', 'P-3')}`);
      expect(res.status, path).toBe(200);
      expect(res.headers['content-type'], path).toMatch(/^application\/json/);
      expectValid(path, 200, JSON.parse(res.body));
    }
  });

  it('of the health view, resources with a model router, and the stream, on anomalies and remediations with fields missing', async () => {
    const report = healthReport({
      anomalies: [anomaly('stale_tasks', 'warning', T0), { type: 'throughput_degradation', severity: 'critical' }],
      remediations: [remediation('stale_tasks', T0, 'recover_stale_tasks'), remediation('dependency_desync', T0, 'resync_dependencies', false), { success: false }],
    });
    const own = await startTestExporter({ files: { ...f.files, [HEALTH]: report, [MODEL_ROUTER]: modelRouterDoc } });
    const health = JSON.parse((await request(`${own.url}/api/metrics/health`)).body);
    expect(health.activeAnomalies).toHaveLength(2);
    expect(health.recentRemediations).toHaveLength(3);
    expect(health.activeAnomalies[1]).toMatchObject({ description: null, detectedAt: null });
    expectValid('/api/metrics/health', 200, health);
    const resources = JSON.parse((await request(`${own.url}/api/metrics/resources`)).body);
    expect(resources.modelRouter).toMatchObject({ totalTasks: 40 });
    expectValid('/api/metrics/resources', 200, resources);

    const client = await SseClient.open(`${own.url}/api/metrics/stream`);
    const event = JSON.parse((await client.until(() => client.events[0], 'the first event')).data);
    client.close();
    expect(event.health).toEqual(health);
    expectValid('/api/metrics/stream', 200, event, 'text/event-stream', 'x-event-data');
  });

  it('requires the views that are always emitted: resources.modelRouter (nullable) and the event health', () => {
    const schemas = doc.components.schemas as Record<string, { required?: string[] }>;
    expect(schemas['Resources']!.required).toContain('modelRouter');
    expect(schemas['StreamEvent']!.required).toContain('health');
  });

  it('of the drill-down with filters, a cursor, and its 400, 404 and 410 errors', async () => {
    const page = JSON.parse((await request(`${t.url}/api/tasks?limit=2&label=a&sort=status`)).body);
    expectValid('/api/tasks', 200, page);
    expect(page.next).toBeTypeOf('string');
    expectValid('/api/tasks', 200, JSON.parse((await request(`${t.url}/api/tasks?limit=2&label=a&sort=status&cursor=${page.next}`)).body));
    const bad = await request(`${t.url}/api/tasks?limit=0`);
    expectValid('/api/tasks', bad.status, JSON.parse(bad.body));
    const missing = await request(`${t.url}/api/tasks/nope`);
    expectValid('/api/tasks/{id}', missing.status, JSON.parse(missing.body));
    const detail = await request(`${t.url}/api/tasks/RD-1`);
    expectValid('/api/tasks/{id}', 200, JSON.parse(detail.body));
    const timeline = await request(`${t.url}/api/tasks/nope/timeline`);
    expectValid('/api/tasks/{id}/timeline', timeline.status, JSON.parse(timeline.body));
    const badCursor = await request(`${t.url}/api/tasks/RD-1/timeline?cursor=x`);
    expectValid('/api/tasks/{id}/timeline', badCursor.status, JSON.parse(badCursor.body));

    const own = await startTestExporter({ files: f.files });
    const first = JSON.parse((await request(`${own.url}/api/tasks?limit=1`)).body);
    await own.workspace.write('state/roadmap.yaml', { ...f.roadmap, tasks: [] });
    let gone = await request(`${own.url}/api/tasks?limit=1&cursor=${first.next}`);
    for (let i = 0; gone.status !== 410 && i < 200; i++) {
      await new Promise((r) => setTimeout(r, 25));
      gone = await request(`${own.url}/api/tasks?limit=1&cursor=${first.next}`);
    }
    expect(gone.status).toBe(410);
    expectValid('/api/tasks', 410, JSON.parse(gone.body));
  });

  it('of a timeline with every kind of event, and its pages', async () => {
    const workspace = await createWorkspace();
    await writeTimelineFixture(workspace);
    const own = await startTestExporter({ workspace });
    for (const id of ['T-7', 'X-1', 'L-1', 'T-8']) {
      const body = JSON.parse((await request(`${own.url}/api/tasks/${id}/timeline`)).body);
      expect(body.total, id).toBeGreaterThan(0);
      expectValid('/api/tasks/{id}/timeline', 200, body);
    }
    const page = JSON.parse((await request(`${own.url}/api/tasks/T-7/timeline?limit=2`)).body);
    expectValid('/api/tasks/{id}/timeline', 200, page);
    expectValid('/api/tasks/{id}', 200, JSON.parse((await request(`${own.url}/api/tasks/T-7`)).body));
  });

  it('of the stream: its first event is a StreamEvent', async () => {
    const client = await SseClient.open(`${t.url}/api/metrics/stream`);
    expect(client.headers['content-type']).toMatch(/^text\/event-stream/);
    const event = await client.until(() => client.events[0], 'the first event');
    expectValid('/api/metrics/stream', 200, JSON.parse(event.data), 'text/event-stream', 'x-event-data');
    client.close();
  });

  it('of the CSV routes: text/csv with the documented columns, and /metrics as Prometheus text', async () => {
    const csvPaths = Object.entries(doc.paths).filter(([, p]) => p.get.responses['200']?.content?.['text/csv']);
    expect(csvPaths.length).toBe(8);
    for (const [path, p] of csvPaths) {
      const res = await request(`${t.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers['content-type'], path).toMatch(/^text\/csv/);
      const header = (parse(res.body, { to_line: 1 }) as string[][])[0]!;
      expect(p.get.responses['200']!.description, path).toContain(`Columns: ${header.join(', ')}.`);
    }
    const metrics = await request(`${t.url}/metrics`);
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    expect(doc.paths['/metrics']!.get.responses['200']!.content).toHaveProperty('text/plain');
  });
});
