export { ResolutionMetricsStore } from './resolution-store.js';
export { startExporter, type OtelSettings, type RunningExporter } from './exporter.js';
export { loadConfig, defaultConfig, ConfigError, type Config } from './config.js';
export { catalog, exportedSeriesNames, type MetricDef } from './metrics/catalog.js';
export { sources, type SourceId } from './sources/registry.js';
