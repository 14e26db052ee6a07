import type { promises as fs } from 'node:fs';
import { fileKey, openInside, sameFile, type FileIdentity } from './files.js';

export const CHUNK_BYTES = 64 * 1024;
const NEWLINE = 0x0a;

/** The file a line was read from: its identity (`dev:ino`, kept by a rename) and the path it was opened by. */
export interface TailedFile {
  readonly key: string;
  readonly path: string;
}

/**
 * Receives each complete line: its text (newline, CR and a leading byte-order mark stripped),
 * the byte offset where it starts, the bytes it occupies in the file (its newline included, so
 * offset + length is where the next line starts) and the file it came from.
 */
export type LineHandler = (line: string, offset: number, length: number, file: TailedFile) => void;

export interface TailResult {
  /** Complete lines handed to onLine. */
  lines: number;
  /** Lines over the size limit, skipped without being held in memory. */
  oversized: number;
  /** The file was replaced, truncated or removed and is read afresh. */
  restarted: boolean;
  bytesRead: number;
}

/**
 * Follows an append-only log like `tail -F`: reads only the bytes appended since the last poll,
 * in fixed chunks so memory does not grow with the file; a last line without its newline waits
 * for the next poll; a shrink or a new inode starts again from the top, after draining what the
 * old file still held (rotation by rename).
 */
export class Tailer {
  private handle: fs.FileHandle | null = null;
  private file: FileIdentity | null = null;
  private opened: TailedFile | null = null;
  private offset = 0;
  private carry: Buffer[] = [];
  private carryBytes = 0;
  private skipping = false;
  private readonly buffer = Buffer.allocUnsafe(CHUNK_BYTES);

  constructor(
    private readonly root: string,
    private readonly rel: string,
    private readonly maxLineBytes: number,
  ) {}

  /** Position and identity of what has been consumed: equal to the file's stat when nothing is new. */
  get position(): { file: FileIdentity | null; offset: number } {
    return { file: this.file, offset: this.offset };
  }

  async poll(current: FileIdentity | null, onLine: LineHandler): Promise<TailResult> {
    const result: TailResult = { lines: 0, oversized: 0, restarted: false, bytesRead: 0 };
    if (this.handle && (!current || !sameFile(current, this.file))) {
      // Rotated or removed: what was appended before the rename is still ours to read.
      await this.readToEnd(result, onLine, true);
      await this.close();
      result.restarted = true;
    }
    if (!current) return result;
    if (!this.handle) {
      const opened = await openInside(this.root, this.rel);
      this.handle = opened.handle;
      this.file = opened.identity;
      this.opened = { key: fileKey(opened.identity), path: this.rel };
      this.offset = 0;
      this.resetCarry();
    }
    const size = (await this.handle.stat()).size;
    if (size < this.offset) {
      this.offset = 0;
      this.resetCarry();
      result.restarted = true;
    }
    await this.readToEnd(result, onLine, false);
    this.file = { ...current, size: this.offset };
    return result;
  }

  /**
   * Reads a file that will not grow again (a rotated log) once, from start to end, its last
   * line complete without a newline; `skip` may decline it once opened (by its identity).
   */
  async readAll(onLine: LineHandler, skip: (identity: FileIdentity) => boolean): Promise<TailResult | null> {
    const opened = await openInside(this.root, this.rel);
    if (skip(opened.identity)) {
      await opened.handle.close();
      return null;
    }
    this.handle = opened.handle;
    this.file = opened.identity;
    this.opened = { key: fileKey(opened.identity), path: this.rel };
    this.offset = 0;
    this.resetCarry();
    const result: TailResult = { lines: 0, oversized: 0, restarted: false, bytesRead: 0 };
    try {
      await this.readToEnd(result, onLine, true);
    } finally {
      await this.close();
    }
    return result;
  }

  async close(): Promise<void> {
    const h = this.handle;
    this.handle = null;
    this.file = null;
    this.opened = null;
    this.offset = 0;
    this.resetCarry();
    if (h) await h.close();
  }

  private async readToEnd(result: TailResult, onLine: LineHandler, final: boolean): Promise<void> {
    const h = this.handle!;
    for (;;) {
      const { bytesRead } = await h.read(this.buffer, 0, CHUNK_BYTES, this.offset);
      if (bytesRead === 0) break;
      this.offset += bytesRead;
      result.bytesRead += bytesRead;
      this.consume(this.buffer.subarray(0, bytesRead), result, onLine);
    }
    if (final && this.carryBytes > 0 && !this.skipping) {
      // A rotated file will not grow again: its unterminated last line is as complete as it gets.
      this.emit(Buffer.concat(this.carry), this.offset - this.carryBytes, this.carryBytes, result, onLine);
    }
  }

  private consume(chunk: Buffer, result: TailResult, onLine: LineHandler): void {
    const base = this.offset - chunk.length;
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(NEWLINE, start);
      if (nl === -1) break;
      const piece = chunk.subarray(start, nl);
      const lineStart = base + start - this.carryBytes;
      if (this.skipping) {
        this.skipping = false;
      } else if (this.carryBytes + piece.length > this.maxLineBytes) {
        result.oversized++;
      } else if (this.carryBytes > 0) {
        this.carry.push(piece);
        this.emit(Buffer.concat(this.carry), lineStart, this.carryBytes + piece.length + 1, result, onLine);
      } else {
        this.emit(piece, lineStart, piece.length + 1, result, onLine);
      }
      this.resetCarry();
      start = nl + 1;
    }
    if (start < chunk.length && !this.skipping) {
      const rest = chunk.subarray(start);
      if (this.carryBytes + rest.length > this.maxLineBytes) {
        // Too long already: drop it now and skip to the next newline, counting it once.
        this.resetCarry();
        this.skipping = true;
        result.oversized++;
      } else {
        this.carry.push(Buffer.from(rest));
        this.carryBytes += rest.length;
      }
    }
  }

  private emit(bytes: Buffer, lineStart: number, length: number, result: TailResult, onLine: LineHandler): void {
    let text = bytes.toString('utf8');
    // Only the file's first line can start with a byte-order mark.
    if (lineStart === 0 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (text.trim() === '') return;
    result.lines++;
    onLine(text, lineStart, length, this.opened!);
  }

  private resetCarry(): void {
    this.carry = [];
    this.carryBytes = 0;
    // A skip in progress belongs to the old content: a restart must not swallow the new first line.
    this.skipping = false;
  }
}
