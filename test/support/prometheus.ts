import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { freePort, startChild, waitFor } from './process.js';

export interface PromSeries {
  metric: Record<string, string>;
  value: [number, string];
}
export interface PromAnswer {
  status: string;
  error?: string;
  data: { result: PromSeries[] };
}

export interface RunningPrometheus {
  url: string;
  child: ReturnType<typeof startChild>['child'];
  output: () => string;
  /** An instant query, at `time` (seconds) when given. */
  query(expr: string, time?: number): Promise<PromAnswer>;
}

/**
 * Starts Debian's prometheus on a free loopback port with `config` written into `dir`, its storage
 * in `dir/data`, and `flags` added (e.g. `--enable-feature=exemplar-storage`).
 */
export async function startPrometheus(dir: string, config: object, flags: readonly string[] = []): Promise<RunningPrometheus> {
  writeFileSync(path.join(dir, 'prometheus.yml'), stringify(config));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const { child, output } = startChild('prometheus', [
    `--config.file=${path.join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    ...flags,
  ], process.env, dir);
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`prometheus exited: ${output()}`);
    return (await fetch(`${url}/-/ready`)).ok;
  }, 60_000, 'prometheus ready').catch((err: Error) => {
    throw new Error(`${err.message}\n${output()}`);
  });
  const query = async (expr: string, time?: number): Promise<PromAnswer> => {
    const at = time === undefined ? '' : `&time=${time}`;
    const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}${at}`);
    return (await res.json()) as PromAnswer;
  };
  return { url, child, output, query };
}
