import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, FLAG_NAMES, VARIABLE_HELP, variables } from './config.js';

/** A usage error (unknown flag, missing value, extra argument): the CLI prints it and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The flag a variable gets: FLAG_NAMES, else its name less WVO_[OBSERVABILITY_], lower-case, dashes. */
export function flagName(variable: string): string {
  return FLAG_NAMES[variable] ?? variable.replace(/^WVO_(OBSERVABILITY_)?/, '').toLowerCase().replace(/_/g, '-');
}

/** Every variable of src/config.ts with its flag, default (as text, undefined when unset) and help line. */
export function variableFlags(): { variable: string; flag: string; default: string | undefined; help: string }[] {
  return Object.entries(variables).map(([variable, schema]) => {
    const d = (schema as { safeParse(v: unknown): { success: boolean; data?: unknown } }).safeParse(undefined);
    return { variable, flag: flagName(variable), default: d.success && d.data !== undefined ? String(d.data) : undefined, help: VARIABLE_HELP[variable] ?? '' };
  });
}

export interface ParsedFlags {
  /** process.env with every given variable flag on top (flags win). */
  env: NodeJS.ProcessEnv;
  /** The command's own flags. */
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
  /** variable name → the flag that set it, so an error can name what the user typed. */
  fromFlag: Map<string, string>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

export const HELP_FLAG = { help: { type: 'boolean', short: 'h' } } as const;

/**
 * Parses argv with node:util parseArgs: every variable's flag (a string) plus the command's own
 * options; unknown flags throw UsageError naming the flag.
 */
export function parseFlags(argv: string[], own: Options = {}, env: NodeJS.ProcessEnv = process.env, allowPositionals = false): ParsedFlags {
  const table = variableFlags();
  const options: Options = { ...own };
  for (const v of table) options[v.flag] = { type: 'string' };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals });
  } catch (err) {
    throw new UsageError(usageMessage(err as Error & { code?: string }));
  }
  const merged: NodeJS.ProcessEnv = { ...env };
  const fromFlag = new Map<string, string>();
  for (const v of table) {
    const value = parsed.values[v.flag];
    if (typeof value === 'string') {
      merged[v.variable] = value;
      fromFlag.set(v.variable, `--${v.flag}`);
    }
  }
  return { env: merged, values: parsed.values, positionals: parsed.positionals, fromFlag };
}

/** A command's own flags only (no variable flags), strict: unknown flags throw UsageError. */
export function parseOwn(argv: string[], options: Options): Record<string, string | boolean | (string | boolean)[] | undefined> {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new UsageError(usageMessage(err as Error & { code?: string }));
  }
}

/** A whole number flag ≥ min, or UsageError naming the flag. */
export function intFlag(values: Record<string, unknown>, name: string, min = 0): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isInteger(n) || n < min) throw new UsageError(`--${name}: expected a whole number >= ${min}, got ${JSON.stringify(raw)}`);
  return n;
}

/** parseArgs messages are long and suggest `--`; keep the part that names the flag. */
function usageMessage(err: Error & { code?: string }): string {
  const m = /^Unknown option '([^']+)'/.exec(err.message);
  if (m) return `unknown flag ${m[1]}`;
  if (err.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return err.message.replace(/\. To specify.*$/s, '');
  return err.message;
}

/** A ConfigError set by a flag names the flag as well as the variable. */
export function describeConfigError(err: ConfigError, fromFlag: Map<string, string>): string {
  const flag = fromFlag.get(err.variable);
  return flag ? `${flag} (${err.message})` : err.message;
}

/** Runs load (which reads flags.env); a ConfigError is printed, naming the flag or variable, and gives undefined (exit 2). */
export function loadOrReport<T>(flags: ParsedFlags, command: string, load: (env: NodeJS.ProcessEnv) => T): T | undefined {
  try {
    return load(flags.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${command}: configuration error: ${describeConfigError(err, flags.fromFlag)}\n`);
    return undefined;
  }
}

/** The "Flags and variables" section of --help: every variable, its flag and default. */
export function variablesHelp(): string {
  return variableFlags()
    .map((v) => `  --${v.flag} <value>  (${v.variable}, default ${v.default === undefined ? 'unset' : v.default})${v.help ? `\n      ${v.help}` : ''}`)
    .join('\n');
}
