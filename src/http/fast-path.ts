import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQueryString } from 'node:querystring';
import { wantsOpenMetrics } from '../metrics/prometheus.js';
import type { AppDeps } from './app.js';
import { JSON_ROUTES, STREAM_PATH } from './app.js';
import { Authenticator } from './auth.js';
import { acceptsGzip, gzipped } from './compression.js';
import { namesTag } from './drilldown.js';
import { commonHeaders } from './headers.js';
import { DEFAULT_TIMELINE_LIMIT, parseQuery, TimelineQuery } from './task-query.js';

const GZIP = ['Content-Encoding', 'gzip', 'Vary', 'Accept-Encoding'];
const IDENTITY = ['Vary', 'Accept-Encoding'];
const TIMELINE = /^\/api\/tasks\/([^/?]+)\/timeline(?:\?(.*))?$/;
const MAX_URL_LENGTH = 4096;

/**
 * The hot read-only answers (`/metrics`, and the JSON routes when no rate limit applies to them;
 * with them a task timeline page already rendered for this snapshot) served straight from the
 * pre-rendered bytes with the same headers express would send; and the stream's clients handed to
 * the hub without express's request objects, which a thousand open streams would each hold. Every
 * other request, and every request this path does not fully accept (wrong or unverified credentials, query string,
 * not ready), goes to express, which owns errors, 401s and limits.
 */
export function createFastPath(deps: AppDeps): (req: IncomingMessage, res: ServerResponse) => boolean {
  const common = commonHeaders(deps.config);
  const headers = common.flat();
  const auth = deps.auth ?? Authenticator.fromConfig(deps.config);
  // A rate limit is express's to count: with one, the JSON routes, timelines and the stream go there.
  const unlimited = deps.config.rateLimitPerMin === 0;
  const jsonRoutes = unlimited ? JSON_ROUTES : {};
  const timelines = unlimited ? deps.timelines : undefined;
  // The task routes are revalidated with their ETag rather than never stored.
  const tagged = common
    .filter(([name]) => name.toLowerCase() !== 'cache-control')
    .flat();

  const send = (req: IncomingMessage, res: ServerResponse, contentType: string, body: Buffer, extra: string[] = []) => {
    res.writeHead(200, [...headers, ...extra, 'Content-Type', contentType, 'Content-Length', String(body.length)]);
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  /** A timeline page the cache already holds for this snapshot: anything else (errors included) goes to express. */
  const timeline = (req: IncomingMessage, res: ServerResponse, m: RegExpExecArray): boolean => {
    const s = deps.snapshot();
    if (!s || !auth.quick(req.headers.authorization, req.socket)) return false;
    let id: string;
    try {
      id = decodeURIComponent(m[1]!);
    } catch {
      return false;
    }
    const q = parseQuery(TimelineQuery, parseQueryString(m[2] ?? ''));
    const page = q.ok ? timelines!.peek(s, id, { limit: q.value.limit ?? DEFAULT_TIMELINE_LIMIT, cursor: q.value.cursor }) : undefined;
    if (!page) return false;
    const etag = `"${page.etag}"`;
    const headers = [...tagged, 'ETag', etag, 'Cache-Control', 'no-cache'];
    if (namesTag(req.headers['if-none-match'], etag)) {
      res.writeHead(304, headers).end();
      return true;
    }
    res.writeHead(200, [...headers, 'Content-Type', 'application/json; charset=utf-8', 'Content-Length', String(page.body.length)]);
    res.end(req.method === 'HEAD' ? undefined : page.body);
    return true;
  };

  const stream = (req: IncomingMessage, res: ServerResponse): boolean => {
    if (!deps.snapshot() || !auth.quick(req.headers.authorization, req.socket)) return false;
    for (const [name, value] of common) res.setHeader(name, value);
    deps.sse.connect(req, res);
    return true;
  };

  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const url = req.url ?? '';
    // HEAD, and a token in the query, are express's.
    if (url === STREAM_PATH) return req.method === 'GET' && unlimited && stream(req, res);
    const m = timelines && url.length <= MAX_URL_LENGTH ? TIMELINE.exec(url) : null;
    if (m) return timeline(req, res, m);
    const view = Object.hasOwn(jsonRoutes, url) ? jsonRoutes[url] : undefined;
    if (url !== '/metrics' && view === undefined) return false;
    // Only credentials known good without waiting (token, basic auth verified before); the rest go to express.
    if (!auth.quick(req.headers.authorization, req.socket)) return false;
    if (view !== undefined) {
      const s = deps.snapshot();
      if (!s) return false;
      send(req, res, 'application/json; charset=utf-8', deps.views.bytes(view, s));
      return true;
    }
    deps
      .scrapeSnapshot()
      .then(() => deps.prometheus.render(wantsOpenMetrics(req.headers.accept)))
      .then(async (r) => (acceptsGzip(req.headers['accept-encoding']) ? { ...r, body: await gzipped(r.body), extra: GZIP } : { ...r, extra: IDENTITY }))
      .then(
        (r) => send(req, res, r.contentType, r.body, r.extra),
        (err: Error) => {
          deps.logger.error({ err: err.message }, 'rendering /metrics failed');
          res.writeHead(500, [...headers, 'Content-Type', 'application/json; charset=utf-8']).end('{"error":"internal error"}');
        },
      );
    return true;
  };
}
