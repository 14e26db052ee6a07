import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateWorkspace } from '../../bench/workspace.js';
import { dashboardQueries } from '../support/dashboards.js';
import { freePort, run, startChild, stopChild, waitFor } from '../support/process.js';
import { startPrometheus } from '../support/prometheus.js';
import { substituteGrafanaVariables } from '../support/promql.js';

/**
 * The real stack minus Grafana: the built exporter serves the sample workspace with bearer
 * auth on, and Debian's Prometheus scrapes it with the project's own config and rule files.
 */
const REPO = path.resolve(import.meta.dirname, '../..');
const PROM_DIR = path.join(REPO, 'deploy/prometheus');
const TOKEN = 'e2e-token-0123456789abcdef';

let tmp: string;
let exporterPort: number;
/** A second autopilot with a budgets file, spending fast and failing every execution. */
let budgetedPort: number;
let promUrl: string;
const children: Parameters<typeof stopChild>[0][] = [];
const logs: Array<() => string> = [];
let writer: NodeJS.Timeout | undefined;

async function promQuery(expr: string): Promise<{ status: string; data: { result: unknown[] }; error?: string }> {
  const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
  return (await res.json()) as never;
}

/** The built exporter on a free port over `workspace`, bearer auth on; resolves with the port once it is ready. */
async function startExporterChild(workspace: string, env: Record<string, string> = {}): Promise<number> {
  const port = await freePort();
  const exporter = startChild(process.execPath, ['dist/cli.js'], {
    ...process.env,
    ...env,
    WVO_WORKSPACE_ROOT: workspace,
    WVO_OBSERVABILITY_PORT: String(port),
    WVO_OBSERVABILITY_TOKEN: TOKEN,
    LOG_LEVEL: 'warn',
  }, REPO);
  children.push(exporter.child);
  logs.push(exporter.output);
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, 15_000, `exporter on ${workspace} /healthz`);
  return port;
}

beforeAll(async () => {
  expect(run('prometheus', ['--version']).status, 'Debian prometheus must be installed (apt-get install -y prometheus)').toBe(0);
  expect(run('npm', ['run', 'build'], { cwd: REPO }).status).toBe(0);
  tmp = mkdtempSync(path.join(os.tmpdir(), 'wvo-e2e-'));
  // A workspace this exporter has never seen: generated afresh with a random seed (other ids,
  // epics, counts and values than the bundled sample).
  const workspace = path.join(tmp, 'workspace');
  const seed = Number(process.env.E2E_SEED) || Math.floor(Math.random() * 1e9);
  await generateWorkspace(workspace, { roadmap: [4, 3, 8, 6], decisions: { lines: 2000 }, executionSummaries: 2000 }, seed);
  console.log(`e2e workspace seed ${seed} (rerun with E2E_SEED=${seed})`);

  exporterPort = await startExporterChild(workspace);

  // The budgeted autopilot: the sample workspace, budgets of 5 USD a day, week and month (it
  // spends about 0.03 USD a second below) and an execution success objective of 95 % (it fails
  // them all). Three periods: near midnight the day's projection is short, the week's is not.
  const budgeted = path.join(tmp, 'budgeted');
  cpSync(path.join(REPO, 'state'), path.join(budgeted, 'state'), { recursive: true });
  writeFileSync(path.join(tmp, 'budgets.yaml'), 'budgets:\n  - {period: day, usd: 5}\n  - {period: week, usd: 5}\n  - {period: month, usd: 5}\nobjectives:\n  - {name: execution_success, target: 0.95}\n');
  budgetedPort = await startExporterChild(budgeted, { WVO_BUDGETS_FILE: path.join(tmp, 'budgets.yaml') });

  // The project's prometheus.yml, pointed at this exporter and scraping every second.
  cpSync(path.join(PROM_DIR, 'rules'), path.join(tmp, 'rules'), { recursive: true });
  writeFileSync(path.join(tmp, 'token'), TOKEN);
  const config = parse(readFileSync(path.join(PROM_DIR, 'prometheus.yml'), 'utf8'));
  config.global.scrape_interval = '1s';
  config.global.scrape_timeout = '1s';
  config.global.evaluation_interval = '1s';
  delete config.alerting;
  config.scrape_configs = config.scrape_configs
    .filter((job: { job_name: string }) => job.job_name === 'wvo-exporter')
    .map((job: Record<string, any>) => ({
      ...job,
      scrape_interval: '1s',
      authorization: { ...job.authorization, credentials_file: path.join(tmp, 'token') },
      static_configs: [{ targets: [`127.0.0.1:${exporterPort}`, `127.0.0.1:${budgetedPort}`] }],
    }));

  const prom = await startPrometheus(tmp, config);
  promUrl = prom.url;
  children.push(prom.child);
  logs.push(prom.output);
  // A live autopilot: decisions and executions keep arriving, so rate()-based rules have data.
  let n = 0;
  writer = setInterval(() => {
    n++;
    const decision = n % 2 ? 'APPROVED' : 'REJECTED';
    appendFileSync(
      path.join(workspace, 'state/analytics/quality_gate_decisions.jsonl'),
      JSON.stringify({ taskId: `E2E-${n}`, decision, timestamp: Date.now(), finalReasoning: 'e2e', consensusReached: n % 3 !== 0, reviews: { peer: { approved: decision === 'APPROVED', rubric: { correctness: 0.8 } } } }) + '\n',
    );
    appendFileSync(
      path.join(workspace, 'state/telemetry/executions.jsonl'),
      JSON.stringify({ type: 'execution_summary', timestamp: new Date().toISOString(), task_id: `E2E-${n}`, agent_type: 'codex', success: true, duration_seconds: 42, prompt_tokens: 100, completion_tokens: 50, token_cost_usd: 0.01 }) + '\n',
    );
    appendFileSync(
      path.join(budgeted, 'state/telemetry/executions.jsonl'),
      JSON.stringify({ type: 'execution_summary', timestamp: new Date().toISOString(), task_id: `E2E-${n}`, agent_type: 'codex', codex_model: 'gpt-5-codex', success: false, failure_type: 'provider_error', duration_seconds: 42, prompt_tokens: 1000, completion_tokens: 500, token_cost_usd: 0.01 }) + '\n',
    );
  }, 300);
  // Enough scrapes for rate() over the dashboards' windows, and for rules to have evaluated.
  await waitFor(async () => {
    const r = await promQuery('count_over_time(up{job="wvo-exporter"}[1m])');
    const v = Number((r.data.result[0] as { value?: [number, string] } | undefined)?.value?.[1] ?? 0);
    return v >= 6;
  }, 60_000, 'six scrapes of the exporter');
}, 180_000);

