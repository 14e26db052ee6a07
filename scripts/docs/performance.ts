/** docs/performance.md: the method in a few paragraphs, and the figures of the last `npm run bench` (bench/RESULTS.md). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../src/config.js';
import { generatedBanner } from './markdown.js';

export const RESULTS_FILE = path.join(REPO_ROOT, 'bench/RESULTS.md');

/** The node flags of `npm start` (the container's CMD has the same, checked by a test). */
const startFlags = (): string =>
  (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).scripts.start as string)
    .split(' ')
    .filter((w) => w.startsWith('--'))
    .map((f) => `\`${f}\``)
    .join(' ');

export function renderPerformance(results: string = readFileSync(RESULTS_FILE, 'utf8')): string {
  const lines = results.split('\n');
  const machine = lines.find((l) => l.startsWith('Machine:')) ?? '';
  const figures = lines.filter((l) => l.startsWith('|')).join('\n');
  const run = lines.find((l) => l.startsWith('Run ')) ?? '';
  return `${generatedBanner('bench/RESULTS.md (written by npm run bench)')}
# Performance

## Method

\`npm run bench\` builds the exporter, generates a large workspace shaped like the real
autopilot's (thousands of roadmap tasks, 100,000 decision and execution lines, rotated execution
archives), starts the exporter as \`npm start\` does and measures what a user waits for, end to
end: the first full answer, \`/metrics\` and REST throughput and latency (autocannon, 20
connections) while writers append to the logs and rewrite the documents, a file change reaching
SSE clients, the memory of every process, and the backfill from files to OpenMetrics and blocks.

Throughput and latency are measured side by side with a bare \`node:http\` server in its own
process answering the same bytes and headers, in alternating slices, so a figure is read against
the machine's own floor rather than an absolute number; server CPU per request is the figure least
moved by other load. \`BENCH_ONLY=start\`, \`tls\`, \`backfill\`, \`busy\` or \`timeline\` runs one part alone.
Every run rewrites \`bench/RESULTS.md\`, and \`npm run docs\` copies its table here.

## Node flags

\`npm start\` and the container run node with ${startFlags()}: a small young generation and a
heap that grows in small steps keep the resident memory close to what is live, and one V8
background thread instead of four (the exporter's own work runs on the event loop and the two
parse workers) saves their stacks and allocator arenas. Running \`node dist/cli.js\` without them
works the same and takes more memory.

## Figures of the last run

${machine}

${figures}

${run}
`;
}
