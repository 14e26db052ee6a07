import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { z } from 'zod';
import { BudgetsError, loadBudgets, type Budgets } from './sources/budgets.js';
import { loadPricing, PricingError, type Pricing } from './sources/pricing.js';
import { loadWebConfig, type WebConfig } from './http/web-config.js';

/** The repository root: the default workspace, so a fresh `npm start` shows the bundled sample `state/`. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly value: string,
    reason: string,
  ) {
    super(`invalid ${variable}=${JSON.stringify(value)}: ${reason}`);
    this.name = 'ConfigError';
  }
}

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const positiveNumber = z.coerce.number().finite().nonnegative();

/** Express's `trust proxy`: a hop count, or proxy addresses/subnets/presets. `true` (trust anyone) is refused. */
const TRUST_PRESETS = new Set(['loopback', 'linklocal', 'uniquelocal']);
const trustedProxy = (entry: string) => {
  const [address, bits, ...rest] = entry.split('/');
  const family = isIP(address ?? '');
  const maxBits = family === 6 ? 128 : 32;
  return TRUST_PRESETS.has(entry) || (family !== 0 && rest.length === 0 && (bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= maxBits)));
};
const trustProxy = z
  .string()
  .refine((v) => v !== 'true', 'trusting every proxy lets any client choose its address: give the hop count or the proxy addresses')
  .refine((v) => v === 'false' || /^\d+$/.test(v) || v.split(',').every((e) => trustedProxy(e.trim())), 'expected false, a hop count, or comma-separated addresses/subnets (CIDR) or loopback, linklocal, uniquelocal')
  .transform((v): false | number | string => (v === 'false' ? false : /^\d+$/.test(v) ? Number(v) : v.split(',').map((e) => e.trim()).join(',')));

/** One entry per variable: its default and how it is validated. Each one is also a flag (src/flags.ts). */
export const variables = {
  WVO_WORKSPACE_ROOT: z.string().min(1).default(REPO_ROOT),
  WVO_OBSERVABILITY_HOST: z
    .string()
    .regex(/^[A-Za-z0-9.:[\]-]+$/, 'expected a host name or IP address')
    .default('127.0.0.1'),
  WVO_OBSERVABILITY_PORT: int(0, 65535).default(3030),
  WVO_OBSERVABILITY_CACHE_TTL_MS: int(50, 3_600_000).default(5000),
  WVO_OBSERVABILITY_STREAM_INTERVAL_MS: int(50, 3_600_000).default(1000),
  WVO_OBSERVABILITY_CORS_ORIGIN: z.string().min(1).default('*'),
  WVO_COST_PER_1K_TOKENS: positiveNumber.default(0.015),
  WVO_MAX_TASK_SERIES: int(1, 100_000).default(100),
  WVO_MAX_LINE_BYTES: int(1024, 1024 * 1024 * 1024).default(1024 * 1024),
  WVO_SSE_MAX_CLIENTS: int(1, 1_000_000).default(1000),
  WVO_SSE_HEARTBEAT_MS: int(100, 3_600_000).default(15_000),
  WVO_RATE_LIMIT_PER_MIN: int(0, 10_000_000).default(100),
  WVO_OBSERVABILITY_TOKEN: z.string().min(16, 'a token needs at least 16 characters').optional(),
  WVO_OBSERVABILITY_TOKEN_FILE: z.string().min(1).optional(),
  WVO_PARSE_WORKERS: int(0, 8).default(2),
  WVO_WATCH: z.enum(['true', 'false', '1', '0']).default('true'),
  WVO_PRICING_FILE: z.string().min(1).optional(),
  WVO_BUDGETS_FILE: z.string().min(1).optional(),
  WVO_WORKSPACE_NAME: z.string().trim().min(1).max(100).optional(),
  WVO_WEB_CONFIG_FILE: z.string().min(1).optional(),
  WVO_TRUST_PROXY: trustProxy.default(false),
  WVO_TRACES_STATE_FILE: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
} as const;

type Variables = { [K in keyof typeof variables]: z.output<(typeof variables)[K]> };
export type VariableName = keyof typeof variables;

/**
 * Flag names that differ from the derived one (WVO_OBSERVABILITY_PORT → --port, WVO_MAX_LINE_BYTES →
 * --max-line-bytes, see flagName in src/flags.ts). Keys may name variables other modules read.
 */
export const FLAG_NAMES: Record<string, string> = {
  WVO_WORKSPACE_ROOT: 'workspace',
  WVO_WEB_CONFIG_FILE: 'web.config.file',
};

