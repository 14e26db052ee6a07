import { promises as fs, closeSync, constants, fstatSync, openSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';

/** What "unchanged" means for a file: same inode, size, mtime and ctime (ctime catches chmod). */
export interface FileIdentity {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  isFile: boolean;
}

/** A file's identity as one string (`dev:ino`): kept by a rename, so it names a log after rotation too. */
export const fileKey = (f: { dev: number; ino: number }): string => `${f.dev}:${f.ino}`;

export const sameFile = (a: FileIdentity | null, b: FileIdentity | null): boolean =>
  a !== null && b !== null && a.dev === b.dev && a.ino === b.ino;

export const sameIdentity = (a: FileIdentity | null, b: FileIdentity | null): boolean =>
  sameFile(a, b) && a!.size === b!.size && a!.mtimeMs === b!.mtimeMs && a!.ctimeMs === b!.ctimeMs;

function identityOf(st: import('node:fs').Stats): FileIdentity {
  return { dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, isFile: st.isFile() };
}

/**
 * Stats a path synchronously: for a handful of local files a direct syscall costs less than a
 * round trip through libuv's threadpool, which is what dominated an unchanged collector cycle.
 */
export function statFileSync(abs: string): FileIdentity | null {
  try {
    const st = statSync(abs, { throwIfNoEntry: false });
    return st ? identityOf(st) : null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR' || code === 'ELOOP') return null;
    throw err;
  }
}

/** Stats a path (following links); null when nothing is there. */
export async function statFile(abs: string): Promise<FileIdentity | null> {
  try {
    return identityOf(await fs.stat(abs));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') return null;
    throw err;
  }
}

export class FileRefusedError extends Error {}

/**
 * Opens a workspace file for reading after checking that, links resolved, it is a regular
 * file inside the workspace: a symlink leading outside is refused.
 */
export async function openInside(root: string, rel: string): Promise<{ handle: fs.FileHandle; identity: FileIdentity }> {
  const real = refuseOutside(await fs.realpath(root), await fs.realpath(path.join(root, rel)), rel);
  const handle = await fs.open(real, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const identity = identityOf(await handle.stat());
    if (!identity.isFile) throw new FileRefusedError(`refused: ${rel} is not a regular file`);
    return { handle, identity };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

function refuseOutside(realRoot: string, real: string, rel: string): string {
  if (real !== realRoot && !real.startsWith(realRoot + path.sep)) {
    throw new FileRefusedError(`refused: ${rel} resolves outside the workspace`);
  }
  return real;
}

/**
 * openInside for a few positional reads where a round trip through libuv's threadpool per
 * call would cost more than the reads (a task's lines read back): a file descriptor, to close.
 */
export function openInsideSync(root: string, rel: string): { fd: number; identity: FileIdentity } {
  const real = refuseOutside(realpathSync(root), realpathSync(path.join(root, rel)), rel);
  const fd = openSync(real, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const identity = identityOf(fstatSync(fd));
    if (!identity.isFile) throw new FileRefusedError(`refused: ${rel} is not a regular file`);
    return { fd, identity };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

export const MAX_DOCUMENT_BYTES = 64 * 1024 * 1024;

/** Reads a whole document file (bounded in size) from the workspace. */
export async function readDocument(root: string, rel: string): Promise<{ text: string; identity: FileIdentity }> {
  const { handle, identity } = await openInside(root, rel);
  try {
    if (identity.size > MAX_DOCUMENT_BYTES) {
      throw new Error(`file too large: ${identity.size} bytes (limit ${MAX_DOCUMENT_BYTES})`);
    }
    const text = await handle.readFile({ encoding: 'utf8' });
    return { text, identity };
  } finally {
    await handle.close();
  }
}
