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
