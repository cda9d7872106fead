import express, { type Express } from 'express';
import type { Client } from '@temporalio/client';
import { hookwaitLogger, type Logger } from '../logging/logger';
import { createCallbackRouter, type CallbackRouterOptions, DEFAULT_BODY_LIMIT_BYTES, problemErrorHandler } from './callback-route';
import { createGatewayMetrics, type GatewayMetrics } from './gateway-metrics';
import { sendProblem } from './problem';
import { RETRY_AFTER_SECONDS } from '../service/outcomes';

/** How long one readiness answer (Temporal reachable or not) is reused before Temporal is asked again. */
export const DEFAULT_READINESS_CACHE_MS = 2_000;

export interface GatewayAppOptions extends CallbackRouterOptions {
  /** Proxy hops to trust for the client address (rate limits, the ledger); default 0: the socket's address. */
  readonly trustProxyHops?: number;
  /**
   * How long a `/readyz` answer is reused; default {@link DEFAULT_READINESS_CACHE_MS}. However many requests ask,
   * Temporal gets at most one readiness call per period, and never two at once.
   */
  readonly readinessCacheMs?: number;
}

/** Whether Temporal answers, asked at most once per cache period with at most one call in flight. */
export type ReadinessCheck = () => Promise<boolean>;

/**
 * A cached readiness check: `getSystemInfo` within the call deadline, its answer (either way) reused for `cacheMs`;
 * concurrent askers share the call in flight. A failed call is counted (`operation="ready"`) and logged once.
 */
export function createReadinessCheck(options: {
  readonly client: Client;
  readonly temporalTimeoutMs?: number;
  readonly cacheMs?: number;
  readonly metrics?: GatewayMetrics;
  readonly logger?: Logger;
}): ReadinessCheck {
  const cacheMs = options.cacheMs ?? DEFAULT_READINESS_CACHE_MS;
  const logger = hookwaitLogger(options.logger).child({ component: 'gateway' });
  let last: { readonly ready: boolean; readonly at: number } | undefined;
  let inFlight: Promise<boolean> | undefined;
  const probe = async (): Promise<boolean> => {
    try {
      await options.client.connection.withDeadline(Date.now() + (options.temporalTimeoutMs ?? 5_000), () => options.client.workflowService.getSystemInfo({}));
      return true;
    } catch (err) {
      options.metrics?.temporalErrors.inc({ operation: 'ready' });
      logger.warn({ error: err }, 'not ready');
      return false;
    }
  };
  return () => {
    if (last && Date.now() - last.at < cacheMs) return Promise.resolve(last.ready);
    inFlight ??= probe().then((ready) => {
      last = { ready, at: Date.now() };
      inFlight = undefined;
      return ready;
    });
    return inFlight;
  };
}

/** `GET /healthz` (process alive) and `GET /readyz` (Temporal reachable, cached) on an app. */
function healthRoutes(app: Express, ready: ReadinessCheck): void {
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    if (await ready()) res.json({ status: 'ready' });
    else sendProblem(res, 'unavailable', 'Temporal is not reachable', { 'Retry-After': String(RETRY_AFTER_SECONDS) });
  });
}

/**
 * The admin app: `GET /metrics` (Prometheus), `GET /healthz`, `GET /readyz`, and problem+json 404 for everything
 * else. Serve it on a listener only operators reach (the standalone gateway: `HOOKWAIT_ADMIN_HOST`, loopback by default).
 */
export function createAdminApp(options: { readonly metrics: GatewayMetrics; readonly ready: ReadinessCheck }): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  healthRoutes(app, options.ready);
  app.get('/metrics', async (_req, res) => {
    res.type(options.metrics.registry.contentType).send(await options.metrics.registry.metrics());
  });
  app.use((_req, res) => sendProblem(res, 'not-found', 'no such resource'));
  return app;
}

/** The public gateway app and its admin app, sharing their metrics and readiness check. */
export interface GatewayApps {
  /** What senders reach: the callback router, `/healthz`, `/readyz`. */
  readonly app: Express;
  /** What operators reach: `/metrics`, `/healthz`, `/readyz` (see {@link createAdminApp}). */
  readonly admin: Express;
  readonly metrics: GatewayMetrics;
  readonly ready: ReadinessCheck;
}

/**
 * A standalone gateway's two apps. The public one: the callback router, `GET /healthz` (process alive), `GET /readyz`
 * (Temporal reachable, cached), and problem+json 404 for everything else, `/metrics` included. The admin one:
 * `/metrics` too. They hold no state: run as many replicas as needed.
 */
export function createGatewayApps(options: GatewayAppOptions): GatewayApps {
  const app = express();
  const logger = hookwaitLogger(options.logger).child({ component: 'gateway' });
  const metrics = options.metrics ?? createGatewayMetrics();
  const ready = createReadinessCheck({
    client: options.client,
    metrics,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.temporalTimeoutMs !== undefined ? { temporalTimeoutMs: options.temporalTimeoutMs } : {}),
    ...(options.readinessCacheMs !== undefined ? { cacheMs: options.readinessCacheMs } : {}),
  });
  app.disable('x-powered-by');
  // A hop count, never `true`: a client must not choose its own address by sending X-Forwarded-For.
  app.set('trust proxy', options.trustProxyHops ?? 0);
  app.set('etag', false);

  healthRoutes(app, ready);
  app.use(createCallbackRouter({ ...options, metrics }));
  app.use((_req, res) => sendProblem(res, 'not-found', 'no such resource'));

  app.use(problemErrorHandler(logger, options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES));
  return { app, admin: createAdminApp({ metrics, ready }), metrics, ready };
}

/**
 * The public gateway app alone (see {@link createGatewayApps}): `/metrics` is not on it. To serve the metrics, use
 * `createGatewayApps` and put its `admin` app on a listener of its own, or pass `metrics` and serve their registry.
 */
export function createGatewayApp(options: GatewayAppOptions): Express {
  return createGatewayApps(options).app;
}
