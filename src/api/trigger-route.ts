/**
 * The Express adapter of the trigger service: `/hooks/<path>` for each webhook trigger. Reads the request into the
 * service's terms and writes its answer; every decision is the service's (src/service/trigger-service.ts).
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Logger } from '../logging/logger';
import { createTriggerService, type TriggerAnswer, type TriggerServiceOptions, type TriggerTarget } from '../service/trigger-service';
import type { GatewayMetrics } from './gateway-metrics';
import { beginExchange, problemErrorHandler, sendAnswer } from './callback-route';

/** Headers a trigger request may carry, by lower-case name (repeated ones joined with `, ` as Node does). */
function headersOf(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** The query string's pairs, read from the raw URL (never logged). */
export function queryPairs(url: string): [string, string][] {
  const i = url.indexOf('?');
  return i < 0 ? [] : [...new URLSearchParams(url.slice(i + 1))];
}

/**
 * Mounts the triggers on `router` under `/hooks/<path>` (any other `/hooks/…` path answers 404 problem+json).
 * Used by `createCallbackRouter` when it is given `triggers`.
 */
export function mountTriggerRoutes(
  router: Router,
  options: TriggerServiceOptions & { readonly bodyLimitBytes: number; readonly metrics: GatewayMetrics; readonly logger: Logger },
): void {
  const service = createTriggerService(options);
  const rawBody = express.raw({ type: () => true, limit: options.bodyLimitBytes, inflate: true });
  type Locals = { requestId: string; target?: TriggerTarget; outcome?: string };
  const locals = (res: Response): Locals => res.locals as Locals;
  const send = (req: Request, res: Response, a: TriggerAnswer): void => {
    if (a.failedOperation) options.metrics.temporalErrors.inc({ operation: a.failedOperation });
    sendAnswer(req, res, a);
  };

  router.use('/hooks', (req: Request, res: Response, next: NextFunction) => {
    // `/hooks/callbacks/<token>` belongs to the callback route when the router is mounted under `/hooks`.
    if (req.path.startsWith('/callbacks/')) return next();
    const first = service.inspect({ method: req.method, path: req.path, ...beginExchange(req, res, options.metrics) });
    if ('answer' in first) return send(req, res, first.answer);
    locals(res).target = first.target;
    rawBody(req, res, (err?: unknown) => {
      if (err) return next(err);
      const target = locals(res).target as TriggerTarget;
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      void service
        .deliver(target, { ...target.head, body, headers: headersOf(req), query: queryPairs(req.originalUrl) })
        .then((a) => send(req, res, a))
        // A throw while writing the answer must reach the error handler, never become an unhandled rejection.
        .catch(next);
    });
  });
  router.use('/hooks', problemErrorHandler(options.logger, options.bodyLimitBytes));
}
