import { documentSource } from './source.js';

export interface McpPid {
  pid?: number;
  alive: boolean;
}

/** Whether a process with this pid exists (signal 0 probes without signalling). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export const mcpPid = documentSource({
  id: 'mcp_pid',
  path: 'state/.mcp.pid',
  empty: { alive: false } as McpPid,
  parse(text): McpPid {
    const trimmed = text.trim();
    if (!/^\d{1,10}$/.test(trimmed)) throw new Error(`not a process id: ${JSON.stringify(trimmed.slice(0, 40))}`);
    const pid = Number(trimmed);
    if (pid < 1 || pid > 4_194_304) throw new Error(`process id out of range: ${pid}`);
    return { pid, alive: isProcessAlive(pid) };
  },
  recheck(value): McpPid {
    if (value.pid === undefined) return value;
    const alive = isProcessAlive(value.pid);
    return alive === value.alive ? value : { pid: value.pid, alive };
  },
});
