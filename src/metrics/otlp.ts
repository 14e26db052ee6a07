import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { OTLPMetricExporter as OTLPHttpJsonExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as OTLPHttpProtoExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { Logger } from 'pino';
import { ConfigError } from '../config.js';
import type { MetricInput } from './catalog.js';
import { CatalogMetricProducer } from './otel.js';

export interface OtlpSettings {
  protocol: 'http/protobuf' | 'http/json';
  intervalMs: number;
  timeoutMs: number;
}

const positiveInt = (name: string, raw: string | undefined, fallback: number): number => {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new ConfigError(name, raw, 'expected a positive integer of milliseconds');
  return n;
};

/**
 * OTLP push is on when an OTLP endpoint is set; undefined otherwise (then no OTel object is
 * created at all). Endpoint, headers, compression and certificates are read from the standard
 * OTEL_* variables by the OTLP exporter itself.
 */
export function otlpSettings(env: NodeJS.ProcessEnv = process.env): OtlpSettings | undefined {
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT) return undefined;
  const protocolVar = env.OTEL_EXPORTER_OTLP_METRICS_PROTOCOL ? 'OTEL_EXPORTER_OTLP_METRICS_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocol = env[protocolVar] || 'http/protobuf';
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    throw new ConfigError(protocolVar, protocol, 'supported protocols are http/protobuf and http/json');
  }
  const intervalMs = positiveInt('OTEL_METRIC_EXPORT_INTERVAL', env.OTEL_METRIC_EXPORT_INTERVAL, 60_000);
  const timeoutMs = Math.min(intervalMs, positiveInt('OTEL_METRIC_EXPORT_TIMEOUT', env.OTEL_METRIC_EXPORT_TIMEOUT, 30_000));
  return { protocol, intervalMs, timeoutMs };
}

/** Sends OTel SDK diagnostics to our logger instead of the console. */
function diagLogger(logger: Logger): DiagLogger {
  return {
    error: (msg, ...args) => logger.error({ otel: args.map(String) }, msg),
    warn: (msg, ...args) => logger.warn({ otel: args.map(String) }, msg),
    info: (msg) => logger.debug(msg),
    debug: () => {},
    verbose: () => {},
  };
}

export interface OtlpPush {
  /** Pushes what is current now and stops (called on shutdown). */
  shutdown(): Promise<void>;
  forceFlush(): Promise<void>;
}

export function startOtlpPush(settings: OtlpSettings, input: () => MetricInput | undefined, logger: Logger): OtlpPush {
  diag.setLogger(diagLogger(logger), DiagLogLevel.WARN);
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
