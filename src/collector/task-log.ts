import type { LineRef } from '../tasks/events.js';
import { TaskLineIndex } from './line-index.js';
import type { TailedFile } from './tail.js';
import { rawTaskId, TaskEventTap, type TaskEventBatch, type TaskEventsOption } from './task-events.js';

/**
 * The task side of one task log (executions, decisions), held by the engine beside the log's
 * accumulator: its line index, always, and the task-events tap when that option is on.
 */
export class TaskLog {
  readonly index = new TaskLineIndex();
  private readonly tap: TaskEventTap | undefined;

  constructor(
    readonly source: LineRef['source'],
    option: TaskEventsOption | undefined,
  ) {
    this.tap = option && new TaskEventTap(source, option);
  }

  /** A line the tailer or the archive reader handed over; `raw` is its JSON when the source accepted it. */
  line(offset: number, length: number, file: TailedFile, raw: unknown, accepted: boolean): void {
    if (accepted) {
      const task = rawTaskId(this.source, raw);
      if (task !== undefined) this.index.add(task, file, offset, length);
    }
    this.tap?.line(offset, length, file, raw, accepted);
  }

  /** The file was truncated in place: its offsets start again from zero. */
  truncated(key: string): void {
    this.tap?.truncated(key);
    this.index.truncated(key);
  }

  /**
   * Ends a poll, given the files of the log now (the live one and the archives): the lines of
   * any other file are dropped, the files that will not grow again sealed, and the poll's task
   * events taken (with the option on).
   */
  endPoll(present: ReadonlySet<string>, live: string | undefined): TaskEventBatch | undefined {
    this.index.retain(present);
    for (const key of present) if (key !== live) this.index.seal(key);
    return this.tap?.take(present);
  }
}
