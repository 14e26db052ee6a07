import express, { type Request, type Response, type NextFunction, type Router } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { Logger } from 'pino';
import { workspaceName, type Config } from '../config.js';
import { EXPORTER_VERSION } from '../version.js';
import type { Snapshot } from '../collector/snapshot.js';
import type { PrometheusProjection } from '../metrics/prometheus.js';
import { wantsOpenMetrics } from '../metrics/prometheus.js';
import type { ViewCache, ViewName } from '../views/cache.js';
import { TimelineCache } from '../views/timeline-cache.js';
import { drilldownRoutes } from './drilldown.js';
import { Authenticator, requireCredentials } from './auth.js';
import { acceptsGzip, gzipped } from './compression.js';
import { commonHeaders } from './headers.js';
import { landingPage } from './landing.js';
import { OPENAPI_PATH, openApiHandler } from './openapi.js';
import type { SseHub } from './sse.js';

export interface AppDeps {
  config: Config;
  logger: Logger;
  /** The snapshot to answer from; undefined until the first collection finished. */
  snapshot: () => Snapshot | undefined;
  /** The snapshot for a scrape: re-checks the files first if the last check is older than the poll interval. */
  scrapeSnapshot: () => Promise<Snapshot>;
  views: ViewCache;
  prometheus: PrometheusProjection;
  sse: SseHub;
  /** Shared with the fast path so both see the same verified basic-auth credentials; made from config when absent. */
  auth?: Authenticator;
  /** Task timelines, over the collector's line index; shared with the fast path. Without it, timelines hold no log lines. */
  timelines?: TimelineCache;
}

const MAX_URL_LENGTH = 4096;
export const STREAM_PATH = '/api/metrics/stream';

export const JSON_ROUTES: Record<string, ViewName> = {
  '/api/metrics/tasks': 'tasks',
  '/api/metrics/quality_gates': 'quality_gates',
  '/api/metrics/resolution': 'resolution',
  '/api/metrics/resources': 'resources',
  '/api/metrics/usage': 'usage',
  '/api/metrics/health': 'health',
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The HTTP layer: routing, authentication, limits and serialisation; all data comes from the snapshot. */
export function createApp(deps: AppDeps): express.Express {
  const { config } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  // Behind a reverse proxy: req.ip (the rate limit's key) is the client the trusted hops name.
  app.set('trust proxy', config.trustProxy);

  const headers = commonHeaders(config);
  app.use((_req, res, next) => {
    for (const [name, value] of headers) res.setHeader(name, value);
    next();
  });
  // After the common headers, so a 414 carries them too.
  app.use((req, _res, next) => next(req.originalUrl.length > MAX_URL_LENGTH ? new HttpError(414, 'URI too long') : undefined));
  app.options(/.*/, (_req, res) => {
    res.set({
      'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS',
      'Access-Control-Allow-Headers': 'Authorization, Content-Type, Last-Event-ID',
      'Access-Control-Max-Age': '600',
    });
    res.status(204).end();
  });

  const ready = (res: Response): Snapshot | undefined => {
    const s = deps.snapshot();
    if (!s) res.status(503).set('Retry-After', '1').json({ error: 'starting: the first collection has not finished' });
    return s;
  };

  const routes = express.Router();
  get(routes, '/healthz', (_req, res) => {
    const s = deps.snapshot();
    if (!s) return void res.status(503).json({ status: 'starting', timestamp: new Date().toISOString() });
    res.json({ status: 'ok', timestamp: new Date().toISOString(), version: s.version });
  });

  if (config.rateLimitPerMin > 0) {
    // express-rate-limit would print a stack trace for this; one line in our log says what to do.
    let warnedForwarded = config.trustProxy !== false;
    routes.use('/api', (req, _res, next) => {
      if (!warnedForwarded && req.headers['x-forwarded-for'] !== undefined) {
        warnedForwarded = true;
        deps.logger.warn('X-Forwarded-For received but WVO_TRUST_PROXY is not set: the rate limit counts every client behind the proxy as one');
      }
      next();
    });
    routes.use(
      '/api',
      rateLimit({
        validate: { xForwardedForHeader: false },
        windowMs: 60_000,
        limit: config.rateLimitPerMin,
        standardHeaders: 'draft-8',
        legacyHeaders: false,
        handler: (_req, res, _next, options) => {
          res.status(options.statusCode).json({ error: `rate limit exceeded: ${config.rateLimitPerMin} requests per minute` });
        },
      }),
    );
  }
  const authenticator = deps.auth ?? Authenticator.fromConfig(config);
  if (authenticator.enabled) {
    const auth = requireCredentials(authenticator, (p) => p === STREAM_PATH.slice('/api'.length) || p === STREAM_PATH);
    routes.use('/api', auth);
    routes.use('/metrics', auth);
    routes.use((req, res, next) => (req.path === '/' ? auth(req, res, next) : next()));
  }

  const landing = landingPage({ version: EXPORTER_VERSION, workspace: workspaceName(config), streamPath: STREAM_PATH });
  get(routes, '/', (_req, res) => void res.type('text/html; charset=utf-8').send(landing));

  get(routes, '/metrics', async (req, res) => {
    await deps.scrapeSnapshot();
    const rendered = await deps.prometheus.render(wantsOpenMetrics(req.headers.accept));
    res.append('Vary', 'Accept-Encoding');
    if (!acceptsGzip(req.headers['accept-encoding'])) return void res.set('Content-Type', rendered.contentType).send(rendered.body);
    res.set({ 'Content-Type': rendered.contentType, 'Content-Encoding': 'gzip' }).send(await gzipped(rendered.body));
  });

  const json = (view: ViewName) => (_req: Request, res: Response) => {
    const s = ready(res);
    if (s) res.type('application/json').send(deps.views.bytes(view, s));
  };
  for (const [path, view] of Object.entries(JSON_ROUTES)) get(routes, path, json(view));

  for (const [path, handler] of drilldownRoutes(ready, deps.timelines ?? new TimelineCache(async () => ({ events: [], partial: false })))) get(routes, path, handler);
  get(routes, OPENAPI_PATH, openApiHandler);

  get(routes, STREAM_PATH, (req, res) => {
    if (!ready(res)) return;
    // HEAD gets the stream's headers only: a stream opened for it would never end nor free its slot.
    if (req.method === 'HEAD') return void res.status(200).type('text/event-stream; charset=utf-8').end();
    deps.sse.connect(req, res);
  });

  app.use(routes);
  app.use((req, _res, next) => next(new HttpError(404, `not found: ${req.path.slice(0, 200)}`)));
  // Express needs the four-argument signature to recognise an error handler.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = err instanceof HttpError ? err.status : (err as { status?: number }).status ?? 500;
    if (status >= 500) deps.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'request failed');
    if (res.headersSent) return void res.destroy();
    res.status(status).json({ error: err instanceof HttpError ? err.message : status >= 500 ? 'internal error' : 'bad request' });
  });
  return app;
}

/** GET (and so HEAD) on a path; any other method there is 405 with an Allow header. */
function get(router: Router, path: string, handler: (req: Request, res: Response) => void | Promise<void>): void {
  router
    .route(path)
    .get((req, res, next) => {
      Promise.resolve(handler(req, res)).catch(next);
    })
    .all((req, res, next) => {
      if (req.method === 'OPTIONS') return next();
      res.set('Allow', 'GET, HEAD, OPTIONS').status(405).json({ error: `method ${req.method} not allowed` });
    });
}
