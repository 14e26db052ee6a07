import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { Collector } from './collector/collector.js';
import type { Snapshot } from './collector/snapshot.js';
import { workspaceName, type Config } from './config.js';
import { createApp } from './http/app.js';
import { Authenticator } from './http/auth.js';
import { reloadBasicAuthUsers } from './http/basic-auth-reload.js';
import { createFastPath } from './http/fast-path.js';
import { SseHub } from './http/sse.js';
import { createTlsServer } from './http/tls.js';
import type { MetricInput } from './metrics/catalog.js';
import { startOtlpPush, type OtlpPush, type OtlpSettings } from './metrics/otlp.js';
import { PrometheusProjection } from './metrics/prometheus.js';
import { watchBudgets } from './sources/budgets.js';
import type { TracesSettings } from './traces/settings.js';
import { createTraces, type Traces } from './traces/start.js';
import { ViewCache } from './views/cache.js';
import { TimelineCache } from './views/timeline-cache.js';
import { EXPORTER_VERSION } from './version.js';

export interface RunningExporter {
  readonly url: string;
  readonly port: number;
  readonly collector: Collector;
  readonly sse: SseHub;
  /** Stops accepting, ends the streams, flushes OTLP and releases the files. */
  stop(): Promise<void>;
}

/** What goes out over OTLP: the metrics push and the traces, each undefined when off. */
export interface OtelSettings {
  metrics?: OtlpSettings;
  traces?: TracesSettings;
}

