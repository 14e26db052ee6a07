import { readFileSync, writeFileSync } from 'node:fs';

/**
 * The write-or-check step of the generators (`npm run docs`, `npm run dashboards`): writes each
 * file whose text differs, or with `check` only compares; returns the files that differed.
 */
export function syncGenerated(files: readonly { path: string; text: string }[], check: boolean): string[] {
  const differing: string[] = [];
  for (const { path, text } of files) {
    let current: string | undefined;
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      current = undefined;
    }
    if (current === text) continue;
    differing.push(path);
    if (!check) writeFileSync(path, text);
  }
  return differing;
}
