import type { TailedFile } from './tail.js';

/** Lines indexed per log at most: 12 bytes each, so at most 48 MB per log whatever the logs hold. */
export const MAX_INDEXED_LINES = 1 << 22;
/** Distinct task ids per log at most (an id costs a map entry and its string). */
export const MAX_INDEXED_TASKS = 200_000;
/** Lines per chunk of a file's columns (48 KB): a big log wastes at most one chunk's slack. */
const CHUNK_LINES = 4096;
/** Offsets are stored as 32-bit numbers: lines past 4 GiB into one file are not indexed. */
const MAX_OFFSET = 2 ** 32 - 1;

/** Where one line of a task lives: enough to read it again by a positional read. */
export interface IndexedLine {
  fileKey: string;
  path: string;
  offset: number;
  length: number;
}

export interface LineIndexStats {
  lines: number;
  tasks: number;
  files: number;
  /** Lines not indexed because the index was full (or past 4 GiB in a file). */
  dropped: number;
  /** The typed arrays as allocated (the last chunk's slack included). */
  arrayBytes: number;
  /** The task table: each id's string and its map entry, estimated. */
  taskTableBytes: number;
}

/**
 * One file's indexed lines: (task, offset, length) triples packed in fixed-size chunks, so a
 * growing log never copies what it holds and never holds more than one chunk of slack.
 */
class FileLines {
  private readonly chunks: Uint32Array[] = [];
  count = 0;

  constructor(public path: string) {}

  add(task: number, offset: number, length: number): void {
    const at = this.count % CHUNK_LINES;
    if (at === 0) this.chunks.push(new Uint32Array(CHUNK_LINES * 3));
    let chunk = this.chunks[this.chunks.length - 1]!;
    if (chunk.length < CHUNK_LINES * 3) {
      // Sealed, yet it grew (an archive still being copied in): full size again.
      const full = new Uint32Array(CHUNK_LINES * 3);
      full.set(chunk);
      this.chunks[this.chunks.length - 1] = chunk = full;
    }
    chunk[at * 3] = task;
    chunk[at * 3 + 1] = offset;
    chunk[at * 3 + 2] = length;
    this.count++;
  }

  /** Calls found(offset, length) for each line of the task, in offset order. */
  find(task: number, found: (offset: number, length: number) => void): void {
    let left = this.count;
    for (const chunk of this.chunks) {
      const n = Math.min(left, CHUNK_LINES) * 3;
      for (let i = 0; i < n; i += 3) if (chunk[i] === task) found(chunk[i + 1]!, chunk[i + 2]!);
      left -= CHUNK_LINES;
    }
  }

  /** Shrinks the last chunk to what it holds (a file that will not grow again). */
  seal(): void {
    const last = this.chunks.length - 1;
    const used = (this.count - last * CHUNK_LINES) * 3;
    if (last >= 0 && this.chunks[last]!.length > used) this.chunks[last] = this.chunks[last]!.slice(0, used);
  }

  get bytes(): number {
    return this.chunks.reduce((n, c) => n + c.byteLength, 0);
  }
}

/**
 * Which lines of a log belong to which task, built while the log is parsed: per file (by
 * identity, so an archive is the same file as the live log it was renamed from), the task,
 * offset and length of each line, never the line itself: 12 bytes a line. A task's lines are
 * found by one scan of the packed triples (a tight loop over typed arrays: well under a
 * millisecond per 100k lines) rather than a per-task list, which would cost a pointer per line
 * more; files that are gone are dropped whole, so the index holds the lines of the files
 * present and no more.
 */
export class TaskLineIndex {
  private readonly taskIds = new Map<string, number>();
  private readonly files = new Map<string, FileLines>();
  private lines = 0;
  private dropped = 0;
  private taskIdChars = 0;

  add(taskId: string, file: TailedFile, offset: number, length: number): void {
    let task = this.taskIds.get(taskId);
    if (task === undefined) {
      if (this.taskIds.size >= MAX_INDEXED_TASKS) return void this.dropped++;
      task = this.taskIds.size;
      this.taskIds.set(taskId, task);
      this.taskIdChars += taskId.length;
    }
    if (this.lines >= MAX_INDEXED_LINES || offset > MAX_OFFSET) return void this.dropped++;
    let lines = this.files.get(file.key);
    if (!lines) this.files.set(file.key, (lines = new FileLines(file.path)));
    lines.add(task, offset, length);
    this.lines++;
  }

  /** A file truncated in place: its lines are read again from the top. */
  truncated(key: string): void {
    this.forget(key);
  }

  /** Keeps the files named (the live log and the archives present), dropping the others' lines. */
  retain(present: ReadonlySet<string>): void {
    for (const key of this.files.keys()) if (!present.has(key)) this.forget(key);
  }

  /** A file that will not grow again (an archive read whole): its last chunk shrinks to what it holds. */
  seal(key: string): void {
    this.files.get(key)?.seal();
  }

  /** The task's lines, file by file in the order read, each file's in offset order. */
  linesOf(taskId: string): IndexedLine[] {
    const task = this.taskIds.get(taskId);
    const out: IndexedLine[] = [];
    if (task === undefined) return out;
    for (const [fileKey, f] of this.files) f.find(task, (offset, length) => out.push({ fileKey, path: f.path, offset, length }));
    return out;
  }

  /** Records where a file was found last, so the next lookup opens it there first. */
  moved(key: string, path: string): void {
    const f = this.files.get(key);
    if (f) f.path = path;
  }

  /** Whether lines may be missing (the index was full). */
  get partial(): boolean {
    return this.dropped > 0;
  }

  stats(): LineIndexStats {
    let arrayBytes = 0;
    for (const f of this.files.values()) arrayBytes += f.bytes;
    // A map entry is about three pointers plus hash bookkeeping; a one-byte string 16 bytes of header.
    const taskTableBytes = this.taskIds.size * (32 + 16) + this.taskIdChars;
    return { lines: this.lines, tasks: this.taskIds.size, files: this.files.size, dropped: this.dropped, arrayBytes, taskTableBytes };
  }

  private forget(key: string): void {
    const f = this.files.get(key);
    if (!f) return;
    this.lines -= f.count;
    this.files.delete(key);
  }
}
