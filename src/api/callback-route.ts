import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { extractAttributes } from '../definitions/attributes';
import { type AnyProcedure, findWait } from '../definitions/procedure';
import type { WaitPoint } from '../definitions/wait-point';
import { type Logger, silentLogger } from '../logging/logger';
import { redactToken, type TokenKeyring, type VerifiedCallbackToken, verifyCallbackToken } from '../security/callback-token';
import { buildSenderVerifiers } from '../security/sender-auth-verifier';
import { callbackSignal, type CallbackSignalArgs, type CallbackSource, type HookwaitMemo, MEMO_KEY } from '../workflows/messages';
import { CallbackBodyError, type CallbackBodyType, callbackBodyType, parseCallbackBody } from './callback-body';
import { createGatewayMetrics, type GatewayMetrics } from './gateway-metrics';
import { problemErrorHandler } from './error-handler';
import { type ProblemSlug, sendProblem } from './problem';
import { FixedWindowLimiter } from './rate-limiter';
import { classifyTemporalError, RETRY_AFTER_SECONDS } from './temporal-errors';

/** Requests allowed per window, per client address and per callback token. */
export interface RateLimits {
  readonly perIp: number;
  readonly perToken: number;
  readonly windowMs: number;
}
/** Callback bodies above this many bytes (after decompression) are refused with 413. */
export const DEFAULT_BODY_LIMIT_BYTES = 256 * 1024;
export const DEFAULT_RATE_LIMITS: RateLimits = { perIp: 600, perToken: 60, windowMs: 60_000 };

export interface CallbackRouterOptions {
  /** A Temporal client for the namespace the tokens were minted in. */
  readonly client: Client;
  readonly namespace: string;
  /** The procedures whose callbacks this gateway accepts: their declarations validate payloads at the edge. */
  readonly procedures: readonly AnyProcedure[];
  readonly keyring: TokenKeyring;
  /** Largest accepted body, after decompression; default 256 KiB. */
  readonly bodyLimitBytes?: number;
  /** Deadline for each call to Temporal; default 5 s. */
  readonly temporalTimeoutMs?: number;
  readonly logger?: Logger;
  /** Where callback outcomes, edge latency and Temporal errors are counted; default: a registry of its own. */
  readonly metrics?: GatewayMetrics;
  /** Where sender-auth secrets are read (once, now); default `process.env`. */
  readonly secrets?: Record<string, string | undefined>;
  /** Default {@link DEFAULT_RATE_LIMITS}; `false` turns limiting off. */
  readonly rateLimits?: RateLimits | false;
}

/** What a sender gets back for a callback that reached the run. */
export interface CallbackAccepted {
  readonly status: 'accepted' | 'duplicate';
  readonly wait: string;
  readonly receivedAt: string;
  readonly requestId: string;
}

const ALLOWED = 'POST, PUT';
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

interface CallbackLocals {
  requestId: string;
  log: Logger;
  claims: VerifiedCallbackToken;
  procedure: AnyProcedure;
  wait: WaitPoint;
  bodyType: CallbackBodyType;
  outcome?: string;
}

