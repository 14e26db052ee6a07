/** `wvo-exporter check`: per-source report and exit codes on good, partial, empty, missing and malformed workspaces. */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { sources } from '../../src/sources/registry.js';
import { cleanup, copySampleWorkspace, createWorkspace, ensureBuilt, knownFixture, SOURCE_PATHS, spawnCli } from '../support/server.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 240_000 });
beforeAll(() => ensureBuilt());
afterEach(cleanup);

async function check(root: string, extra: string[] = []) {
  const cli = spawnCli({}, ['check', '--workspace', root, ...extra]);
  const { code } = await cli.exited;
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}

/** The table's row for a source: status, id, path, details. */
function row(stdout: string, id: string): { status: string; details: string } {
  const line = stdout.split('\n').find((l) => l.split(/\s+/)[1] === id);
  if (!line) throw new Error(`no row for ${id} in:\n${stdout}`);
  const [status, , , ...rest] = line.split(/\s+/);
  return { status: status!, details: rest.join(' ') };
}

describe('wvo-exporter check', () => {
  it('the sample workspace: every source found and parsed, exit 0', async () => {
    const ws = await copySampleWorkspace();
    const { code, stdout } = await check(ws.root);
    expect(code, stdout).toBe(0);
    const present = sources.filter((s) => s.id !== 'mcp_pid'); // the sample has no pid file
    for (const s of present) expect(row(stdout, s.id).status, s.id).toBe('ok');
    expect(row(stdout, 'quality_decisions').details).toMatch(/^\d+ lines$/);
    expect(stdout).toMatch(/sources found, 0 with errors/);
  });

  it('a partial workspace: missing files are reported as missing, not as errors (exit 0)', async () => {
    const f = knownFixture();
    const ws = await createWorkspace({ 'state/roadmap.yaml': f.files['state/roadmap.yaml']!, 'state/limits/usage_log.json': f.files['state/limits/usage_log.json']! });
    const { code, stdout } = await check(ws.root);
    expect(code, stdout).toBe(0);
    expect(row(stdout, 'roadmap').status).toBe('ok');
    expect(row(stdout, 'usage').status).toBe('ok');
    expect(row(stdout, 'health').status).toBe('missing');
    expect(row(stdout, 'executions').status).toBe('missing');
    expect(stdout).toContain(`2 of ${SOURCE_PATHS.length} sources found, 0 with errors`);
  });

  it('no state file at all: exit 1 with a hint; a workspace that is not a directory: exit 2 naming the flag', async () => {
    const empty = await createWorkspace();
    const none = await check(empty.root);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no state file found/);
    for (const s of sources) expect(row(none.stdout, s.id).status).toBe('missing');
    const gone = await check(`${empty.root}/does-not-exist`);
    expect(gone.code).toBe(2);
    expect(gone.stderr).toContain('--workspace');
    expect(gone.stderr).toContain('does-not-exist');
  });

  it('malformed files: each named with its first error, exit 1, the others still ok', async () => {
    const f = knownFixture();
    const ws = await createWorkspace(f.files);
    await ws.write('state/analytics/autopilot_health_report.json', '{"running": true, "lastCycle": ');
    await ws.write('state/roadmap.yaml', 'epics: [unclosed\n  - : :');
    await ws.write('state/analytics/resource_metrics.json', '[1, 2]');
    const { code, stdout } = await check(ws.root);
    expect(code, stdout).toBe(1);
    expect(row(stdout, 'health')).toMatchObject({ status: 'bad' });
    expect(row(stdout, 'health').details).toMatch(/JSON|Unexpected end/i);
    expect(row(stdout, 'roadmap').status).toBe('bad');
    expect(row(stdout, 'resources')).toEqual({ status: 'bad', details: expect.stringMatching(/^schema: /) });
    // the fixture's logs hold one bad line each, at a known position
    expect(row(stdout, 'quality_decisions')).toEqual({ status: 'bad', details: expect.stringMatching(/^\d+ lines, 1 bad: line 6: not JSON/) });
    expect(row(stdout, 'executions').details).toMatch(/^\d+ lines, 1 bad: line 5: not JSON/);
    expect(row(stdout, 'orchestration').status).toBe('ok');
    expect(row(stdout, 'usage').status).toBe('ok');
  });

  it('--json: the same report as one JSON document', async () => {
    const f = knownFixture();
    const ws = await createWorkspace(f.files);
    await ws.write('state/analytics/orchestration_metrics.json', '');
    const { code, stdout } = await check(ws.root, ['--json']);
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as { workspace: string; sources: { id: string; status: string; error?: string; lines?: number; badLines?: number }[] };
    expect(report.workspace).toBe(ws.root);
    expect(report.sources.map((s) => s.id)).toEqual(sources.map((s) => s.id));
    expect(report.sources.find((s) => s.id === 'orchestration')).toMatchObject({ status: 'bad', error: 'empty file' });
    const executions = report.sources.find((s) => s.id === 'executions')!;
    expect(executions).toMatchObject({ status: 'bad', lines: f.executions.length + 2, badLines: 1 });
  });
});
