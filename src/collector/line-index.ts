import type { TailedFile } from './tail.js';

/** Lines indexed per log at most: 12 bytes each, so at most 48 MB per log whatever the logs hold. */
export const MAX_INDEXED_LINES = 1 << 22;
/** Distinct task ids per log at most (an id costs a map entry and its string). */
export const MAX_INDEXED_TASKS = 200_000;
const INITIAL_CAPACITY = 256;
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
  /** The typed arrays as allocated (capacity, not only what is used). */
  arrayBytes: number;
  /** The task table: each id's string and its map entry, estimated. */
  taskTableBytes: number;
}

/** One file's indexed lines, as three parallel columns grown by doubling. */
class FileLines {
  tasks = new Uint32Array(INITIAL_CAPACITY);
  offsets = new Uint32Array(INITIAL_CAPACITY);
  lengths = new Uint32Array(INITIAL_CAPACITY);
  count = 0;

  constructor(public path: string) {}

  add(task: number, offset: number, length: number): void {
    if (this.count === this.tasks.length) this.resize(this.count * 2);
    const i = this.count++;
    this.tasks[i] = task;
    this.offsets[i] = offset;
    this.lengths[i] = length;
  }

  resize(capacity: number): void {
    const grow = (a: Uint32Array) => {
      const b = new Uint32Array(capacity);
      b.set(a.subarray(0, this.count));
      return b;
    };
    this.tasks = grow(this.tasks);
    this.offsets = grow(this.offsets);
    this.lengths = grow(this.lengths);
  }

  get bytes(): number {
    return this.tasks.byteLength + this.offsets.byteLength + this.lengths.byteLength;
  }
}

/**
 * Which lines of a log belong to which task, built while the log is parsed: per file (by
 * identity, so an archive is the same file as the live log it was renamed from), the task,
 * offset and length of each line, never the line itself. A task's lines are found by one scan
 * of the task column (a tight loop over a typed array: well under a millisecond per 100k
 * lines) rather than a per-task list, which would cost a pointer per line more; files that
 * are gone are dropped whole, so the index holds the lines of the files present and no more.
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

  /** A file that will not grow again (an archive read whole): its columns shrink to what they hold. */
  seal(key: string): void {
    const lines = this.files.get(key);
    if (lines && lines.count < lines.tasks.length) lines.resize(Math.max(lines.count, 1));
  }

  /** The task's lines, file by file in the order read, each file's in offset order. */
  linesOf(taskId: string): IndexedLine[] {
    const task = this.taskIds.get(taskId);
    const out: IndexedLine[] = [];
    if (task === undefined) return out;
    for (const [fileKey, f] of this.files) {
      const { tasks, offsets, lengths, count } = f;
      for (let i = 0; i < count; i++) {
        if (tasks[i] === task) out.push({ fileKey, path: f.path, offset: offsets[i]!, length: lengths[i]! });
      }
    }
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
