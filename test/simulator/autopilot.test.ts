/**
 * The simulator writes what a real exporter reads: `wvo-exporter simulate` runs against a temp
 * workspace while the built exporter scrapes it; then `npm run demo` starts and serves moving data.
 */
import { spawn } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AutopilotSimulator, PATHS } from '../../src/simulator/autopilot.js';
import { checkWorkspace } from '../../src/commands/check.js';
import { cleanup, createWorkspace, ensureBuilt, eventually, getJson, onCleanup, REPO_ROOT, sampleValue, scrape, sleep, spawnCli, startCli, tempDir } from '../support/server.js';

vi.setConfig({ testTimeout: 90_000, hookTimeout: 240_000 });
beforeAll(() => ensureBuilt());
afterEach(cleanup);

const total = (samples: Awaited<ReturnType<typeof scrape>>, name: string) => samples.filter((s) => s.name === name).reduce((a, s) => a + s.value, 0);

describe('wvo-exporter simulate', () => {
  it('writes state files a real exporter parses, and they keep moving', async () => {
    const root = await tempDir('wvo-sim-');
    const sim = spawnCli({}, ['simulate', '--workspace', root, '--tick-ms', '100', '--rotate-every', '15', '--anomaly-every', '5', '--tasks-per-tick', '2']);
    await eventually(() => expect(existsSync(path.join(root, PATHS.executions))).toBe(true), { timeoutMs: 20_000 });
    const cli = await startCli({ WVO_WORKSPACE_ROOT: root, WVO_OBSERVABILITY_CACHE_TTL_MS: '100' });

    const first = await scrape(cli.url);
    const later = await eventually(
      async () => {
        const s = await scrape(cli.url);
        expect(total(s, 'wvo_quality_gate_decisions_total')).toBeGreaterThan(total(first, 'wvo_quality_gate_decisions_total'));
        expect(total(s, 'wvo_executions_total')).toBeGreaterThan(total(first, 'wvo_executions_total'));
        expect(total(s, 'wvo_consensus_decisions_total')).toBeGreaterThan(total(first, 'wvo_consensus_decisions_total'));
        expect(sampleValue(s, 'wvo_autopilot_last_cycle')).toBeGreaterThan(sampleValue(first, 'wvo_autopilot_last_cycle')!);
        return s;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    // every source is up: nothing the simulator writes is rejected
    for (const s of later.filter((x) => x.name === 'wvo_source_up')) expect(s.value, s.labels.source).toBe(1);
    for (const s of later.filter((x) => x.name === 'wvo_source_bad_lines_total')) expect(s.value, s.labels.source).toBe(0);
    expect(sampleValue(later, 'wvo_mcp_server_up')).toBe(1); // the simulator's own pid

    // tasks moved between states: the REST counts follow the rewritten roadmap and health report
    const tasks = await getJson(`${cli.url}/api/metrics/tasks`);
    const states = tasks.tasksByState as Record<string, number>;
    expect(Object.values(states).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);

    // the log was rotated into archives/ and anomalies were detected
    await eventually(async () => expect((await fs.readdir(path.join(root, PATHS.archives))).filter((f) => /^executions-.*T.*\.jsonl$/.test(f)).length).toBeGreaterThan(0), { timeoutMs: 20_000 });
    const health = JSON.parse(await fs.readFile(path.join(root, PATHS.health), 'utf8'));
    expect(health.activeAnomalies.length).toBeGreaterThan(0);
    expect(health.activeAnomalies[0]).toMatchObject({ type: expect.any(String), severity: expect.any(String), detectedAt: expect.any(Number) });
    expect(health.recentRemediations[0].plan.anomaly.type).toEqual(expect.any(String));

    sim.child.kill('SIGTERM');
    expect((await sim.exited).code, sim.stderr()).toBe(0);
    const stats = JSON.parse(sim.stdout().trim().split('\n').at(-1)!);
    expect(stats.rotations).toBeGreaterThan(0);
    expect(stats.decisions).toBeGreaterThan(0);
    expect((await checkWorkspace(root, 1024 * 1024)).filter((r) => r.status !== 'ok')).toEqual([]);
    cli.child.kill('SIGTERM');
    expect((await cli.exited).code).toBe(0);
  });

  it('seeds an empty directory from the bundled sample, never writes the sample, and a seed replays the run', async () => {
    const before = await fs.readFile(path.join(REPO_ROOT, 'state/roadmap.yaml'), 'utf8');
    const runs: string[] = [];
    for (let i = 0; i < 2; i++) {
      const ws = await createWorkspace();
      const sim = new AutopilotSimulator({ root: ws.root, seed: 7, tasksPerTick: 3, anomalyEveryTicks: 0 });
      onCleanup(() => sim.stop().then(() => undefined));
      await sim.init();
      for (let t = 0; t < 20; t++) await sim.tick();
      await sim.stop();
      runs.push(await fs.readFile(ws.abs(PATHS.roadmap), 'utf8'));
    }
    expect(runs[0]).toBe(runs[1]);
    expect(runs[0]).not.toBe(before); // statuses changed
    expect(await fs.readFile(path.join(REPO_ROOT, 'state/roadmap.yaml'), 'utf8')).toBe(before);
  });

  it('tells each task\'s story: runs before every verdict, rejections retried and approved, loops and roadmap agreeing', async () => {
    const ws = await createWorkspace();
    const sim = new AutopilotSimulator({ root: ws.root, seed: 11, anomalyEveryTicks: 0, rotateEveryTicks: 0 });
    onCleanup(() => sim.stop().then(() => undefined));
    await sim.init();
    for (let t = 0; t < 150; t++) await sim.tick();
    await sim.stop();
    const lines = async (rel: string) => (await fs.readFile(ws.abs(rel), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
    const time = (t: unknown) => (typeof t === 'number' ? t : Date.parse(String(t)));
    const executions = (await lines(PATHS.executions)).filter((e) => e.type === 'execution_summary');
    const decisions = (await lines(PATHS.decisions)).filter((d) => String(d.id).startsWith('qg-run-sim'));
    expect(decisions).toHaveLength(150);
    const roadmap = await fs.readFile(ws.abs(PATHS.roadmap), 'utf8');
    const roadmapIds = new Set([...roadmap.matchAll(/^\s*- id: (.+)$/gm)].map((m) => m[1]!.trim().replace(/^"(.*)"$/, '$1')));
    const resolution = JSON.parse(await fs.readFile(ws.abs('state/analytics/resolution_metrics.json'), 'utf8'));

    // one set of task ids: every simulated line names a roadmap task
    const simulated = executions.filter((e) => time(e.timestamp) >= time(decisions[0]!.timestamp) - 1);
    for (const id of [...decisions.map((d) => d.taskId), ...simulated.map((e) => e.task_id)]) expect(roadmapIds.has(id), id).toBe(true);
    // a gate reviews work: each verdict follows a run of its task since the task's previous verdict
    for (const id of new Set(decisions.map((d) => d.taskId as string))) {
      const verdicts = decisions.filter((d) => d.taskId === id).map((d) => time(d.timestamp));
      const runs = executions.filter((e) => e.task_id === id).map((e) => time(e.timestamp));
      verdicts.forEach((at, i) => expect(runs.some((r) => r > (i ? verdicts[i - 1]! : -Infinity) && r < at), `${id} verdict ${i}`).toBe(true));
    }
    // rejections are retried: a later run and an approval, the loop's attempts include the rejection, the task is done
    const retried = [...new Set(decisions.map((d) => d.taskId as string))].filter((id) => {
      const mine = decisions.filter((d) => d.taskId === id);
      const rejection = mine.find((d) => d.decision === 'REJECTED');
      const approval = rejection && mine.find((d) => d.decision === 'APPROVED' && time(d.timestamp) > time(rejection.timestamp));
      if (!rejection || !approval) return false;
      const between = executions.filter((e) => e.task_id === id && time(e.timestamp) > time(rejection.timestamp) && time(e.timestamp) < time(approval.timestamp));
      const events = resolution.recentEvents.filter((e: Record<string, unknown>) => e.taskId === id && time(e.timestamp) >= time(rejection.timestamp));
      return between.length > 0 && events.some((e: Record<string, unknown>) => e.label === 'review_rejected') && events.some((e: Record<string, unknown>) => e.type === 'closed');
    });
    expect(retried.length).toBeGreaterThan(0);
    const approvals = decisions.filter((d) => d.decision === 'APPROVED').length / decisions.length;
    expect(approvals).toBeGreaterThan(0.5); // the demo's objective (gate_approval 0.5) is met
    expect(approvals).toBeLessThan(0.75); // and rejections are common enough to see
  });

  it('refuses to run without a workspace (exit 2)', async () => {
    const cli = spawnCli({}, ['simulate']);
    expect((await cli.exited).code).toBe(2);
    expect(cli.stderr()).toContain('--workspace');
  });
});

/** `npm run demo` in its own process group, killed at cleanup; resolves once its banner is out. */
async function startDemo(args: string[]) {
  const child = spawn('npm', ['run', 'demo', '--silent', '--', '--port', '0', '--tick-ms', '100', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, WVO_WORKSPACE_ROOT: REPO_ROOT },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: npm and the node it starts are stopped together
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  onCleanup(async () => {
    if (child.exitCode === null) {
      process.kill(-child.pid!, 'SIGKILL');
      await exited;
    }
  });
  const banner = await eventually(() => {
    const m = /a simulated autopilot is writing (\S+)\n\s+metrics (http:\/\/\S+)\/metrics.*\n\s+budgets (\S+)/.exec(err);
    if (!m) throw new Error(`no banner yet:\n${err}\n${out}`);
    return { dir: path.dirname(m[1]!), url: m[2]!.replace('[::1]', '127.0.0.1'), budgets: m[3]! };
  }, { timeoutMs: 30_000 });
  return { child, exited, banner, stderr: () => err };
}

describe('npm run demo', () => {
  it('starts the exporter on a simulated autopilot in a temp workspace, whose numbers move, and cleans up on SIGTERM', async () => {
    const { child, exited, banner, stderr } = await startDemo([]);
    expect(banner.dir).not.toBe(REPO_ROOT); // WVO_WORKSPACE_ROOT is never the demo's workspace
    const first = await eventually(() => scrape(banner.url), { timeoutMs: 15_000 });
    await eventually(async () => expect(total(await scrape(banner.url), 'wvo_executions_total')).toBeGreaterThan(total(first, 'wvo_executions_total')), { timeoutMs: 20_000, intervalMs: 200 });
    // its budgets file sits in the workspace and is served
    expect(path.dirname(banner.budgets)).toBe(banner.dir);
    expect(sampleValue(first, 'wvo_budget_usd', { period: 'day', scope: 'all' })).toBeGreaterThan(0);
    process.kill(-child.pid!, 'SIGTERM'); // as a terminal's Ctrl-C reaches npm and the exporter together
    const { code, signal } = await exited;
    expect(code === 0 || signal === 'SIGTERM', `npm: code ${code}, signal ${signal}\n${stderr()}`).toBe(true);
    // the exporter stopped cleanly: it removed its temporary workspace, and no longer answers
    await eventually(() => expect(existsSync(banner.dir)).toBe(false));
    await eventually(() => expect(fetch(`${banner.url}/healthz`)).rejects.toThrow());
  });

  it('--overspend sizes the daily budget below what the simulation really spends; without it the budget is above', async () => {
    const paceOf = async (url: string) => {
      const cost = (samples: Awaited<ReturnType<typeof scrape>>) => total(samples, 'wvo_execution_cost_usd_total');
      const before = await eventually(() => scrape(url), { timeoutMs: 15_000 });
      const t0 = Date.now();
      await sleep(4000);
      const after = await scrape(url);
      return { perDay: ((cost(after) - cost(before)) / (Date.now() - t0)) * 86_400_000, budget: sampleValue(after, 'wvo_budget_usd', { period: 'day', scope: 'all' })! };
    };
    const over = await startDemo(['--overspend']);
    expect(over.stderr()).toContain('overspend: WvoSpendBudgetBurn pending within minutes');
    const o = await paceOf(over.banner.url);
    expect(o.perDay, `measured ${o.perDay.toFixed(0)} USD/day against a budget of ${o.budget}`).toBeGreaterThan(o.budget);
    const quiet = await startDemo([]);
    const q = await paceOf(quiet.banner.url);
    expect(q.perDay, `measured ${q.perDay.toFixed(0)} USD/day against a budget of ${q.budget}`).toBeLessThan(q.budget / 1.5);
  });
});
