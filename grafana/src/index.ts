/** Every provisioned dashboard, built from code. Add a dashboard here and run `npm run dashboards`. */
import budgets from './dashboards/budgets.js';
import exporter from './dashboards/exporter.js';
import fleet from './dashboards/fleet.js';
import quality from './dashboards/quality.js';
import resolution from './dashboards/resolution.js';
import resources from './dashboards/resources.js';
import tasks from './dashboards/tasks.js';
import type { Json } from './builder.js';

export const dashboards: readonly Json[] = [fleet, tasks, quality, resolution, resources, budgets, exporter];

/** The file each dashboard is provisioned from, and its exact text. */
export function renderedDashboards(): { file: string; text: string }[] {
  return dashboards.map((d) => ({ file: `${String(d.uid)}.json`, text: `${JSON.stringify(d, null, 2)}\n` }));
}
