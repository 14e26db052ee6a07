import { promises as fs } from 'node:fs';

/**
 * Calls `apply` once per change of the files' stats (inode, size, mtime), polling every `everyMs`:
 * content that cannot be used (half-written, invalid) is tried again when the files next change.
 * Returns the function that stops polling.
 */
export function onFilesChanged(files: readonly string[], everyMs: number, apply: () => void): () => void {
  if (files.length === 0) return () => undefined;
  const signature = async () => (await Promise.all(files.map((f) => fs.stat(f).then((s) => `${s.ino}:${s.size}:${s.mtimeMs}`, () => 'missing')))).join('|');
  let seen: string | undefined;
  let busy = false;
  void signature().then((s) => (seen ??= s));
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void signature()
      .then((now) => {
        if (now === seen) return;
        seen = now;
        apply();
      })
      .finally(() => (busy = false));
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
