import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { silentLogger } from '../logging/logger';
import { createCallbackRouter, type CallbackRouterOptions } from './callback-route';
import { createGatewayMetrics } from './gateway-metrics';
import { sendProblem } from './problem';
import { RETRY_AFTER_SECONDS } from './temporal-errors';

export interface GatewayAppOptions extends CallbackRouterOptions {
  /** Proxy hops to trust for the client address (rate limits, the ledger); default 0: the socket's address. */
  readonly trustProxyHops?: number;
}

interface HttpError {
  readonly status?: number;
  readonly statusCode?: number;
  readonly type?: string;
  readonly message?: string;
}

/**
 * A standalone gateway: the callback router, `GET /healthz` (process alive), `GET /readyz` (Temporal
 * reachable), `GET /metrics` (Prometheus), and problem+json for everything else. It holds no state: run as many replicas as needed.
 */
export function createGatewayApp(options: GatewayAppOptions): Express {
  const app = express();
  const logger = (options.logger ?? silentLogger).child({ component: 'gateway' });
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
      logger.warn('not ready', { error: err });
      sendProblem(res, 'temporal-unavailable', 'Temporal is not reachable', { headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) } });
    }
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.use(createCallbackRouter({ ...options, metrics }));
  app.use((_req, res) => sendProblem(res, 'not-found', 'no such resource'));

  // Body-reading errors come from the sender (size, encoding, aborted uploads): 4xx, never 500.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const e = (err ?? {}) as HttpError;
    const status = e.status ?? e.statusCode;
    if (res.headersSent) return;
    res.locals.outcome = status === 413 ? 'payload-too-large' : status === 415 ? 'unsupported-media-type' : status !== undefined && status < 500 ? 'bad-body' : 'error';
    if (status === 413) return sendProblem(res, 'payload-too-large', `the body is over the limit of ${options.bodyLimitBytes ?? 256 * 1024} bytes`);
    if (status === 415) return sendProblem(res, 'unsupported-media-type', e.message);
    if (status !== undefined && status >= 400 && status < 500) return sendProblem(res, 'bad-request', e.message);
    logger.error('unexpected error', { error: err });
    return sendProblem(res, 'internal', 'unexpected error');
  });
  return app;
}
