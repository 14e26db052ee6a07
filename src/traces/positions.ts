import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rename, writeFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

/** What the traces positions file holds: per log file (`dev:ino`), the byte offset exported up to; and the tasks whose root span was sent. */
export interface TracePositions {
  positions: Record<string, number>;
  roots: string[];
}

const schema = z.object({
  version: z.literal(1),
  positions: z.record(z.string(), z.number().int().nonnegative()),
  roots: z.array(z.string()),
});

export class PositionsError extends Error {}

/**
 * The saved positions (read once at start); undefined when the file does not exist yet (a first
 * run: every line is new). A corrupt file is an error, never a silent start over.
 */
export function readPositions(file: string): TracePositions | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new PositionsError(`cannot read: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new PositionsError('not JSON');
  }
  const r = schema.safeParse(raw);
  if (!r.success) throw new PositionsError(`not a traces positions file: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return { positions: r.data.positions, roots: r.data.roots };
}

/** Writes the positions atomically (a temp file beside it, then rename), like a log shipper's positions. */
export async function writePositions(file: string, p: TracePositions): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, JSON.stringify({ version: 1, positions: p.positions, roots: p.roots }) + '\n');
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}
