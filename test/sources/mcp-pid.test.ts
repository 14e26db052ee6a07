import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { Collector } from '../../src/collector/collector.js';
import { silentLogger } from '../../src/logger.js';
import { mcpPid } from '../../src/sources/mcp-pid.js';
import { makeWorkspace, type Workspace } from '../support/workspace.js';

/** A pid that existed and is now gone (reaped), so nothing answers to it. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  const pid = child.pid!;
  await once(child, 'exit');
  return pid;
}

let ws: Workspace | undefined;
afterEach(async () => {
  await ws?.cleanup();
  ws = undefined;
});

describe('mcp_pid source', () => {
  it('reports a live process (our own pid) as alive', () => {
    expect(mcpPid.parse(`${process.pid}\n`)).toEqual({ pid: process.pid, alive: true });
  });

  it('reports a pid whose process has exited as not alive', async () => {
    const pid = await deadPid();
    expect(mcpPid.parse(String(pid))).toEqual({ pid, alive: false });
  });

  it('accepts surrounding whitespace, CRLF and a byte-order mark', () => {
    expect(mcpPid.parse(`\uFEFF  ${process.pid}\r\n`)).toEqual({ pid: process.pid, alive: true });
  });

  it.each(['', 'abc', '-5', '0', '1.5', '12 34', 'NaN', 'Infinity', '1e3', '0x10', '99999999999', '4194305', `${process.pid}abc`])(
    'throws an Error on %j',
    (text) => {
      expect(() => mcpPid.parse(text)).toThrow(Error);
    },
  );

  it('notices through the Collector that the process died although the file did not change', async () => {
    ws = await makeWorkspace();
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      await ws.write(mcpPid.path, `${child.pid}\n`);
      const c = new Collector({ workspaceRoot: ws.root, logger: silentLogger, maxLineBytes: 1024, pollIntervalMs: 3_600_000, watch: false, sources: [mcpPid] });
      const first = await c.refresh();
      expect(first.data.mcp_pid).toEqual({ pid: child.pid, alive: true });
      expect(first.status.mcp_pid.up).toBe(true);

      const unchanged = await c.refresh();
      expect(unchanged.version).toBe(first.version);

      child.kill('SIGKILL');
      await once(child, 'exit');
      const after = await c.refresh();
      expect(after.version).toBe(first.version + 1);
      expect(after.data.mcp_pid).toEqual({ pid: child.pid, alive: false });
      expect(after.status.mcp_pid.errors).toBe(0);
      await c.stop();
    } finally {
      child.kill('SIGKILL');
    }
  });
});