afterAll(async () => {
  clearInterval(writer);
  await Promise.all(children.map(stopChild));
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('Prometheus scraping the real exporter (auth on)', () => {
  it('scrapes both exporters successfully with the token from the config', async () => {
    const r = await promQuery('up{job="wvo-exporter"}');
    expect(r.data.result).toHaveLength(2);
    for (const series of r.data.result as { value: [number, string] }[]) expect(series.value[1], logs.map((l) => l()).join('\n')).toBe('1');
  });

  it.each(dashboardQueries().map((q) => [`${q.uid} / ${q.panel}`, q.expr] as const))('dashboard query returns data: %s', async (_name, expr) => {
    // Variables become match-all regexes; the rate interval is sized for 1 s scrapes.
    const query = substituteGrafanaVariables(expr).replace(/\[5m\]/g, '[1m]');
    const r = await promQuery(query);
    expect(r.status, `${query}: ${r.error}`).toBe('success');
    expect(r.data.result.length, `no data for ${query}`).toBeGreaterThan(0);
  });

  it('evaluates every recording and alerting rule without error', async () => {
    const res = (await (await fetch(`${promUrl}/api/v1/rules`)).json()) as {
      data: { groups: { name: string; rules: { name: string; health: string; lastError?: string }[] }[] };
    };
    const rules = res.data.groups.flatMap((g) => g.rules);
    expect(rules.length).toBeGreaterThan(10);
    const unhealthy = rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`);
    expect(unhealthy).toEqual([]);
  });

  it('every recording rule produces data on a live workspace', async () => {
    const res = (await (await fetch(`${promUrl}/api/v1/rules?type=record`)).json()) as {
      data: { groups: { rules: { name: string }[] }[] };
    };
    const names = [...new Set(res.data.groups.flatMap((g) => g.rules.map((r) => r.name)))];
    expect(names.length).toBeGreaterThan(0);
    const empty: string[] = [];
    for (const name of names) if ((await promQuery(name)).data.result.length === 0) empty.push(name);
    expect(empty).toEqual([]);
  });
});

describe('budgets and objectives (docs/budgets.md)', () => {
  const alerts = async (instance: string) => {
    const r = await promQuery(`ALERTS{alertname=~"WvoSpendBudget.*|WvoObjectiveBurnRate", instance="${instance}"}`);
    return (r.data.result as { metric: Record<string, string> }[]).map((a) => a.metric);
  };
  const budgeted = () => `127.0.0.1:${budgetedPort}`;

  it('an autopilot spending faster than its budget has WvoSpendBudgetBurn pending within a minute', async () => {
    const started = Date.now();
    const burn = await waitFor(async () => (await alerts(budgeted())).find((a) => a.alertname === 'WvoSpendBudgetBurn' && a.severity === 'critical'), 60_000, 'WvoSpendBudgetBurn');
    console.log(`WvoSpendBudgetBurn ${burn.alertstate} after ${((Date.now() - started) / 1000).toFixed(1)} s of this test`);
    expect(burn).toMatchObject({ scope: 'all', workspace: 'budgeted' });
    expect(['pending', 'firing']).toContain(burn.alertstate);
    // the exporter publishes the budget, the rules the spend so far and the projection
    const spent = await promQuery(`wvo:budget_spend_usd:period_to_date{instance="${budgeted()}", period="${burn.period}", scope="all"}`);
    expect(Number((spent.data.result[0] as { value: [number, string] }).value[1])).toBeGreaterThan(0);
  });

  it('an autopilot failing most executions has WvoObjectiveBurnRate pending', async () => {
    const burn = await waitFor(async () => (await alerts(budgeted())).find((a) => a.alertname === 'WvoObjectiveBurnRate' && a.severity === 'critical'), 60_000, 'WvoObjectiveBurnRate');
    expect(burn).toMatchObject({ objective: 'execution_success', window: '28d', workspace: 'budgeted' });
  });

  it('an autopilot without a budgets file has neither, though it spends as fast', async () => {
    await waitFor(async () => (await alerts(budgeted())).length >= 2, 60_000, 'the budgeted autopilot\'s alerts');
    expect(await alerts(`127.0.0.1:${exporterPort}`)).toEqual([]);
    const spend = await promQuery(`wvo:budget_spend_usd:rate5m{instance="127.0.0.1:${exporterPort}", scope="all"}`);
    expect(Number((spend.data.result[0] as { value: [number, string] }).value[1])).toBeGreaterThan(0);
  });
});

describe('promtool and compose validation', () => {
  it('promtool check config passes on deploy/prometheus/prometheus.yml', () => {
    // The compose path of the credentials file does not exist here; check a copy pointing at a real file.
    const config = readFileSync(path.join(PROM_DIR, 'prometheus.yml'), 'utf8').replaceAll('/etc/prometheus/secrets/wvo_token', path.join(tmp, 'token'));
    writeFileSync(path.join(tmp, 'check.yml'), config);
    const r = run('promtool', ['check', 'config', path.join(tmp, 'check.yml')]);
    expect(r.status, r.output).toBe(0);
  });

  it('promtool check rules passes', () => {
    const r = run('promtool', ['check', 'rules', 'rules/recording.yml', 'rules/alerts.yml'], { cwd: PROM_DIR });
    expect(r.status, r.output).toBe(0);
  });

  it('promtool test rules passes', () => {
    const tests = run('sh', ['-c', 'ls tests/*.yml'], { cwd: PROM_DIR }).output.trim().split('\n');
    const r = run('promtool', ['test', 'rules', ...tests], { cwd: PROM_DIR });
    expect(r.status, r.output).toBe(0);
  });

  it('amtool accepts the Alertmanager config and routes by severity', () => {
    const config = path.join(REPO, 'deploy/alertmanager/alertmanager.yml');
    const check = run('amtool', ['check-config', config]);
    expect(check.status, check.output).toBe(0);
    // amtool prints the receivers on the first line (a warning may follow).
    const route = (...labels: string[]) => run('amtool', ['config', 'routes', 'test', `--config.file=${config}`, ...labels]).output.split('\n')[0]!.trim();
    expect(route('severity=critical', 'alertname=WvoExporterDown')).toBe('pagerduty,slack');
    expect(route('severity=warning', 'alertname=WvoSourceStale')).toBe('slack');
  });

  it('docker-compose validates docker-compose.yml', () => {
    const r = run('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], { cwd: REPO });
    expect(r.status, r.output).toBe(0);
  });
});
