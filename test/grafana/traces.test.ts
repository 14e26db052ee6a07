/**
 * Dashboards and traces: every task id shown links to its trace (a TraceQL search on the task id
 * attribute over the `traces` data-source variable) and to its REST timeline; the execution
 * duration panels ask for exemplars; and the provisioning sends an exemplar's trace_id to the
 * Tempo datasource, which the compose Grafana gets only when WVO_TEMPO_URL is set.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { catalog } from '../../src/metrics/catalog.js';
import { EXEMPLAR_TRACE_ID_LABEL } from '../../src/metrics/prometheus.js';
import { WVO_TASK_ID as TASK_ID_ATTRIBUTE } from '../../src/traces/attributes.js';
import { flattenPanels, loadDashboards, type GrafanaPanel } from '../support/dashboards.js';
import { parsePromQL, substituteGrafanaVariables } from '../support/promql.js';

const REPO = path.resolve(import.meta.dirname, '../..');
const PROVISIONING = path.join(REPO, 'grafana/provisioning');
const dashboards = loadDashboards();
const taskMetrics = new Set(catalog.filter((d) => d.labels.includes('task_id')).map((d) => d.name));
const exprs = (p: GrafanaPanel) => (p.targets ?? []).flatMap((t) => (typeof t.expr === 'string' ? [t.expr] : []));
const metricsOf = (p: GrafanaPanel) => exprs(p).flatMap((e) => parsePromQL(substituteGrafanaVariables(e)).metrics);

interface Link {
  title: string;
  url: string;
}
/** Every link object inside a panel (field defaults, overrides, panel links). */
function linksOf(value: unknown): Link[] {
  const out: Link[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.url === 'string' && typeof o.title === 'string') out.push(o as unknown as Link);
      else Object.values(o).forEach(walk);
    }
  };
  walk(value);
  return out;
}

/** The Explore state of a link to /explore, its task id placeholder (a Grafana variable) kept. */
function explorePane(url: string): { datasource: string; queries: { datasource: { type: string; uid: string }; queryType: string; query: string }[] } | undefined {
  const m = /^\/explore\?(.*)$/.exec(url);
  if (!m) return undefined;
  const panes = new URLSearchParams(m[1]!.replace(/\$\{[^}]+\}/g, (v) => encodeURIComponent(v))).get('panes');
  return Object.values(JSON.parse(panes!) as Record<string, never>)[0];
}

/** A panel shows task ids when it reads a task_id metric and keeps the label: grouped by it, or named in the legend. */
const showsTaskIds = (p: GrafanaPanel) =>
  metricsOf(p).some((m) => taskMetrics.has(m)) &&
  (p.targets ?? []).some((t) => /\bby\s*\([^)]*\btask_id\b/.test(String(t.expr)) || String(t.legendFormat ?? '').includes('{{task_id}}'));
const tablesWithTaskIds = dashboards.flatMap((d) =>
  flattenPanels(d.json.panels)
    .filter(showsTaskIds)
    .map((p) => [`${d.json.uid} › ${p.title}`, p, d] as const),
);

describe('task links', () => {
  it('finds the panels showing task ids (the catalog metrics with a task_id label)', () => {
    expect(taskMetrics.size).toBeGreaterThan(0);
    expect(tablesWithTaskIds.filter(([, p]) => p.type === 'table').length).toBeGreaterThan(0);
  });

  it.each(tablesWithTaskIds)('%s links each task id to its trace and its REST timeline', (_name, panel, d) => {
    const links = linksOf(panel.fieldConfig);
    const traces = links.map((l) => ({ l, pane: explorePane(l.url) })).filter((x) => x.pane);
    expect(traces.length, 'a trace link').toBeGreaterThan(0);
    for (const { pane } of traces) {
      expect(pane!.datasource).toBe('${traces}');
      const [q] = pane!.queries;
      expect(q!.datasource).toEqual({ type: 'tempo', uid: '${traces}' });
      expect(q!.queryType).toBe('traceql');
      // { span."wvo.task.id" = "<the clicked id, percent-encoded by Grafana>" }
      expect(q!.query).toMatch(new RegExp(`^\\{ span\\."${TASK_ID_ATTRIBUTE.replaceAll('.', '\\.')}" = "\\$\\{__(value\\.text|field\\.labels\\.task_id):percentencode\\}" \\}$`));
    }
    const timeline = links.filter((l) => /^\$\{exporter_url\}\/api\/tasks\/\$\{__(value\.text|field\.labels\.task_id):percentencode\}\/timeline$/.test(l.url));
    expect(timeline.length, 'a timeline link').toBeGreaterThan(0);
    // the variable the links name exists, as a Tempo data-source variable
    const variables = (d.json.templating as { list: { name: string; type: string; query: string }[] }).list;
    expect(variables.find((v) => v.name === 'traces')).toMatchObject({ type: 'datasource', query: 'tempo' });
  });

  it('puts the link on the task id column of a table (the cell clicked is the id)', () => {
    for (const [name, panel] of tablesWithTaskIds.filter(([, p]) => p.type === 'table')) {
      const overrides = (panel.fieldConfig as { overrides: { matcher: { options: string }; properties: { id: string; value: unknown }[] }[] }).overrides;
      const renamed = (panel.transformations as { options: { renameByName?: Record<string, string> } }[] | undefined)?.flatMap((t) => Object.entries(t.options.renameByName ?? {})) ?? [];
      const column = renamed.find(([from]) => from === 'task_id')?.[1] ?? 'task_id';
      const links = overrides.filter((o) => o.matcher.options === column).flatMap((o) => linksOf(o.properties));
      expect(links.some((l) => l.url.includes('__value.text')), name).toBe(true);
    }
  });
});

