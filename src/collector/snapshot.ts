import type { SourceId, SourceValues } from '../sources/registry.js';

export interface SourceStatus {
  readonly id: SourceId;
  readonly path: string;
  /** The file exists. */
  readonly present: boolean;
  /** The last read parsed (and, for logs, the file could be read). */
  readonly up: boolean;
  /** File mtime, epoch ms. */
  readonly lastChangeMs?: number;
  readonly errors: number;
  readonly badLines: number;
  readonly lastError?: string;
}

/** One immutable, versioned view of every source: everything downstream reads only this. */
export interface Snapshot {
  readonly version: number;
  /** When this version was built, epoch ms. */
  readonly takenAt: number;
  readonly data: Readonly<SourceValues>;
  readonly status: Readonly<Record<SourceId, SourceStatus>>;
}
