import type { Logger } from 'pino';
import { ConfigError } from '../config.js';
import type { MetricInput } from './catalog.js';

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

export interface OtlpPush {
  /** Pushes what is current now and stops (called on shutdown). */
  shutdown(): Promise<void>;
  forceFlush(): Promise<void>;
}

/** Loads the OTel SDK only when OTLP is on: unset, it costs neither start-up time nor memory. */
export async function startOtlpPush(settings: OtlpSettings, input: () => MetricInput | undefined, logger: Logger): Promise<OtlpPush> {
  const { startPush } = await import('./otlp-push.js');
  return startPush(settings, input, logger);
}
