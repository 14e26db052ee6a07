import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export type Content = string | Uint8Array;

/** A fresh temporary workspace root; paths are relative to it (e.g. SPEC §2 source paths). */
export interface Workspace {
  readonly root: string;
  /** Absolute path of a workspace-relative path. */
  path(rel: string): string;
  /** Writes a file in place (truncate + write), creating parent directories. */
  write(rel: string, content: Content): Promise<void>;
  /** Appends to a file, creating it and its parent directories if needed. */
  append(rel: string, content: Content): Promise<void>;
  /** Replaces a file the way whole-file writers do: a temporary file in the same directory, then rename. */
  writeAtomic(rel: string, content: Content): Promise<void>;
  /** Removes a file or directory (recursively); no error when it is missing. */
  remove(rel: string): Promise<void>;
  /** Removes the whole workspace. */
  cleanup(): Promise<void>;
}

export async function makeWorkspace(prefix = 'wvo-ws-'): Promise<Workspace> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  const abs = (rel: string): string => {
    const p = path.resolve(root, rel);
    if (p !== root && !p.startsWith(root + path.sep)) throw new Error(`outside the workspace: ${rel}`);
    return p;
  };
  const parent = (rel: string) => fs.mkdir(path.dirname(abs(rel)), { recursive: true });
  return {
    root,
    path: abs,
    async write(rel, content) {
      await parent(rel);
      await fs.writeFile(abs(rel), content);
    },
    async append(rel, content) {
      await parent(rel);
      await fs.appendFile(abs(rel), content);
    },
    async writeAtomic(rel, content) {
      await parent(rel);
      const target = abs(rel);
      const tmp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
      await fs.writeFile(tmp, content);
      await fs.rename(tmp, target);
    },
    async remove(rel) {
      await fs.rm(abs(rel), { recursive: true, force: true });
    },
    async cleanup() {
      // Tests may leave unreadable modes behind; make sure rm can walk the tree.
      await fs.chmod(root, 0o700).catch(() => undefined);
      await fs.rm(root, { recursive: true, force: true });
    },
  };
}
