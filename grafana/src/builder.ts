/**
 * A small typed builder for the Grafana dashboards: every dashboard gets the datasource, job and
 * instance variables, every query the target matchers, every panel its unit and thresholds from
 * style.ts, and ids and grid positions are computed. generate.ts writes the result as JSON.
 */
import { WVO_TASK_ID } from '../../src/traces/attributes.js';
import { withMatchers } from './promql.js';
import { THRESHOLDS, TYPE_DEFAULTS, UNITS, type Thresholds, type Unit } from './style.js';

/** Every panel and query variable uses the datasource the viewer picked: no uid is ever written. */
export const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } as const;

export type Json = { [key: string]: unknown };

export interface Query {
  expr: string;
  /** Legend template; the builder prefixes `{{instance}}` so several autopilots stay apart. */
  legend?: string;
  /** One value now (stat-like panels) rather than a range. */
  instant?: boolean;
  /** Instant query in table format (table panels). */
  table?: boolean;
  /** Ask Prometheus for exemplars too: drawn as points linking to the trace (the `traces` data source). */
  exemplar?: boolean;
}

export interface DataLink {
  title: string;
  url: string;
  targetBlank?: boolean;
}

export type PanelType = 'stat' | 'gauge' | 'bargauge' | 'timeseries' | 'table' | 'piechart' | 'state-timeline' | 'barchart';

export interface PanelSpec {
  type: PanelType;
  title: string;
  description: string;
  w: number;
  h: number;
  queries: (Query | string)[];
  unit?: Unit;
  thresholds?: Thresholds;
  mappings?: unknown[];
  /** Data links on every value (field defaults). */
  links?: DataLink[];
  /** Links in the panel's header menu. */
  panelLinks?: DataLink[];
  /** Deep-merged over the type's defaults (style.ts). */
  options?: Json;
  /** Deep-merged over the type's field defaults. */
  defaults?: Json;
  overrides?: unknown[];
  transformations?: unknown[];
  /** One copy of the panel per selected autopilot (for views that cannot tell instances apart). */
  repeatByInstance?: boolean;
}

export interface RowSpec {
  row: string;
  collapsed?: boolean;
  panels: PanelSpec[];
}

export interface VariableSpec {
  name: string;
  label?: string;
  /** label_values(metric, label): the target matchers are added to the metric. */
  labelValues?: { metric: string; label: string };
  custom?: string[];
  textbox?: string;
  /** A data-source variable of this plugin type (e.g. `tempo`). */
  datasourceType?: string;
  multi?: boolean;
  description?: string;
}

export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  time?: string;
  links?: Json[];
  variables?: VariableSpec[];
  annotations?: Json[];
  rows: RowSpec[];
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Objects merge key by key; arrays and scalars in `over` replace. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isObject(base) || !isObject(over)) return over === undefined ? base : over;
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
}

/** `{{instance}} · legend`, so two autopilots' series are told apart. */
function legendOf(q: Query): string {
  if (!q.legend || q.legend === '__auto') return '{{instance}}';
  return `{{instance}} · ${q.legend}`;
}

function target(q: Query | string, index: number): Json {
  const query = typeof q === 'string' ? { expr: q } : q;
  const instant = query.instant || query.table;
  return {
    datasource: DATASOURCE,
    editorMode: 'code',
    expr: withMatchers(query.expr),
    ...(query.table ? {} : { legendFormat: legendOf(query) }),
    range: !instant,
    instant: Boolean(instant),
    ...(query.exemplar ? { exemplar: true } : {}),
    format: query.table ? 'table' : 'time_series',
    refId: String.fromCharCode(65 + index),
  };
}

