/**
 * Writes the generated reference pages under docs/ (`npm run docs`); with `--check`, writes
 * nothing and exits 1 naming every page that differs from what the code says.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../src/config.js';
import { generatedPages } from './pages.js';

const check = process.argv.includes('--check');
const differing: string[] = [];
for (const [file, render] of Object.entries(generatedPages)) {
  const target = path.join(REPO_ROOT, 'docs', file);
  const text = render();
  let current: string | undefined;
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    current = undefined;
  }
  if (current === text) continue;
  differing.push(file);
  if (!check) writeFileSync(target, text);
}
for (const f of differing) console[check ? 'error' : 'log'](check ? `docs/${f} is stale (run npm run docs)` : `wrote docs/${f}`);
if (check && differing.length > 0) process.exit(1);
