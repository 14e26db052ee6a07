import path from 'node:path';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import client from 'prom-client';
import { exportedSeriesNames } from '../../src/metrics/catalog.js';
import {
  dashboardFiles,
  dashboardQueries,
  flattenPanels,
  loadDashboards,
  type GrafanaPanel,
  type LoadedDashboard,
} from '../support/dashboards.js';
import { parsePromQL, substituteGrafanaVariables } from '../support/promql.js';

/** The datasource the viewer picks (the `datasource` variable): no dashboard names a uid. */
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };

/** Dashboards the product ships; each must exist with this uid. */
const REQUIRED_UIDS = ['wvo-fleet', 'wvo-tasks', 'wvo-quality', 'wvo-resolution', 'wvo-resources', 'wvo-budgets', 'wvo-exporter'];

/** Series Prometheus itself attaches to every scrape, and its alert state. */
const PROMETHEUS_SERIES = ['up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'ALERTS'];

/** prom-client default metrics the exporter dashboard uses (checked against prom-client below). */
const DEFAULT_METRIC_SERIES = [
  'process_cpu_seconds_total',
  'process_resident_memory_bytes',
  'process_open_fds',
  'process_start_time_seconds',
  'nodejs_heap_size_used_bytes',
  'nodejs_heap_size_total_bytes',
  'nodejs_eventloop_lag_p99_seconds',
];

/** Panel types that carry no query (and so no unit or targets). */
const QUERYLESS_TYPES = new Set(['row', 'text']);
/** Panel types where a single unit is not meaningful (units are set per column, if at all). */
const UNITLESS_TYPES = new Set(['row', 'text', 'table']);

/**
 * Target lines that must be drawn as thresholds: for each, at least one panel of the dashboard
 * that queries `metric` has a threshold step at `value`.
 */
const TARGET_THRESHOLDS = [
  { uid: 'wvo-quality', metric: 'wvo_quality_gate_consensus_total', value: 0.95 },
  { uid: 'wvo-quality', metric: 'wvo_consensus_quorum_ratio', value: 0.95 },
  { uid: 'wvo-resolution', metric: 'wvo_resolution_loops_closed_within_3_total', value: 0.95 },
  { uid: 'wvo-resolution', metric: 'wvo_resolution_infinite_loops_total', value: 1 },
  { uid: 'wvo-resolution', metric: 'wvo_resolution_loop_attempts', value: 1 },
  { uid: 'wvo-resources', metric: 'wvo_provider_token_limit', value: 0.8 },
  { uid: 'wvo-resources', metric: 'wvo_provider_usage_ratio', value: 0.8 },
  { uid: 'wvo-resources', metric: 'wvo_host_cpu_utilization_ratio', value: 0.8 },
  { uid: 'wvo-resources', metric: 'wvo_host_memory_utilization_ratio', value: 0.9 },
  { uid: 'wvo-resources', metric: 'wvo_mcp_server_up', value: 1 },
];

const DURATION_UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800, y: 31_536_000 };

/** Seconds in a PromQL duration such as `5m`, `1h30m`; undefined when it is not one. */
function durationSeconds(text: string): number | undefined {
  if (!/^(\d+(ms|s|m|h|d|w|y))+$/.test(text)) return undefined;
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) total += Number(n) * DURATION_UNITS[unit!]!;
  return total;
}

/** The `[…]` range of every range selector or subquery in an expression (string literals ignored). */
function ranges(expr: string): string[] {
  const withoutStrings = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""');
  return [...withoutStrings.matchAll(/\[([^\]]*)\]/g)].map((m) => m[1]!.split(':')[0]!.trim());
}

/** Names of Grafana variables a string uses (`$x`, `${x}`, `${x:fmt}`, `[[x]]`), built-ins excluded. */
function variablesUsed(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(/\$\{([A-Za-z0-9_.]+)(?::[^}]*)?\}|\$([A-Za-z0-9_]+)|\[\[([A-Za-z0-9_]+)(?::[^\]]*)?\]\]/g)) {
    const name = (m[1] ?? m[2] ?? m[3])!;
    if (!name.startsWith('__')) names.add(name);
  }
  return [...names];
}

