import { promises as fs } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { SOURCE_IDS, sources } from '../../src/sources/registry.js';
import { cleanup } from '../support/cleanup.js';
import { testCollector, testWorkspace } from '../support/collector.js';

const SAMPLE = fileURLToPath(new URL('../../state/', import.meta.url));

afterEach(cleanup);

const jsonLines = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('the bundled sample workspace', () => {
  it('reads every source up, without bad lines, with the numbers the files hold', async () => {
    const ws = await testWorkspace();
    await fs.cp(SAMPLE, ws.path('state'), { recursive: true });
    const s = await testCollector(ws).refresh();

    expect(SOURCE_IDS).toHaveLength(12);
    for (const source of sources) {
      expect(s.status[source.id], source.id).toMatchObject({ present: true, up: true, errors: 0, badLines: 0 });
    }

    // Independent counts straight from the files.
    const read = (rel: string) => fs.readFile(ws.path(rel), 'utf8');
    const execLines = jsonLines(await read('state/telemetry/executions.jsonl'));
    const archives = (await fs.readdir(ws.path('state/telemetry/archives'))).filter((n) => /^executions_.*\.jsonl$/.test(n));
    expect(archives.length).toBeGreaterThan(0);
    for (const name of archives) execLines.push(...jsonLines(await read(`state/telemetry/archives/${name}`)));
    const summaries = execLines.filter((l) => l.type === 'execution_summary');
    // the live log and every archive
    expect(s.data.executions.total).toBe(summaries.length);
    expect(s.data.executions.total).toBeGreaterThan(0);
    expect(s.data.executions.total).toBeLessThan(execLines.length); // other types are in the sample, and skipped

    const decisions = jsonLines(await read('state/analytics/quality_gate_decisions.jsonl'));
    const byDecision: Record<string, number> = {};
    for (const d of decisions) byDecision[String(d.decision).toLowerCase()] = (byDecision[String(d.decision).toLowerCase()] ?? 0) + 1;
    expect(s.data.quality_decisions.total).toBe(decisions.length);
    expect(s.data.quality_decisions.decisions).toEqual(byDecision);

    const orch = JSON.parse(await read('state/analytics/orchestration_metrics.json'));
    expect(s.data.orchestration.totalDecisions).toBe(orch.totalDecisions);
    expect(s.data.orchestration.historyEntries).toBe(orch.history.length);

    const usageDoc = JSON.parse(await read('state/limits/usage_log.json'));
    expect(s.data.usage.providers.map((p) => p.id)).toEqual(Object.keys(usageDoc.providers));

    const capacity = JSON.parse(await read('state/analytics/provider_capacity_metrics.json'));
    expect(s.data.provider_capacity.providers.map((p) => p.provider)).toEqual(capacity.providers.map((p: { provider: string }) => p.provider));

    const doc = parseYaml(await read('state/roadmap.yaml'));
    let taskCount = (doc.tasks ?? []).length;
    for (const e of doc.epics ?? []) {
      taskCount += (e.tasks ?? []).length;
      for (const m of e.milestones ?? []) {
        taskCount += (m.tasks ?? []).length;
        for (const set of m.sets ?? []) taskCount += (set.tasks ?? []).length;
      }
    }
    expect(s.data.roadmap.tasks).toHaveLength(taskCount);
    expect(s.data.roadmap.rejectedTasks).toBe(0);

    const health = JSON.parse(await read('state/analytics/autopilot_health_report.json'));
    expect(s.data.health.lastCycle).toBe(health.lastCycle);
    expect(s.data.health.latest?.timestamp).toBe(health.metricsHistory.at(-1).timestamp);
    expect(s.data.metrics_summary.diskUsagePercent).toBe(JSON.parse(await read('state/telemetry/metrics_summary.json')).operations.latest_snapshot.diskUsage);
    expect(s.data.health.activeAnomalies).toHaveLength(health.activeAnomalies.length);
    expect(s.data.health.recentRemediations).toHaveLength(health.recentRemediations.length);
    const router = JSON.parse(await read('state/analytics/model_router_telemetry.json'));
    expect(s.data.model_router?.totalTasks).toBe(router.totalTasks);
    expect(s.data.mcp_pid.pid).toBe(Number((await read('state/.mcp.pid')).trim()));
  });

  it('tells the story of a retried task: executions, a gate rejection, a later execution and approval, its loop closed, done in the roadmap', async () => {
    const read = (rel: string) => fs.readFile(new URL(rel, new URL('../', `file://${SAMPLE}`)), 'utf8');
    const time = (t: unknown) => (typeof t === 'number' ? t : Date.parse(String(t)));
    const executions = jsonLines(await read('state/telemetry/executions.jsonl')).filter((l) => l.type === 'execution_summary');
    const decisions = jsonLines(await read('state/analytics/quality_gate_decisions.jsonl'));
    const resolution = JSON.parse(await read('state/analytics/resolution_metrics.json'));
    const roadmap = await read('state/roadmap.yaml');
    const retried = [...new Set(decisions.map((d) => String(d.taskId)))].filter((task) => {
      const runs = executions.filter((e) => e.task_id === task).map((e) => time(e.timestamp));
      const verdicts = decisions.filter((d) => d.taskId === task).map((d) => ({ at: time(d.timestamp), verdict: d.decision }));
      const rejected = verdicts.find((v) => v.verdict === 'REJECTED');
      const approved = verdicts.find((v) => v.verdict === 'APPROVED' && rejected && v.at > rejected.at);
      const loop = resolution.recentlyClosed.find((c: { taskId: string }) => c.taskId === task);
      const attempts = resolution.recentEvents.filter((e: { taskId: string; type: string }) => e.taskId === task && e.type === 'attempt');
      return (
        runs.length >= 2 &&
        rejected !== undefined &&
        approved !== undefined &&
        runs.some((t) => t < rejected.at) &&
        runs.some((t) => t > rejected.at && t < approved.at) &&
        verdicts.every((v) => v.at > Math.min(...runs)) &&
        loop?.attempts === attempts.length &&
        attempts.length >= 2 &&
        time(loop.closedAt) >= approved.at &&
        new RegExp(`- id: ${task.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n\\s+title: .*\\n\\s+status: done`).test(roadmap)
      );
    });
    expect(retried.length).toBeGreaterThan(0);
  });
});
