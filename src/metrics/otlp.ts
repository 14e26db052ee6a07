import type { Logger } from 'pino';
import { otlpProtocol, otlpSignalOn, positiveInt, type OtlpProtocol } from '../otel-env.js';
import type { MetricInput } from './catalog.js';

export interface OtlpSettings {
  protocol: OtlpProtocol;
  intervalMs: number;
  timeoutMs: number;
}

/**
 * OTLP push is on when an OTLP endpoint is set and OTEL_METRICS_EXPORTER is not `none`; undefined
 * otherwise (then no OTel object is created at all). Endpoint, headers, compression and
 * certificates are read from the standard OTEL_* variables by the OTLP exporter itself.
 */
export function otlpSettings(env: NodeJS.ProcessEnv = process.env): OtlpSettings | undefined {
  if (!otlpSignalOn(env, 'METRICS')) return undefined;
  const protocol = otlpProtocol(env, 'METRICS');
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
