import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

/** Replaces a file the way the autopilot's whole-file writers do: a temp file beside it, then rename. */
export async function writeAtomic(file: string, text: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  await fs.writeFile(tmp, text);
  await fs.rename(tmp, file);
}

export const writeJson = (file: string, value: unknown) => writeAtomic(file, `${JSON.stringify(value, null, 2)}\n`);

export async function readJson<T = any>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Appends whole lines (one write, so a reader never sees a line from two writes unless the OS splits it). */
export async function appendLines(file: string, lines: readonly string[]): Promise<void> {
  if (lines.length === 0) return;
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.appendFile(file, lines.map((l) => `${l}\n`).join(''));
}

/** Up to `max` complete JSON object lines from the start of a log (reads at most 512 KiB). */
export async function sampleLines(file: string, max: number): Promise<Record<string, unknown>[]> {
  let handle;
  try {
    handle = await fs.open(file, 'r');
  } catch {
    return [];
  }
  try {
    const buf = Buffer.alloc(512 * 1024);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    const out: Record<string, unknown>[] = [];
    for (const line of buf.subarray(0, bytesRead).toString('utf8').split('\n').slice(0, -1)) {
      try {
        const v = JSON.parse(line) as unknown;
        if (v && typeof v === 'object' && !Array.isArray(v)) out.push(v as Record<string, unknown>);
      } catch {
        // torn or bad lines are not templates
      }
      if (out.length >= max) break;
    }
    return out;
  } finally {
    await handle.close();
  }
}

/** Moves a log aside as the writers' rotation does: rename into archives/, the next append starts a new file. */
export async function rotate(file: string, archiveDir: string, at: Date): Promise<string | undefined> {
  const stamp = at.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
  const target = path.join(archiveDir, `${path.basename(file, '.jsonl')}-${stamp}.jsonl`);
  await fs.mkdir(archiveDir, { recursive: true });
  try {
    await fs.rename(file, target);
    return target;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
