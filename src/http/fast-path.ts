import type { IncomingMessage, ServerResponse } from 'node:http';
import { wantsOpenMetrics } from '../metrics/prometheus.js';
import type { AppDeps } from './app.js';
import { JSON_ROUTES } from './app.js';
import { Authenticator } from './auth.js';
import { acceptsGzip, gzipped } from './compression.js';
import { commonHeaders } from './headers.js';

const GZIP = ['Content-Encoding', 'gzip', 'Vary', 'Accept-Encoding'];
const IDENTITY = ['Vary', 'Accept-Encoding'];

/**
 * The hot read-only answers (`/metrics`, and the JSON routes when no rate limit applies to them)
 * served straight from the pre-rendered bytes with the same headers express would send. Every
 * other request, and every request this path does not fully accept (wrong or unverified credentials, query string,
 * not ready), goes to express, which owns errors, 401s and limits.
 */
export function createFastPath(deps: AppDeps): (req: IncomingMessage, res: ServerResponse) => boolean {
  const headers = commonHeaders(deps.config).flat();
  const auth = deps.auth ?? Authenticator.fromConfig(deps.config);
  const jsonRoutes = deps.config.rateLimitPerMin === 0 ? JSON_ROUTES : {};

  const send = (req: IncomingMessage, res: ServerResponse, contentType: string, body: Buffer, extra: string[] = []) => {
    res.writeHead(200, [...headers, ...extra, 'Content-Type', contentType, 'Content-Length', String(body.length)]);
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const url = req.url ?? '';
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
