import { sources as allSources, type AnySource } from '../sources/registry.js';
import { readLogLine } from '../sources/log-line.js';
import type { DocumentSource, LogSource } from '../sources/source.js';
import { ArchiveReader } from './archives.js';
import { fileKey, readDocument, sameFile, type FileIdentity } from './files.js';
import { Tailer, type LineHandler } from './tail.js';
import type { LineIndexStats } from './line-index.js';
import { readTaskLines } from './line-reader.js';
import { isTaskEventSource, type LocatedTaskEvent, type TaskEventBatch, type TaskEventsOption } from './task-events.js';
import { TaskLog } from './task-log.js';

export interface LogPoll {
  /** A fresh view of the accumulator, when it changed. */
  view?: unknown;
  accepted: number;
  /** Malformed, invalid or oversized lines skipped. */
  bad: number;
  restarted: boolean;
  /** Archives read whole this poll, and those that could not be read (with why). */
  archivesRead: number;
  archiveErrors: string[];
  /** An archive is still being written: poll again even if nothing else changes. */
  archivesPending: boolean;
  /** What has been consumed: the collector compares it with the next stat. */
  position: { file: FileIdentity | null; offset: number };
  /** With the task-events option on, for the logs that carry them: what this poll read. */
  taskEvents?: TaskEventBatch;
}

/** Reads and parses sources: the part of collecting that costs CPU, and so may run off the main thread. */
export interface SourceEngine {
  loadDocument(id: string, size: number): Promise<{ value: unknown; identity: FileIdentity }>;
  pollLog(id: string, current: FileIdentity | null): Promise<LogPoll>;
  /** The accumulator's view before anything was read. */
  initialView(id: string): unknown;
  /** A task's lines in a task log, read back from the files through the index (in file order). */
  taskEvents(id: string, taskId: string): Promise<TaskLookup>;
  /** The size of a task log's index. */
  indexStats(id: string): Promise<LineIndexStats | undefined>;
  close(): Promise<void>;
}

export interface TaskLookup {
  events: LocatedTaskEvent[];
  /** The index was full at some point: some of the task's lines may be missing. */
  partial: boolean;
}

export interface EngineOptions {
  workspaceRoot: string;
  maxLineBytes: number;
  /** Turn the lines of the task logs into task events (off unless set: no cost then). */
  taskEvents?: TaskEventsOption;
}

/** Does the work in the calling thread; also what each worker thread runs. */
export class InlineEngine implements SourceEngine {
  private readonly byId = new Map<string, AnySource>();
  private readonly logs = new Map<string, { tailer: Tailer; acc: unknown; archives?: ArchiveReader; polled: boolean; tasks?: TaskLog }>();

  constructor(
    private readonly options: EngineOptions,
    sources: readonly AnySource[] = allSources,
  ) {
    for (const s of sources) this.byId.set(s.id, s);
  }

  pathOf(id: string): string {
    return this.byId.get(id)!.path;
  }

  async loadDocument(id: string): Promise<{ value: unknown; identity: FileIdentity }> {
    const source = this.byId.get(id) as DocumentSource;
    const { text, identity } = await readDocument(this.options.workspaceRoot, source.path);
    return { value: source.parse(text), identity };
  }

  initialView(id: string): unknown {
    const source = this.byId.get(id) as LogSource;
    return source.view(this.log(source).acc);
  }

  async pollLog(id: string, current: FileIdentity | null): Promise<LogPoll> {
    const source = this.byId.get(id) as LogSource;
    const log = this.log(source);
    let accepted = 0;
    let bad = 0;
    const { tasks } = log;
    const onLine: LineHandler = (text, offset, length, file) => {
      const line = readLogLine(source, text);
      if (line.kind === 'bad') bad++;
      if (line.kind === 'line') {
        source.add(log.acc, line.data, file.key, offset);
        accepted++;
      }
      tasks?.line(offset, length, file, line.kind === 'line' ? line.raw : undefined, line.kind === 'line');
    };
    const held = log.tailer.position;
    // The tailer will start this file again from the top (shrunk in place): so do its offsets.
    if (tasks && current && sameFile(current, held.file) && current.size < held.offset) tasks.truncated(fileKey(current));
    try {
      // The live log first: a file renamed into the archives is drained by the tailer, which
      // still holds it, and then skipped by the archive scan as already consumed.
      const result = await log.tailer.poll(current, onLine);
      bad += result.oversized;
      let archivesRead = 0;
      let archiveErrors: string[] = [];
      let archivesPending = false;
      if (log.archives) {
        const live = log.tailer.position.file;
        log.archives.noteLive(live);
        const scan = await log.archives.scan(onLine, live, !log.polled || result.restarted);
        bad += scan.oversized;
        archivesRead = scan.files;
        archiveErrors = scan.errors;
        archivesPending = scan.pending;
      }
      log.polled = true;
      let taskEvents: TaskEventBatch | undefined;
      if (tasks) {
        // The files of this log now: the live one and the archives.
        const live = log.tailer.position.file;
        const present = new Set(log.archives?.present);
        if (live) present.add(fileKey(live));
        taskEvents = tasks.endPoll(present, live ? fileKey(live) : undefined);
      }
      return {
        view: accepted > 0 || result.restarted || archivesRead > 0 ? source.view(log.acc) : undefined,
        accepted,
        bad,
        restarted: result.restarted,
        archivesRead,
        archiveErrors,
        archivesPending,
        position: log.tailer.position,
        ...(taskEvents ? { taskEvents } : {}),
      };
    } catch (err) {
      await log.tailer.close();
      // Lines folded in before the failure are kept: report them with the error.
      throw Object.assign(err instanceof Error ? err : new Error(String(err)), {
        partial: { view: accepted > 0 ? source.view(log.acc) : undefined, bad },
      });
    }
  }

  async taskEvents(id: string, taskId: string): Promise<TaskLookup> {
    const source = this.byId.get(id) as LogSource | undefined;
    const tasks = this.logs.get(id)?.tasks;
    if (!source || !tasks) return { events: [], partial: false };
    const { index } = tasks;
    const lines = index.linesOf(taskId);
    const log = { root: this.options.workspaceRoot, source: tasks.source, path: source.path, archives: source.archives };
    const events = lines.length ? readTaskLines(log, taskId, lines, (key, p) => index.moved(key, p)) : [];
    return { events, partial: index.partial };
  }

  async indexStats(id: string): Promise<LineIndexStats | undefined> {
    return this.logs.get(id)?.tasks?.index.stats();
  }

  async close(): Promise<void> {
    await Promise.all([...this.logs.values()].map((l) => Promise.all([l.tailer.close(), l.archives?.close()])));
  }

  private log(source: LogSource) {
    let log = this.logs.get(source.id);
    if (!log) {
      const { workspaceRoot: root, maxLineBytes, taskEvents } = this.options;
      log = {
        tailer: new Tailer(root, source.path, maxLineBytes),
        acc: source.create(),
        archives: source.archives ? new ArchiveReader(root, source.archives, maxLineBytes) : undefined,
        polled: false,
        tasks: isTaskEventSource(source.id) ? new TaskLog(source.id, taskEvents) : undefined,
      };
      this.logs.set(source.id, log);
    }
    return log;
  }
}
