import type { z } from 'zod';

/** A file rewritten whole by its writer (JSON, YAML or text): parsed in one piece, last good value kept. */
export interface DocumentSource<Id extends string = string, T = unknown> {
  readonly id: Id;
  readonly path: string;
  readonly kind: 'document';
  /** Value before the file has ever been read successfully. */
  readonly empty: T;
  /** Turns the file's text into the source's value; throws with a readable message when invalid. */
  parse(text: string): T;
  /** Re-evaluated every cycle even when the file is unchanged (state outside the file, e.g. a pid's liveness). */
  recheck?(value: T): T;
  /**
   * Folds a freshly parsed value into the previous one, for state that outlives one version of
   * the file (e.g. a counter over entries the writer keeps rewriting). Runs on the main thread.
   */
  merge?(previous: T, next: T): T;
}

/** An append-only JSON Lines log: tailed, every complete line folded into an accumulator. */
export interface LogSource<Id extends string = string, Line = unknown, Acc = unknown, V = unknown> {
  readonly id: Id;
  readonly path: string;
  readonly kind: 'log';
  readonly line: z.ZodType<Line>;
  /**
   * Rotated copies of the log (a glob whose `*` is in the file name only, e.g.
   * `state/telemetry/archives/executions_*.jsonl`): each read once, whole, into the same
   * accumulator, unless it is a file the tailer already consumed (same device and inode).
   */
  readonly archives?: string;
  /** Lines that are valid JSON but not for us (another `type`): skipped, not counted as bad. */
  relevant?(raw: unknown): boolean;
  create(): Acc;
  /** A line folded in; read from a file, with where it is (the file's key, device:inode, and the line's byte offset), which names its span. */
  add(acc: Acc, line: Line, fileKey?: string, offset?: number): void;
  /** An immutable view of the accumulator for the snapshot. */
  view(acc: Acc): V;
}

export type Source = DocumentSource<string, any> | LogSource<string, any, any, any>;

export type SourceValue<S> =
  S extends DocumentSource<string, infer T> ? T : S extends LogSource<string, any, any, infer V> ? V : never;

export function documentSource<Id extends string, T>(def: Omit<DocumentSource<Id, T>, 'kind'>): DocumentSource<Id, T> {
  return { kind: 'document', ...def };
}

export function logSource<Id extends string, Line, Acc, V>(
  def: Omit<LogSource<Id, Line, Acc, V>, 'kind'>,
): LogSource<Id, Line, Acc, V> {
  return { kind: 'log', ...def };
}

/** Formats a zod error as one line naming the offending paths. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}
