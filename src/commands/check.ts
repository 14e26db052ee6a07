import { promises as fs } from 'node:fs';
import path from 'node:path';
import { readDocument, statFile } from '../collector/files.js';
import { Tailer } from '../collector/tail.js';
import { loadConfig } from '../config.js';
import { HELP_FLAG, loadOrReport, parseFlags, variablesHelp } from '../flags.js';
import { sources } from '../sources/registry.js';
import { readLogLine } from '../sources/log-line.js';
import type { Source } from '../sources/source.js';

/** What `check` found for one source. */
export interface SourceReport {
  id: string;
  path: string;
  status: 'ok' | 'missing' | 'bad';
  /** Log sources: complete lines read, of which bad (malformed, invalid or oversized). */
  lines?: number;
  badLines?: number;
  /** The first problem, with its line number for a log. */
  error?: string;
}

const HELP = `Usage: wvo-exporter check [--workspace DIR] [--json] [flags]

Reads every state file of the workspace once, the way the exporter does, and prints per source
whether it was found and parsed, with the first error. Exit code: 0 when every file found parses,
1 when a file that exists does not parse (or a log holds bad lines, or no state file exists at
all), 2 on a usage or configuration error (e.g. a workspace that is not a directory).

Flags:
  --json  one JSON report on stdout instead of the table
${variablesHelp()}
`;

async function checkSource(root: string, source: Source, maxLineBytes: number): Promise<SourceReport> {
  const base = { id: source.id, path: source.path };
  const identity = await statFile(path.join(root, source.path)).catch(() => null);
  if (!identity) return { ...base, status: 'missing' };
  try {
    if (source.kind === 'document') {
      source.parse((await readDocument(root, source.path)).text);
      return { ...base, status: 'ok' };
    }
    const tailer = new Tailer(root, source.path, maxLineBytes);
    let lines = 0;
    let badLines = 0;
    let error: string | undefined;
    try {
      const result = await tailer.poll(identity, (text) => {
        lines++;
        const line = readLogLine(source, text);
        if (line.kind !== 'bad') return;
        badLines++;
        error ??= `line ${lines}: ${line.reason}`;
      });
      if (result.oversized > 0) {
        badLines += result.oversized;
        error ??= `${result.oversized} line(s) longer than ${maxLineBytes} bytes`;
      }
    } finally {
      await tailer.close();
    }
    return { ...base, status: badLines ? 'bad' : 'ok', lines, badLines, ...(error ? { error } : {}) };
  } catch (err) {
    return { ...base, status: 'bad', error: (err as Error).message };
  }
}

/** Reads every source once; the exporter's own readers and parsers, so the verdict is the exporter's. */
export async function checkWorkspace(root: string, maxLineBytes: number): Promise<SourceReport[]> {
  return Promise.all(sources.map((s) => checkSource(root, s as Source, maxLineBytes)));
}

function table(root: string, reports: SourceReport[]): string {
  const wId = Math.max(...reports.map((r) => r.id.length));
  const wPath = Math.max(...reports.map((r) => r.path.length));
  const rows = reports.map((r) => {
    const lines = r.lines === undefined ? '' : `${r.lines} lines${r.badLines ? `, ${r.badLines} bad` : ''}`;
    const what = [lines, r.error].filter(Boolean).join(': ');
    return `${r.status.padEnd(7)}  ${r.id.padEnd(wId)}  ${r.path.padEnd(wPath)}  ${what}`.trimEnd();
  });
  const bad = reports.filter((r) => r.status === 'bad').length;
  const found = reports.filter((r) => r.status !== 'missing').length;
  return [`workspace ${root}`, ...rows, `${found} of ${reports.length} sources found, ${bad} with errors`, ''].join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, { ...HELP_FLAG, json: { type: 'boolean' } });
  if (flags.values.help) return (process.stdout.write(HELP), 0);
  const config = loadOrReport(flags, 'wvo-exporter check', loadConfig);
  if (!config) return 2;
  const { workspaceRoot: root, maxLineBytes } = config;
  const stat = await fs.stat(root).catch(() => null);
  if (!stat?.isDirectory()) {
    const flag = flags.fromFlag.get('WVO_WORKSPACE_ROOT') ?? 'WVO_WORKSPACE_ROOT';
    process.stderr.write(`wvo-exporter check: ${flag}: ${root} is not a directory\n`);
    return 2;
  }
  const reports = await checkWorkspace(root, maxLineBytes);
  process.stdout.write(flags.values.json ? `${JSON.stringify({ workspace: root, sources: reports }, null, 2)}\n` : table(root, reports));
  const nothing = reports.every((r) => r.status === 'missing');
  if (nothing) process.stderr.write(`wvo-exporter check: no state file found under ${root}: is it the directory that holds state/?\n`);
  return nothing || reports.some((r) => r.status === 'bad') ? 1 : 0;
}
