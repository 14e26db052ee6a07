/**
 * Whether traces are sent over OTLP, by OpenTelemetry's own variables: a traces or a general
 * OTLP endpoint is set, and OTEL_TRACES_EXPORTER does not say `none`. Exemplars on /metrics name
 * trace ids, so they are written only when the traces they point to exist.
 */
export function tracesOn(env: NodeJS.ProcessEnv): boolean {
  const endpoint = Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim());
  return endpoint && env.OTEL_TRACES_EXPORTER?.trim().toLowerCase() !== 'none';
}