/** One line of `--help` per variable (optional: a variable without one is still listed). */
export const VARIABLE_HELP: Partial<Record<string, string>> = {
  WVO_WORKSPACE_ROOT: 'workspace root holding state/ (the autopilot\'s files)',
  WVO_OBSERVABILITY_HOST: 'address to listen on',
  WVO_OBSERVABILITY_PORT: 'port to listen on (0: any free port)',
  WVO_OBSERVABILITY_CACHE_TTL_MS: 'upper bound on how stale an answer may be; the stat backstop runs every min(TTL, 1000) ms',
  WVO_OBSERVABILITY_STREAM_INTERVAL_MS: 'SSE event interval',
  WVO_OBSERVABILITY_CORS_ORIGIN: 'Access-Control-Allow-Origin',
  WVO_COST_PER_1K_TOKENS: 'price per 1,000 tokens where WVO_PRICING_FILE names none',
  WVO_MAX_TASK_SERIES: 'cap on per-task (and per-epic) series; what is left out shows in wvo_resolution_loop_attempts_truncated',
  WVO_MAX_LINE_BYTES: 'JSONL lines longer than this are skipped and counted as bad',
  WVO_SSE_MAX_CLIENTS: 'concurrent stream clients; beyond it 503',
  WVO_SSE_HEARTBEAT_MS: 'SSE heartbeat comment interval',
  WVO_RATE_LIMIT_PER_MIN: 'requests per minute per client on /api (0: off)',
  WVO_OBSERVABILITY_TOKEN: 'bearer token (>= 16 characters) for /api/* and /metrics (prefer --token-file: flags show in ps)',
  WVO_OBSERVABILITY_TOKEN_FILE: 'file holding the bearer token (not with --token); an empty file means auth off',
  WVO_PARSE_WORKERS: 'worker threads parsing logs and large documents (0: main thread)',
  WVO_WATCH: 'watch directories for push-on-change (the stat poll remains)',
  WVO_PRICING_FILE: 'YAML/JSON prices per provider and model (unset: WVO_COST_PER_1K_TOKENS); a bad file exits 2 naming the entry',
  WVO_WORKSPACE_NAME: 'name of this autopilot in fleet views and alert summaries, 1-100 characters (default: the workspace root\'s base name)',
  WVO_BUDGETS_FILE: 'YAML/JSON spend budgets and objectives, re-read when it changes (unset: no budget alerts)',
  WVO_WEB_CONFIG_FILE: 'exporter-toolkit web config: TLS, mutual TLS, basic auth, headers',
  WVO_TRUST_PROXY: 'proxies whose X-Forwarded-For names the client: false, a hop count or addresses/CIDRs',
  WVO_TRACES_STATE_FILE: 'positions file of the OTLP traces (written atomically): what was exported, so a restart resumes; unset: only lines appended after start are traced',
  LOG_LEVEL: 'pino log level; logs are JSON on stdout',
};

export interface Config {
  workspaceRoot: string;
  host: string;
  port: number;
  cacheTtlMs: number;
  streamIntervalMs: number;
  corsOrigin: string;
  costPer1kTokens: number;
  /** Prices per provider and model from WVO_PRICING_FILE; unset: every token costs costPer1kTokens. */
  pricing?: Pricing;
  /** WVO_BUDGETS_FILE as read at start (the exporter re-reads it when it changes); unset: no budgets. */
  budgets?: { file: string; budgets: Budgets };
  maxTaskSeries: number;
  maxLineBytes: number;
  sseMaxClients: number;
  sseHeartbeatMs: number;
  rateLimitPerMin: number;
  token?: string;
  /** Worker threads that parse logs and large documents; 0 parses on the main thread. */
  parseWorkers: number;
  watch: boolean;
  logLevel: string;
  /** Names this autopilot in fleet views (`wvo_exporter_info{workspace}`); unset = the workspace root's base name. */
  workspaceName?: string;
  /** The exporter-toolkit web configuration (TLS, basic auth, headers) from WVO_WEB_CONFIG_FILE. */
  webConfig?: WebConfig;
  /** Express's `trust proxy` (WVO_TRUST_PROXY): which X-Forwarded-For hops name the real client. */
  trustProxy: false | number | string;
  /** WVO_TRACES_STATE_FILE: where the OTLP traces record what they exported; unset: traces start at the end of the logs. */
  tracesStateFile?: string;
}

