/**
 * The Express adapter of the callback service: reads the request into the service's terms and writes its answer.
 * Every decision is the service's (src/service/callback-service.ts).
 */
import { randomUUID } from 'node:crypto';
import { validateHeaderName, validateHeaderValue } from 'node:http';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { hookwaitLogger, type Logger } from '../logging/logger';
import {
  type CallbackAnswer,
  type CallbackServiceOptions,
  type CallbackTarget,
  createCallbackService,
  DEFAULT_BODY_LIMIT_BYTES,
  answer,
} from '../service/callback-service';
import { OUTCOMES, type Outcome, PROBLEM_CONTENT_TYPE, problemOf } from '../service/outcomes';
import { createGatewayMetrics, type GatewayMetrics } from './gateway-metrics';
import { withRequestTraceContext } from './trace-context';
import type { Trigger } from '../definitions/trigger';
import type { RawBody } from '../service/http-response';
import { mountTriggerRoutes, queryPairs } from './trigger-route';

export { DEFAULT_BODY_LIMIT_BYTES, DEFAULT_RATE_LIMITS, type CallbackAccepted, type RateLimits } from '../service/callback-service';

export interface CallbackRouterOptions extends CallbackServiceOptions {
  /** Largest accepted body, after decompression; default 256 KiB. */
  readonly bodyLimitBytes?: number;
  /** Where callback outcomes, edge latency and Temporal errors are counted; default: a registry of its own. */
  readonly metrics?: GatewayMetrics;
  /**
   * Continue the trace of a callback's W3C `traceparent`/`tracestate` headers in its Temporal calls, so the signal
   * (with the SDK's OpenTelemetry client interceptor on `client`) carries it to the workflow. Only when
   * `@opentelemetry/api` is installed and a propagator is registered; default true. Set false for senders whose
   * traces you would rather not join.
   */
  readonly traceContext?: boolean;
  /**
   * Webhook triggers (`defineTrigger`) served at `/hooks/<path>`: each starts its procedure. Needs `taskQueue` (the
   * workers'). Default: none.
   */
  readonly triggers?: readonly Trigger[];
  /** The task queue triggered runs start on (required with `triggers`). */
  readonly taskQueue?: string;
  /** With `triggers`: `{{callbackUrls.<wait>}}` in a trigger's response is the new run's callback URL. */
  readonly publicBaseUrl?: string;
  /** With `triggers`: set hookwait's search attributes (and `HookwaitTrigger`) at start; default true. */
  readonly searchAttributes?: boolean;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

interface Locals {
  requestId: string;
  target?: CallbackTarget;
  outcome?: Outcome;
}

/**
 * The gateway's id for a request: always a fresh one. A sender's `x-request-id` is never taken as ours (it would let
 * a sender pass its requests off as another's in logs and on the ledger); see {@link clientRequestIdOf}.
 */
export function requestIdOf(_req?: Request): string {
  return randomUUID();
}

/** The `x-request-id` a sender gave, when it is sane (letters, digits, `._:-`, at most 128): logged and kept as `clientRequestId`. */
export function clientRequestIdOf(req: Request): string | undefined {
  const given = req.get('x-request-id');
  return given && REQUEST_ID.test(given) ? given : undefined;
}

/** What both gateway routes read off a request before their service decides: its ids, content type and address. */
export interface ExchangeHead {
  readonly requestId: string;
  readonly clientRequestId?: string;
  readonly contentType?: string;
  readonly ip?: string;
}

/**
 * Starts one HTTP exchange of a gateway route: counts it (outcome and latency) when it finishes, gives it the
 * gateway's own request id (`x-request-id`, and `res.locals.requestId` for the error handler), and returns its head.
 */
export function beginExchange(req: Request, res: Response, metrics: GatewayMetrics): ExchangeHead {
  const started = process.hrtime.bigint();
  res.once('finish', () => {
    const outcome = (res.locals as Partial<Locals>).outcome ?? `status-${res.statusCode}`;
    metrics.callbacks.inc({ outcome });
    metrics.latency.observe({ outcome }, Number(process.hrtime.bigint() - started) / 1e9);
  });
  const requestId = requestIdOf(req);
  const clientRequestId = clientRequestIdOf(req);
  (res.locals as Partial<Locals>).requestId = requestId;
  res.setHeader('x-request-id', requestId);
  const contentType = req.get('content-type');
  return {
    requestId,
    ...(clientRequestId !== undefined ? { clientRequestId } : {}),
    ...(contentType !== undefined ? { contentType } : {}),
    ...(req.ip ? { ip: req.ip } : {}),
  };
}

/**
 * An early refusal whose body is declared (`Content-Length`) at most this long is drained and its keep-alive
 * connection kept: cheaper for both sides than a new connection per request (a sender retrying a bad URL, a flood of
 * forged tokens). Longer, chunked or undeclared bodies are never read: the connection is closed instead.
 */
export const EARLY_REFUSAL_DRAIN_BYTES = 16 * 1024;

/**
 * Writes an answer. When the request's body was not read to its end (an early refusal), a small declared body is
 * drained (see {@link EARLY_REFUSAL_DRAIN_BYTES}); otherwise the connection is closed after the answer: its unread
 * bytes would otherwise be taken for the next request on a keep-alive connection.
 */
export function sendAnswer(
  req: Request,
  res: Response,
  a: {
    readonly outcome: Outcome;
    readonly status: number;
    readonly headers: Readonly<Record<string, string>>;
    readonly body?: unknown;
    readonly raw?: RawBody;
    /** An answer the author or the procedure declared (`run.respond`): never problem+json, its own content type kept. */
    readonly authored?: boolean;
  },
): void {
  (res.locals as Locals).outcome = a.outcome;
  for (const [k, v] of Object.entries(a.headers)) {
    // Last line of defence: a header Node refuses (the service encodes values already) is left out, never a throw.
    try {
      validateHeaderName(k);
      validateHeaderValue(k, v);
    } catch {
      continue;
    }
    res.setHeader(k, v);
  }
  if (!req.complete) {
    const declared = req.headers['transfer-encoding'] === undefined ? Number(req.headers['content-length'] ?? 'x') : Number.NaN;
    if (Number.isInteger(declared) && declared >= 0 && declared <= EARLY_REFUSAL_DRAIN_BYTES && !req.readableEnded) req.resume();
    else res.setHeader('Connection', 'close');
  }
  // A 204, a redirect without a body, or a declared response without one: no body at all.
  if (a.status === 204 || (a.body === undefined && a.raw === undefined)) {
    res.status(a.status).end();
    return;
  }
  if (a.raw) {
    res.status(a.status).type(a.raw.contentType).send(a.raw.text);
    return;
  }
  // problem+json only for the answers the gateway builds itself; a procedure's 4xx keeps its own (or JSON's) type.
  const contentType = a.authored ? (a.headers['content-type'] ?? 'application/json') : a.status >= 400 ? PROBLEM_CONTENT_TYPE : 'application/json';
  res.status(a.status).type(contentType).send(JSON.stringify(a.body));
}

/** The raw bytes of the request, if hookwait (or the host app, keeping them as `rawBody`) read them. */
function rawBodyOf(req: Request): Buffer | 'consumed' {
  if (Buffer.isBuffer(req.body)) return req.body;
  const kept = (req as Request & { rawBody?: unknown }).rawBody;
  if (Buffer.isBuffer(kept)) return kept;
  // body-parser marks a request it has read; the bytes are gone and sender auth could not be checked.
  if ((req as Request & { _body?: boolean })._body === true || req.readableEnded) return 'consumed';
  return Buffer.alloc(0);
}

/**
 * The callback endpoint as an Express router: `POST|PUT /callbacks/:token`. Mount it in an app you already have (at
 * the root, or under a prefix: `app.use('/hooks', router)` serves `/hooks/callbacks/:token`; set
 * `HOOKWAIT_PUBLIC_BASE_URL` to match). It reads the raw body itself: mount it before any global `express.json()`, or
 * keep the raw bytes as `req.rawBody` in that parser's `verify`. Every answer but 2xx is `application/problem+json`.
 *
 * @example
 * ```ts
 * app.use(createCallbackRouter({ client, namespace: 'default', procedures, waits: [idVerified], keyring, logger }));
 * app.use(express.json());   // after: the router reads its own bodies
 * ```
 * @throws {@link ConfigError} at once when a wait's sender-auth secret is missing from `secrets`.
 */
export function createCallbackRouter(options: CallbackRouterOptions): Router {
  const service = createCallbackService(options);
  const logger: Logger = hookwaitLogger(options.logger).child({ component: 'gateway' });
  const bodyLimit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const traceContext = options.traceContext ?? true;
  const rawBody = express.raw({ type: () => true, limit: bodyLimit, inflate: true });
  const metrics = options.metrics ?? createGatewayMetrics({ defaultMetrics: false });
  const router = express.Router();
  const locals = (res: Response): Locals => res.locals as Locals;
  const send = (req: Request, res: Response, a: CallbackAnswer): void => {
    if (a.failedOperation) metrics.temporalErrors.inc({ operation: a.failedOperation });
    const d = a.declared;
    sendAnswer(req, res, d ? { outcome: a.outcome, status: d.status, headers: { ...a.headers, ...d.headers }, ...(d.body !== undefined ? { body: d.body } : {}), ...(d.raw ? { raw: d.raw } : {}) } : a);
  };
  let warnedMisconfigured = false;

  if (options.triggers && options.triggers.length > 0) {
    if (!options.taskQueue) throw new TypeError('createCallbackRouter: `taskQueue` is required with `triggers` (the task queue triggered runs start on)');
    mountTriggerRoutes(router, {
      ...options,
      triggers: options.triggers,
      taskQueue: options.taskQueue,
      bodyLimitBytes: bodyLimit,
      metrics,
      logger,
    });
  }

  // Before the body is read: method, rate per address, token, rate per token, content type.
  router.all('/callbacks/:token', (req: Request, res: Response, next: NextFunction) => {
    const first = service.inspect({ method: req.method, token: String(req.params.token), ...beginExchange(req, res, metrics) });
    if ('answer' in first) return send(req, res, first.answer);
    locals(res).target = first.target;
    next();
  });

  router.all('/callbacks/:token', rawBody, async (req: Request, res: Response) => {
    const target = locals(res).target as CallbackTarget;
    const body = rawBodyOf(req);
    if (body === 'consumed') {
      // Ours to fix, not the sender's: a 5xx, so the sender retries once the app is fixed; loud in the log.
      if (!warnedMisconfigured) {
        warnedMisconfigured = true;
        logger.error({}, 'a body parser read the callback before the hookwait router: mount createCallbackRouter before express.json() (or keep req.rawBody)');
      }
      return send(req, res, answer(target.log, target.head.requestId, 'misconfigured', 'the gateway could not read this callback; retry later'));
    }
    const userAgent = req.get('user-agent');
    const deliver = () =>
      service.deliver(target, { ...target.head, body, header: (name) => req.get(name), query: queryPairs(req.originalUrl), ...(userAgent ? { userAgent } : {}) });
    send(req, res, await (traceContext ? withRequestTraceContext(req.headers, deliver) : deliver()));
  });
  // Errors of the callback route (the body reader's 413/415/400) are answered here, as problem+json, whatever app
  // the router is mounted in.
  router.use('/callbacks/:token', problemErrorHandler(logger, bodyLimit));

  return router;
}

interface HttpError {
  readonly status?: number;
  readonly statusCode?: number;
  readonly message?: string;
}

/**
 * Express error middleware that answers with problem+json. Body-reading errors come from the sender (size,
 * encoding, aborted uploads, corrupt gzip): 4xx, never 500. Anything else is a bug of ours: logged, then 500.
 * The callback router installs it itself, so a host app's own error handler never sees a sender's mistake.
 */
export function problemErrorHandler(logger: Logger, bodyLimitBytes: number): express.ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) return next(err);
    const e = (err ?? {}) as HttpError;
    const status = e.status ?? e.statusCode;
    const requestId = (res.locals as Partial<Locals>).requestId ?? requestIdOf(req);
    const reply = (outcome: Outcome, detail?: string): void => sendAnswer(req, res, { outcome, status: OUTCOMES[outcome].status, headers: {}, body: problemOf(outcome, detail, { requestId }) });
    if (status === 413) return reply('payload-too-large', `the body is over the limit of ${bodyLimitBytes} bytes`);
    if (status === 415) return reply('unsupported-media-type', e.message);
    if (status !== undefined && status >= 400 && status < 500) return reply('bad-body', e.message);
    logger.error({ error: err }, 'unexpected error');
    return reply('internal', 'unexpected error');
  };
}
