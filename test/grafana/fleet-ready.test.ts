/**
 * Issue 10: every dashboard works for a fleet and in any Grafana — the datasource and target
 * variables, the target matchers on every selector, aggregations that keep autopilots apart,
 * no datasource uid, the fleet overview's links — and the committed JSON is what the code in
 * grafana/src generates.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderedDashboards } from '../../grafana/src/index.js';
import { THRESHOLDS, UNITS } from '../../grafana/src/style.js';
import { DASHBOARDS_DIR, dashboardFiles, flattenPanels, loadDashboards, type GrafanaPanel } from '../support/dashboards.js';
import { promqlStructure } from '../support/promql.js';

const dashboards = loadDashboards();
const FLEET_UID = 'wvo-fleet';

interface Variable {
  name: string;
  type: string;
  query?: unknown;
  definition?: string;
  multi?: boolean;
  includeAll?: boolean;
}
const variablesOf = (json: Record<string, unknown>) => ((json.templating as { list: Variable[] }).list ?? []);

/** Every PromQL expression of a dashboard: panel targets, annotations and query variables. */
function expressions(json: Record<string, unknown>): { where: string; expr: string }[] {
  const out: { where: string; expr: string }[] = [];
  for (const p of flattenPanels(json.panels as GrafanaPanel[])) {
    for (const t of p.targets ?? []) if (typeof t.expr === 'string') out.push({ where: `${String(p.title)} ${t.refId}`, expr: t.expr });
  }
  for (const a of (json.annotations as { list: { name: string; expr?: string }[] }).list) if (a.expr) out.push({ where: `annotation ${a.name}`, expr: a.expr });
  return out;
}

/** Every string found under a key named `key`, anywhere in a JSON value. */
function valuesOfKey(value: unknown, key: string): unknown[] {
  const found: unknown[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === key) found.push(x);
        walk(x);
      }
    }
  };
  walk(value);
  return found;
}

describe('dashboards as code', () => {
  it('the committed JSON is exactly what grafana/src generates (run `npm run dashboards`)', () => {
    const rendered = renderedDashboards();
    expect(dashboardFiles().map((f) => path.basename(f)).sort()).toEqual(rendered.map((r) => r.file).sort());
    for (const { file, text } of rendered) expect(readFileSync(path.join(DASHBOARDS_DIR, file), 'utf8'), file).toBe(text);
  });
});

describe.each(dashboards.map((d) => [d.json.uid as string, d] as const))('%s is fleet-ready', (uid, d) => {
  const json = d.json as Record<string, unknown>;
  const variables = variablesOf(json);

  it('starts with a prometheus datasource variable, then multi-value job and instance variables with All', () => {
    expect(variables.slice(0, 3).map((v) => v.name)).toEqual(['datasource', 'job', 'instance']);
    expect(variables[0]).toMatchObject({ type: 'datasource', query: 'prometheus' });
    for (const v of variables.slice(1, 3)) expect(v, v.name).toMatchObject({ type: 'query', multi: true, includeAll: true });
    expect(variables[2]!.definition).toMatch(/^label_values\(up\{job=~"\$job"\}, instance\)$/);
  });

  it('names no datasource uid: every datasource is the variable (or Grafana\'s built-in annotations)', () => {
    const text = JSON.stringify(json);
    expect(text).not.toContain('wvo-prometheus');
    for (const ds of valuesOfKey(json, 'datasource')) {
      const uid = (ds as { uid?: string }).uid;
      if ((ds as { type?: string }).type === 'grafana') expect(uid).toBe('-- Grafana --');
      else expect(ds, JSON.stringify(ds)).toEqual({ type: 'prometheus', uid: '${datasource}' });
    }
  });

  it('takes every unit and threshold set from grafana/src/style.ts (one place)', () => {
    const units = new Set<unknown>(Object.values(UNITS));
    const sets = Object.values(THRESHOLDS).map((steps) => JSON.stringify(steps));
    for (const p of flattenPanels(json.panels as GrafanaPanel[])) {
      const fieldConfig = p.fieldConfig as { defaults?: { unit?: string; thresholds?: { steps: unknown } }; overrides?: { properties: { id: string; value: unknown }[] }[] } | undefined;
      const found = [
        ...(fieldConfig?.defaults?.unit ? [{ id: 'unit', value: fieldConfig.defaults.unit }] : []),
        ...(fieldConfig?.defaults?.thresholds ? [{ id: 'thresholds', value: fieldConfig.defaults.thresholds }] : []),
        ...(fieldConfig?.overrides ?? []).flatMap((o) => o.properties),
      ];
      for (const { id, value } of found) {
        if (id === 'unit') expect(units.has(value), `${uid} › ${p.title}: unit ${String(value)}`).toBe(true);
        if (id === 'thresholds') expect(sets, `${uid} › ${p.title}: thresholds`).toContain(JSON.stringify((value as { steps: unknown }).steps));
      }
    }
  });

  it('filters every selector of every query by the job and instance variables', () => {
    const exprs = expressions(json);
    expect(exprs.length).toBeGreaterThan(0);
    for (const { where, expr } of exprs) {
      for (const s of promqlStructure(expr).selectors) {
        expect(s.matchers, `${uid} › ${where}: ${s.metric} in ${expr}`).toEqual(expect.arrayContaining(['job=~"$job"', 'instance=~"$instance"']));
      }
    }
    for (const v of variables.filter((x) => x.type === 'query' && !['job', 'instance'].includes(x.name))) {
      expect(v.definition, v.name).toContain('job=~"$job", instance=~"$instance"');
    }
  });

  it('keeps autopilots apart: every aggregation and vector match keeps instance (fleet totals may sum or count)', () => {
    for (const { where, expr } of expressions(json)) {
      const { aggregations, matching } = promqlStructure(expr);
      for (const a of aggregations) {
        const keeps = a.modifier === 'by' ? a.labels.includes('instance') : a.modifier === 'without' && !a.labels.includes('instance');
        const fleetTotal = uid === FLEET_UID && (a.op === 'sum' || a.op === 'count') && a.modifier === undefined;
        expect(keeps || fleetTotal, `${uid} › ${where}: ${a.op} ${a.modifier ?? ''}(${a.labels.join(', ')}) merges autopilots in ${expr}`).toBe(true);
      }
      for (const m of matching) {
        const keeps = m.modifier === 'on' ? m.labels.includes('instance') : !m.labels.includes('instance');
        expect(keeps, `${uid} › ${where}: ${m.modifier}(${m.labels.join(', ')}) in ${expr}`).toBe(true);
      }
    }
  });

  it('legends name the instance, so two autopilots are told apart', () => {
    for (const p of flattenPanels(json.panels as GrafanaPanel[])) {
      for (const t of p.targets ?? []) if (t.format !== 'table') expect(String(t.legendFormat), `${p.title}`).toMatch(/^\{\{instance\}\}/);
    }
  });

  it('links to the other dashboards keep the selected variables and time range', () => {
    const link = (json.links as { type: string; includeVars?: boolean; keepTime?: boolean }[]).find((l) => l.type === 'dashboards');
    expect(link).toMatchObject({ includeVars: true, keepTime: true });
  });
});

