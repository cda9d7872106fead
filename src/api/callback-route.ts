import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { extractAttributes } from '../definitions/attributes';
import { type AnyProcedure, findWait } from '../definitions/procedure';
import { type Logger, silentLogger } from '../logging/logger';
import { redactToken, type TokenKeyring, verifyCallbackToken } from '../security/callback-token';
import { callbackSignal, type CallbackSignalArgs, type CallbackSource, type HookwaitMemo, MEMO_KEY } from '../workflows/messages';
import { CallbackBodyError, callbackBodyType, parseCallbackBody } from './callback-body';
import { createGatewayMetrics, type GatewayMetrics } from './gateway-metrics';
import { type ProblemSlug, sendProblem } from './problem';
import { classifyTemporalError, RETRY_AFTER_SECONDS } from './temporal-errors';

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

function requestIdOf(req: Request): string {
  const given = req.get('x-request-id');
  return given && REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * The callback endpoint as an Express router: `POST|PUT /callbacks/:token`. Mount it in an app you
 * already have, or run {@link createGatewayApp}. Every answer but 2xx is `application/problem+json`.
 */
export function createCallbackRouter(options: CallbackRouterOptions): Router {
  const procedures = new Map(options.procedures.map((p) => [p.name, p]));
  const timeoutMs = options.temporalTimeoutMs ?? 5_000;
  const logger = (options.logger ?? silentLogger).child({ component: 'gateway' });
  const rawBody = express.raw({ type: () => true, limit: options.bodyLimitBytes ?? 256 * 1024, inflate: true });
  const metrics = options.metrics ?? createGatewayMetrics({ defaultMetrics: false });
  const router = express.Router();

  /** Every refusal is logged and counted under its outcome, then answered as a problem. */
  const refuse = (res: Response, log: Logger, outcome: string, slug: ProblemSlug, detail: string, fields: Record<string, unknown> = {}, headers?: Record<string, string>): void => {
    res.locals.outcome = outcome;
    log.info('callback refused', { outcome, ...fields });
    sendProblem(res, slug, detail, headers ? { headers } : {});
  };
  const temporalError = (res: Response, log: Logger, operation: string, err: unknown): void => {
    if (classifyTemporalError(err) === 'gone') return refuse(res, log, 'run-gone', 'gone', 'this procedure has finished');
    metrics.temporalErrors.inc({ operation });
    log.warn('temporal unavailable', { operation, error: err });
    refuse(res, log, 'temporal-unavailable', 'temporal-unavailable', 'the workflow service is unavailable; retry later', {}, {
      'Retry-After': String(RETRY_AFTER_SECONDS),
    });
  };

  const withDeadline = <T>(fn: () => Promise<T>): Promise<T> => options.client.connection.withDeadline(Date.now() + timeoutMs, fn);

  router.all('/callbacks/:token', (req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const outcome = (res.locals.outcome as string | undefined) ?? `status-${res.statusCode}`;
      metrics.callbacks.inc({ outcome });
      metrics.latency.observe({ outcome }, Number(process.hrtime.bigint() - started) / 1e9);
    });
    const requestId = requestIdOf(req);
    res.setHeader('x-request-id', requestId);
    res.locals.requestId = requestId;
    const log = logger.child({ requestId });
    if (req.method !== 'POST' && req.method !== 'PUT') {
      return refuse(res, log, 'method-not-allowed', 'method-not-allowed', `use ${ALLOWED}`, { method: req.method }, { Allow: ALLOWED });
    }
    const token = String(req.params.token);
    const claims = verifyCallbackToken(options.keyring, token);
    // One answer for unknown, malformed and forged tokens, and no call to Temporal for any of them.
    if (!claims || claims.namespace !== options.namespace) {
      return refuse(res, log, 'not-found', 'not-found', 'no such callback URL', { token: redactToken(token) });
    }
    res.locals.claims = claims;
    try {
      res.locals.bodyType = callbackBodyType(req.get('content-type'));
    } catch (err) {
      if (err instanceof CallbackBodyError) return refuse(res, log, 'unsupported-media-type', 'unsupported-media-type', err.message);
      return next(err);
    }
    next();
  });

  router.all('/callbacks/:token', rawBody, async (req: Request, res: Response) => {
    const requestId = res.locals.requestId as string;
    const claims = res.locals.claims as NonNullable<ReturnType<typeof verifyCallbackToken>>;
    const log = logger.child({ requestId, workflowId: claims.workflowId, wait: claims.wait, runId: claims.runId });
    let payload: Record<string, unknown>;
    try {
      payload = parseCallbackBody(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), res.locals.bodyType);
    } catch (err) {
      if (!(err instanceof CallbackBodyError)) throw err;
      return err.status === 413
        ? refuse(res, log, 'payload-too-large', 'payload-too-large', err.message)
        : refuse(res, log, 'bad-body', 'bad-request', err.message);
    }

    const handle = options.client.workflow.getHandle(claims.workflowId, claims.runId);
    let memo: HookwaitMemo | undefined;
    let procedure: AnyProcedure | undefined;
    try {
      const description = await withDeadline(() => handle.describe());
      if (description.status.name !== 'RUNNING') {
        return refuse(res, log, 'run-closed', 'gone', 'this procedure has finished', { runStatus: description.status.name });
      }
      memo = description.memo?.[MEMO_KEY] as HookwaitMemo | undefined;
      procedure = procedures.get(description.type);
    } catch (err) {
      return temporalError(res, log, 'describe', err);
    }
    const wait = procedure ? findWait(procedure, claims.wait) : undefined;
    if (!procedure || !wait) {
      log.error('callback for a procedure or wait this gateway does not know', { procedure: procedure?.name });
      return refuse(res, log, 'unknown-procedure', 'not-found', 'no such callback URL');
    }

    const receivedAt = new Date().toISOString();
    const source: CallbackSource = {
      kind: 'http',
      requestId,
      ...(req.ip ? { ip: req.ip } : {}),
      ...(req.get('user-agent') ? { userAgent: String(req.get('user-agent')).slice(0, 256) } : {}),
    };
    const waitStatus = memo?.waits?.[claims.wait];
    if (waitStatus === 'timed_out' || waitStatus === 'received') {
      // Recorded on the run (the ledger) but never applied: no attributes travel with it.
      const signal: CallbackSignalArgs = { wait: claims.wait, receivedAt, source };
      try {
        await withDeadline(() => handle.signal(callbackSignal, signal));
      } catch (err) {
        if (classifyTemporalError(err) === 'unavailable') return temporalError(res, log, 'signal', err);
      }
      if (waitStatus === 'timed_out') return refuse(res, log, 'late', 'gone', 'this wait has already timed out');
      res.locals.outcome = 'duplicate';
      log.info('callback duplicate', { outcome: 'duplicate' });
      const body: CallbackAccepted = { status: 'duplicate', wait: claims.wait, receivedAt, requestId };
      return res.status(200).json(body);
    }

    const check = extractAttributes(wait.attributes, payload, { source: res.locals.bodyType });
    if (!check.ok) {
      res.locals.outcome = 'invalid-attributes';
      log.info('callback refused', { outcome: 'invalid-attributes', fields: check.errors.map((e) => e.field) });
      return sendProblem(res, 'invalid-attributes', check.errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors: check.errors });
    }
    const signal: CallbackSignalArgs = {
      wait: claims.wait,
      attributes: check.attributes as CallbackSignalArgs['attributes'],
      receivedAt,
      source,
    };
    try {
      await withDeadline(() => handle.signal(callbackSignal, signal));
    } catch (err) {
      return temporalError(res, log, 'signal', err);
    }
    res.locals.outcome = 'accepted';
    log.info('callback accepted', { outcome: 'accepted' });
    const body: CallbackAccepted = { status: 'accepted', wait: claims.wait, receivedAt, requestId };
    return res.status(202).json(body);
  });

  return router;
}
