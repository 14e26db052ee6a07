/** Configuration files for loadConfig tests: a file in a temp directory, and the ConfigError a bad one raises. */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config.js';
import { tempDir } from './temp-workspace.js';

export async function configFile(name: string, text: string): Promise<string> {
  const p = path.join(await tempDir(), name);
  await writeFile(p, text);
  return p;
}

/** The ConfigError loadConfig(env) throws; fails the test when it accepts env. */
export function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('loadConfig accepted the file');
}
