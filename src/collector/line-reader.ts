import { promises as fs } from 'node:fs';
import path from 'node:path';
import { taskEventOf, type LineRef } from '../tasks/events.js';
import { parseArchiveGlob } from './archives.js';
import { fileKey, openInside } from './files.js';
import type { IndexedLine } from './line-index.js';
import type { LocatedTaskEvent } from './task-events.js';

type Handle = Awaited<ReturnType<typeof openInside>>['handle'];

/**
 * Opens the file of this identity: at the path it was last seen at, else wherever the log
 * keeps its files now (the live path, the archive directory), since a rotation renames it.
 */
async function openByIdentity(root: string, key: string, candidates: () => Promise<string[]>, seen: string): Promise<{ handle: Handle; path: string } | undefined> {
  const tried = new Set<string>();
  const attempt = async (rel: string) => {
    if (tried.has(rel)) return undefined;
    tried.add(rel);
    try {
      const opened = await openInside(root, rel);
      if (fileKey(opened.identity) === key) return { handle: opened.handle, path: rel };
      await opened.handle.close();
    } catch {
      // Gone, refused or unreadable: try the next place.
    }
    return undefined;
  };
  const first = await attempt(seen);
  if (first) return first;
  for (const rel of await candidates()) {
    const found = await attempt(rel);
    if (found) return found;
  }
  return undefined;
}

/** The places a log's files can be: its live path, then its archives. */
function logFiles(root: string, live: string, archives: string | undefined): () => Promise<string[]> {
  return async () => {
    if (!archives) return [live];
    const { dir, matches } = parseArchiveGlob(archives);
    const names = await fs.readdir(path.join(root, dir)).catch(() => [] as string[]);
    return [live, ...names.filter(matches).sort().map((n) => path.posix.join(dir, n))];
  };
}

function decode(bytes: Buffer): unknown {
  let text = bytes.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Reads a task's indexed lines back with positional reads (one open per file) and turns them
 * into task events. A line that no longer parses, or names another task (the file changed
 * under the index), is left out: a lookup never fails on the content it finds.
 */
export async function readTaskLines(
  log: { root: string; source: LineRef['source']; path: string; archives?: string },
  taskId: string,
  lines: readonly IndexedLine[],
  moved: (key: string, path: string) => void,
): Promise<LocatedTaskEvent[]> {
  const byFile = new Map<string, IndexedLine[]>();
  for (const l of lines) {
    const list = byFile.get(l.fileKey);
    if (list) list.push(l);
    else byFile.set(l.fileKey, [l]);
  }
  const candidates = logFiles(log.root, log.path, log.archives);
  const out: LocatedTaskEvent[] = [];
  for (const [key, refs] of byFile) {
    const opened = await openByIdentity(log.root, key, candidates, refs[0]!.path);
    if (!opened) continue;
    if (opened.path !== refs[0]!.path) moved(key, opened.path);
    try {
      const read = await Promise.all(
        refs.map(async (r) => {
          const buf = Buffer.allocUnsafe(r.length);
          const { bytesRead } = await opened.handle.read(buf, 0, r.length, r.offset);
          return decode(buf.subarray(0, bytesRead));
        }),
      );
      read.forEach((raw, i) => {
        const event = raw === undefined ? undefined : taskEventOf(log.source, raw);
        const r = refs[i]!;
        if (event?.taskId === taskId) out.push({ ...event, ref: { source: log.source, fileKey: key, path: opened.path, offset: r.offset, length: r.length } });
      });
    } finally {
      await opened.handle.close();
    }
  }
  return out;
}
