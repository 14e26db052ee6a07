/**
 * The published package: `npm pack`, then `npm install -g` of the tarball into an empty prefix
 * (dependencies from the registry), then the installed `wvo-exporter` prints its version, checks a
 * workspace and serves /metrics and / from it. The tarball holds what a user needs and no tests,
 * bench or scripts.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../src/config.js';
import { freePort, run, startChild, stopChild, waitFor } from '../support/process.js';

const { version } = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
const tmp = mkdtempSync(path.join(os.tmpdir(), 'wvo-package-'));
const prefix = path.join(tmp, 'prefix');
const bin = path.join(prefix, 'bin', 'wvo-exporter');
let files: string[] = [];

beforeAll(() => {
  const started = Date.now();
  // stdout alone: the prepare script's build prints before the JSON, npm's notices go to stderr.
  const packed = spawnSync('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  expect(packed.status, packed.stderr).toBe(0);
  const info = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('[\n'))) as { filename: string; size: number; files: { path: string }[] }[];
  files = info[0]!.files.map((f) => f.path);
  const installed = run('npm', ['install', '-g', '--no-audit', '--no-fund', '--prefix', prefix, path.join(tmp, info[0]!.filename)]);
  expect(installed.status, installed.output).toBe(0);
  console.log(`package: ${files.length} files, ${(info[0]!.size / 1024).toFixed(0)} KiB packed; npm pack + global install in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}, 300_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('npm pack → npm install -g → wvo-exporter', () => {
  it('packs what a user needs and nothing of the development tree', () => {
    for (const needed of ['dist/cli.js', 'README.md', 'LICENSE', 'CHANGELOG.md', 'docs/metrics.md', 'state/roadmap.yaml', 'grafana/dashboards/wvo-fleet.json', 'deploy/prometheus/rules/alerts.yml']) {
      expect(files, needed).toContain(needed);
    }
    expect(files.filter((f) => /^(test|bench|scripts|src|\.ci)\//.test(f) || f.endsWith('.test.js') || f.endsWith('.map'))).toEqual([]);
  });

  it('--version prints the package version', () => {
    const r = run(bin, ['--version']);
    expect(r.status, r.output).toBe(0);
    expect(r.output.trim()).toBe(version);
  });

  it('check --workspace passes on a copy of the sample workspace', () => {
    const ws = path.join(tmp, 'workspace');
    cpSync(path.join(REPO_ROOT, 'state'), path.join(ws, 'state'), { recursive: true });
    const r = run(bin, ['check', '--workspace', ws]);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toMatch(/ok\s+roadmap/);
  });

  it('serves /metrics and / from the installed package', async () => {
    const port = await freePort();
    const ws = path.join(tmp, 'workspace');
    const { child, output } = startChild(bin, ['--workspace', ws, '--port', String(port), '--log-level', 'warn'], { ...process.env });
    try {
      const metrics = await waitFor(async () => {
        const res = await fetch(`http://127.0.0.1:${port}/metrics`);
        return res.status === 200 ? res.text() : undefined;
      }, 30_000, `the installed exporter on :${port} (${output()})`);
      expect(metrics).toMatch(/^wvo_tasks\{state="pending"\} \d+/m);
      const landing = await fetch(`http://127.0.0.1:${port}/`);
      expect(landing.status).toBe(200);
      expect(await landing.text()).toContain(`<span id="version">${version}</span>`);
    } finally {
      await stopChild(child);
    }
  }, 60_000);
});
