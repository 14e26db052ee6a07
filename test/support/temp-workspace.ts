/** Temporary workspaces for the HTTP, metrics and CLI suites (files written as the real writers do). */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify as toYaml } from 'yaml';
import { onCleanup } from './cleanup.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** JSON for *.json, one line per element for *.jsonl arrays, YAML for *.yaml objects; strings and buffers as they are. */
export type FileContent = string | Buffer | unknown[] | Record<string, unknown>;

export function serialise(rel: string, content: FileContent): string | Buffer {
  if (typeof content === 'string' || Buffer.isBuffer(content)) return content;
  if (rel.endsWith('.jsonl')) {
    const lines = (content as unknown[]).map((l) => (typeof l === 'string' ? l : JSON.stringify(l)));
    return lines.map((l) => `${l}\n`).join('');
  }
  if (rel.endsWith('.yaml') || rel.endsWith('.yml')) return toYaml(content);
  return JSON.stringify(content, null, 2);
}

export interface Workspace {
  readonly root: string;
  abs(rel: string): string;
  /** Replaces the file atomically (temp file + rename), as the real writers do. */
  write(rel: string, content: FileContent): Promise<void>;
  append(rel: string, text: string): Promise<void>;
  remove(rel: string): Promise<void>;
}

export async function tempDir(prefix = 'wvo-test-'): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  onCleanup(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

export async function createWorkspace(files: Record<string, FileContent> = {}): Promise<Workspace> {
  const root = await tempDir('wvo-ws-');
  const abs = (rel: string) => path.join(root, rel);
  const ws: Workspace = {
    root,
    abs,
    async write(rel, content) {
      const target = abs(rel);
      await fs.mkdir(path.dirname(target), { recursive: true });
      const tmp = `${target}.${randomBytes(4).toString('hex')}.tmp`;
      await fs.writeFile(tmp, serialise(rel, content));
      await fs.rename(tmp, target);
    },
    async append(rel, text) {
      await fs.mkdir(path.dirname(abs(rel)), { recursive: true });
      await fs.appendFile(abs(rel), text);
    },
    async remove(rel) {
      await fs.rm(abs(rel), { force: true, recursive: true });
    },
  };
  for (const [rel, content] of Object.entries(files)) await ws.write(rel, content);
  return ws;
}

/** A copy of the bundled sample workspace (state/), so tests never touch the repository's files. */
export async function copySampleWorkspace(): Promise<Workspace> {
  const ws = await createWorkspace();
  await fs.cp(path.join(REPO_ROOT, 'state'), ws.abs('state'), { recursive: true });
  return ws;
}

/** The repository itself as a read-only workspace: the bundled sample state/. */
export function repoWorkspace(): Workspace {
  const readOnly = () => Promise.reject(new Error('the repository workspace is read-only in tests'));
  return { root: REPO_ROOT, abs: (rel) => path.join(REPO_ROOT, rel), write: readOnly, append: readOnly, remove: readOnly };
}
