import { OTLPMetricExporter as OTLPHttpJsonExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as OTLPHttpProtoExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { Logger } from 'pino';
import type { MetricInput } from './catalog.js';
import { routeDiagnostics } from '../otel-diag.js';
import { CatalogMetricProducer } from './otel.js';
import type { OtlpPush, OtlpSettings } from './otlp.js';

export function startPush(settings: OtlpSettings, input: () => MetricInput | undefined, logger: Logger): OtlpPush {
  routeDiagnostics(logger);
  const exporter: PushMetricExporter = settings.protocol === 'http/json' ? new OTLPHttpJsonExporter() : new OTLPHttpProtoExporter();
  // service.name defaults to ours; OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (envDetector) win.
  const resource = resourceFromAttributes({ 'service.name': 'wvo-exporter' }).merge(detectResources({ detectors: [envDetector] }));
  const reader = new PeriodicExportingMetricReader({
    exporter,
    exportIntervalMillis: settings.intervalMs,
    exportTimeoutMillis: settings.timeoutMs,
    metricProducers: [new CatalogMetricProducer(input)],
  });
  const provider = new MeterProvider({ resource, readers: [reader] });
  logger.info({ protocol: settings.protocol, intervalMs: settings.intervalMs }, 'OTLP metric push enabled');
  return {
    shutdown: () => provider.shutdown(),
    forceFlush: () => provider.forceFlush(),
  };
}