function isQueryPanel(panel: GrafanaPanel): boolean {
  return !QUERYLESS_TYPES.has(String(panel.type));
}

function label(d: LoadedDashboard, panel?: GrafanaPanel): string {
  const file = path.basename(d.file);
  return panel ? `${file} › ${panel.title ?? `panel ${panel.id}`}` : file;
}

function panelExprs(panel: GrafanaPanel): string[] {
  return (panel.targets ?? []).map((t) => t.expr).filter((e): e is string => typeof e === 'string');
}

/** Every data-link / dashboard-link URL inside a panel (field defaults, overrides, panel links). */
function linkUrls(value: unknown): string[] {
  const urls: string[] = [];
  const walk = (v: unknown, key?: string): void => {
    if (Array.isArray(v)) v.forEach((x) => walk(x));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k);
    else if (key === 'url' && typeof v === 'string') urls.push(v);
  };
  walk(value);
  return urls;
}

interface Variable {
  name: string;
  type: string;
  datasource?: { type?: string; uid?: string };
  definition?: string;
  query?: string | { query?: string };
}

function variablesOf(d: LoadedDashboard): Variable[] {
  const templating = d.json.templating as { list?: Variable[] } | undefined;
  return templating?.list ?? [];
}

function thresholdSteps(panel: GrafanaPanel): { color: string; value: number | null }[] {
  const fieldConfig = panel.fieldConfig as { defaults?: { thresholds?: { steps?: { color: string; value: number | null }[] } } } | undefined;
  return fieldConfig?.defaults?.thresholds?.steps ?? [];
}

const dashboards = loadDashboards();
const catalog: ReadonlySet<string> = exportedSeriesNames();
/** The project's recording rules, which dashboards may read (deploy/prometheus/rules/recording.yml). */
const recorded = (parse(readFileSync(path.join(import.meta.dirname, '../../deploy/prometheus/rules/recording.yml'), 'utf8')) as { groups: { rules: { record?: string }[] }[] }).groups.flatMap((g) =>
  g.rules.flatMap((r) => (r.record ? [r.record] : [])),
);
const allowedSeries = new Set<string>([...catalog, ...recorded, ...PROMETHEUS_SERIES, ...DEFAULT_METRIC_SERIES]);