/** Reads and validates the environment; throws ConfigError naming the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const v = {} as Record<string, unknown>;
  for (const [name, schema] of Object.entries(variables)) {
    const raw = env[name];
    const result = schema.safeParse(raw === '' ? undefined : raw);
    if (!result.success) {
      // A rejected token is still a secret: name the variable, never echo its value.
      const shown = name === 'WVO_OBSERVABILITY_TOKEN' ? '[redacted]' : (raw ?? '');
      throw new ConfigError(name, shown, result.error.issues.map((i) => i.message).join('; '));
    }
    v[name] = result.data;
  }
  const vars = v as Variables;
  return {
    workspaceRoot: path.resolve(vars.WVO_WORKSPACE_ROOT),
    host: vars.WVO_OBSERVABILITY_HOST,
    port: vars.WVO_OBSERVABILITY_PORT,
    cacheTtlMs: vars.WVO_OBSERVABILITY_CACHE_TTL_MS,
    streamIntervalMs: vars.WVO_OBSERVABILITY_STREAM_INTERVAL_MS,
    corsOrigin: vars.WVO_OBSERVABILITY_CORS_ORIGIN,
    costPer1kTokens: vars.WVO_COST_PER_1K_TOKENS,
    pricing: readPricing(vars.WVO_PRICING_FILE),
    budgets: readBudgets(vars.WVO_BUDGETS_FILE),
    maxTaskSeries: vars.WVO_MAX_TASK_SERIES,
    maxLineBytes: vars.WVO_MAX_LINE_BYTES,
    sseMaxClients: vars.WVO_SSE_MAX_CLIENTS,
    sseHeartbeatMs: vars.WVO_SSE_HEARTBEAT_MS,
    rateLimitPerMin: vars.WVO_RATE_LIMIT_PER_MIN,
    token: resolveToken(vars.WVO_OBSERVABILITY_TOKEN, vars.WVO_OBSERVABILITY_TOKEN_FILE),
    parseWorkers: vars.WVO_PARSE_WORKERS,
    watch: vars.WVO_WATCH === 'true' || vars.WVO_WATCH === '1',
    logLevel: vars.LOG_LEVEL,
    workspaceName: vars.WVO_WORKSPACE_NAME,
    webConfig: vars.WVO_WEB_CONFIG_FILE === undefined ? undefined : loadWebConfig(vars.WVO_WEB_CONFIG_FILE),
    trustProxy: vars.WVO_TRUST_PROXY,
    tracesStateFile: vars.WVO_TRACES_STATE_FILE,
  };
}

function readPricing(file: string | undefined): Pricing | undefined {
  if (file === undefined) return undefined;
  try {
    return loadPricing(file);
  } catch (err) {
    if (err instanceof PricingError) throw new ConfigError('WVO_PRICING_FILE', file, err.message);
    throw err;
  }
}

function readBudgets(file: string | undefined): Config['budgets'] {
  if (file === undefined) return undefined;
  try {
    return { file: path.resolve(file), budgets: loadBudgets(file) };
  } catch (err) {
    if (err instanceof BudgetsError) throw new ConfigError('WVO_BUDGETS_FILE', file, err.message);
    throw err;
  }
}

function resolveToken(token: string | undefined, file: string | undefined): string | undefined {
  if (token !== undefined && file !== undefined) {
    throw new ConfigError('WVO_OBSERVABILITY_TOKEN_FILE', file, 'set either WVO_OBSERVABILITY_TOKEN or WVO_OBSERVABILITY_TOKEN_FILE, not both');
  }
  if (file === undefined) return token;
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new ConfigError('WVO_OBSERVABILITY_TOKEN_FILE', file, `cannot read: ${(err as Error).message}`);
  }
  // An empty file means "no token": the compose stack always mounts one, auth stays opt-in.
  if (text === '') return undefined;
  if (text.length < 16) throw new ConfigError('WVO_OBSERVABILITY_TOKEN_FILE', file, 'the token needs at least 16 characters');
  return text;
}

/** The name fleet views show for this autopilot: WVO_WORKSPACE_NAME, else the workspace root's base name. */
export function workspaceName(config: Pick<Config, 'workspaceName' | 'workspaceRoot'>): string {
  return config.workspaceName ?? (path.basename(config.workspaceRoot) || 'workspace');
}

/** Defaults for tests and library use: a full Config with overrides. */
export function defaultConfig(overrides: Partial<Config> = {}): Config {
  return { ...loadConfig({}), ...overrides };
}
