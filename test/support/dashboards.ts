import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** Directory of the provisioned Grafana dashboards. */
export const DASHBOARDS_DIR = fileURLToPath(new URL('../../grafana/dashboards/', import.meta.url));

export interface GrafanaTarget {
  refId?: string;
  expr?: string;
  datasource?: { type?: string; uid?: string };
  [key: string]: unknown;
}

export interface GrafanaPanel {
  id?: number;
  type?: string;
  title?: string;
  description?: string;
  datasource?: { type?: string; uid?: string };
  gridPos?: { h: number; w: number; x: number; y: number };
  collapsed?: boolean;
  panels?: GrafanaPanel[];
  targets?: GrafanaTarget[];
  [key: string]: unknown;
}

export interface GrafanaDashboard {
  uid?: string;
  title?: string;
  panels?: GrafanaPanel[];
  [key: string]: unknown;
}

export interface LoadedDashboard {
  file: string;
  json: GrafanaDashboard;
}

/** The dashboard files (`*.json`), sorted, as absolute paths. */
export function dashboardFiles(): string[] {
  return readdirSync(DASHBOARDS_DIR)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => path.join(DASHBOARDS_DIR, name));
}

/** Every dashboard parsed; throws (naming the file) on invalid JSON. */
export function loadDashboards(): LoadedDashboard[] {
  return dashboardFiles().map((file) => {
    try {
      return { file, json: JSON.parse(readFileSync(file, 'utf8')) as GrafanaDashboard };
    } catch (error) {
      throw new Error(`${path.basename(file)}: ${(error as Error).message}`);
    }
  });
}

/** All panels of a dashboard, depth first, including those nested in (collapsed) rows. */
export function flattenPanels(panels: GrafanaPanel[] | undefined): GrafanaPanel[] {
  const out: GrafanaPanel[] = [];
  for (const panel of panels ?? []) {
    out.push(panel);
    if (Array.isArray(panel.panels)) out.push(...flattenPanels(panel.panels));
  }
  return out;
}

/**
 * Every PromQL expression of every panel target, with the dashboard uid and panel title.
 * Expressions are returned as written — Grafana variables (`$__rate_interval`, `$provider`, …)
 * are left in; run them through `substituteGrafanaVariables` before sending them to Prometheus.
 */
export function dashboardQueries(): { uid: string; panel: string; expr: string }[] {
  const queries: { uid: string; panel: string; expr: string }[] = [];
  for (const { json } of loadDashboards()) {
    for (const panel of flattenPanels(json.panels)) {
      for (const target of panel.targets ?? []) {
        if (typeof target.expr === 'string' && target.expr.trim() !== '') {
          queries.push({ uid: String(json.uid), panel: String(panel.title), expr: target.expr });
        }
      }
    }
  }
  return queries;
}