function panelJson(p: PanelSpec, id: number, gridPos: Json): Json {
  const type = TYPE_DEFAULTS[p.type]!;
  const defaults = deepMerge(type.defaults, {
    ...p.defaults,
    mappings: p.mappings ?? [],
    thresholds: { mode: 'absolute', steps: THRESHOLDS[p.thresholds ?? 'neutral'] },
    ...(p.unit ? { unit: UNITS[p.unit] } : {}),
    ...(p.links ? { links: p.links.map((l) => ({ targetBlank: true, ...l })) } : {}),
  }) as Json;
  return {
    id,
    type: p.type,
    title: p.title,
    description: p.description,
    datasource: DATASOURCE,
    gridPos,
    ...(p.panelLinks ? { links: p.panelLinks.map((l) => ({ targetBlank: true, ...l })) } : {}),
    fieldConfig: { defaults, overrides: p.overrides ?? [] },
    options: deepMerge(type.options, p.options ?? {}),
    targets: p.queries.map(target),
    ...(p.transformations ? { transformations: p.transformations } : {}),
    ...(p.repeatByInstance ? { repeat: 'instance', repeatDirection: 'h', maxPerRow: 2 } : {}),
  };
}

/** Lays rows out top to bottom and panels left to right, wrapping at 24 columns. */
function layout(rows: RowSpec[]): Json[] {
  const out: Json[] = [];
  let id = 1;
  let y = 0;
  for (const row of rows) {
    const rowPanel: Json = { id: id++, type: 'row', title: row.row, collapsed: Boolean(row.collapsed), gridPos: { h: 1, w: 24, x: 0, y }, panels: [] };
    out.push(rowPanel);
    y += 1;
    let x = 0;
    let lineBottom = y;
    const placed: Json[] = [];
    for (const p of row.panels) {
      if (x + p.w > 24) {
        x = 0;
        y = lineBottom;
      }
      placed.push(panelJson(p, id++, { h: p.h, w: p.w, x, y }));
      x += p.w;
      lineBottom = Math.max(lineBottom, y + p.h);
    }
    y = lineBottom;
    // A collapsed row holds its panels; an open one is followed by them.
    if (row.collapsed) rowPanel.panels = placed;
    else out.push(...placed);
  }
  return out;
}

function variableJson(v: VariableSpec): Json {
  const common = { name: v.name, label: v.label ?? v.name, description: v.description ?? '', hide: 0, skipUrlSync: false };
  if (v.datasourceType !== undefined) {
    return { ...common, type: 'datasource', query: v.datasourceType, current: {}, includeAll: false, multi: false, options: [], refresh: 1, regex: '' };
  }
  if (v.textbox !== undefined) {
    return { ...common, type: 'textbox', query: v.textbox, current: { text: v.textbox, value: v.textbox }, options: [{ selected: true, text: v.textbox, value: v.textbox }] };
  }
  if (v.custom) {
    const [first] = v.custom;
    return {
      ...common,
      type: 'custom',
      query: v.custom.join(','),
      multi: false,
      includeAll: false,
      current: { text: first, value: first },
      options: v.custom.map((c, i) => ({ selected: i === 0, text: c, value: c })),
    };
  }
  const { metric, label } = v.labelValues!;
  // job lists every job exporting wvo_exporter_info; instance those of the chosen jobs; the rest follow both.
  const selector = v.name === 'job' ? metric : withMatchers(metric, v.name === 'instance' ? 'job=~"$job"' : undefined);
  const query = `label_values(${selector}, ${label})`;
  const multi = v.multi ?? true;
  return {
    ...common,
    type: 'query',
    datasource: DATASOURCE,
    definition: query,
    query: { qryType: 1, query, refId: 'PrometheusVariableQueryEditor-VariableQuery' },
    refresh: 2,
    regex: '',
    sort: 1,
    multi,
    includeAll: multi,
    ...(multi ? { allValue: '.*', current: { text: ['All'], value: ['$__all'] } } : { current: {} }),
    options: [],
  };
}

/** The variables every dashboard starts with: the datasource, then which autopilots. */
export const TARGET_VARIABLES: VariableSpec[] = [
  { name: 'job', label: 'Job', labelValues: { metric: 'wvo_exporter_info', label: 'job' }, description: 'Prometheus job(s) scraping wvo-exporter' },
  { name: 'instance', label: 'Autopilot', labelValues: { metric: 'up', label: 'instance' }, description: 'Exporter instance(s), one per autopilot workspace' },
];

