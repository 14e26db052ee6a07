/**
 * A fleet on one Prometheus (issue 10): two exporters on two different generated workspaces,
 * scraped by Debian's Prometheus with the project's rules, and a second Prometheus running
 * deploy/prometheus/federation.yml. Every dashboard query, with one instance selected, answers
 * only about that instance; sampled stats equal the workspace's own numbers; the fleet
 * overview has one row per autopilot; fleet totals add up; the federation keeps both.
 */
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateWorkspace, type WorkspaceSpec } from '../../bench/workspace.js';
import { dashboardQueries } from '../support/dashboards.js';
import { freePort, run, startChild, stopChild, waitFor } from '../support/process.js';
import { substituteGrafanaVariables } from '../support/promql.js';
import { startPrometheus, type PromSeries, type RunningPrometheus } from '../support/prometheus.js';

const REPO = path.resolve(import.meta.dirname, '../..');
const PROM_DIR = path.join(REPO, 'deploy/prometheus');
const TOKEN = 'fleet-e2e-token-0123456789';

interface Autopilot {
  name: string;
  root: string;
  instance: string;
  /** The newest health snapshot the generator wrote (what the exporter reports as "now"). */
  latest: { queueDepth: number; blockedCount: number; wipUtilization: number };
}

const SPECS: [name: string, spec: WorkspaceSpec][] = [
  ['alpha', { roadmap: [4, 3, 8, 6], decisions: { lines: 800 }, executionSummaries: 800 }],
  ['beta', { roadmap: [2, 2, 5, 3], decisions: { lines: 300 }, executionSummaries: 300 }],
];

let tmp: string;
let site: RunningPrometheus;
let global: RunningPrometheus;
const autopilots: Autopilot[] = [];
const children: Parameters<typeof stopChild>[0][] = [];
let writer: NodeJS.Timeout | undefined;
/** One evaluation time for every query, so separate queries see the same samples. */
let at: number;

/** A dashboard query with the target variables set: job wvo-exporter, instance a regex. */
function resolve(expr: string, instance: string): string {
  const targeted = expr.replace(/\$\{?instance\}?/g, instance).replace(/\$\{?job\}?/g, 'wvo-exporter');
  return substituteGrafanaVariables(targeted).replace(/\[5m\]/g, '[1m]');
}

async function series(expr: string, prom = site): Promise<PromSeries[]> {
  const r = await prom.query(expr, at);
  expect(r.status, `${expr}: ${r.error}`).toBe('success');
  return r.data.result;
}