describe('fleet overview', () => {
  const fleet = dashboards.find((d) => d.json.uid === FLEET_UID)!.json;
  const table = flattenPanels(fleet.panels).find((p) => p.type === 'table')!;

  it('has one table with a column per fleet question', () => {
    const organize = (table.transformations as { id: string; options: { renameByName?: Record<string, string> } }[]).find((t) => t.id === 'organize')!;
    expect(Object.values(organize.options.renameByName!)).toEqual(['running', 'queue depth', 'blocked', 'success', 'cost 24h', 'top token usage', 'firing alerts', 'sources down', 'day budget spent', 'month budget spent', 'worst burn rate 1h']);
    const exprs = (table.targets ?? []).map((t) => String(t.expr));
    expect(exprs[0]).toContain('wvo_exporter_info');
    expect(exprs.some((e) => e.includes('ALERTS{'))).toBe(true);
    for (const t of table.targets ?? []) expect(t).toMatchObject({ format: 'table', instant: true });
  });

  it('links each workspace to every per-autopilot dashboard with that instance selected', () => {
    const urls = valuesOfKey(table, 'url').map(String);
    for (const d of dashboards.filter((x) => x.json.uid !== FLEET_UID)) {
      const url = urls.find((u) => u.startsWith(`/d/${String(d.json.uid)}?`));
      expect(url, String(d.json.uid)).toBeDefined();
      expect(url).toContain('var-instance=${__data.fields.instance');
      expect(url).toContain('${datasource:queryparam}');
    }
  });
});

describe('drill-down and export links (issue 9)', () => {
  const urls = new Set(dashboards.flatMap((d) => valuesOfKey(d.json, 'url').map(String)));
  const routes = [
    '/api/tasks', '/api/tasks/', '/api/metrics/export/roadmap', '/api/metrics/export/quality_gates',
    '/api/metrics/export/rejection_reasons', '/api/metrics/export/executions', '/api/metrics/export/usage',
    '/api/metrics/export/resolution_closed', '/api/metrics/export/tasks', '/api/metrics/export/resolution',
  ];
  it.each(routes)('some panel or dashboard links to ${exporter_url}%s', (route) => {
    expect([...urls].some((u) => u.startsWith(`\${exporter_url}${route}`) && (route.endsWith('/') || !/^[\w/]/.test(u.slice(`\${exporter_url}${route}`.length))))).toBe(true);
  });

  it('every table panel on a per-autopilot dashboard but the source status links somewhere', () => {
    for (const d of dashboards.filter((x) => x.json.uid !== FLEET_UID && x.json.uid !== 'wvo-exporter')) {
      for (const p of flattenPanels(d.json.panels).filter((x) => x.type === 'table')) {
        expect(valuesOfKey(p, 'url').length, `${String(d.json.uid)} › ${p.title}`).toBeGreaterThan(0);
      }
    }
  });
});
