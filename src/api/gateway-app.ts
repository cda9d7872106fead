import express, { type Express } from 'express';
import { hookwaitLogger } from '../logging/logger';
import { createCallbackRouter, type CallbackRouterOptions, DEFAULT_BODY_LIMIT_BYTES, problemErrorHandler } from './callback-route';
import { createGatewayMetrics } from './gateway-metrics';
import { sendProblem } from './problem';
import { RETRY_AFTER_SECONDS } from '../service/outcomes';

export interface GatewayAppOptions extends CallbackRouterOptions {
  /** Proxy hops to trust for the client address (rate limits, the ledger); default 0: the socket's address. */
  readonly trustProxyHops?: number;
}

/**
 * A standalone gateway: the callback router, `GET /healthz` (process alive), `GET /readyz` (Temporal
 * reachable), `GET /metrics` (Prometheus), and problem+json for everything else. It holds no state: run as many replicas as needed.
 */
export function createGatewayApp(options: GatewayAppOptions): Express {
  const app = express();
  const logger = hookwaitLogger(options.logger).child({ component: 'gateway' });
  const metrics = options.metrics ?? createGatewayMetrics();
  app.disable('x-powered-by');
  // A hop count, never `true`: a client must not choose its own address by sending X-Forwarded-For.
  app.set('trust proxy', options.trustProxyHops ?? 0);
  app.set('etag', false);

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await options.client.connection.withDeadline(Date.now() + (options.temporalTimeoutMs ?? 5_000), () =>
        options.client.workflowService.getSystemInfo({}),
      );
      res.json({ status: 'ready' });
    } catch (err) {
      metrics.temporalErrors.inc({ operation: 'ready' });
      logger.warn({ error: err }, 'not ready');
      sendProblem(res, 'unavailable', 'Temporal is not reachable', { 'Retry-After': String(RETRY_AFTER_SECONDS) });
    }
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.use(createCallbackRouter({ ...options, metrics }));
  app.use((_req, res) => sendProblem(res, 'not-found', 'no such resource'));

  app.use(problemErrorHandler(logger, options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES));
  return app;
}
