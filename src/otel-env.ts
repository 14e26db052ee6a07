import { ConfigError } from './config.js';

/** The OTLP signals the exporter sends; each has its own OTEL_EXPORTER_OTLP_<SIGNAL>_* overrides. */
export type OtlpSignal = 'METRICS' | 'TRACES';
export type OtlpProtocol = 'http/protobuf' | 'http/json';

export const positiveInt = (name: string, raw: string | undefined, fallback: number, unit = 'milliseconds'): number => {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new ConfigError(name, raw, `expected a positive integer of ${unit}`);
  return n;
};

const protocolOf = (url: string) => {
  try {
    return new URL(url).protocol;
  } catch {
    return '';
  }
};

/** The signal's variable when set, else the general one: OTel's own precedence. */
function pick(env: NodeJS.ProcessEnv, signal: OtlpSignal, suffix: string): [string, string | undefined] {
  const specific = `OTEL_EXPORTER_OTLP_${signal}_${suffix}`;
  return env[specific] ? [specific, env[specific]] : [`OTEL_EXPORTER_OTLP_${suffix}`, env[`OTEL_EXPORTER_OTLP_${suffix}`]];
}

/**
 * Whether the signal is sent: an endpoint is set (general or the signal's) and OTEL_<SIGNAL>_EXPORTER
 * is not `none`. `otlp` (or unset) sends; any other exporter name is refused, since this exporter
 * has no other.
 */
export function otlpSignalOn(env: NodeJS.ProcessEnv, signal: OtlpSignal): boolean {
  const selectorVar = `OTEL_${signal}_EXPORTER`;
  const selector = env[selectorVar]?.trim();
  if (selector === 'none') return false;
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env[`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`]) return false;
  if (selector && selector !== 'otlp') throw new ConfigError(selectorVar, selector, 'supported exporters are otlp and none');
  for (const name of ['OTEL_EXPORTER_OTLP_ENDPOINT', `OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`]) {
    const url = env[name];
    if (url && !/^https?:$/.test(protocolOf(url))) throw new ConfigError(name, url, 'expected an http:// or https:// URL (OTLP/HTTP)');
  }
  return true;
}

/**
 * The protocol, and a check of the values the OTLP exporter reads itself (timeout, compression),
 * so a typo exits 2 naming the variable instead of being ignored with a diagnostic.
 */
export function otlpProtocol(env: NodeJS.ProcessEnv, signal: OtlpSignal): OtlpProtocol {
  const [protocolVar, raw] = pick(env, signal, 'PROTOCOL');
  const protocol = raw || 'http/protobuf';
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    throw new ConfigError(protocolVar, protocol, 'supported protocols are http/protobuf and http/json');
  }
  const [timeoutVar, timeout] = pick(env, signal, 'TIMEOUT');
  positiveInt(timeoutVar, timeout, 10_000);
  const [compressionVar, compression] = pick(env, signal, 'COMPRESSION');
  if (compression && compression !== 'gzip' && compression !== 'none') {
    throw new ConfigError(compressionVar, compression, 'supported compressions are gzip and none');
  }
  return protocol;
}