function requestIdOf(req: Request): string {
  const given = req.get('x-request-id');
  return given && REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * The callback endpoint as an Express router: `POST|PUT /callbacks/:token`. Mount it in an app you already
 * have (before any global body parser: it reads the raw bytes itself), or run {@link createGatewayApp}.
 * Every answer but 2xx is `application/problem+json`. Everything a sender controls is checked before Temporal
 * is called: rate, token, content type, size, sender auth, JSON.
 *
 * @throws {@link ConfigError} at once when a wait's sender-auth secret is missing from `secrets`.
 */
export function createCallbackRouter(options: CallbackRouterOptions): Router {
  const procedures = new Map(options.procedures.map((p) => [p.name, p]));
  const verifiers = buildSenderVerifiers(options.procedures, options.secrets ?? process.env);
  const timeoutMs = options.temporalTimeoutMs ?? 5_000;
  const logger = (options.logger ?? silentLogger).child({ component: 'gateway' });
  const bodyLimit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const rawBody = express.raw({ type: () => true, limit: bodyLimit, inflate: true });
  const metrics = options.metrics ?? createGatewayMetrics({ defaultMetrics: false });
  const limits = options.rateLimits === false ? undefined : (options.rateLimits ?? DEFAULT_RATE_LIMITS);
  const perIp = limits && limits.perIp > 0 ? new FixedWindowLimiter(limits.perIp, limits.windowMs) : undefined;
  const perToken = limits && limits.perToken > 0 ? new FixedWindowLimiter(limits.perToken, limits.windowMs) : undefined;
  const router = express.Router();
  const locals = (res: Response): CallbackLocals => res.locals as CallbackLocals;

  /** Every refusal is logged and counted under its outcome, then answered as a problem. */
  const refuse = (res: Response, outcome: string, slug: ProblemSlug, detail: string, fields: Record<string, unknown> = {}, headers?: Record<string, string>): void => {
    const l = locals(res);
    l.outcome = outcome;
    (l.log ?? logger).info('callback refused', { outcome, ...fields });
    sendProblem(res, slug, detail, headers ? { headers } : {});
  };
  const limited = (res: Response, limiter: FixedWindowLimiter | undefined, key: string, scope: string): boolean => {
    const waitMs = limiter?.hit(key) ?? 0;
    if (waitMs === 0) return false;
    refuse(res, 'rate-limited', 'too-many-requests', `too many requests for this ${scope}; retry later`, { scope }, {
      'Retry-After': String(Math.max(1, Math.ceil(waitMs / 1000))),
    });
    return true;
  };
  const temporalError = (res: Response, operation: string, err: unknown): void => {
    if (classifyTemporalError(err) === 'gone') return refuse(res, 'run-gone', 'gone', 'this procedure has finished');
    metrics.temporalErrors.inc({ operation });
    locals(res).log.warn('temporal unavailable', { operation, error: err });
    refuse(res, 'temporal-unavailable', 'temporal-unavailable', 'the workflow service is unavailable; retry later', {}, {
      'Retry-After': String(RETRY_AFTER_SECONDS),
    });
  };
  const withDeadline = <T>(fn: () => Promise<T>): Promise<T> => options.client.connection.withDeadline(Date.now() + timeoutMs, fn);

  // Before the body is read: method, rate per address, token, rate per token, content type.
  router.all('/callbacks/:token', (req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const outcome = locals(res).outcome ?? `status-${res.statusCode}`;
      metrics.callbacks.inc({ outcome });
      metrics.latency.observe({ outcome }, Number(process.hrtime.bigint() - started) / 1e9);
    });
    const l = locals(res);
    l.requestId = requestIdOf(req);
    l.log = logger.child({ requestId: l.requestId });
    res.setHeader('x-request-id', l.requestId);
    if (req.method !== 'POST' && req.method !== 'PUT') {
      return refuse(res, 'method-not-allowed', 'method-not-allowed', `use ${ALLOWED}`, { method: req.method }, { Allow: ALLOWED });
    }
    if (limited(res, perIp, req.ip ?? 'unknown', 'client')) return;
    const token = String(req.params.token);
    const claims = verifyCallbackToken(options.keyring, token);
    const procedure = claims ? procedures.get(claims.procedure) : undefined;
    const wait = claims && procedure ? findWait(procedure, claims.wait) : undefined;
    // One answer for unknown, malformed and forged tokens, and no call to Temporal for any of them.
    if (!claims || claims.namespace !== options.namespace || !procedure || !wait) {
      if (claims && (!procedure || !wait)) l.log.error('valid token for a procedure or wait this gateway does not know', { procedure: claims.procedure, wait: claims.wait });
      return refuse(res, 'not-found', 'not-found', 'no such callback URL', { token: redactToken(token) });
    }
    if (limited(res, perToken, token, 'callback URL')) return;
    Object.assign(l, { claims, procedure, wait, log: l.log.child({ workflowId: claims.workflowId, runId: claims.runId, wait: claims.wait }) });
    try {
      l.bodyType = callbackBodyType(req.get('content-type'));
    } catch (err) {
      if (err instanceof CallbackBodyError) return refuse(res, 'unsupported-media-type', 'unsupported-media-type', err.message);
      return next(err);
    }
    next();
  });

  router.all('/callbacks/:token', rawBody, async (req: Request, res: Response) => {
    const { claims, procedure, wait, bodyType, requestId, log } = locals(res);
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    // Sender auth over the exact bytes received, before they are parsed and before Temporal hears of them.
    const verify = verifiers.get(`${procedure.name}/${wait.name}`);
    if (verify && !verify(raw, (name) => req.get(name))) return refuse(res, 'unauthorized', 'unauthorized', 'the request could not be authenticated');
    let payload: Record<string, unknown>;
    try {
      payload = parseCallbackBody(raw, bodyType);
    } catch (err) {
      if (!(err instanceof CallbackBodyError)) throw err;
      return err.status === 413 ? refuse(res, 'payload-too-large', 'payload-too-large', err.message) : refuse(res, 'bad-body', 'bad-request', err.message);
    }

    const handle = options.client.workflow.getHandle(claims.workflowId, claims.runId);
    let memo: HookwaitMemo | undefined;
    try {
      const description = await withDeadline(() => handle.describe());
      if (description.status.name !== 'RUNNING') {
        return refuse(res, 'run-closed', 'gone', 'this procedure has finished', { runStatus: description.status.name });
      }
      if (description.type !== claims.procedure) return refuse(res, 'not-found', 'not-found', 'no such callback URL');
      memo = description.memo?.[MEMO_KEY] as HookwaitMemo | undefined;
    } catch (err) {
      return temporalError(res, 'describe', err);
    }
    const revoked = memo?.revoked?.includes(wait.name) ?? false;

    const receivedAt = new Date().toISOString();
    const source: CallbackSource = {
      kind: 'http',
      requestId,
      ...(req.ip ? { ip: req.ip } : {}),
      ...(req.get('user-agent') ? { userAgent: String(req.get('user-agent')).slice(0, 256) } : {}),
    };
    const waitStatus = memo?.waits?.[wait.name];
    if (revoked || waitStatus === 'timed_out' || waitStatus === 'received') {
      // Recorded on the run (the ledger) but never applied: no attributes travel with it. Past the run's quota of
      // recorded repeats, only counted and logged here, so retries cannot grow its history without bound.
      if (memo?.quiet?.includes(wait.name)) {
        log.info('callback repeat not recorded on the run', { recorded: false });
      } else {
        try {
          await withDeadline(() => handle.signal(callbackSignal, { wait: wait.name, receivedAt, source }));
        } catch (err) {
          if (classifyTemporalError(err) === 'unavailable') return temporalError(res, 'signal', err);
        }
      }
      if (revoked) return refuse(res, 'revoked', 'gone', 'this callback URL has been revoked');
      if (waitStatus === 'timed_out') return refuse(res, 'late', 'gone', 'this wait has already timed out');
      locals(res).outcome = 'duplicate';
      log.info('callback duplicate', { outcome: 'duplicate' });
      const body: CallbackAccepted = { status: 'duplicate', wait: wait.name, receivedAt, requestId };
      return res.status(200).json(body);
    }

    const check = extractAttributes(wait.attributes, payload, { source: bodyType });
    if (!check.ok) {
      locals(res).outcome = 'invalid-attributes';
      log.info('callback refused', { outcome: 'invalid-attributes', fields: check.errors.map((e) => e.field) });
      return sendProblem(res, 'invalid-attributes', check.errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors: check.errors });
    }
    const signal: CallbackSignalArgs = { wait: wait.name, attributes: check.inputs, receivedAt, source };
    try {
      await withDeadline(() => handle.signal(callbackSignal, signal));
    } catch (err) {
      return temporalError(res, 'signal', err);
    }
    locals(res).outcome = 'accepted';
    log.info('callback accepted', { outcome: 'accepted' });
    const body: CallbackAccepted = { status: 'accepted', wait: wait.name, receivedAt, requestId };
    return res.status(202).json(body);
  });
  // Errors of the callback route (the body reader's 413/415/400) are answered here, as problem+json, whatever app
  // the router is mounted in.
  router.use('/callbacks/:token', problemErrorHandler(logger, bodyLimit));

  return router;
}