describe('exemplars', () => {
  it('are asked for on every panel of the execution duration histogram', () => {
    const panels = dashboards.flatMap((d) => flattenPanels(d.json.panels)).filter((p) => metricsOf(p).includes('wvo_execution_duration_seconds_bucket'));
    expect(panels.length).toBeGreaterThanOrEqual(2);
    for (const p of panels) {
      const withExemplars = (p.targets ?? []).filter((t) => t.exemplar === true);
      expect(withExemplars.length, String(p.title)).toBeGreaterThan(0);
      for (const t of withExemplars) {
        expect(String(t.expr), String(p.title)).toContain('wvo_execution_duration_seconds_bucket');
        expect(t.range, `${p.title}: exemplars need a range query`).toBe(true);
      }
    }
  });

  it('open the trace in the provisioned Tempo: the label the exporter writes, the datasource uid tempo.yml provisions', () => {
    const datasources = (file: string) =>
      (parse(readFileSync(path.join(PROVISIONING, 'datasources', file), 'utf8')) as { datasources: { uid: string; type: string; url: string; jsonData?: Record<string, unknown> }[] }).datasources;
    const [prometheus] = datasources('prometheus.yml');
    const [tempo] = datasources('tempo.yml');
    expect(tempo).toMatchObject({ type: 'tempo', url: '${WVO_TEMPO_URL}' });
    expect(prometheus!.jsonData!.exemplarTraceIdDestinations).toEqual([expect.objectContaining({ name: EXEMPLAR_TRACE_ID_LABEL, datasourceUid: tempo!.uid })]);
  });
});

describe('wvo-provision.sh (the compose Grafana entrypoint)', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  /** Runs the script as compose does, the image's /run.sh replaced by a command listing what it provisioned. */
  function provision(env: Record<string, string>): { status: number | null; files: string[]; output: string } {
    const target = path.join(mkdtempSync(path.join(os.tmpdir(), 'wvo-provision-')), 'copy');
    dirs.push(path.dirname(target));
    const r = spawnSync('/bin/sh', [path.join(PROVISIONING, 'wvo-provision.sh'), '/bin/sh', '-c', 'echo "ran with $GF_PATHS_PROVISIONING"'], {
      env: { PATH: process.env.PATH, GF_PATHS_PROVISIONING: target, ...env },
      encoding: 'utf8',
    });
    const files = existsSync(target) ? readdirSync(target, { recursive: true, encoding: 'utf8' }).sort() : [];
    return { status: r.status, files, output: `${r.stdout}${r.stderr}` };
  }

  it('provisions Prometheus and the dashboards but no Tempo while WVO_TEMPO_URL is unset or empty, then runs Grafana', () => {
    for (const env of [{}, { WVO_TEMPO_URL: '' }] as Record<string, string>[]) {
      const r = provision(env);
      expect(r.status, r.output).toBe(0);
      expect(r.output).toMatch(/^ran with \S+copy$/m);
      expect(r.files).toEqual(['dashboards', 'dashboards/dashboards.yml', 'datasources', 'datasources/prometheus.yml']);
    }
  });

  it('provisions the Tempo datasource too once WVO_TEMPO_URL is set', () => {
    const r = provision({ WVO_TEMPO_URL: 'http://tempo:3200' });
    expect(r.status, r.output).toBe(0);
    expect(r.files).toContain('datasources/tempo.yml');
    expect(r.files).not.toContain('wvo-provision.sh');
  });

  it('refuses to run without GF_PATHS_PROVISIONING, naming it', () => {
    const r = spawnSync('/bin/sh', [path.join(PROVISIONING, 'wvo-provision.sh'), 'true'], { env: { PATH: process.env.PATH }, encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('GF_PATHS_PROVISIONING');
  });
});