beforeAll(async () => {
  expect(run('prometheus', ['--version']).status, 'Debian prometheus must be installed (apt-get install -y prometheus)').toBe(0);
  expect(run('npm', ['run', 'build'], { cwd: REPO }).status).toBe(0);
  tmp = mkdtempSync(path.join(os.tmpdir(), 'wvo-fleet-'));
  writeFileSync(path.join(tmp, 'token'), TOKEN);
  // Budgets both autopilots outspend within seconds, so every panel of the budgets dashboard and
  // the fleet table's budget columns have data (and a budget alert to show) for each instance.
  writeFileSync(path.join(tmp, 'budgets.yaml'), 'budgets:\n  - {period: day, usd: 5}\n  - {period: week, usd: 5}\n  - {period: month, usd: 5}\nobjectives:\n  - {name: execution_success, target: 0.95}\n');
  const seed = Number(process.env.E2E_SEED) || Math.floor(Math.random() * 1e9);
  console.log(`fleet e2e seeds ${seed}, ${seed + 1} (rerun with E2E_SEED=${seed})`);

  for (const [i, [name, spec]] of SPECS.entries()) {
    // The directory's base name is the workspace name (WVO_WORKSPACE_NAME unset).
    const root = path.join(tmp, name);
    mkdirSync(root);
    await generateWorkspace(root, spec, seed + i);
    const health = JSON.parse(readFileSync(path.join(root, 'state/analytics/autopilot_health_report.json'), 'utf8')) as { metricsHistory: Autopilot['latest'][] };
    const port = await freePort();
    const exporter = startChild(process.execPath, ['dist/cli.js'], {
      ...process.env,
      WVO_WORKSPACE_ROOT: root,
      WVO_OBSERVABILITY_PORT: String(port),
      WVO_OBSERVABILITY_TOKEN: TOKEN,
      WVO_BUDGETS_FILE: path.join(tmp, 'budgets.yaml'),
      LOG_LEVEL: 'warn',
    }, REPO);
    children.push(exporter.child);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, 15_000, `exporter ${name} /healthz`);
    autopilots.push({ name, root, instance: `127.0.0.1:${port}`, latest: health.metricsHistory.at(-1)! });
  }

  // The site Prometheus: the project's config and rules, both exporters in one job, 1 s scrapes.
  const siteDir = path.join(tmp, 'site');
  mkdirSync(siteDir);
  cpSync(path.join(PROM_DIR, 'rules'), path.join(siteDir, 'rules'), { recursive: true });
  const config = parse(readFileSync(path.join(PROM_DIR, 'prometheus.yml'), 'utf8'));
  Object.assign(config.global, { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' });
  delete config.alerting;
  config.scrape_configs = config.scrape_configs
    .filter((job: { job_name: string }) => job.job_name === 'wvo-exporter')
    .map((job: Record<string, any>) => ({
      ...job,
      scrape_interval: '1s',
      authorization: { ...job.authorization, credentials_file: path.join(tmp, 'token') },
      static_configs: [{ targets: autopilots.map((a) => a.instance) }],
    }));
  site = await startPrometheus(siteDir, config);
  children.push(site.child);

  // The global Prometheus: deploy/prometheus/federation.yml as shipped, pointed at the site.
  const globalDir = path.join(tmp, 'global');
  mkdirSync(globalDir);
  const federation = parse(readFileSync(path.join(PROM_DIR, 'federation.yml'), 'utf8'));
  Object.assign(federation.global, { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' });
  federation.scrape_configs[0].static_configs = [{ targets: [new URL(site.url).host] }];
  global = await startPrometheus(globalDir, federation);
  children.push(global.child);

  // Live autopilots: executions and decisions keep arriving in both, so rate() has data.
  let n = 0;
  writer = setInterval(() => {
    n++;
    for (const a of autopilots) {
      appendFileSync(
        path.join(a.root, 'state/analytics/quality_gate_decisions.jsonl'),
        JSON.stringify({ taskId: `F-${n}`, decision: n % 2 ? 'APPROVED' : 'REJECTED', timestamp: Date.now(), finalReasoning: 'fleet e2e', consensusReached: n % 3 !== 0, reviews: { peer: { approved: n % 2 === 1, rubric: { correctness: 0.7 } } } }) + '\n',
      );
      appendFileSync(
        path.join(a.root, 'state/telemetry/executions.jsonl'),
        JSON.stringify({ type: 'execution_summary', timestamp: new Date().toISOString(), task_id: `F-${n}`, agent_type: 'codex', success: n % 4 !== 0, duration_seconds: 30, prompt_tokens: 100, completion_tokens: 40, token_cost_usd: 0.02 }) + '\n',
      );
    }
  }, 300);

  await waitFor(async () => {
    const r = await site.query('min(count_over_time(up{job="wvo-exporter"}[1m]))');
    return Number(r.data.result[0]?.value[1] ?? 0) >= 8;
  }, 60_000, 'eight scrapes of both exporters');
  await waitFor(async () => {
    const r = await site.query('count(count by (instance) (ALERTS{alertname=~"WvoSpendBudget.*|WvoObjectiveBurnRate"}))');
    return Number(r.data.result[0]?.value[1] ?? 0) === autopilots.length;
  }, 90_000, 'a budget alert pending for both autopilots');
  await waitFor(async () => {
    const r = await global.query('count(count by (instance) (wvo_tasks))');
    return Number(r.data.result[0]?.value[1] ?? 0) === autopilots.length;
  }, 30_000, 'the global Prometheus federating both instances');
  at = Date.now() / 1000;
}, 170_000);

afterAll(async () => {
  clearInterval(writer);
  await Promise.all(children.map(stopChild));
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const queries = dashboardQueries();

describe('two autopilots on one Prometheus', () => {
  it('scrapes both exporters, each named by its workspace', async () => {
    const info = await series('wvo_exporter_info');
    expect(info.map((s) => [s.metric.instance, s.metric.workspace]).sort()).toEqual(autopilots.map((a) => [a.instance, a.name]).sort());
    expect((await series('up{job="wvo-exporter"} == 1')).length).toBe(2);
  });

  it.each(queries.map((q) => [`${q.uid} / ${q.panel}`, q.expr] as const))('with one instance selected, answers only for it: %s', async (_name, expr) => {
    const [a, b] = autopilots as [Autopilot, Autopilot];
    const result = await series(resolve(expr, a.instance));
    expect(result.length, `no data for ${resolve(expr, a.instance)}`).toBeGreaterThan(0);
    for (const s of result) {
      if (s.metric.instance !== undefined) {
        expect(s.metric.instance, resolve(expr, a.instance)).toBe(a.instance);
        continue;
      }
      // No instance label: only a fleet total may do that, and then it is a sum over the selection.
      const both = await series(resolve(expr, `${a.instance}|${b.instance}`));
      const other = await series(resolve(expr, b.instance));
      const value = (r: PromSeries[]) => r.reduce((sum, x) => sum + Number(x.value[1]), 0);
      expect(value(result) + value(other), `${expr} is not a sum across instances`).toBeCloseTo(value(both), 6);
    }
  });

  it.each(['wvo-tasks / Queue depth', 'wvo-tasks / WIP utilization', 'wvo-tasks / Autopilot running'])('stat %s equals each workspace\'s own value', async (name) => {
    const q = queries.find((x) => `${x.uid} / ${x.panel}` === name)!;
    expect(q, name).toBeDefined();
    for (const a of autopilots) {
      const [s, ...rest] = await series(resolve(q.expr, a.instance));
      expect(rest).toEqual([]);
      const expected = name.endsWith('Queue depth') ? a.latest.queueDepth : name.endsWith('WIP utilization') ? a.latest.wipUtilization : 1;
      expect(Number(s!.value[1]), `${a.name}: ${name}`).toBeCloseTo(expected, 6);
    }
  });
});

describe('fleet overview', () => {
  const fleet = queries.filter((q) => q.uid === 'wvo-fleet');
  const table = fleet.filter((q) => q.panel.startsWith('Autopilots ('));

  it('has the table and its twelve columns (three of them budgets)', () => {
    expect(table.length).toBe(12);
  });

  it.each(table.map((q) => [q.expr] as const))('returns one row per autopilot (All selected): %s', async (expr) => {
    const result = await series(resolve(expr, '.*'));
    expect(result.map((s) => s.metric.instance).sort()).toEqual(autopilots.map((a) => a.instance).sort());
  });

  it('names each row by its workspace and shows its blocked tasks and queue depth', async () => {
    const [workspace, , queue, blocked] = table;
    const names = await series(resolve(workspace!.expr, '.*'));
    const depth = await series(resolve(queue!.expr, '.*'));
    const stuck = await series(resolve(blocked!.expr, '.*'));
    for (const a of autopilots) {
      expect(names.find((s) => s.metric.instance === a.instance)?.metric.workspace).toBe(a.name);
      expect(Number(depth.find((s) => s.metric.instance === a.instance)?.value[1])).toBe(a.latest.queueDepth);
      expect(Number(stuck.find((s) => s.metric.instance === a.instance)?.value[1])).toBe(a.latest.blockedCount);
    }
  });
});

describe('rules on a fleet', () => {
  it('every recorded series carries job and instance, for both autopilots', async () => {
    const res = (await (await fetch(`${site.url}/api/v1/rules?type=record`)).json()) as { data: { groups: { rules: { name: string; health: string }[] }[] } };
    const rules = res.data.groups.flatMap((g) => g.rules);
    expect(rules.filter((r) => r.health !== 'ok')).toEqual([]);
    for (const name of new Set(rules.map((r) => r.name))) {
      const result = await series(name);
      for (const s of result) {
        expect(s.metric.job, `${name} ${JSON.stringify(s.metric)}`).toBe('wvo-exporter');
        expect(autopilots.map((a) => a.instance), name).toContain(s.metric.instance);
      }
    }
  });
});

describe('federation (deploy/prometheus/federation.yml)', () => {
  it('the second Prometheus returns both instances\' wvo_tasks, job and instance intact', async () => {
    const result = await series('wvo_tasks', global);
    const instances = [...new Set(result.map((s) => s.metric.instance))].sort();
    expect(instances).toEqual(autopilots.map((a) => a.instance).sort());
    for (const s of result) {
      expect(s.metric.job).toBe('wvo-exporter');
      expect(s.metric.exported_instance).toBeUndefined();
    }
    for (const a of autopilots) {
      const blocked = result.find((s) => s.metric.instance === a.instance && s.metric.state === 'blocked');
      expect(Number(blocked?.value[1])).toBe(a.latest.blockedCount);
    }
  });

  it('federates recording rules and the target health the dashboards need', async () => {
    for (const expr of ['wvo:task_completion:increase1h', 'up{job="wvo-exporter"}', 'wvo_exporter_info']) {
      const result = await series(expr, global);
      expect([...new Set(result.map((s) => s.metric.instance))].sort(), expr).toEqual(autopilots.map((a) => a.instance).sort());
    }
  });
});
