/** The built CLI's flags: derived from the variable table, win over the environment, --help, --version, usage errors. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { variables } from '../../src/config.js';
import { flagName } from '../../src/flags.js';
import { freePortPair } from '../support/process.js';
import { cleanup, copySampleWorkspace, createWorkspace, ensureBuilt, getJson, REPO_ROOT, spawnCli, startCli } from '../support/server.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 240_000 });
beforeAll(() => ensureBuilt());
afterEach(cleanup);

const output = async (args: string[], env: Record<string, string> = {}) => {
  const cli = spawnCli(env, args);
  const { code } = await cli.exited;
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
};

describe('flags win over the environment', () => {
  it('--port and --workspace beat WVO_OBSERVABILITY_PORT and WVO_WORKSPACE_ROOT', async () => {
    const [envPort, flagPort] = await freePortPair();
    const sample = await copySampleWorkspace();
    const empty = await createWorkspace();
    const cli = await startCli({ WVO_OBSERVABILITY_PORT: String(envPort), WVO_WORKSPACE_ROOT: empty.root }, ['--port', String(flagPort), '--workspace', sample.root]);
    expect(new URL(cli.url).port).toBe(String(flagPort));
    const log = cli.logs().find((l) => l.msg === 'wvo-exporter listening')!;
    expect(log.workspace).toBe(sample.root);
    const tasks = await getJson(`${cli.url}/api/metrics/tasks`);
    expect(tasks.tasksByState.pending).toBeGreaterThan(0); // the sample's numbers, not an empty workspace's
    await expect(fetch(`http://127.0.0.1:${envPort}/healthz`)).rejects.toThrow();
    cli.child.kill('SIGTERM');
    expect((await cli.exited).code).toBe(0);
  });

  it('--flag=value works as well as --flag value, and an unset flag leaves the variable in force', async () => {
    const ws = await copySampleWorkspace();
    const cli = await startCli({ WVO_WORKSPACE_ROOT: ws.root, LOG_LEVEL: 'warn' }, ['--log-level=info']);
    expect(cli.logs().some((l) => l.msg === 'wvo-exporter listening')).toBe(true); // info shown: the flag won
    const res = await fetch(`${cli.url}/api/metrics/tasks`);
    expect(res.headers.get('access-control-allow-origin')).toBe('*'); // the default, nothing overrode it
    cli.child.kill('SIGTERM');
    expect((await cli.exited).code).toBe(0);
  });
});

describe('--help and --version', () => {
  it('--help lists every command, every variable with its flag and default', async () => {
    const { code, stdout } = await output(['--help']);
    expect(code).toBe(0);
    for (const command of ['serve', 'check', 'simulate', 'demo']) expect(stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    for (const [name, schema] of Object.entries(variables)) {
      const parsed = schema.safeParse(undefined);
      const shown = parsed.success && parsed.data !== undefined ? String(parsed.data) : 'unset';
      expect(stdout, name).toContain(`--${flagName(name)} <value>  (${name}, default ${shown})`);
    }
    expect(stdout).toContain('--workspace <value>  (WVO_WORKSPACE_ROOT');
    expect(stdout).toContain('--token-file <value>  (WVO_OBSERVABILITY_TOKEN_FILE');
    // each command has its own help, with the same variables for those that read them
    const serve = await output(['serve', '--help']);
    expect(serve.code).toBe(0);
    expect(serve.stdout).toContain('--port <value>  (WVO_OBSERVABILITY_PORT, default 3030)');
    for (const command of ['check', 'simulate', 'demo']) {
      const r = await output([command, '--help']);
      expect(r.code, command).toBe(0);
      expect(r.stdout, command).toMatch(new RegExp(`^Usage: wvo-exporter ${command}`));
    }
  });

  it('--version prints the package version', async () => {
    const version = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    for (const flag of ['--version', '-V']) {
      const { code, stdout } = await output([flag]);
      expect(code).toBe(0);
      expect(stdout).toBe(`${version}\n`);
    }
  });
});

describe('usage errors exit 2 with a message naming what was wrong', () => {
  it.each([
    [['--bogus'], '--bogus'],
    [['--port'], '--port'],
    [['check', '--nope'], '--nope'],
    [['simulate', '--port', '1'], '--port'],
    [['frobnicate'], 'frobnicate'],
  ])('%j', async (args, named) => {
    const { code, stderr, stdout } = await output(args as string[]);
    expect(code, stderr).toBe(2);
    expect(stderr).toContain(named);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(stdout).not.toContain('wvo-exporter listening');
  });

  it.each([
    [['--port', 'http'], '--port', 'WVO_OBSERVABILITY_PORT', 'http'],
    [['--port', '70000'], '--port', 'WVO_OBSERVABILITY_PORT', '70000'],
    [['--log-level', 'loud'], '--log-level', 'LOG_LEVEL', 'loud'],
    [['--watch', 'maybe'], '--watch', 'WVO_WATCH', 'maybe'],
    [['--token-file', '/nonexistent/wvo/token'], '--token-file', 'WVO_OBSERVABILITY_TOKEN_FILE', '/nonexistent/wvo/token'],
    [['simulate', '--workspace', '/tmp/x', '--tick-ms', 'soon'], '--tick-ms', 'whole number', 'soon'],
  ])('bad value %j: exits 2 naming the flag, the variable and the value', async (args, flag, variable, value) => {
    const { code, stderr } = await output(args);
    expect(code, stderr).toBe(2);
    for (const s of [flag, variable, value]) expect(stderr).toContain(s);
  });

  it('a bad variable set in the environment is still named as the variable', async () => {
    const { code, stderr } = await output([], { WVO_OBSERVABILITY_PORT: 'http' });
    expect(code).toBe(2);
    expect(stderr).toContain('WVO_OBSERVABILITY_PORT');
    expect(stderr).not.toContain('--port');
  });
});
