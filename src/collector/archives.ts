import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileKey, statFileSync, type FileIdentity } from './files.js';
import { Tailer, type LineHandler } from './tail.js';

/** A glob with `*` in the file name only (`dir/name_*.jsonl`) as its directory and a name matcher. */
export function parseArchiveGlob(glob: string): { dir: string; matches: (name: string) => boolean } {
  const base = path.posix.basename(glob);
  const re = new RegExp('^' + base.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*') + '$');
  return { dir: path.posix.dirname(glob), matches: (name) => re.test(name) };
}

/** Whether two stats of a directory differ (an entry added, removed or renamed changes its mtime). */
export const dirChanged = (a: FileIdentity | null, b: FileIdentity | null | undefined): boolean =>
  b === undefined || (a === null) !== (b === null) || (a !== null && (a.ino !== b!.ino || a.mtimeMs !== b!.mtimeMs || a.ctimeMs !== b!.ctimeMs));

export interface ArchiveScan {
  files: number;
  oversized: number;
  errors: string[];
  /** An archive was still being written (modified within SETTLE_MS): scan again next poll. */
  pending: boolean;
}

/**
 * An archive modified this recently may still be being copied in (a rename is atomic, a copy is
 * not): it is tailed like a live log until it has been left alone this long, and only then is
 * its last line taken as complete and the file marked read.
 */
export const SETTLE_MS = 300;
/** An mtime this far ahead of the clock (skew) still waits to settle; one further ahead is not waited for. */
const MAX_SKEW_MS = 60_000;

/**
 * Reads a log's rotated copies once each. A file is known by its device and inode, which a
 * rename keeps: the live log the tailer consumed (and drains when it is renamed away) is never
 * read again when it shows up among the archives, and an exporter restart reads every archive
 * whole once, so the counts come out the same either way. Memory holds one key per archive.
 */
export class ArchiveReader {
  private readonly dir: string;
  private readonly matches: (name: string) => boolean;
  /** Files whose lines are in the accumulator (archives read, and logs the tailer opened). */
  private consumed = new Set<string>();
  /** Archives that failed to open (refused, unreadable): retried when the directory changes. */
  private failed = new Set<string>();
  private lastDir: FileIdentity | null | undefined;
  /** Archives still settling, tailed from where their last read stopped. */
  private readonly settling = new Map<string, Tailer>();
  private pending = false;
  /** The identities of the archives as of the last scan. */
  private listed = new Set<string>();

  constructor(
    private readonly root: string,
    glob: string,
    private readonly maxLineBytes: number,
  ) {
    ({ dir: this.dir, matches: this.matches } = parseArchiveGlob(glob));
  }

  /** Remembers the live file the tailer holds, so it is skipped once rotated into the archives. */
  noteLive(file: FileIdentity | null): void {
    if (file) this.consumed.add(fileKey(file));
  }

  /** The identities (`dev:ino`) of the archives present at the last scan that listed the directory. */
  get present(): ReadonlySet<string> {
    return this.listed;
  }

  async close(): Promise<void> {
    await Promise.all([...this.settling.values()].map((t) => t.close()));
    this.settling.clear();
  }

  /** Reads the archives not read yet, when the directory changed (or `force`). */
  async scan(onLine: LineHandler, live: FileIdentity | null, force: boolean): Promise<ArchiveScan> {
    const out: ArchiveScan = { files: 0, oversized: 0, errors: [], pending: false };
    const absDir = path.join(this.root, this.dir);
    const dirStat = statFileSync(absDir);
    if (!force && !this.pending && !dirChanged(dirStat, this.lastDir)) return out;
    if (dirChanged(dirStat, this.lastDir)) this.failed.clear();
    this.lastDir = dirStat;
    if (!dirStat) {
      this.listed = new Set();
      return out;
    }
    const names = (await fs.readdir(absDir).catch(() => [] as string[])).filter(this.matches).sort();
    const present = new Set<string>();
    for (const name of names) {
      const rel = path.posix.join(this.dir, name);
      let st: FileIdentity | null;
      try {
        st = statFileSync(path.join(this.root, rel));
      } catch {
        continue;
      }
      if (!st?.isFile) continue;
      const key = fileKey(st);
      present.add(key);
      if (this.consumed.has(key) || this.failed.has(key)) continue;
      const age = Date.now() - st.mtimeMs;
      const settled = age >= SETTLE_MS || age <= -MAX_SKEW_MS;
      let tailer = this.settling.get(key);
      try {
        if (settled && !tailer) {
          const r = await new Tailer(this.root, rel, this.maxLineBytes).readAll(onLine, (id) => this.consumed.has(fileKey(id)));
          this.consumed.add(key);
          if (r) {
            out.files++;
            out.oversized += r.oversized;
          }
          continue;
        }
        if (!tailer) {
          this.settling.set(key, (tailer = new Tailer(this.root, rel, this.maxLineBytes)));
          out.files++;
        }
        out.oversized += (await tailer.poll(st, onLine)).oversized;
        if (settled) {
          // Left alone long enough: the rest, and the last line even without its newline.
          out.oversized += (await tailer.poll(null, onLine)).oversized;
          this.settling.delete(key);
          this.consumed.add(key);
        } else {
          out.pending = true;
        }
      } catch (err) {
        await tailer?.close();
        this.settling.delete(key);
        this.failed.add(key);
        out.errors.push(`${rel}: ${(err as Error).message}`);
      }
    }
    // Forget archives that are gone (bounded memory; an inode reused later is a new file).
    for (const [key, tailer] of this.settling) {
      if (present.has(key)) continue;
      await tailer.close();
      this.settling.delete(key);
    }
    this.listed = present;
    const keep = new Set([...this.consumed].filter((k) => present.has(k)));
    if (live) keep.add(fileKey(live));
    this.consumed = keep;
    this.pending = out.pending;
    return out;
  }
}
