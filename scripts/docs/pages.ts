/** Every generated page of docs/ and the function that renders it. */
import { renderAlerts } from './alerts.js';
import { renderConfiguration } from './configuration.js';
import { renderDashboards } from './dashboards.js';
import { renderMetrics } from './metrics.js';
import { renderPerformance } from './performance.js';

export const generatedPages: Record<string, () => string> = {
  'metrics.md': () => renderMetrics(),
  'configuration.md': renderConfiguration,
  'alerts.md': renderAlerts,
  'dashboards.md': () => renderDashboards(),
  'performance.md': () => renderPerformance(),
};
