/**
 * The web configuration file every Prometheus exporter accepts (exporter-toolkit's format:
 * `tls_server_config`, `http_server_config`, `basic_auth_users`), read and checked at start (the
 * users are re-read when the file changes: basic-auth-reload.ts).
 * Any problem is a ConfigError naming WVO_WEB_CONFIG_FILE, the file and the key.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createSecureContext, DEFAULT_CIPHERS } from 'node:tls';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../config.js';

export const WEB_CONFIG_VARIABLE = 'WVO_WEB_CONFIG_FILE';

export const CLIENT_AUTH_TYPES = ['NoClientCert', 'RequestClientCert', 'RequireAnyClientCert', 'VerifyClientCertIfGiven', 'RequireAndVerifyClientCert'] as const;
export type ClientAuthType = (typeof CLIENT_AUTH_TYPES)[number];

const TLS_VERSIONS = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' } as const;

/** Go's TLS 1.2 suite names (crypto/tls CipherSuites(), the ECDHE ones) → OpenSSL's. TLS 1.3 suites are not configurable, as in Go. */
const CIPHER_SUITES: Record<string, string> = {
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
};
/** Go's TLS 1.3 order on hardware with AES: AES-128-GCM first (OpenSSL's default puts the slower AES-256 first). */
const TLS13_SUITES = 'TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384';
const DEFAULT_TLS12_SUITES = DEFAULT_CIPHERS.split(':').filter((c) => !c.startsWith('TLS_')).join(':');
const CURVES: Record<string, string> = { CurveP256: 'P-256', CurveP384: 'P-384', CurveP521: 'P-521', X25519: 'X25519' };

/** The headers exporter-toolkit lets a web config set, with the values it accepts. */
const HEADERS = {
  'Content-Security-Policy': z.string(),
  'X-Frame-Options': z.enum(['deny', 'sameorigin', 'DENY', 'SAMEORIGIN']),
  'X-Content-Type-Options': z.literal('nosniff'),
  'X-XSS-Protection': z.string(),
  'Strict-Transport-Security': z.string(),
};

const BCRYPT_HASH = /^\$2[aby]?\$\d\d\$[./A-Za-z0-9]{53}$/;
const oneOf = (names: Record<string, unknown>) => (v: string) => Object.hasOwn(names, v);
const listOf = (names: Record<string, string>, what: string) =>
  z.array(z.string().refine(oneOf(names), { error: (i) => `unsupported ${what} ${JSON.stringify(i.input)}; supported: ${Object.keys(names).join(', ')}` }));

const schema = z.strictObject({
  tls_server_config: z
    .strictObject({
      cert: z.string().optional(),
      key: z.string().optional(),
      client_ca: z.string().optional(),
      cert_file: z.string().optional(),
      key_file: z.string().optional(),
      client_ca_file: z.string().optional(),
      client_auth_type: z.enum(CLIENT_AUTH_TYPES).default('NoClientCert'),
      client_allowed_sans: z.array(z.string().min(1)).optional(),
      min_version: z.enum(Object.keys(TLS_VERSIONS) as [keyof typeof TLS_VERSIONS]).default('TLS12'),
      max_version: z.enum(Object.keys(TLS_VERSIONS) as [keyof typeof TLS_VERSIONS]).default('TLS13'),
      cipher_suites: listOf(CIPHER_SUITES, 'cipher suite').optional(),
      prefer_server_cipher_suites: z.boolean().default(true),
      curve_preferences: listOf(CURVES, 'curve').optional(),
    })
    .nullish(),
  http_server_config: z
    .strictObject({
      // HTTP/1.1 is what this exporter serves; the key is accepted so a shared file loads.
      http2: z.boolean().default(true),
      headers: z.strictObject(Object.fromEntries(Object.entries(HEADERS).map(([k, v]) => [k, v.optional()])) as { [K in keyof typeof HEADERS]: z.ZodOptional<(typeof HEADERS)[K]> }).nullish(),
    })
    .nullish(),
  basic_auth_users: z.record(z.string().min(1), z.string().regex(BCRYPT_HASH, 'expected a bcrypt hash ($2y$/$2b$/$2a$...)')).nullish(),
  rate_limit: z.never({ error: 'not supported by this exporter: use WVO_RATE_LIMIT_PER_MIN' }).optional(),
});

/** A PEM source: the file it is re-read from, or the inline text from the web config. */
export interface PemSource {
  readonly file?: string;
  readonly inline?: string;
}

export interface TlsSettings {
  readonly cert: PemSource;
  readonly key: PemSource;
  readonly clientCa?: PemSource;
  readonly clientAuth: ClientAuthType;
  readonly clientAllowedSans?: readonly string[];
  readonly minVersion: (typeof TLS_VERSIONS)[keyof typeof TLS_VERSIONS];
  readonly maxVersion: (typeof TLS_VERSIONS)[keyof typeof TLS_VERSIONS];
  readonly ciphers: string;
  readonly honorCipherOrder: boolean;
  readonly ecdhCurve?: string;
}

export interface WebConfig {
  readonly file: string;
  /** Undefined: plain HTTP (a file with only basic_auth_users or headers is valid, as in exporter-toolkit). */
  readonly tls?: TlsSettings;
  /** user → bcrypt hash; undefined when the file sets none. */
  readonly basicAuthUsers?: Readonly<Record<string, string>>;
  readonly headers: readonly (readonly [string, string])[];
}

const keyPath = (p: readonly PropertyKey[]) => p.map(String).join('.') || '(top level)';