/** The exporter's base URL for the REST drill-down and CSV links (issue 9). */
export const EXPORTER_URL: VariableSpec = {
  name: 'exporter_url',
  label: 'Exporter URL',
  textbox: 'http://localhost:3030',
  description: 'Base URL of wvo-exporter as the browser reaches it (for REST and CSV links)',
};

/**
 * The traces data source (Tempo, or any with the same query model) the task links search: the
 * provisioned `Tempo` when WVO_TEMPO_URL is set, else whichever the viewer added.
 */
export const TRACES: VariableSpec = {
  name: 'traces',
  label: 'Traces',
  datasourceType: 'tempo',
  description: 'Traces data source holding the exporter\'s OTLP traces (one trace per task, spans carry wvo.task.id)',
};

/** The span attribute every span of a task carries (the exporter's traces): the TraceQL links search on it. */

/**
 * The links of a task id (`value` a Grafana value, e.g. `__value.text` or `__field.labels.task_id`):
 * its trace in Explore, a TraceQL search on the task id attribute over the `traces` data source,
 * and its REST timeline. The Explore state is URL-encoded here, around the two Grafana variables
 * it leaves to be interpolated; Grafana percent-encodes the id (one holding `"` or `\\` finds nothing).
 */
export function taskLinks(value: string): DataLink[] {
  const TRACES_UID = 'WVO_TRACES_UID';
  const TASK = 'WVO_TASK_ID';
  const pane = {
    wvo: {
      datasource: TRACES_UID,
      queries: [{ refId: 'A', datasource: { type: 'tempo', uid: TRACES_UID }, queryType: 'traceql', query: `{ span."${WVO_TASK_ID}" = "${TASK}" }` }],
      range: { from: 'now-30d', to: 'now' },
    },
  };
  const id = `\${${value}:percentencode}`;
  const panes = encodeURIComponent(JSON.stringify(pane)).replaceAll(TRACES_UID, '${traces}').replaceAll(TASK, id);
  return [
    { title: `Trace of task \${${value}}`, url: `/explore?schemaVersion=1&orgId=\${__org}&panes=${panes}`, targetBlank: false },
    { title: `Timeline of task \${${value}} (REST)`, url: `\${exporter_url}/api/tasks/${id}/timeline` },
  ];
}

export function dashboard(spec: DashboardSpec): Json {
  const datasourceVariable = {
    name: 'datasource',
    label: 'Data source',
    description: 'Prometheus that scrapes wvo-exporter',
    type: 'datasource',
    query: 'prometheus',
    current: {},
    hide: 0,
    includeAll: false,
    multi: false,
    options: [],
    refresh: 1,
    regex: '',
    skipUrlSync: false,
  };
  return {
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
        ...(spec.annotations ?? []).map((a) => ({ datasource: DATASOURCE, enable: true, hide: false, ...a, expr: withMatchers(String(a.expr)) })),
      ],
    },
    description: spec.description,
    editable: true,
    fiscalYearStartMonth: 0,
    graphTooltip: 1,
    id: null,
    links: [
      { asDropdown: true, icon: 'external link', includeVars: true, keepTime: true, tags: ['wvo'], targetBlank: false, title: 'WVO dashboards', tooltip: '', type: 'dashboards', url: '' },
      ...(spec.links ?? []).map((l) => ({ asDropdown: false, icon: 'external link', includeVars: false, keepTime: false, tags: [], targetBlank: true, tooltip: '', type: 'link', ...l })),
    ],
    panels: layout(spec.rows),
    refresh: '30s',
    schemaVersion: 39,
    tags: spec.tags,
    templating: { list: [datasourceVariable, ...[...TARGET_VARIABLES, ...(spec.variables ?? []), EXPORTER_URL].map(variableJson)] },
    time: { from: spec.time ?? 'now-6h', to: 'now' },
    timepicker: {},
    timezone: 'browser',
    title: spec.title,
    uid: spec.uid,
    version: 1,
    weekStart: '',
  };
}
