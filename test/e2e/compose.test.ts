import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateWorkspace } from '../../bench/workspace.js';
import { freePort, run, waitFor } from '../support/process.js';

/**
 * `docker compose up` for real: the image built from the project's Dockerfile, the stack of
 * docker-compose.yml (Grafana aside: no local stand-in exists) and then its fleet variant
 * (docker-compose.fleet.yml) and its demo and backfill profiles on real dockerd, with the stand-in images of
 * scripts/standin-images.sh for the public ones. A test-only override makes Prometheus scrape
 * and evaluate every second (and resolve DNS targets every second), WvoExporterDown fire without waiting 2 minutes and the exporter's
 * healthcheck run every 2 s; everything else is the committed configuration.
 */
const REPO = path.resolve(import.meta.dirname, '../..');
const CI = Boolean(process.env.CI);
const IMAGES = ['node:20-bookworm-slim', 'prom/prometheus', 'prom/alertmanager'];

function dockerProblem(): string | undefined {
  const info = run('sh', ['-c', 'docker info --format "{{.ServerVersion}}" 2>&1']);
  if (info.status !== 0) return `no dockerd answers (${info.output.trim().split('\n').pop()}); run scripts/standin-images.sh as root`;
  const compose = readFileSync(path.join(REPO, 'docker-compose.yml'), 'utf8');
  for (const repo of IMAGES) {
    const ref = repo.includes(':') ? repo : `${repo}:${new RegExp(`image: *${repo}:(\\S+)`).exec(compose)?.[1]}`;
    if (run('docker', ['image', 'inspect', ref]).status !== 0) return `image ${ref} missing; run scripts/standin-images.sh as root`;
  }
  return undefined;
}
const problem = dockerProblem();
if (problem && !CI) console.warn(`SKIPPED test/e2e/compose.test.ts: ${problem}`);

/** `docker compose` (v2 plugin) when present, else Debian's docker-compose v1. */
const COMPOSE = run('docker', ['compose', 'version']).status === 0 ? ['docker', 'compose'] : ['docker-compose'];
const PROJECT = `wvo-compose-e2e-${process.pid}`;

let tmp: string;
let env: NodeJS.ProcessEnv;
const ports: Record<string, number> = {};
let secrets: Record<string, string> = {};
let files: string[] = [];
let stackUp = false;
let historyStart = 0;
const MIN = 60_000;
const HOUR = 60 * MIN;

function compose(args: string[], extraFiles: string[] = []): string {
  const f = [path.join(REPO, 'docker-compose.yml'), ...extraFiles].flatMap((file) => ['-f', file]);
  const [cmd, ...pre] = COMPOSE as [string, ...string[]];
  const r = run(cmd, [...pre, '-p', PROJECT, '--project-directory', REPO, ...f, ...args], { cwd: REPO, env });
  if (r.status !== 0) throw new Error(`${COMPOSE.join(' ')} ${args.join(' ')} failed (${r.status}):\n${r.output}`);
  return r.output;
}
const docker = (...args: string[]): string => {
  const r = run('docker', args);
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')} failed: ${r.output}`);
  return r.output.trim();
};
const containerOf = (service: string): string =>
  docker('ps', '-aq', '--filter', `label=com.docker.compose.project=${PROJECT}`, '--filter', `label=com.docker.compose.service=${service}`);
const logsOf = (service: string): string => run('docker', ['logs', '--tail', '80', containerOf(service)]).output;

const basic = (password: string) => ({ authorization: `Basic ${Buffer.from(`wvo:${password}`).toString('base64')}` });
const promUrl = () => `http://127.0.0.1:${ports.prometheus}`;
async function promGet<T>(p: string): Promise<T> {
  const res = await fetch(`${promUrl()}${p}`, { headers: basic(secrets.prometheus_password!) });
  if (!res.ok) throw new Error(`GET ${p}: ${res.status}`);
  return ((await res.json()) as { data: T }).data;
}
interface Target { labels: Record<string, string>; health: string; lastError: string }
const targets = async (job: string): Promise<Target[]> =>
  (await promGet<{ activeTargets: Target[] }>('/api/v1/targets')).activeTargets.filter((t) => t.labels.job === job);
const query = async (expr: string, at?: number) =>
  (await promGet<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(`/api/v1/query?query=${encodeURIComponent(expr)}${at === undefined ? '' : `&time=${at / 1000}`}`)).result;
/** `sum by (label) (expr)` at a time, as {label value: number}. */
const sumsBy = async (label: string, expr: string, at?: number): Promise<Record<string, number>> =>
  Object.fromEntries((await query(`sum by (${label}) (${expr})`, at)).map((s) => [s.metric[label], Number(s.value[1])]));

