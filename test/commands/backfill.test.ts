/** The built `wvo-exporter backfill` command: flags, exit codes, the output file and stderr summary. */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { cleanup, copySampleWorkspace, ensureBuilt, REPO_ROOT, tempDir } from '../support/server.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 240_000 });
beforeAll(async () => {
  await ensureBuilt();
});
afterEach(cleanup);

const cli = (args: string[]) => [path.join(REPO_ROOT, 'dist/cli.js'), 'backfill', ...args];
const backfill = (args: string[], env: Record<string, string> = {}) => {
  const r = spawnSync(process.execPath, cli(args), { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 1 << 30, env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe('wvo-exporter backfill', () => {
  it.each([
    [['--bogus'], '--bogus'],
    [['--step', 'soon'], '--step'],
    [['--step', '0s'], '--step'],
    [['--until', 'yesterday'], '--until'],
    [['--until', '2026-13-45'], '--until'],
    [['--workspace', '/nonexistent/wvo'], '--workspace'],
    [['--instance', ''], '--instance'],
    [['--from', 'last week'], '--from'],
    [['--from', '2026-12-02T00:00:00Z', '--until', '2026-12-01T00:00:00Z'], '--from'],
    [['--blocks', '/tmp/blocks', '--out', '-'], '--out'],
  ])('%j: exits 2 naming the flag', (args, flag) => {
    const r = backfill(args);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(flag);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a bad configuration variable exits 2 naming it', () => {
    const r = backfill([], { WVO_OBSERVABILITY_PORT: 'http' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('WVO_OBSERVABILITY_PORT');
  });

  it('writes --out FILE with the default instance from the configuration, and a summary on stderr', async () => {
    const ws = await copySampleWorkspace();
    const out = path.join(await tempDir(), 'history.om');
    const r = backfill(['--workspace', ws.root, '--out', out, '--until', '2026-12-01T00:00:00Z', '--step', '5m'], {
      WVO_OBSERVABILITY_HOST: 'exporter',
      WVO_OBSERVABILITY_PORT: '4040',
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    const text = readFileSync(out, 'utf8');
    expect(text.endsWith('# EOF\n')).toBe(true);
    expect(text).toContain('wvo_quality_gate_decisions_total{job="wvo-exporter",instance="exporter:4040",decision="approved"}');
    expect(r.stderr).toMatch(/quality_decisions: \d+ lines replayed/);
    expect(r.stderr).toContain('no history in the files');
    expect(existsSync(path.dirname(out)) && readFileSync(out).length).toBeGreaterThan(0);
  });

  it('--out - writes to stdout; epoch-seconds --until; --job and --instance label every sample', async () => {
    const ws = await copySampleWorkspace();
    const r = backfill(['--workspace', ws.root, '--out', '-', '--until', String(Date.parse('2026-11-30T00:00:00Z') / 1000), '--job', 'wvo', '--instance', 'a:1', '--step', '5m']);
    expect(r.code, r.stderr).toBe(0);
    const samples = r.stdout.split('\n').filter((l) => l && !l.startsWith('#'));
    expect(samples.length).toBeGreaterThan(100);
    expect(samples.every((l) => l.includes('{job="wvo",instance="a:1"'))).toBe(true);
    expect(samples.reduce((m, l) => Math.max(m, Number(l.split(' ').at(-1))), 0)).toBe(Date.parse('2026-11-30T00:00:00Z') / 1000);
  });

  it('--out DIR exits 2 naming --out, and leaves nothing beside it', async () => {
    const dir = await tempDir();
    const r = backfill(['--out', dir]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('--out');
    expect(readdirSync(path.dirname(dir)).filter((n) => n.startsWith(`${path.basename(dir)}.partial`))).toEqual([]);
  });

  // A rename onto /dev/null once replaced the device with a regular file: a FIFO stands in for it.
  it('--out FIFO writes into the pipe in place and leaves it a pipe', async () => {
    const ws = await copySampleWorkspace();
    const fifo = path.join(await tempDir(), 'history.fifo');
    execFileSync('mkfifo', [fifo]);
    const child = spawn(process.execPath, cli(['--workspace', ws.root, '--out', fifo, '--until', '2026-12-01T00:00:00Z', '--step', '5m']), { cwd: REPO_ROOT });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const text = readFileSync(fifo, 'utf8');
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code, stderr).toBe(0);
    expect(text.endsWith('# EOF\n')).toBe(true);
    expect(text).toContain('wvo_quality_gate_decisions_total{job="wvo-exporter"');
    expect(statSync(fifo).isFIFO()).toBe(true);
    expect(readdirSync(path.dirname(fifo))).toEqual(['history.fifo']);
  });

  const hasDevFull = existsSync('/dev/full') && statSync('/dev/full').isCharacterDevice();
  it.skipIf(!hasDevFull)('--out /dev/full: the failed write exits 1 with the error, no stack trace, the device left alone', async () => {
    const ws = await copySampleWorkspace();
    const r = backfill(['--workspace', ws.root, '--out', '/dev/full', '--until', '2026-12-01T00:00:00Z', '--step', '5m']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('ENOSPC');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(statSync('/dev/full').isCharacterDevice()).toBe(true);
  });
});

const hasPromtool = spawnSync('sh', ['-c', 'command -v promtool']).status === 0;
if (!hasPromtool) console.warn('SKIPPED backfill promtool command tests: promtool not installed (apt-get install -y prometheus)');

describe('wvo-exporter backfill: the promtool command', () => {
  it('--blocks without promtool on the PATH exits 2 naming promtool, before any work', () => {
    const r = spawnSync(process.execPath, cli(['--blocks', '/tmp/wvo-never-written']), { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, PATH: '/nonexistent' } });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain('promtool');
    expect(r.stderr).toContain('--blocks');
    expect(existsSync('/tmp/wvo-never-written')).toBe(false);
  });

  it('a --step over 5m warns about the staleness window', async () => {
    const ws = await copySampleWorkspace();
    const r = backfill(['--workspace', ws.root, '--out', '/dev/null', '--step', '1h']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: --step 3600s is coarser than Prometheus' 5m staleness window/);
  });

  it.skipIf(!hasPromtool && !process.env.CI)('prints a promtool command that, run as printed, makes blocks of the range written; --blocks DIR runs the same', async () => {
    const ws = await copySampleWorkspace();
    const dir = await tempDir();
    const out = path.join(dir, 'history.om');
    const r = backfill(['--workspace', ws.root, '--out', out, '--from', '3d', '--until', '2026-12-01T00:00:00Z']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/backfill: wrote \S+ → 2026-12-01T00:00:00Z/);
    const command = /^  (promtool tsdb create-blocks-from openmetrics .*)$/m.exec(r.stderr)?.[1];
    expect(command).toBe(`promtool tsdb create-blocks-from openmetrics --max-block-duration=162h ${out} ./blocks`);
    const run = spawnSync('sh', ['-c', command!], { cwd: dir, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const blocks = readdirSync(path.join(dir, 'blocks'));
    // Three days in 162-hour blocks: one or two, never one per two hours.
    expect(blocks.length).toBeGreaterThanOrEqual(1);
    expect(blocks.length).toBeLessThanOrEqual(2);
    const meta = blocks.map((b) => JSON.parse(readFileSync(path.join(dir, 'blocks', b, 'meta.json'), 'utf8')) as { minTime: number; maxTime: number });
    expect(Math.min(...meta.map((m) => m.minTime))).toBeGreaterThanOrEqual(Date.parse('2026-11-28T00:00:00Z'));

    const direct = path.join(dir, 'direct');
    const b = backfill(['--workspace', ws.root, '--blocks', direct, '--from', '3d', '--until', '2026-12-01T00:00:00Z']);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stderr).toMatch(/running promtool tsdb create-blocks-from openmetrics --max-block-duration=162h \S+ /);
    expect(readdirSync(direct).length).toBe(blocks.length);
  });
});
