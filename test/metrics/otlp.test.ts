/**
 * OTLP push (SPEC §1, issue 2/3): the built CLI against a real OTLP/HTTP receiver on loopback.
 * The OTel exporter reads OTEL_* at construction, so every case is a child process with its env.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { catalog } from '../../src/metrics/catalog.js';
import { otelName } from '../../src/metrics/otel.js';
import { otlpSettings } from '../../src/metrics/otlp.js';
import {
  cleanup,
  copySampleWorkspace,
  ensureBuilt,
  eventually,
  onCleanup,
  parseExposition,
  sampleValue,
  sleep,
  startCli,
  type PromSample,
} from '../support/server.js';

vi.setConfig({ testTimeout: 90_000, hookTimeout: 240_000 });

beforeAll(async () => {
  await ensureBuilt();
});
afterEach(cleanup);

interface Export {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: any;
}

/** An OTLP/HTTP receiver that records every request (JSON bodies parsed). */
async function receiver(port = 0, host = '127.0.0.1') {
  const exports: Export[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown = raw;
      try {
        body = JSON.parse(raw);
      } catch {
        // protobuf or garbage: kept raw
      }
      exports.push({ path: req.url ?? '', headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  onCleanup(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, exports, server };
}

type OtlpMetric = { name: string; gauge?: any; sum?: any; histogram?: any };
type Attr = { key: string; value: { stringValue?: string } };

const metricsOf = (body: any): OtlpMetric[] =>
  (body.resourceMetrics ?? []).flatMap((rm: any) => (rm.scopeMetrics ?? []).flatMap((sm: any) => sm.metrics ?? []));
const attrs = (list: Attr[] = []) => Object.fromEntries(list.map((a) => [a.key, a.value.stringValue ?? String(Object.values(a.value)[0])]));
const resourceOf = (body: any) => attrs(body.resourceMetrics?.[0]?.resource?.attributes);
const num = (x: unknown) => Number(x);

function point(metric: OtlpMetric | undefined, labels: Record<string, string>) {
  const data = metric?.gauge ?? metric?.sum ?? metric?.histogram;
  const found = (data?.dataPoints ?? []).filter((p: any) => {
    const a = attrs(p.attributes);
    return Object.keys(a).length === Object.keys(labels).length && Object.entries(labels).every(([k, v]) => a[k] === v);
  });
  expect(found, `${metric?.name}${JSON.stringify(labels)}`).toHaveLength(1);
  return found[0];
}

/** The first export that carries wvo metrics (the very first may precede the first collection). */
const withMetrics = (exports: Export[]) => exports.find((e) => typeof e.body === 'object' && metricsOf(e.body).some((m) => m.name.startsWith('wvo_')));

async function startPushing(env: Record<string, string>) {
  const rx = await receiver();
  const ws = await copySampleWorkspace();
  const cli = await startCli({
    WVO_WORKSPACE_ROOT: ws.root,
    OTEL_EXPORTER_OTLP_ENDPOINT: rx.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_METRIC_EXPORT_INTERVAL: '200',
    ...env,
  });
  return { rx, cli, ws };
}

describe('OTLP/HTTP JSON push', () => {
  it('pushes every catalog metric, with the values /metrics serves', async () => {
    const { rx, cli } = await startPushing({ OTEL_EXPORTER_OTLP_HEADERS: 'x-tenant=wvo-test,authorization=Bearer otlp-secret' });
    const exp = await eventually(() => {
      const e = withMetrics(rx.exports);
      if (!e) throw new Error(`no export with metrics yet (${rx.exports.length} requests)`);
      return e;
    }, { timeoutMs: 30_000 });
    expect(exp.path).toBe('/v1/metrics');
    expect(exp.headers['content-type']).toMatch(/^application\/json/);
    expect(exp.headers['x-tenant']).toBe('wvo-test');
    expect(exp.headers.authorization).toBe('Bearer otlp-secret');
    expect(resourceOf(exp.body)['service.name']).toBe('wvo-exporter');

    const metrics = metricsOf(exp.body);
    const byName = new Map(metrics.map((m) => [m.name, m]));
    // counters lose _total in OTLP (the Prometheus translation adds it back)
    for (const def of catalog) {
      const name = otelName(def);
      expect(name).toBe(def.type === 'counter' ? def.name.replace(/_total$/, '') : def.name);
      expect(byName.has(name), name).toBe(true);
    }
    expect(byName.get('wvo_consensus_decisions')?.sum?.isMonotonic).toBe(true);
    expect(byName.has('wvo_consensus_decisions_total')).toBe(false);

    // same snapshot (the workspace does not change), so the same numbers as a scrape
    const prom: PromSample[] = parseExposition(await (await fetch(`${cli.url}/metrics`)).text()).samples;
    const gauge = (name: string, labels: Record<string, string> = {}) => num(point(byName.get(name), labels).asDouble ?? point(byName.get(name), labels).asInt);
    for (const [name, labels] of [
      ['wvo_tasks', { state: 'pending' }],
      ['wvo_tasks', { state: 'done' }],
      ['wvo_task_wip_utilization_ratio', {}],
      ['wvo_host_cpu_utilization_ratio', {}],
      ['wvo_resolution_active_loops', {}],
    ] as const) {
      expect(gauge(name, labels), `${name}${JSON.stringify(labels)}`).toBe(sampleValue(prom, name, labels));
    }
    for (const [name, labels] of [
      ['wvo_consensus_decisions', { type: 'task_assignment' }],
      ['wvo_quality_gate_decisions', { decision: 'approved' }],
      ['wvo_resolution_loops', {}],
    ] as const) {
      expect(gauge(name, labels), name).toBe(sampleValue(prom, `${name}_total`, labels));
      expect(gauge(name, labels), name).toBeGreaterThan(0);
    }
    const promBuckets = prom.filter((s) => s.name === 'wvo_execution_duration_seconds_bucket' && s.labels.agent_type === 'claude_code' && s.labels.model === 'claude-sonnet-4-5');
    const h = point(byName.get('wvo_execution_duration_seconds'), { agent_type: 'claude_code', model: 'claude-sonnet-4-5' });
    const counts = (h.bucketCounts as unknown[]).map(num);
    const cumulative = counts.map((_, i) => counts.slice(0, i + 1).reduce((a, b) => a + b, 0));
    expect(promBuckets.map((b) => b.value)).toEqual(cumulative);
    expect((h.explicitBounds as unknown[]).map(num)).toEqual(promBuckets.filter((b) => b.labels.le !== '+Inf').map((b) => Number(b.labels.le)));
    expect(num(h.count)).toBe(sampleValue(prom, 'wvo_execution_duration_seconds_count', { agent_type: 'claude_code', model: 'claude-sonnet-4-5' }));
    expect(num(h.sum)).toBeCloseTo(sampleValue(prom, 'wvo_execution_duration_seconds_sum', { agent_type: 'claude_code', model: 'claude-sonnet-4-5' })!, 9);
    expect(num(h.count)).toBeGreaterThan(0);

    // pushes keep coming every interval
    const n = rx.exports.length;
    await eventually(() => expect(rx.exports.length).toBeGreaterThan(n + 1));
    cli.child.kill('SIGTERM');
    expect((await cli.exited).code, cli.stdout() + cli.stderr()).toBe(0);
    expect(cli.stdout() + cli.stderr()).not.toContain('otlp-secret');
  });

  it('takes service.name and resource attributes from OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES', async () => {
    const { rx } = await startPushing({ OTEL_SERVICE_NAME: 'wvo-staging', OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=test,team=platform' });
    const exp = await eventually(() => withMetrics(rx.exports) ?? Promise.reject(new Error('no export yet')), { timeoutMs: 30_000 });
    expect(resourceOf(exp.body)).toMatchObject({ 'service.name': 'wvo-staging', 'deployment.environment': 'test', team: 'platform' });
  });

  it('OTEL_RESOURCE_ATTRIBUTES may set service.name too', async () => {
    const { rx } = await startPushing({ OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attrs' });
    const exp = await eventually(() => withMetrics(rx.exports) ?? Promise.reject(new Error('no export yet')), { timeoutMs: 30_000 });
    expect(resourceOf(exp.body)['service.name']).toBe('from-attrs');
  });

  it('flushes on shutdown: SIGTERM with a long interval still delivers one export', async () => {
    const { rx, cli } = await startPushing({ OTEL_METRIC_EXPORT_INTERVAL: '600000' });
    expect(rx.exports).toHaveLength(0);
    cli.child.kill('SIGTERM');
    expect((await cli.exited).code, cli.stdout() + cli.stderr()).toBe(0);
    const exp = withMetrics(rx.exports);
    expect(exp, `${rx.exports.length} requests`).toBeDefined();
    expect(metricsOf(exp!.body).map((m) => m.name)).toContain('wvo_tasks');
  });

  it('does no OTel work without an endpoint', async () => {
    expect(otlpSettings({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_METRIC_EXPORT_INTERVAL: '100' })).toBeUndefined();
    // The OTLP/HTTP default endpoint is localhost:4318: a receiver there must see nothing.
    const rx = await receiver(4318, 'localhost').catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EADDRINUSE') throw err;
      console.warn('port 4318 is busy: checking the absence of OTLP work through the logs only');
      return undefined;
    });
    const ws = await copySampleWorkspace();
    const cli = await startCli({ WVO_WORKSPACE_ROOT: ws.root, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_METRIC_EXPORT_INTERVAL: '100', LOG_LEVEL: 'debug' });
    await sleep(1000); // ten intervals
    cli.child.kill('SIGTERM');
    expect((await cli.exited).code, cli.stdout() + cli.stderr()).toBe(0);
    if (rx) expect(rx.exports).toEqual([]);
    expect(cli.logs().some((l) => /OTLP/i.test(String(l.msg)))).toBe(false);
  });
});