export function loadWebConfig(file: string): WebConfig {
  const fail = (key: string, reason: string): never => {
    throw new ConfigError(WEB_CONFIG_VARIABLE, file, `${key}: ${reason}`);
  };
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    fail('(file)', `cannot read: ${(err as Error).message}`);
  }
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length) fail('(YAML)', doc.errors[0]!.message.split('\n')[0]!);
  const parsed = schema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const keys = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => keyPath([...issue.path, k])).join(', ') : keyPath(issue.path);
    fail(keys, issue.code === 'unrecognized_keys' ? 'unknown key' : issue.message);
  }
  const c = parsed.data!;
  const dir = path.dirname(path.resolve(file));
  const headers = Object.entries(c.http_server_config?.headers ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== '');
  const users = c.basic_auth_users ?? undefined;
  return {
    file,
    tls: c.tls_server_config ? tlsSettings(c.tls_server_config, dir, fail) : undefined,
    basicAuthUsers: users && Object.keys(users).length ? users : undefined,
    headers,
  };
}

type TlsInput = NonNullable<z.output<typeof schema>['tls_server_config']>;

function tlsSettings(t: TlsInput, dir: string, fail: (key: string, reason: string) => never): TlsSettings | undefined {
  const k = (name: string) => `tls_server_config.${name}`;
  const source = (inline: string | undefined, file: string | undefined, name: string): PemSource | undefined => {
    if (inline !== undefined && file !== undefined) fail(k(`${name}_file`), `set either ${name} or ${name}_file, not both`);
    if (file !== undefined) return { file: path.resolve(dir, file) };
    return inline !== undefined ? { inline } : undefined;
  };
  const cert = source(t.cert, t.cert_file, 'cert');
  const key = source(t.key, t.key_file, 'key');
  // Neither certificate nor key: no TLS (exporter-toolkit serves plain HTTP then).
  if (!cert && !key) return undefined;
  if (!cert) return fail(k('cert_file'), 'missing (key_file is set)');
  if (!key) return fail(k('key_file'), 'missing (cert_file is set)');
  const clientCa = source(t.client_ca, t.client_ca_file, 'client_ca');
  const verifies = t.client_auth_type === 'VerifyClientCertIfGiven' || t.client_auth_type === 'RequireAndVerifyClientCert';
  if (verifies && !clientCa) fail(k('client_ca_file'), `required with client_auth_type ${t.client_auth_type}`);
  if (clientCa && t.client_auth_type === 'NoClientCert') fail(k('client_auth_type'), 'client_ca_file is set but client_auth_type is NoClientCert');
  if (t.client_allowed_sans?.length && t.client_auth_type !== 'RequireAnyClientCert' && t.client_auth_type !== 'RequireAndVerifyClientCert') {
    fail(k('client_allowed_sans'), 'needs client_auth_type RequireAnyClientCert or RequireAndVerifyClientCert');
  }
  const order = Object.keys(TLS_VERSIONS);
  if (order.indexOf(t.min_version) > order.indexOf(t.max_version)) fail(k('min_version'), `${t.min_version} is above max_version ${t.max_version}`);
  const settings: TlsSettings = {
    cert,
    key,
    clientCa,
    clientAuth: t.client_auth_type,
    clientAllowedSans: t.client_allowed_sans,
    minVersion: TLS_VERSIONS[t.min_version],
    maxVersion: TLS_VERSIONS[t.max_version],
    ciphers: [TLS13_SUITES, ...(t.cipher_suites?.length ? t.cipher_suites.map((s) => CIPHER_SUITES[s]!) : [DEFAULT_TLS12_SUITES])].join(':'),
    honorCipherOrder: t.prefer_server_cipher_suites,
    ecdhCurve: t.curve_preferences?.length ? t.curve_preferences.map((c) => CURVES[c]!).join(':') : undefined,
  };
  // Read and try the files now, so a wrong path or a key that does not match stops start-up.
  const pem = { cert: 'cert_file', key: 'key_file', clientCa: 'client_ca_file' } as const;
  const material: Partial<Record<keyof typeof pem, Buffer>> = {};
  for (const name of Object.keys(pem) as (keyof typeof pem)[]) {
    const src = settings[name];
    if (!src) continue;
    try {
      material[name] = readPem(src);
    } catch (err) {
      fail(k(pem[name]), `cannot read ${src.file}: ${(err as Error).message}`);
    }
  }
  try {
    createSecureContext(secureContextOptions(settings, material as PemMaterial));
  } catch (err) {
    const reason = (err as Error).message;
    fail(k(/ca|issuer/i.test(reason) && material.clientCa ? 'client_ca_file' : /key/i.test(reason) ? 'key_file' : 'cert_file'), `not usable: ${reason}`);
  }
  return settings;
}

export interface PemMaterial {
  cert: Buffer;
  key: Buffer;
  clientCa?: Buffer;
}

export const readPem = (src: PemSource): Buffer => (src.file !== undefined ? readFileSync(src.file) : Buffer.from(src.inline ?? ''));

/** What tls.createSecureContext / https.createServer take for these settings and PEM bytes. */
export function secureContextOptions(t: TlsSettings, pem: PemMaterial) {
  return {
    cert: pem.cert,
    key: pem.key,
    ca: pem.clientCa,
    minVersion: t.minVersion,
    maxVersion: t.maxVersion,
    ciphers: t.ciphers,
    honorCipherOrder: t.honorCipherOrder,
    ecdhCurve: t.ecdhCurve,
  };
}