describe('Grafana dashboards', () => {
  it('ships the six product dashboards with unique uids and titles', () => {
    expect(dashboardFiles().length).toBeGreaterThanOrEqual(6);
    const uids = dashboards.map((d) => d.json.uid);
    const titles = dashboards.map((d) => d.json.title);
    expect(new Set(uids).size).toBe(uids.length);
    expect(new Set(titles).size).toBe(titles.length);
    for (const uid of REQUIRED_UIDS) expect(uids).toContain(uid);
  });

  it('allows only process/Node.js series that prom-client really exports by default', async () => {
    const registry = new client.Registry();
    client.collectDefaultMetrics({ register: registry });
    const names = new Set<string>();
    for (const metric of await registry.getMetricsAsJSON()) {
      names.add(metric.name);
      if (String(metric.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(metric.name + s);
    }
    for (const name of DEFAULT_METRIC_SERIES) expect(names, name).toContain(name);
  });

  it('exposes every panel query through dashboardQueries()', () => {
    const queries = dashboardQueries();
    const expected = dashboards.reduce(
      (n, d) => n + flattenPanels(d.json.panels).reduce((m, p) => m + panelExprs(p).length, 0),
      0,
    );
    expect(queries.length).toBe(expected);
    for (const q of queries) {
      expect(q.uid).toMatch(/^wvo-/);
      expect(q.panel).not.toBe('');
      expect(q.expr).not.toBe('');
    }
  });

  it.each(TARGET_THRESHOLDS)('draws the $value target for $metric on $uid', ({ uid, metric, value }) => {
    const d = dashboards.find((x) => x.json.uid === uid);
    expect(d, uid).toBeDefined();
    const panels = flattenPanels(d!.json.panels).filter((p) =>
      panelExprs(p).some((e) => parsePromQL(substituteGrafanaVariables(e)).metrics.includes(metric)),
    );
    expect(panels.length, `${uid}: no panel queries ${metric}`).toBeGreaterThan(0);
    expect(
      panels.some((p) => thresholdSteps(p).some((s) => s.value === value)),
      `${uid}: no panel on ${metric} has a threshold at ${value}`,
    ).toBe(true);
  });

  describe.each(dashboards.map((d) => [path.basename(d.file), d] as const))('%s', (_file, d) => {
    const panels = flattenPanels(d.json.panels);
    const queryPanels = panels.filter(isQueryPanel);
    const variables = variablesOf(d);
    const variableNames = new Set(variables.map((v) => v.name));

    it('has a stable uid, a title and a Grafana 10/11 schema', () => {
      expect(d.json.uid).toMatch(/^wvo-[a-z0-9-]+$/);
      expect(String(d.json.uid).length).toBeLessThanOrEqual(40);
      expect(path.basename(d.file)).toBe(`${d.json.uid}.json`);
      expect(typeof d.json.title).toBe('string');
      expect(String(d.json.title).trim()).not.toBe('');
      expect(d.json.schemaVersion).toBeGreaterThanOrEqual(36);
      expect(d.json.id ?? null).toBeNull();
      expect(d.json.tags).toContain('wvo');
    });

    it('gives every panel (rows included) a unique id, a title and a description', () => {
      expect(panels.length).toBeGreaterThan(0);
      const ids = panels.map((p) => p.id);
      for (const id of ids) expect(Number.isInteger(id), `panel id ${id}`).toBe(true);
      expect(new Set(ids).size, 'duplicate panel ids').toBe(ids.length);
      for (const p of panels) {
        expect(String(p.title ?? '').trim(), `panel ${p.id} title`).not.toBe('');
        if (p.type !== 'row') expect(String(p.description ?? '').trim(), `${label(d, p)} description`).not.toBe('');
      }
      const titles = panels.filter((p) => p.type !== 'row').map((p) => p.title);
      expect(new Set(titles).size, 'duplicate panel titles').toBe(titles.length);
    });

    it('queries the datasource variable on every panel and target', () => {
      for (const p of queryPanels) {
        expect(p.datasource, label(d, p)).toEqual(DATASOURCE);
        expect(p.targets?.length ?? 0, `${label(d, p)} has no target`).toBeGreaterThan(0);
        const refIds = (p.targets ?? []).map((t) => t.refId);
        expect(new Set(refIds).size, `${label(d, p)} refIds`).toBe(refIds.length);
        for (const t of p.targets ?? []) {
          expect(t.datasource, `${label(d, p)} target ${t.refId}`).toEqual(DATASOURCE);
          expect(typeof t.expr === 'string' && t.expr.trim() !== '', `${label(d, p)} target ${t.refId} expr`).toBe(true);
        }
      }
    });

    it('parses every expression and names only series the exporter (or Prometheus) exports', () => {
      for (const p of queryPanels) {
        for (const expr of panelExprs(p)) {
          const { metrics } = parsePromQL(substituteGrafanaVariables(expr));
          expect(metrics.length, `${label(d, p)}: ${expr} names no metric`).toBeGreaterThan(0);
          for (const metric of metrics) expect(allowedSeries.has(metric), `${label(d, p)}: unknown series ${metric}`).toBe(true);
        }
      }
    });

    it('matches dashboard variables with =~ (multi-value selections and `.*` substitution both work)', () => {
      for (const p of queryPanels) {
        for (const expr of panelExprs(p)) {
          for (const [, op, value] of expr.matchAll(/(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g)) {
            if (variablesUsed(value!).length === 0) continue;
            expect(op === '=~' || op === '!~', `${label(d, p)}: use =~ with a variable in ${expr}`).toBe(true);
          }
        }
      }
    });

    it('uses $__rate_interval for ranges, or a fixed window of at least 1h named in the panel title', () => {
      for (const p of queryPanels) {
        for (const expr of panelExprs(p)) {
          for (const range of ranges(expr)) {
            if (range === '$__rate_interval') continue;
            const seconds = durationSeconds(range);
            expect(seconds, `${label(d, p)}: range [${range}] in ${expr}`).toBeDefined();
            expect(seconds!, `${label(d, p)}: fixed range [${range}] shorter than 1h`).toBeGreaterThanOrEqual(3600);
            expect(String(p.title), `${label(d, p)}: fixed range [${range}] not named in the title`).toContain(range);
          }
          // Every rate-like function has a range at all (a bare $__interval or missing range would not parse,
          // but an instant vector passed by mistake to a wrapper could): count them.
          const calls = expr.match(/\b(rate|irate|increase)\s*\(/g)?.length ?? 0;
          expect(ranges(expr).length, `${label(d, p)}: ${expr}`).toBeGreaterThanOrEqual(calls);
        }
      }
    });

    it('sets a unit on every panel where one is meaningful', () => {
      for (const p of panels.filter((x) => !UNITLESS_TYPES.has(String(x.type)))) {
        const fieldConfig = p.fieldConfig as { defaults?: { unit?: string } } | undefined;
        expect(String(fieldConfig?.defaults?.unit ?? ''), `${label(d, p)} unit`).not.toBe('');
      }
    });

    it('uses well-formed thresholds (base step first, ascending)', () => {
      for (const p of queryPanels) {
        const steps = thresholdSteps(p);
        if (steps.length === 0) continue;
        expect(steps[0]!.value, `${label(d, p)} base step`).toBeNull();
        const values = steps.slice(1).map((s) => s.value);
        for (const v of values) expect(typeof v, `${label(d, p)} step`).toBe('number');
        expect([...values].sort((a, b) => a! - b!), `${label(d, p)} steps ascending`).toEqual(values);
      }
    });

    it('lays panels out on the 24-column grid without overlaps', () => {
      const check = (group: GrafanaPanel[], where: string): void => {
        const boxes = group.map((p) => ({ p, g: p.gridPos! }));
        for (const { p, g } of boxes) {
          expect(g, `${label(d, p)} gridPos`).toBeDefined();
          expect(g.w, `${label(d, p)} width`).toBeGreaterThan(0);
          expect(g.h, `${label(d, p)} height`).toBeGreaterThan(0);
          expect(g.x, `${label(d, p)} x`).toBeGreaterThanOrEqual(0);
          expect(g.y, `${label(d, p)} y`).toBeGreaterThanOrEqual(0);
          expect(g.x + g.w, `${label(d, p)} exceeds 24 columns`).toBeLessThanOrEqual(24);
        }
        for (let i = 0; i < boxes.length; i++) {
          for (let j = i + 1; j < boxes.length; j++) {
            const a = boxes[i]!.g;
            const b = boxes[j]!.g;
            const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
            expect(overlap, `${where}: "${boxes[i]!.p.title}" overlaps "${boxes[j]!.p.title}"`).toBe(false);
          }
        }
      };
      check(d.json.panels ?? [], label(d));
      for (const rowPanel of (d.json.panels ?? []).filter((p) => p.type === 'row' && p.collapsed)) {
        check(rowPanel.panels ?? [], label(d, rowPanel));
      }
    });

    it('defines every variable it uses, with query variables on the same datasource', () => {
      const used = new Set<string>();
      for (const p of panels) {
        for (const expr of panelExprs(p)) variablesUsed(expr).forEach((v) => used.add(v));
        for (const url of linkUrls(p)) variablesUsed(url).forEach((v) => used.add(v));
      }
      for (const url of linkUrls(d.json.links)) variablesUsed(url).forEach((v) => used.add(v));
      for (const name of used) expect(variableNames.has(name), `${label(d)} uses undefined variable $${name}`).toBe(true);

      for (const v of variables.filter((x) => x.type === 'query')) {
        expect(v.datasource, `variable ${v.name}`).toEqual(DATASOURCE);
        const query = typeof v.query === 'string' ? v.query : (v.query?.query ?? v.definition ?? '');
        const m = /^label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{[^}]*\})?\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)$/.exec(query.trim());
        expect(m, `variable ${v.name}: ${query} is not label_values(metric, label)`).not.toBeNull();
        expect(allowedSeries.has(m![1]!), `variable ${v.name}: unknown series ${m![1]}`).toBe(true);
      }
    });
  });
});
