import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { z } from 'zod';
import { describeZodError } from './source.js';

const stripBom = (text: string) => (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);

export function parseJson(text: string): unknown {
  const body = stripBom(text);
  if (body.trim() === '') throw new Error('empty file');
  return JSON.parse(body);
}

// Loaded on first use: with parse workers on, the main thread never parses YAML and need not
// carry the parser's memory.
let yaml: typeof import('yaml') | undefined;

export function parseYaml(text: string): unknown {
  yaml ??= createRequire(import.meta.url)('yaml') as typeof import('yaml');
  const body = stripBom(text);
  if (body.trim() === '') throw new Error('empty file');
  // maxAliasCount guards against alias bombs; uniqueKeys off because real writers repeat keys.
  return yaml.parse(body, { maxAliasCount: 1000, uniqueKeys: false, logLevel: 'error' });
}

/**
 * Reads a configuration file given by a variable (YAML, or JSON when it ends in .json); throws
 * "cannot read: …" or "not valid YAML|JSON: <first line>" for the caller to name the variable.
 */
export function readConfigFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read: ${(err as Error).message}`);
  }
  const json = file.endsWith('.json');
  try {
    return json ? parseJson(text) : parseYaml(text);
  } catch (err) {
    throw new Error(`not valid ${json ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`);
  }
}

/**
 * Reads a configuration file (readConfigFile) and validates it: throws one line naming up to
 * `maxIssues` bad entries by their path, for the caller to name the file and the variable.
 */
export function loadConfigFile<T>(file: string, schema: z.ZodType<T>, maxIssues = 1): T {
  const r = schema.safeParse(readConfigFile(file));
  if (!r.success) {
    throw new Error(r.error.issues.slice(0, maxIssues).map((i) => `entry ${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; '));
  }
  return r.data;
}

/** Validates a parsed document against its schema, throwing one readable line on failure. */
export function validate<T>(schema: z.ZodType<T>, data: unknown): T {
  const r = schema.safeParse(data);
  if (!r.success) throw new Error(`schema: ${describeZodError(r.error)}`);
  return r.data;
}
