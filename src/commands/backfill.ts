import { spawnSync } from 'node:child_process';
import { accessSync, closeSync, constants, createWriteStream, mkdtempSync, openSync, promises as fs, rmSync, statSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Writable } from 'node:stream';
import { backfill, describeSummary } from '../backfill/backfill.js';
import { DEFAULT_RANGE_MS, describeRange, parseFrom, parseTime, promtoolArgs, promtoolCommand, STALENESS_MS } from '../backfill/range.js';
import { ConfigError, loadConfig } from '../config.js';

const USAGE = `usage: wvo-exporter backfill [--workspace DIR] [--out FILE|-] [--blocks DIR] [--job NAME] [--instance HOST:PORT]
                            [--from TIME|DURATION] [--until TIME] [--step DURATION]

Writes the history held by the workspace's files as OpenMetrics text, and prints the
promtool command that makes blocks of it (--blocks DIR runs it).
  --workspace  workspace root (default WVO_WORKSPACE_ROOT)
  --out        output file (written beside it, then renamed), a device or pipe (written
               in place), or - for stdout (default -; with --blocks, a temporary file)
  --blocks     run promtool (from PATH) on the output: TSDB blocks into DIR
  --job        job label of the live scrape (default wvo-exporter)
  --instance   instance label of the live scrape (default WVO_OBSERVABILITY_HOST:WVO_OBSERVABILITY_PORT)
  --from       first point: RFC 3339, epoch seconds, or a duration back from --until (15d, 36h, 2w)
               (default 15d, Prometheus' default retention; never before the oldest timed record)
  --until      last point: RFC 3339 or epoch seconds (default now)
  --step       distance between points: 60s, 5m, 1h, or seconds (default 60s; keep it under 5m,
               Prometheus' staleness window)
`;

class UsageError extends Error {}

/** RFC 3339 or epoch seconds → epoch ms (whole). */
export function parseUntil(text: string): number {
  const ms = parseTime(text);
  if (!Number.isFinite(ms)) throw new UsageError(`invalid --until ${JSON.stringify(text)}: expected RFC 3339 (2026-11-20T00:00:00Z) or epoch seconds`);
  return ms;
}

/** The path of an executable on PATH, or undefined. */
function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      if (statSync(file).isFile()) return file;
    } catch {
      // not here
    }
  }
  return undefined;
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
        out: { type: 'string' },
        blocks: { type: 'string' },
        from: { type: 'string' },
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
    const stepMs = parseStep(values.step);
    const untilMs = values.until === undefined ? Date.now() : parseUntil(values.until);
    const fromMs = values.from === undefined ? untilMs - DEFAULT_RANGE_MS : parseFrom(values.from, untilMs);
    if (!Number.isFinite(fromMs)) throw new UsageError(`invalid --from ${JSON.stringify(values.from)}: expected RFC 3339, epoch seconds or a duration back from --until (15d, 36h, 2w)`);
    if (fromMs >= untilMs) throw new UsageError(`invalid --from ${JSON.stringify(values.from)}: must be before --until (${new Date(untilMs).toISOString()})`);
    let promtool: string | undefined;
    if (values.blocks !== undefined) {
      if (values.blocks === '') throw new UsageError('invalid --blocks "": must not be empty');
      promtool = onPath('promtool');
      if (!promtool) throw new UsageError('--blocks needs promtool on the PATH (Debian: apt-get install prometheus); none found');
      if (values.out !== undefined && (values.out === '-' || statSync(values.out, { throwIfNoEntry: false })?.isFile() === false)) {
        throw new UsageError(`invalid --out ${JSON.stringify(values.out)} with --blocks: promtool reads a file`);
      }
    }
    opts = {
      workspaceRoot,
      out: values.out ?? (promtool ? path.join(mkdtempSync(path.join(os.tmpdir(), 'wvo-backfill-om-')), 'history.om') : '-'),
      keepOut: values.out !== undefined,
      blocks: values.blocks,
      promtool,
      job: values.job,
      instance: values.instance ?? `${config.host}:${config.port}`,
      fromMs,
      fromGiven: values.from !== undefined,
      untilMs,
      stepMs,
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
    if (opts.stepMs > STALENESS_MS) {
      process.stderr.write(
        `backfill: warning: --step ${opts.stepMs / 1000}s is coarser than Prometheus' 5m staleness window: an instant query between two points finds nothing; ` +
          `query with ranges of at least two steps (increase(x[${(2 * opts.stepMs) / 1000}s])) or raise Prometheus' --query.lookback-delta\n`,
      );
    }
    const summary = await backfill({ ...opts, out, progress: process.stderr });
    if (typeof out === 'number') {
      closeSync(out);
      await fs.rename(partial!, opts.out);
    }
    if (stream) await closeStream(stream);
    process.stderr.write(describeSummary(summary));
    process.stderr.write(describeRange({ ...opts, firstMs: summary.firstMs, oldest: summary.oldest }));
    if (summary.firstMs === undefined) return 0;
    const rangeMs = opts.untilMs - summary.firstMs;
    if (!opts.promtool) {
      process.stderr.write(`to make blocks of it:\n  ${promtoolCommand(opts.out === '-' ? 'FILE' : opts.out, './blocks', rangeMs)}\n`);
      return 0;
    }
    const args = promtoolArgs(opts.out, opts.blocks!, rangeMs);
    process.stderr.write(`backfill: running ${promtoolCommand(opts.out, opts.blocks!, rangeMs)}\n`);
    const r = spawnSync(opts.promtool, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    if (!opts.keepOut) rmSync(path.dirname(opts.out), { recursive: true, force: true });
    if (r.status !== 0) {
      process.stderr.write(`wvo-exporter backfill: promtool failed (${r.error?.message ?? `exit code ${r.status}`})\n`);
      return 1;
    }
    return 0;
  } catch (err) {
    if (typeof out === 'number') {
      closeSync(out);
      await fs.rm(partial!, { force: true });
    }
    stream?.destroy();
    if (!opts.keepOut && opts.promtool) rmSync(path.dirname(opts.out), { recursive: true, force: true });
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
