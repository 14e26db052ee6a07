import { closeSync, createWriteStream, openSync, promises as fs, statSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import type { Writable } from 'node:stream';
import { backfill, describeSummary } from '../backfill/backfill.js';
import { ConfigError, loadConfig } from '../config.js';

const USAGE = `usage: wvo-exporter backfill [--workspace DIR] [--out FILE|-] [--job NAME] [--instance HOST:PORT] [--until TIME] [--step DURATION]

Writes the history held by the workspace's files as OpenMetrics text for
\`promtool tsdb create-blocks-from openmetrics FILE DIR\`.
  --workspace  workspace root (default WVO_WORKSPACE_ROOT)
  --out        output file (written beside it, then renamed), a device or pipe (written
               in place), or - for stdout (default -)
  --job        job label of the live scrape (default wvo-exporter)
  --instance   instance label of the live scrape (default WVO_OBSERVABILITY_HOST:WVO_OBSERVABILITY_PORT)
  --until      last point: RFC 3339 or epoch seconds (default now)
  --step       distance between points: 60s, 5m, 1h, or seconds (default 60s; keep it under 5m,
               Prometheus' staleness window)
`;

class UsageError extends Error {}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** RFC 3339 or epoch seconds → epoch ms (whole). */
export function parseUntil(text: string): number {
  const ms = RFC3339.test(text) ? Date.parse(text) : /^\d+(\.\d+)?$/.test(text) ? Number(text) * 1000 : NaN;
  if (!Number.isFinite(ms)) throw new UsageError(`invalid --until ${JSON.stringify(text)}: expected RFC 3339 (2026-11-20T00:00:00Z) or epoch seconds`);
  return Math.floor(ms);
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** 60s, 5m, 1h, 500ms or plain seconds → ms. */
export function parseStep(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text);
  const ms = m ? Number(m[1]) * UNITS[m[2] ?? 's']! : NaN;
  if (!Number.isFinite(ms) || ms < 1000 || ms > 86_400_000) {
    throw new UsageError(`invalid --step ${JSON.stringify(text)}: expected a duration from 1s to 24h (60s, 5m, 1h or seconds)`);
  }
  return Math.round(ms);
}

export async function run(argv: string[]): Promise<number> {
  let opts;
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        workspace: { type: 'string' },
        out: { type: 'string', default: '-' },
        job: { type: 'string', default: 'wvo-exporter' },
        instance: { type: 'string' },
        until: { type: 'string' },
        step: { type: 'string', default: '60s' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    const config = loadConfig();
    const workspaceRoot = values.workspace ?? config.workspaceRoot;
    if (!statSync(workspaceRoot, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`invalid --workspace ${JSON.stringify(workspaceRoot)}: not a directory`);
    if (values.job === '') throw new UsageError('invalid --job "": must not be empty');
    if (values.instance === '') throw new UsageError('invalid --instance "": must not be empty');
    opts = {
      workspaceRoot,
      out: values.out,
      job: values.job,
      instance: values.instance ?? `${config.host}:${config.port}`,
      untilMs: values.until === undefined ? Date.now() : parseUntil(values.until),
      stepMs: parseStep(values.step),
      maxLineBytes: config.maxLineBytes,
    };
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`wvo-exporter backfill: configuration error: ${err.message}\n`);
      return 2;
    }
    const code = (err as { code?: string }).code;
    if (err instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      process.stderr.write(`wvo-exporter backfill: ${(err as Error).message}\n${USAGE}`);
      return 2;
    }
    throw err;
  }

  // A file is written beside its final name and renamed at the end: never a half-written file.
  // A device or a pipe (/dev/null, a FIFO) is written in place: a rename would replace it.
  let partial: string | undefined;
  let stream: WriteStream | undefined;
  let out: Writable | number;
  try {
    const existing = opts.out === '-' ? undefined : statSync(opts.out, { throwIfNoEntry: false });
    if (existing?.isDirectory()) throw new Error('is a directory');
    if (opts.out !== '-' && (!existing || existing.isFile())) partial = `${opts.out}.partial-${process.pid}`;
    out = partial ? openSync(partial, 'w') : opts.out === '-' ? process.stdout : (stream = await openStream(opts.out));
  } catch (err) {
    process.stderr.write(`wvo-exporter backfill: invalid --out ${JSON.stringify(opts.out)}: ${(err as Error).message}\n`);
    return 2;
  }
  try {
    const summary = await backfill({ ...opts, out, progress: process.stderr });
    if (typeof out === 'number') {
      closeSync(out);
      await fs.rename(partial!, opts.out);
    }
    if (stream) await closeStream(stream);
    process.stderr.write(describeSummary(summary));
    return 0;
  } catch (err) {
    if (typeof out === 'number') {
      closeSync(out);
      await fs.rm(partial!, { force: true });
    }
    stream?.destroy();
    process.stderr.write(`wvo-exporter backfill: ${(err as Error).message}\n`);
    return 1;
  }
}

/** A write stream on a device or pipe, once it is open (so a refusal is a usage error). */
async function openStream(file: string): Promise<WriteStream> {
  const stream = createWriteStream(file, { flags: 'w' });
  await once(stream, 'open');
  // A failed write (ENOSPC, EPIPE) reaches the writer through its callback and fails the run.
  stream.on('error', () => undefined);
  return stream;
}

async function closeStream(stream: WriteStream): Promise<void> {
  stream.end();
  await once(stream, 'close');
}
