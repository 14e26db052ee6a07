import { Collector, type CollectorOptions } from '../../src/collector/collector.js';
import { silentLogger } from '../../src/logger.js';
import { onCleanup } from './cleanup.js';
import { makeWorkspace, type Workspace } from './workspace.js';

/** A temporary workspace removed by cleanup() (afterEach). */
export async function testWorkspace(prefix?: string): Promise<Workspace> {
  const ws = await makeWorkspace(prefix);
  onCleanup(() => ws.cleanup());
  return ws;
}

/**
 * A Collector on a workspace (or a root path), stopped by cleanup() before the workspace goes:
 * silent, no watches, a poll so rare that only the test's refresh() calls read the files.
 */
export function testCollector(ws: Workspace | string, options: Partial<CollectorOptions> = {}): Collector {
  const collector = new Collector({
    workspaceRoot: typeof ws === 'string' ? ws : ws.root,
    logger: silentLogger,
    maxLineBytes: 1 << 20,
    pollIntervalMs: 3_600_000,
    watch: false,
    ...options,
  });
  onCleanup(() => collector.stop());
  return collector;
}
