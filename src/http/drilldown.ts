/**
 * Routes of the task drill-down and the CSV exports: they validate the query, call a view and
 * serialise its answer. Tasks answers carry the roadmap's content hash as ETag (304 on a match);
 * exports stream.
 */
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import type { Snapshot } from '../collector/snapshot.js';
import { CSV_EXPORTS, csvFileName, csvStream } from '../views/csv.js';
import { listTasks, taskDetail, taskIndex, type Outcome, type TaskFilter } from '../views/tasks.js';
import { emptyTotals } from '../views/timeline.js';
import type { TimelineCache } from '../views/timeline-cache.js';
import { DEFAULT_LIMIT, DEFAULT_TIMELINE_LIMIT, parseQuery, TaskExportQuery, TaskListQuery, TimelineQuery, toFilter } from './task-query.js';

export type Handler = (req: Request, res: Response) => void | Promise<void>;
export type RouteTable = [path: string, handler: Handler][];

export const TASKS_PATH = '/api/tasks';
export const TASK_PATH = '/api/tasks/:id';
export const TIMELINE_PATH = '/api/tasks/:id/timeline';

const digest = (text: string) => createHash('sha256').update(text).digest('base64url').slice(0, 22);
export const EXPORT_PREFIX = '/api/metrics/export/';

const badQuery = (res: Response, e: { parameter: string; error: string }) =>
  void res.status(400).json({ error: e.error, parameter: e.parameter });

/** Sets the ETag; true (and a bodiless 304 sent) when If-None-Match names it. */
export function notModified(req: Request, res: Response, tag: string): boolean {
  // no-cache rather than no-store: a client may keep the answer, and revalidates it with If-None-Match.
  const etag = `"${tag}"`;
  res.set({ ETag: etag, 'Cache-Control': 'no-cache' });
  if (!namesTag(req.headers['if-none-match'], etag)) return false;
  res.status(304).end();
  return true;
}

/** Whether an If-None-Match header names this (quoted) entity tag, weakly compared. */
export function namesTag(ifNoneMatch: string | undefined, etag: string): boolean {
  // Not req.fresh: it ignores If-None-Match when the request says Cache-Control: no-cache, which
  // fetch() adds to every request carrying If-None-Match; an origin server answers it anyway (RFC 9110 §13.1.2).
  const candidates = ifNoneMatch?.split(',').map((t) => t.trim().replace(/^W\//, ''));
  return candidates?.some((t) => t === etag || t === '*') ?? false;
}

function sendTagged<T>(req: Request, res: Response, tag: string, outcome: Outcome<T>): void {
  if (!outcome.ok) {
    const { status, error, parameter } = outcome;
    return void res.status(status).json(parameter === undefined ? { error } : { error, parameter });
  }
  if (!notModified(req, res, tag)) res.json(outcome.value);
}

export function drilldownRoutes(ready: (res: Response) => Snapshot | undefined, timelines: TimelineCache): RouteTable {
  const tasks: Handler = (req, res) => {
    const q = parseQuery(TaskListQuery, req.query);
    if (!q.ok) return badQuery(res, q);
    const s = ready(res);
    if (!s) return;
    const index = taskIndex(s.data.roadmap);
    sendTagged(req, res, index.hash, listTasks(index, toFilter(q.value), { limit: q.value.limit ?? DEFAULT_LIMIT, cursor: q.value.cursor }));
  };

  const task: Handler = async (req, res) => {
    const s = ready(res);
    if (!s) return;
    const index = taskIndex(s.data.roadmap);
    const id = String(req.params.id);
    if (!index.byId.has(id)) return sendTagged(req, res, index.hash, taskDetail(index, id, emptyTotals()));
    const totals = (await timelines.timeline(s, id))?.totals ?? emptyTotals();
    // The roadmap's version and the totals': either changing changes the answer.
    sendTagged(req, res, digest(`${index.hash}\u0000${JSON.stringify(totals)}`), taskDetail(index, id, totals));
  };

  const timeline: Handler = async (req, res) => {
    const q = parseQuery(TimelineQuery, req.query);
    if (!q.ok) return badQuery(res, q);
    const s = ready(res);
    if (!s) return;
    const id = String(req.params.id);
    const page = await timelines.page(s, id, { limit: q.value.limit ?? DEFAULT_TIMELINE_LIMIT, cursor: q.value.cursor });
    if (!page) return void res.status(404).json({ error: `no task with id ${JSON.stringify(id.slice(0, 200))} in the roadmap, the logs or the resolution file` });
    if (!page.ok) return sendTagged(req, res, '', page);
    // Tagged by content: the answer changes with any line of the task, not with every snapshot.
    if (!notModified(req, res, page.value.etag)) res.type('application/json').send(page.value.body);
  };

  const exports: RouteTable = [...CSV_EXPORTS.values()].map((e) => [
    `${EXPORT_PREFIX}${e.name}`,
    async (req, res) => {
      let filter: TaskFilter = { labels: [], sort: 'id' };
      if (e.filtered) {
        const q = parseQuery(TaskExportQuery, req.query);
        if (!q.ok) return badQuery(res, q);
        filter = toFilter(q.value);
      }
      const s = ready(res);
      if (!s) return;
      res.type('text/csv; charset=utf-8').set('Content-Disposition', `attachment; filename="${csvFileName(e)}"`);
      await pipeline(csvStream(e, s, filter), res).catch((err: NodeJS.ErrnoException) => {
        // The client went away mid-download: nothing to answer, nothing to log.
        if (err.code !== 'ERR_STREAM_PREMATURE_CLOSE') throw err;
      });
    },
  ]);

  return [[TASKS_PATH, tasks], [TASK_PATH, task], [TIMELINE_PATH, timeline], ...exports];
}
