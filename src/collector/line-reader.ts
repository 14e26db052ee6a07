import { closeSync, readdirSync, readSync } from 'node:fs';
import path from 'node:path';
import { taskEventOf, type LineRef } from '../tasks/events.js';
import { parseArchiveGlob } from './archives.js';
import { fileKey, openInsideSync } from './files.js';
import type { IndexedLine } from './line-index.js';
import type { LocatedTaskEvent } from './task-events.js';

/**
 * Opens the file of this identity: at the path it was last seen at, else wherever the log
 * keeps its files now (the live path, the archive directory), since a rotation renames it.
 */
function openByIdentity(root: string, key: string, candidates: () => string[], seen: string): { fd: number; path: string } | undefined {
  const tried = new Set<string>();
  const attempt = (rel: string) => {
    if (tried.has(rel)) return undefined;
    tried.add(rel);
    try {
      const opened = openInsideSync(root, rel);
      if (fileKey(opened.identity) === key) return { fd: opened.fd, path: rel };
      closeSync(opened.fd);
    } catch {
      // Gone, refused or unreadable: try the next place.
    }
    return undefined;
  };
  const first = attempt(seen);
  if (first) return first;
  for (const rel of candidates()) {
    const found = attempt(rel);
    if (found) return found;
  }
  return undefined;
}

/** The places a log's files can be: its live path, then its archives. */
function logFiles(root: string, live: string, archives: string | undefined): () => string[] {
  return () => {
    if (!archives) return [live];
    const { dir, matches } = parseArchiveGlob(archives);
    let names: string[] = [];
    try {
      names = readdirSync(path.join(root, dir));
    } catch {
      // No archive directory (yet): only the live log.
    }
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
 * Reads a task's indexed lines back and turns them into task events: one open per file, then
 * positional reads. The reads are synchronous: a hundred lines of a task cost well under a
 * millisecond that way, where a threadpool round trip each cost several (this runs in the
 * worker thread that holds the log, or inline where there are no workers). A line that no
 * longer parses, or names another task (the file changed under the index), is left out: a
 * lookup never fails on the content it finds.
 */
export function readTaskLines(
  log: { root: string; source: LineRef['source']; path: string; archives?: string },
  taskId: string,
  lines: readonly IndexedLine[],
  moved: (key: string, path: string) => void,
): LocatedTaskEvent[] {
  const byFile = new Map<string, IndexedLine[]>();
  for (const l of lines) {
    const list = byFile.get(l.fileKey);
    if (list) list.push(l);
    else byFile.set(l.fileKey, [l]);
  }
  const candidates = logFiles(log.root, log.path, log.archives);
  const out: LocatedTaskEvent[] = [];
  let buffer = Buffer.allocUnsafe(64 * 1024);
  for (const [key, refs] of byFile) {
    const opened = openByIdentity(log.root, key, candidates, refs[0]!.path);
    if (!opened) continue;
    if (opened.path !== refs[0]!.path) moved(key, opened.path);
    try {
      for (const r of refs) {
        if (r.length > buffer.length) buffer = Buffer.allocUnsafe(r.length);
        const n = readSync(opened.fd, buffer, 0, r.length, r.offset);
        const raw = decode(buffer.subarray(0, n));
        const event = raw === undefined ? undefined : taskEventOf(log.source, raw);
        if (event?.taskId === taskId) out.push({ ...event, ref: { source: log.source, fileKey: key, path: opened.path, offset: r.offset, length: r.length } });
      }
    } finally {
      closeSync(opened.fd);
    }
  }
  return out;
}