/** `wvo_tasks{state=...} v` lines of an exporter's own /metrics, as {state: value}. */
async function exporterTasks(port: number): Promise<Record<string, string>> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${secrets.wvo_token}` } });
  expect(res.status).toBe(200);
  const text = await res.text();
  return Object.fromEntries([...text.matchAll(/^wvo_tasks\{state="([^"]+)"\} (\S+)$/gm)].map((m) => [m[1], String(Number(m[2]))]));
}
const promTasks = async (instance: string): Promise<Record<string, string>> =>
  Object.fromEntries((await query(`wvo_tasks{job="wvo-exporter",instance="${instance}"}`)).map((s) => [s.metric.state, String(Number(s.value[1]))]));

/** The committed Prometheus config and rules, scraping and evaluating every second. */
function writeFastPrometheus(dir: string): void {
  const config = parse(readFileSync(path.join(REPO, 'deploy/prometheus/prometheus.yml'), 'utf8'));
  Object.assign(config.global, { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' });
  for (const job of config.scrape_configs) {
    job.scrape_interval = '1s';
    for (const sd of job.dns_sd_configs ?? []) sd.refresh_interval = '1s';
  }
  writeFileSync(path.join(dir, 'prometheus.yml'), stringify(config));
  mkdirSync(path.join(dir, 'rules'));
  for (const file of readdirSync(path.join(REPO, 'deploy/prometheus/rules'))) {
    const rules = parse(readFileSync(path.join(REPO, 'deploy/prometheus/rules', file), 'utf8'));
    for (const group of rules.groups) {
      delete group.interval;
      for (const rule of group.rules) if (rule.alert === 'WvoExporterDown') rule.for = '0s';
    }
    writeFileSync(path.join(dir, 'rules', file), stringify(rules));
  }
}

beforeAll(async () => {
  if (problem) {
    if (CI) throw new Error(`compose test cannot run under CI: ${problem}`);
    return;
  }
  tmp = mkdtempSync(path.join(os.tmpdir(), 'wvo-compose-'));
  // The containers run as node (1000) and nobody (65534): they must traverse and read these.
  chmodSync(tmp, 0o755);
  // Workspace a's records start two hours ago (its archive a day before): the backfill profile's history.
  historyStart = Math.floor((Date.now() - 2 * HOUR) / MIN) * MIN;
  for (const name of ['a', 'b']) {
    mkdirSync(path.join(tmp, name));
    const a = name === 'a';
    await generateWorkspace(path.join(tmp, name), { roadmap: a ? [3, 2, 4, 2] : [5, 3, 6, 4], decisions: { lines: 300 }, executionSummaries: 300, startsAt: a ? historyStart : undefined }, a ? 11 : 97);
  }
  mkdirSync(path.join(tmp, 'secrets'));
  chmodSync(path.join(tmp, 'secrets'), 0o755);
  writeFastPrometheus(tmp);
  const override = {
    services: {
      exporter: { healthcheck: { interval: '2s', timeout: '5s', retries: 3, start_period: '20s' } },
      prometheus: {
        volumes: [`${tmp}/prometheus.yml:/etc/prometheus/prometheus.yml:ro`, `${tmp}/rules:/etc/prometheus/rules:ro`],
      },
    },
  };
  writeFileSync(path.join(tmp, 'test-override.yml'), stringify(override));
  for (const name of ['exporter', 'exporterB', 'prometheus', 'alertmanager', 'grafana', 'demo']) ports[name] = await freePort();
  env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('WVO_') && !k.startsWith('COMPOSE_'))),
    WVO_WORKSPACE_ROOT: path.join(tmp, 'a'),
    WVO_WORKSPACE_B_ROOT: path.join(tmp, 'b'),
    WVO_SECRETS_DIR: path.join(tmp, 'secrets'),
    WVO_EXPORTER_HOST_PORT: String(ports.exporter),
    WVO_EXPORTER_B_HOST_PORT: String(ports.exporterB),
    WVO_PROMETHEUS_HOST_PORT: String(ports.prometheus),
    WVO_ALERTMANAGER_HOST_PORT: String(ports.alertmanager),
    WVO_GRAFANA_HOST_PORT: String(ports.grafana),
    WVO_DEMO_HOST_PORT: String(ports.demo),
  };
  files = [path.join(tmp, 'test-override.yml')];
}, 60_000);

afterAll(() => {
  if (!tmp) return;
  if (stackUp) {
    try {
      compose(['--profile', 'demo', '--profile', 'backfill', 'down', '-v', '--remove-orphans', '-t', '5'], [...new Set([path.join(REPO, 'docker-compose.fleet.yml'), ...files])]);
    } catch (err) {
      console.error(String(err));
    }
  }
  rmSync(tmp, { recursive: true, force: true });
}, 120_000);

describe.skipIf(Boolean(problem) && !CI)(`docker compose up (${COMPOSE.join(' ')}, stand-in images)`, () => {
  it('publishes every port of every service and profile on 127.0.0.1 only', () => {
    const config = parse(compose(['--profile', 'demo', '--profile', 'backfill', 'config'], [path.join(REPO, 'docker-compose.fleet.yml')]));
    const published: string[] = [];
    for (const [name, service] of Object.entries(config.services as Record<string, { ports?: unknown[] }>)) {
      for (const port of service.ports ?? []) {
        // v1 prints "127.0.0.1:3030:3030/tcp", v2 { host_ip, published, target }
        const hostIp = typeof port === 'string' ? port.split(':').slice(0, -2).join(':') : (port as { host_ip?: string }).host_ip;
        published.push(`${name}:${hostIp}`);
      }
    }
    const expected = ['alertmanager', 'exporter', 'exporter-b', 'exporter-demo', 'grafana', 'prometheus'];
    expect(published.sort()).toEqual(expected.map((s) => `${s}:127.0.0.1`).sort());
  });

  it('builds the image from the Dockerfile', () => {
    const started = Date.now();
    compose(['build', 'exporter']);
    console.log(`image built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(docker('image', 'inspect', '-f', '{{.Config.User}}', 'wvo-exporter:local')).toBe('node');
  }, 900_000);

  it('comes up: init generates every credential, the exporter turns healthy as a non-root user', async () => {
    stackUp = true;
    compose(['up', '-d', 'exporter', 'prometheus', 'alertmanager'], files);
    const dir = path.join(tmp, 'secrets');
    secrets = Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(path.join(dir, f), 'utf8').trim()]));
    const generated = ['wvo_token', 'grafana_admin_password', 'prometheus_password', 'alertmanager_password'];
    for (const name of generated) expect(secrets[name]?.length, name).toBeGreaterThanOrEqual(32);
    expect(new Set(generated.map((n) => secrets[n])).size).toBe(generated.length);
    for (const web of ['prometheus-web.yml', 'alertmanager-web.yml']) {
      expect(parse(secrets[web]!).basic_auth_users.wvo).toMatch(/^\$2[aby]\$12\$.{53}$/);
    }
    await waitFor(async () => {
      const status = docker('inspect', '-f', '{{.State.Health.Status}}', containerOf('exporter'));
      if (status === 'unhealthy') throw new Error(`exporter unhealthy:\n${logsOf('exporter')}`);
      return status === 'healthy';
    }, 90_000, 'exporter container healthy');
    // Every process of the container, as the kernel sees it, runs as a non-zero uid.
    const uids = docker('top', containerOf('exporter'), '-o', 'pid,uid').split('\n').slice(1).map((l) => l.trim().split(/\s+/)[1]);
    expect(uids.length).toBeGreaterThan(0);
    for (const uid of uids) expect(uid).not.toBe('0');
  }, 180_000);

  it('publishes on loopback, and nothing but /healthz answers without credentials', async () => {
    for (const service of ['exporter', 'prometheus', 'alertmanager']) {
      const bindings = JSON.parse(docker('inspect', '-f', '{{json .NetworkSettings.Ports}}', containerOf(service))) as Record<string, { HostIp: string }[] | null>;
      const hostIps = Object.values(bindings).flatMap((b) => (b ?? []).map((x) => x.HostIp));
      expect(hostIps.length, service).toBeGreaterThan(0);
      expect(new Set(hostIps), service).toEqual(new Set(['127.0.0.1']));
    }
    await waitFor(async () => (await fetch(`${promUrl()}/-/ready`, { headers: basic(secrets.prometheus_password!) })).ok, 60_000, 'prometheus ready');
    const closed: [port: number, paths: string[], good: Record<string, string>, bad: Record<string, string>][] = [
      [ports.exporter!, ['/metrics', '/api/metrics/export/tasks', '/api/metrics/stream'], { authorization: `Bearer ${secrets.wvo_token}` }, { authorization: 'Bearer wrong-token-0123456789' }],
      [ports.prometheus!, ['/', '/metrics', '/api/v1/query?query=up', '/-/healthy', '/graph'], basic(secrets.prometheus_password!), basic('wrong')],
      [ports.alertmanager!, ['/', '/metrics', '/api/v2/alerts', '/-/healthy'], basic(secrets.alertmanager_password!), basic('wrong')],
    ];
    // Generous timeouts: a wrong password costs a bcrypt (cost 12), one at a time, on a busy machine.
    const status = async (url: string, headers: Record<string, string> = {}): Promise<number> => {
      const res = await fetch(url, { headers, signal: AbortSignal.timeout(30_000) }).catch((err: Error) => {
        throw new Error(`GET ${url}: ${err.message}`);
      });
      await res.body?.cancel();
      return res.status;
    };
    for (const [port, paths, good, bad] of closed) {
      for (const p of paths) {
        const url = `http://127.0.0.1:${port}${p}`;
        expect(await status(url), `${url} without credentials`).toBe(401);
        expect(await status(url, bad), `${url} wrong credentials`).toBe(401);
        expect(await status(url, good), `${url} with credentials`).toBe(200);
      }
    }
    expect(await status(`http://127.0.0.1:${ports.exporter}/healthz`)).toBe(200);
    expect(await status(`http://127.0.0.1:${ports.exporter}/`)).not.toBe(200);
  }, 300_000);

  it('Prometheus scrapes the exporter, itself and Alertmanager with the generated credentials', async () => {
    await waitFor(async () => {
      const all = (await promGet<{ activeTargets: Target[] }>('/api/v1/targets')).activeTargets;
      const down = all.filter((t) => t.health !== 'up');
      if (down.some((t) => t.health === 'down')) throw new Error(JSON.stringify(down.map((t) => [t.labels.instance, t.lastError])));
      return all.length === 3 && down.length === 0;
    }, 60_000, 'targets exporter, prometheus, alertmanager up');
    expect((await targets('wvo-exporter')).map((t) => t.labels.instance)).toEqual(['exporter:3030']);
    const tasks = await waitFor(async () => {
      const t = await promTasks('exporter:3030');
      return Object.keys(t).length > 0 && t;
    }, 30_000, 'wvo_tasks in Prometheus');
    expect(tasks).toEqual(await exporterTasks(ports.exporter!));
  }, 120_000);

  it('loads every rule group, and every rule evaluates healthy', async () => {
    const expected = readdirSync(path.join(REPO, 'deploy/prometheus/rules'))
      .flatMap((f) => parse(readFileSync(path.join(REPO, 'deploy/prometheus/rules', f), 'utf8')).groups.map((g: { name: string }) => g.name))
      .sort();
    type Groups = { groups: { name: string; rules: { name: string; health: string; lastError?: string }[] }[] };
    const groups = await waitFor(async () => {
      const g = (await promGet<Groups>('/api/v1/rules')).groups;
      return g.every((group) => group.rules.every((r) => r.health !== 'unknown')) && g;
    }, 30_000, 'every rule evaluated');
    expect(groups.map((g) => g.name).sort()).toEqual(expected);
    const unhealthy = groups.flatMap((g) => g.rules.filter((r) => r.health !== 'ok').map((r) => `${g.name}/${r.name}: ${r.lastError}`));
    expect(unhealthy).toEqual([]);
  }, 60_000);

  it('backfill profile: `run --rm backfill-blocks` puts the workspace\'s history into the Prometheus volume, as the live series', async () => {
    const started = Date.now();
    compose(['--profile', 'backfill', 'run', '--rm', 'backfill-blocks'], files);
    console.log(`backfill profile ran in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    // Prometheus loads blocks written beside it at its next reload; a restart is the quick way.
    compose(['restart', '-t', '5', 'prometheus'], files);
    await waitFor(async () => (await fetch(`${promUrl()}/-/ready`, { headers: basic(secrets.prometheus_password!) })).ok, 60_000, 'prometheus ready again');

    // Known answers from the file: decisions by decision before a time.
    const decisions = readFileSync(path.join(tmp, 'a/state/analytics/quality_gate_decisions.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { decision: string; timestamp: number | string });
    const before = (t: number) => {
      const counts: Record<string, number> = {};
      for (const d of decisions) {
        if ((typeof d.timestamp === 'number' ? d.timestamp : Date.parse(d.timestamp)) >= t) continue;
        const k = d.decision.toLowerCase();
        counts[k] = (counts[k] ?? 0) + 1;
      }
      return counts;
    };
    const series = 'wvo_quality_gate_decisions_total{job="wvo-exporter",instance="exporter:3030"}';
    // Ten and twenty minutes into the log, and an hour after its end: all before the stack came up.
    for (const t of [historyStart + 10 * MIN, historyStart + 20 * MIN, historyStart + 90 * MIN]) {
      expect(await sumsBy('decision', series, t), new Date(t).toISOString()).toEqual(before(t));
    }
    expect(Object.values(await sumsBy('decision', series, historyStart + 90 * MIN)).reduce((a, b) => a + b, 0)).toBe(decisions.length);
    // The backfilled series and the scraped one are the same series: one per decision, history and now.
    const now = await sumsBy('decision', series);
    expect(now).toEqual(before(Infinity));
    expect((await query(`count by (decision) (count_over_time(${series}[3h]))`)).length).toBe(Object.keys(now).length);
    compose(['--profile', 'backfill', 'rm', '-fsv', 'backfill'], files);
  }, 300_000);

  it('demo profile: the simulator\'s workspace moves, and Prometheus scrapes its exporter as job wvo-demo', async () => {
    compose(['--profile', 'demo', 'up', '-d', 'simulator', 'exporter-demo'], files);
    const decided = async () => (await query('sum(wvo_quality_gate_decisions_total{job="wvo-demo"})'))[0]?.value[1];
    const first = await waitFor(async () => {
      const t = await targets('wvo-demo');
      return t.length === 1 && t[0]!.health === 'up' && (await decided());
    }, 90_000, 'wvo-demo scraped');
    expect((await targets('wvo-demo'))[0]!.labels.instance).toBe(`exporter-demo:3030`);
    await waitFor(async () => Number(await decided()) > Number(first), 60_000, 'the simulator\'s decisions rising in Prometheus');
    compose(['--profile', 'demo', 'rm', '-fsv', 'simulator', 'exporter-demo'], files);
    await waitFor(async () => (await targets('wvo-demo')).length === 0, 30_000, 'wvo-demo gone with the profile');
  }, 240_000);

  it('fleet variant: a second exporter on a second workspace, scraped as its own instance', async () => {
    const before = { ...secrets };
    files = [path.join(REPO, 'docker-compose.fleet.yml'), path.join(tmp, 'test-override.yml')];
    compose(['up', '-d', 'exporter', 'exporter-b', 'prometheus', 'alertmanager'], files);
    const dir = path.join(tmp, 'secrets');
    // init ran again and kept every credential
    for (const name of Object.keys(before)) expect(readFileSync(path.join(dir, name), 'utf8').trim(), name).toBe(before[name]);
    await waitFor(async () => {
      const t = await targets('wvo-exporter');
      return t.length === 2 && t.every((x) => x.health === 'up');
    }, 90_000, 'both exporters up in job wvo-exporter');
    const a = await waitFor(async () => { const t = await promTasks('exporter:3030'); return Object.keys(t).length > 0 && t; }, 30_000, 'wvo_tasks of exporter');
    const b = await waitFor(async () => { const t = await promTasks('exporter-b:3030'); return Object.keys(t).length > 0 && t; }, 30_000, 'wvo_tasks of exporter-b');
    expect(a).toEqual(await exporterTasks(ports.exporter!));
    expect(b).toEqual(await exporterTasks(ports.exporterB!));
    // the two seeded workspaces differ, so a mixed-up instance could not pass the two lines above
    expect(a).not.toEqual(b);
    expect((await query('count by (instance) (wvo_tasks)')).map((s) => s.metric.instance).sort()).toEqual(['exporter-b:3030', 'exporter:3030']);
  }, 180_000);

  it('an exporter stopped fires WvoExporterDown in Alertmanager for that instance only', async () => {
    compose(['stop', '-t', '5', 'exporter'], files);
    type Alert = { labels: Record<string, string>; status: { state: string } };
    const alerts = await waitFor(async () => {
      const res = await fetch(`http://127.0.0.1:${ports.alertmanager}/api/v2/alerts`, { headers: basic(secrets.alertmanager_password!) });
      const list = ((await res.json()) as Alert[]).filter((x) => x.labels.alertname === 'WvoExporterDown');
      return list.length > 0 && list;
    }, 60_000, 'WvoExporterDown in Alertmanager');
    expect(alerts.map((x) => [x.labels.instance, x.labels.severity, x.status.state])).toEqual([['exporter:3030', 'critical', 'active']]);
  }, 90_000);

  it('docker compose down stops and removes everything within 10 s', () => {
    const started = Date.now();
    compose(['down', '-v'], files);
    const seconds = (Date.now() - started) / 1000;
    stackUp = false;
    console.log(`docker compose down took ${seconds.toFixed(1)} s`);
    expect(seconds).toBeLessThan(10);
    expect(docker('ps', '-aq', '--filter', `label=com.docker.compose.project=${PROJECT}`)).toBe('');
  }, 60_000);
});
