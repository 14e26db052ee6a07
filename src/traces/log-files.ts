import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArchiveGlob } from '../collector/archives.js';
import { fileKey } from '../collector/files.js';
import { TASK_EVENT_SOURCES } from '../collector/task-events.js';
import { sources } from '../sources/registry.js';

/**
 * The task logs' files as they are now, live logs and archives: identity (`dev:ino`) → size. Saved
 * trace positions must name some of them to belong to this workspace, and tell how much is unsent.
 */
export function taskLogFiles(workspaceRoot: string): Map<string, number> {
  const keys = new Map<string, number>();
  const add = (file: string) => {
    try {
      const st = statSync(file);
      if (st.isFile()) keys.set(fileKey(st), st.size);
    } catch {
      // absent or unreadable: not a file of the logs now
    }
  };
  for (const source of sources) {
    if (source.kind !== 'log' || !(TASK_EVENT_SOURCES as readonly string[]).includes(source.id)) continue;
    add(path.join(workspaceRoot, source.path));
    if (!source.archives) continue;
    const { dir, matches } = parseArchiveGlob(source.archives);
    let names: string[] = [];
    try {
      names = readdirSync(path.join(workspaceRoot, dir));
    } catch {
      // no archive directory yet
    }
    for (const name of names) if (matches(name)) add(path.join(workspaceRoot, dir, name));
  }
  return keys;
}
