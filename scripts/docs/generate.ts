/**
 * Writes the generated reference pages under docs/ (`npm run docs`); with `--check`, writes
 * nothing and exits 1 naming every page that differs from what the code says.
 */
import path from 'node:path';
import { REPO_ROOT } from '../../src/config.js';
import { syncGenerated } from '../generated-files.js';
import { generatedPages } from './pages.js';

const check = process.argv.includes('--check');
const pages = Object.entries(generatedPages).map(([file, render]) => ({ path: path.join(REPO_ROOT, 'docs', file), text: render() }));
const differing = syncGenerated(pages, check).map((p) => path.relative(REPO_ROOT, p));
for (const f of differing) console[check ? 'error' : 'log'](check ? `${f} is stale (run npm run docs)` : `wrote ${f}`);
if (check && differing.length > 0) process.exit(1);
