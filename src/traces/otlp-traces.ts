import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { Logger } from 'pino';
import { routeDiagnostics } from '../otel-diag.js';
import { EXPORTER_VERSION } from '../version.js';
import { WVO_WORKSPACE } from './attributes.js';
import { SpanPipeline } from './pipeline.js';
import type { TracesSettings } from './settings.js';
import type { RunningTraces } from './start.js';
import { TaskTracer } from './tracer.js';

/** Within the exporter's 5 s shutdown deadline, leaving time to close the rest. */
const FLUSH_DEADLINE_MS = 3000;

export function startTracing(settings: TracesSettings, workspace: string, logger: Logger): RunningTraces {
  routeDiagnostics(logger);
  // service.name defaults to ours; OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (envDetector) win.
  const resource = resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'wvo-exporter', [ATTR_SERVICE_VERSION]: EXPORTER_VERSION, [WVO_WORKSPACE]: workspace }).merge(
    detectResources({ detectors: [envDetector] }),
  );
  const pipeline = new SpanPipeline(settings, resource, { name: 'wvo-exporter', version: EXPORTER_VERSION });
  const tracer = new TaskTracer(workspace, pipeline, settings, logger);
  logger.info({ protocol: settings.protocol, stateFile: settings.stateFile?.file, resumed: Boolean(settings.stateFile?.saved) }, 'OTLP traces enabled');
  return {
    tracer,
    stats: pipeline.stats,
    shutdown: async () => {
      await pipeline.shutdown(FLUSH_DEADLINE_MS);
      await tracer.flushed();
    },
  };
}