const SSE_MAX_BUFFERED_BYTES = 1024 * 1024;
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/** Wires files → collector → snapshot → projections (Prometheus, OTLP, REST, SSE) → HTTP. */
export async function startExporter(config: Config, logger: Logger, otel: OtelSettings = {}): Promise<RunningExporter> {
  const traces: Traces | undefined = otel.traces && createTraces(otel.traces, workspaceName(config), logger);
  const collector = new Collector({
    workspaceRoot: config.workspaceRoot,
    logger,
    maxLineBytes: config.maxLineBytes,
    pollIntervalMs: Math.min(config.cacheTtlMs, 1000),
    watch: config.watch,
    parseWorkers: config.parseWorkers,
    ...(traces ? { taskEvents: { from: traces.from } } : {}),
  });
  const views = new ViewCache({ costPer1kTokens: config.costPer1kTokens, pricing: config.pricing });
  let lastEvent: { id: number; data: string } | undefined;
  let lastEventAt = 0;
  const sse = new SseHub({
    intervalMs: config.streamIntervalMs,
    heartbeatMs: config.sseHeartbeatMs,
    maxClients: config.sseMaxClients,
    maxBufferedBytes: SSE_MAX_BUFFERED_BYTES,
    payload: () => {
      const s = collector.snapshot;
      if (!s) return undefined;
      // One event object per version and quarter second: a thousand clients connecting at once share it.
      const now = Date.now();
      if (lastEvent?.id !== s.version || now - lastEventAt >= 250) {
        lastEvent = { id: s.version, data: views.streamEvent(s, new Date(now)) };
        lastEventAt = now;
      }
      return lastEvent;
    },
  });
  collector.on('snapshot', () => sse.broadcast());
  if (traces) {
    // A span that cannot be built must not stop the collection: logged, and the rest go on.
    const guard = (what: string, f: () => void) => {
      try {
        f();
      } catch (err) {
        logger.error({ err: (err as Error).message }, `traces: ${what} failed`);
      }
    };
    collector.on('taskEvents', (batch) => guard('task events', () => traces.onTaskEvents(batch)));
    // The collector emits a cycle's snapshot before its task events: roots wait for them, so a task's
    // last lines bound its root span even when they close it in the same cycle.
    collector.on('snapshot', (s) => queueMicrotask(() => guard('root spans', () => traces.onSnapshot(s))));
  }

  let budgets = config.budgets?.budgets;
  const stopBudgetsReload = config.budgets ? watchBudgets(config.budgets.file, (b) => (budgets = b), logger) : () => undefined;
  const metricInput = (s: Snapshot): MetricInput => ({
    snapshot: s,
    exporter: { cycleDurations: collector.cycleDurations, sseClients: sse.size, traces: traces?.stats },
    costPer1kTokens: config.costPer1kTokens,
    pricing: config.pricing,
    budgets,
    maxTaskSeries: config.maxTaskSeries,
    identity: { workspace: workspaceName(config), version: EXPORTER_VERSION },
  });
  const prometheus = new PrometheusProjection(() => metricInput(collector.snapshot!), {
    exemplarWorkspace: traces ? workspaceName(config) : undefined,
  });
  const pollMs = Math.min(config.cacheTtlMs, 1000);
  const deps = {
    config,
    logger,
    snapshot: () => collector.snapshot,
    scrapeSnapshot: () => collector.fresh(pollMs),
    views,
    prometheus,
    sse,
    auth: Authenticator.fromConfig(config),
    timelines: new TimelineCache((taskId) => collector.taskEvents(taskId)),
  };
  const app = createApp(deps);
  const fast = createFastPath(deps);

  // connectionsCheckingInterval: how often the two timeouts are enforced (default every 30 s).
  const serverOptions = { maxHeaderSize: 16 * 1024, requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 5_000, connectionsCheckingInterval: 1_000 };
  const handler: http.RequestListener = (req, res) => fast(req, res) || app(req, res);
  const tlsSettings = config.webConfig?.tls;
  const tls = tlsSettings && createTlsServer(tlsSettings, serverOptions, handler, logger);
  const webConfig = config.webConfig;
  const stopUsersReload = webConfig?.basicAuthUsers ? reloadBasicAuthUsers(webConfig, deps.auth, logger) : () => undefined;
  const server: http.Server = tls ? tls.server : http.createServer(serverOptions, handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `${tls ? 'https' : 'http'}://${host}:${port}`;
  const basicAuth = Boolean(config.webConfig?.basicAuthUsers);
  if (!deps.auth.enabled && !LOOPBACK.test(config.host)) {
    logger.warn(
      { host: config.host },
      'listening on a non-loopback address without WVO_OBSERVABILITY_TOKEN or basic_auth_users in WVO_WEB_CONFIG_FILE: metrics and state are readable by anyone who can reach it',
    );
  }
  logger.info({ url, workspace: config.workspaceRoot, auth: Boolean(config.token), basicAuth, tls: Boolean(tls) }, 'wvo-exporter listening');

  const started = collector.start().then(
    (s) => logger.info({ version: s.version }, 'first collection finished'),
    (err) => logger.error({ err: (err as Error).message }, 'first collection failed'),
  );
  // The OTel SDKs load once the cold start's parse is over, not on top of its memory peak (the
  // push has nothing to send before the first snapshot anyway).
  const tracesLoaded = started.then(() => traces?.load());
  const pushStarted: Promise<OtlpPush | undefined> = started.then(() => {
    if (!otel.metrics) return undefined;
    return startOtlpPush(otel.metrics, () => collector.snapshot && metricInput(collector.snapshot), logger).catch((err: Error) => {
      logger.error({ err: err.message }, 'OTLP metric push could not start');
      return undefined;
    });
  });

  let stopping: Promise<void> | undefined;
  return {
    url,
    port,
    collector,
    sse,
    stop: () =>
      (stopping ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        tls?.close();
        stopUsersReload();
        stopBudgetsReload();
        sse.close();
        server.closeIdleConnections();
        await started;
        await collector.stop();
        await Promise.all([
          pushStarted.then((push) => push?.shutdown()).catch((err: Error) => logger.warn({ err: err.message }, 'OTLP flush failed')),
          tracesLoaded.then(() => traces?.shutdown()).catch((err: Error) => logger.warn({ err: err.message }, 'OTLP traces flush failed')),
        ]);
        server.closeAllConnections();
        await closed;
      })()),
  };
}
