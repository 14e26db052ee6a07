import { taskEventOf, type LineRef, type TaskEvent } from '../tasks/events.js';
import type { TailedFile } from './tail.js';

/** The logs whose lines are task events (executions carry `task_id`, decisions `taskId`). */
export const TASK_EVENT_SOURCES: readonly LineRef['source'][] = ['executions', 'quality_decisions'];
export const isTaskEventSource = (id: string): id is LineRef['source'] => (TASK_EVENT_SOURCES as readonly string[]).includes(id);

/**
 * The task id of a raw log line, as the index keys it (`task_id` of an execution, `taskId` of a
 * decision; a number is taken as its text, like the line schemas' ids); undefined when none.
 */
export function rawTaskId(source: LineRef['source'], raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const v = source === 'executions' ? (raw as { task_id?: unknown }).task_id : (raw as { taskId?: unknown }).taskId;
  if (typeof v === 'string') return v === '' ? undefined : v;
  return typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined;
}

export type LocatedTaskEvent = TaskEvent & { ref: LineRef };

/**
 * Where to start emitting task events: `'start'`, only lines read after the first poll (what an
 * exporter without saved positions sends); or saved positions (fileKey → byte offset consumed),
 * from which a restarted exporter resumes: lines at or past the offset, files not listed whole.
 */
export interface TaskEventsOption {
  from: 'start' | Record<string, number>;
}

/** What one poll of a log produced: its events, and where every file of the log now stands. */
export interface TaskEventBatch {
  events: LocatedTaskEvent[];
  positions: Record<string, number>;
}

/**
 * The per-log side of the task-events hook: sees every line the tailer and the archive reader
 * hand over and turns the accepted ones into located task events, once each. It keeps, per file
 * of the log, the offset consumed so far; a line before it has been seen (or was exported before
 * a restart) and is not emitted again, which is what makes a rotation (the tailer drains the
 * renamed file, the archive scan then skips it) and a re-read after a read error safe.
 */
export class TaskEventTap {
  private readonly consumed = new Map<string, number>();
  private events: LocatedTaskEvent[] = [];
  private changed = false;
  /** In 'start' mode, the first poll only records positions. */
  private muted: boolean;

  constructor(
    private readonly source: LineRef['source'],
    option: TaskEventsOption,
  ) {
    this.muted = option.from === 'start';
    if (option.from !== 'start') {
      for (const [key, offset] of Object.entries(option.from)) {
        if (Number.isFinite(offset) && offset >= 0) this.consumed.set(key, offset);
      }
    }
  }

  /** A line read from the log (accepted or not: its bytes are consumed either way); raw is its JSON when accepted. */
  line(offset: number, length: number, file: TailedFile, raw: unknown, accepted: boolean): void {
    const seen = this.consumed.get(file.key);
    if (seen !== undefined && offset < seen) return;
    this.consumed.set(file.key, offset + length);
    this.changed = true;
    if (this.muted || !accepted) return;
    const event = taskEventOf(this.source, raw);
    if (event) this.events.push({ ...event, ref: { source: this.source, fileKey: file.key, path: file.path, offset, length } });
  }

  /** The file was truncated in place: its offsets start again from zero. */
  truncated(key: string): void {
    this.consumed.delete(key);
  }

  /**
   * Ends a poll: its events (if it read anything) and the positions of the files still there;
   * `present` names them (the live log and the archives), so the map stays bounded.
   */
  take(present: ReadonlySet<string>): TaskEventBatch | undefined {
    this.muted = false;
    for (const key of this.consumed.keys()) {
      if (!present.has(key)) {
        this.consumed.delete(key);
        this.changed = true;
      }
    }
    if (!this.changed) return undefined;
    const batch = { events: this.events, positions: Object.fromEntries(this.consumed) };
    this.events = [];
    this.changed = false;
    return batch;
  }
}
