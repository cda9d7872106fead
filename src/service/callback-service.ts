/**
 * The callback service: everything the gateway decides about one callback request, with no HTTP framework.
 * token → rate → content type → (body read by the adapter) → sender auth → body → run state → attributes → signal.
 * The Express router (src/api/callback-route.ts) is a thin adapter over it; `simulate` and tests call it directly.
 */
import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { AnyProcedure } from '../definitions/procedure';
import type { WaitPoint } from '../definitions/wait-point';
import { type CallbackDelivery, type CallbackSignalArgs, type CallbackSource, type HookwaitMemo, isRevokedBy, MEMO_KEY, waitId } from '../core/run-state';
import { BINDING_MISMATCH, bindingDigest } from '../core/run-binding';
import { hookwaitLogger, type Logger, silentLogger } from '../logging/logger';
import { redactToken, type TokenKeyring, type VerifiedCallbackToken, verifyCallbackToken } from '../security/callback-token';
import { buildSenderVerifiers } from '../security/sender-auth-verifier';
import { CALLBACK_REFUSED_FAILURE, callbackSignal, deliverUpdate } from '../workflows/messages';
import { CallbackBodyError, type CallbackBodyType, callbackBodyType, parseCallbackBody } from '../api/callback-body';
import { clientAddressKey, FixedWindowLimiter } from '../api/rate-limiter';
import { OUTCOMES, type Outcome, type Problem, problemOf, RETRY_AFTER_SECONDS } from './outcomes';
import { type WaitCatalog, waitCatalog } from './wait-catalog';
import { createRunStatusCache, DEFAULT_RUN_STATUS_CACHE_SIZE, type RunStatusCache } from './run-status-cache';
import type { FieldError } from '../definitions/attributes';
import { ANY_CALLBACK_METHOD, type DeclaredSuccess, declaredSuccess, isBodyless, queryRecord, requestAttributes, waitMethods } from './callback-http';

/** Requests allowed per window, per client address and per callback token. */
export interface RateLimits {
  readonly perIp: number;
  readonly perToken: number;
  readonly windowMs: number;
}
/** Callback bodies above this many bytes (after decompression) are refused with 413. */
export const DEFAULT_BODY_LIMIT_BYTES = 256 * 1024;
export const DEFAULT_RATE_LIMITS: RateLimits = { perIp: 600, perToken: 60, windowMs: 60_000 };
/** The methods a callback may use. */
export const CALLBACK_METHODS = ['POST', 'PUT'] as const;

export interface CallbackServiceOptions {
  /** A Temporal client for the namespace the tokens were minted in. */
  readonly client: Client;
  readonly namespace: string;
  /** Procedures whose callbacks this gateway accepts: their declarations validate payloads at the edge. */
  readonly procedures?: readonly AnyProcedure[];
  /** Waits declared with `defineWait` and used with `createCallback` in plain workflows. */
  readonly waits?: readonly WaitPoint[];
  readonly keyring: TokenKeyring;
  /** Deadline for each call to Temporal; default 5 s. */
  readonly temporalTimeoutMs?: number;
  /** Where the gateway logs: hookwait's own logger, a pino logger, or anything with pino's `(fields, msg)` methods. */
  readonly logger?: Logger;
  /** Where sender-auth secrets are read (once, now); default `process.env`. */
  readonly secrets?: Record<string, string | undefined>;
  /** Default {@link DEFAULT_RATE_LIMITS}; `false` turns limiting off. */
  readonly rateLimits?: RateLimits | false;
  /**
   * How the gateway learns whether a callback still applies (see {@link StatusCheck}); default `'update'`.
   */
  readonly statusCheck?: StatusCheck;
  /** With `statusCheck: 'update'`: how long a worker has to answer a callback before the gateway signals instead; default {@link DEFAULT_UPDATE_TIMEOUT_MS}. */
  readonly updateTimeoutMs?: number;
  /** What this gateway remembers of closed runs and quiet waits; default a cache of {@link DEFAULT_RUN_STATUS_CACHE_SIZE} entries. */
  readonly runStatusCache?: RunStatusCache;
}

/**
 * How the gateway learns a run's and a wait's status before answering a callback:
 * - `'update'` (the default): the callback goes to the run as an update (`hookwait.deliver`), one call, and the run
 *   answers what it did, so every answer is exact (202, 200 for a repeat, 410 for a timed-out or revoked wait, 422 for
 *   another run's bound value). When no worker answers within `updateTimeoutMs`, or the worker does not know the update
 *   yet (an older hookwait), the gateway sends the durable signal instead and answers 202, as `'signal-first'` does
 *   (the run applies one request once, whichever of the two reaches it first). A closed run refuses the update; one
 *   `describe` then tells the 200 (same callback again) from the 410.
 * - `'describe'`: one `describe` of the run, then the signal (two calls to Temporal per accepted callback); every
 *   answer is exact: 410 for a timed-out or revoked wait, 200 for a repeat, 422 for another run's bound value.
 * - `'signal-first'`: the signal alone (one call per accepted callback). A closed run refuses it, and one `describe`
 *   then tells the 200 (same callback again) from the 410. A callback for a wait of an open run that has already
 *   timed out, was revoked, or was already completed is answered 202 and recorded on the run's ledger as `late`,
 *   `revoked` or `duplicate` (the run never applies it); a repeat sent to the same gateway replica is answered
 *   exactly (it describes the run first).
 */
export type StatusCheck = 'update' | 'describe' | 'signal-first';
/** The values of {@link StatusCheck}. */
export const STATUS_CHECKS = ['update', 'describe', 'signal-first'] as const satisfies readonly StatusCheck[];

/** What a sender gets back for a callback that reached the run. */
export interface CallbackAccepted {
  readonly status: 'accepted' | 'duplicate';
  /** The wait's name, with `:key` for a keyed wait. */
  readonly wait: string;
  readonly receivedAt: string;
  readonly requestId: string;
}

/** The answer to one request: its outcome (see {@link OUTCOMES}), status, headers and JSON body. */
export interface CallbackAnswer {
  readonly outcome: Outcome;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: CallbackAccepted | Problem;
  /** The Temporal call that failed, for an `unavailable` answer. */
  readonly failedOperation?: string;
  /** The wait's own success answer (its `response` or `redirect`), sent instead of `body` and `status`. */
  readonly declared?: DeclaredSuccess;
}

/** What is known before the body is read. */
export interface CallbackHead {
  readonly method: string;
  readonly token: string;
  readonly contentType?: string;
  readonly ip?: string;
  /** The gateway's id for this request (the answer's `x-request-id`). */
  readonly requestId: string;
  /** The sender's own `x-request-id`, already checked to be sane: logged and kept on the ledger, never trusted as ours. */
  readonly clientRequestId?: string;
}

/** A whole request: the head, the raw body (already decompressed) and its headers. */
export interface CallbackRequest extends CallbackHead {
  readonly body: Buffer;
  header(name: string): string | undefined;
  readonly userAgent?: string;
  /** The query string's pairs (a GET callback's attributes, `from: 'query'` ones). */
  readonly query?: readonly (readonly [string, string])[];
}

/** A request that passed the checks before its body: the verified token and its wait. */
export interface CallbackTarget {
  readonly head: CallbackHead;
  readonly claims: VerifiedCallbackToken;
  readonly wait: WaitPoint;
  readonly scope: string;
  readonly bodyType: CallbackBodyType;
  readonly log: Logger;
}

export interface CallbackService {
  /** Checks before the body is read (method, rate, token, content type): an answer, or the request's target. */
  inspect(head: CallbackHead): { readonly answer: CallbackAnswer } | { readonly target: CallbackTarget };
  /** Decides the rest and, when the callback applies, signals the run. Never throws for anything a sender sends. */
  deliver(target: CallbackTarget, request: CallbackRequest): Promise<CallbackAnswer>;
  /**
   * One whole request, its body already read: `inspect`, then `deliver`. What a test, a simulation or another HTTP
   * framework calls.
   *
   * @example
   * ```ts
   * const answer = await service.deliverCallback({ method: 'POST', token, requestId: 'r1', contentType: 'application/json',
   *   body: Buffer.from('{"status":"verified"}'), header: () => undefined });
   * // answer.status === 202, answer.outcome === 'accepted'
   * ```
   */
  deliverCallback(request: CallbackRequest): Promise<CallbackAnswer>;
  readonly catalog: WaitCatalog;
}

/**
 * Creates the callback service.
 * @throws {@link ConfigError} at once when a wait's sender-auth secret is missing from `secrets`.
 */
export function createCallbackService(options: CallbackServiceOptions): CallbackService {
  const catalog = waitCatalog(options.procedures ?? [], options.waits ?? []);
  const verifiers = buildSenderVerifiers(catalog.entries(), options.secrets ?? process.env);
  const timeoutMs = options.temporalTimeoutMs ?? 5_000;
  const logger = hookwaitLogger(options.logger).child({ component: 'gateway' });
  const limits = options.rateLimits === false ? undefined : (options.rateLimits ?? DEFAULT_RATE_LIMITS);
  // Addresses: IPv6 by /64, at most 1,000 new ones a second get a window of their own (the rest share one), so a
  // flood of rotated addresses never resets the windows of clients already counted.
  const perIp = limits && limits.perIp > 0 ? new FixedWindowLimiter(limits.perIp, limits.windowMs) : undefined;
  // Tokens are checked before they are counted (nobody can make new ones), so new ones are not rate-capped; past the
  // key cap they share one window as generous as one client's.
  const perToken =
    limits && limits.perToken > 0
      ? new FixedWindowLimiter(limits.perToken, limits.windowMs, { newKeysPerSecond: Number.POSITIVE_INFINITY, overflowLimit: Math.max(limits.perToken, limits.perIp) })
      : undefined;
  const withDeadline = <T>(fn: () => Promise<T>): Promise<T> => options.client.connection.withDeadline(Date.now() + timeoutMs, fn);
  const updateFailures = refusalSampler(60_000);
  const statusCheck: StatusCheck = options.statusCheck ?? 'update';
  const updateTimeoutMs = options.updateTimeoutMs ?? DEFAULT_UPDATE_TIMEOUT_MS;
  const statusCache = options.runStatusCache ?? createRunStatusCache();
  // Waits this replica answered 202 for lately (bounded): their repeats take the exact path (describe first).
  const recentlyAccepted = new Set<string>();
  const rememberAccepted = (key: string): void => {
    if (statusCheck !== 'signal-first') return;
    recentlyAccepted.delete(key);
    recentlyAccepted.add(key);
    if (recentlyAccepted.size > DEFAULT_RUN_STATUS_CACHE_SIZE) {
      const oldest = recentlyAccepted.values().next();
      if (!oldest.done) recentlyAccepted.delete(oldest.value);
    }
  };

  // Early refusals (405, 404, 429) cost a flood nothing to send: at most one log line per outcome per second, with the
  // count of those not logged since. Metrics still count every one.
  const sampler = refusalSampler(1_000);
  const refuse = (log: Logger, requestId: string, outcome: 'method-not-allowed' | 'not-found' | 'rate-limited', detail: string, fields: Record<string, unknown>, headers: Record<string, string> = {}): CallbackAnswer => {
    const sample = sampler(outcome);
    return answer(sample ? log : silentLogger, requestId, outcome, detail, sample?.suppressed ? { ...fields, suppressed: sample.suppressed } : fields, headers);
  };

  const limited = (limiter: FixedWindowLimiter | undefined, key: string, scope: string, log: Logger, requestId: string): CallbackAnswer | undefined => {
    const waitMs = limiter?.hit(key) ?? 0;
    if (waitMs === 0) return undefined;
    return refuse(log, requestId, 'rate-limited', `too many requests for this ${scope}; retry later`, { scope }, { 'Retry-After': String(Math.max(1, Math.ceil(waitMs / 1000))) });
  };

  const inspect: CallbackService['inspect'] = (head) => {
    const log = logger.child({ requestId: head.requestId, ...(head.clientRequestId !== undefined ? { clientRequestId: head.clientRequestId } : {}) });
    const method = head.method.toUpperCase();
    if (!ANY_CALLBACK_METHOD.includes(method)) {
      return { answer: refuse(log, head.requestId, 'method-not-allowed', `use ${CALLBACK_METHODS.join(', ')}`, { method: head.method.slice(0, 16) }, { Allow: CALLBACK_METHODS.join(', ') }) };
    }
    const byIp = limited(perIp, head.ip ? clientAddressKey(head.ip) : 'unknown', 'client', log, head.requestId);
    if (byIp) return { answer: byIp };
    const claims = verifyCallbackToken(options.keyring, head.token);
    const entry = claims ? catalog.find(claims.procedure, claims.wait) : undefined;
    // One answer for unknown, malformed and forged tokens, and no call to Temporal for any of them.
    if (!claims || claims.namespace !== options.namespace || !entry) {
      if (claims && !entry) log.error({ procedure: claims.procedure, wait: claims.wait }, 'valid token for a procedure or wait this gateway does not know');
      return { answer: refuse(log, head.requestId, 'not-found', 'no such callback URL', { token: redactToken(head.token) }) };
    }
    const byToken = limited(perToken, head.token, 'callback URL', log, head.requestId);
    if (byToken) return { answer: byToken };
    const targetLog = log.child({ workflowId: claims.workflowId, runId: claims.runId, wait: waitId(claims.wait, claims.key) });
    const methods = waitMethods(entry.point);
    if (!methods.includes(method)) {
      return { answer: refuse(targetLog, head.requestId, 'method-not-allowed', `use ${methods.join(', ')}`, { method }, { Allow: methods.join(', ') }) };
    }
    let bodyType: CallbackBodyType;
    try {
      // A GET carries no body: its attributes come from the query string (and headers).
      bodyType = isBodyless(method) ? 'form' : callbackBodyType(head.contentType);
    } catch (err) {
      if (err instanceof CallbackBodyError) return { answer: answer(targetLog, head.requestId, 'unsupported-media-type', err.message) };
      throw err;
    }
    return { target: { head, claims, wait: entry.point, scope: entry.scope, bodyType, log: targetLog } };
  };

  const deliver: CallbackService['deliver'] = async (target, request) => {
    const { claims, wait, log } = target;
    const requestId = target.head.requestId;
    const id = waitId(wait.name, claims.key);
    // Sender auth over the exact bytes received, before they are parsed and before Temporal hears of them.
    // The target names what this request would complete: a signed message seen for another target is a replay.
    const verify = verifiers.get(target.scope);
    const verdict = verify?.(request.body, (name) => request.header(name), [claims.procedure, claims.workflowId, claims.runId, id].join('\n'));
    if (verdict && !verdict.ok) return answer(log, requestId, 'unauthorized', 'the request could not be authenticated', { reason: verdict.reason });
    const query = queryRecord(request.query);
    if (query === undefined) return answer(log, requestId, 'bad-body', 'a query parameter appears more than once');
    let payload: Record<string, unknown> = {};
    try {
      if (!isBodyless(target.head.method)) payload = parseCallbackBody(request.body, target.bodyType);
    } catch (err) {
      if (!(err instanceof CallbackBodyError)) throw err;
      return answer(log, requestId, err.status === 413 ? 'payload-too-large' : 'bad-body', err.message);
    }

    const handle = options.client.workflow.getHandle(claims.workflowId, claims.runId);
    const bodyless = isBodyless(target.head.method);
    // What the attributes read beside the body (a GET's query is its body here): part of what makes it the same callback.
    const beside = wait.attributes
      .filter((a) => a.from === 'header' || (a.from === 'query' && !bodyless))
      .map((a): [string, string | undefined] => {
        const name = String(a.path[0]);
        return [`${a.from}:${name}`, a.from === 'header' ? request.header(name) : Object.prototype.hasOwnProperty.call(query, name) ? query[name] : undefined];
      });
    const digest = callbackDigest(bodyless ? { ...request, body: Buffer.from(new URLSearchParams(Object.entries(query)).toString()) } : request, beside);
    // A repeat gets the wait's declared answer too (a browser reloading the redirect), filled from its own request.
    const shaped = (a: CallbackAnswer): CallbackAnswer => {
      if (wait.redirect === undefined && wait.response === undefined) return a;
      const again = requestAttributes(wait, payload, target.bodyType, query, (name) => request.header(name));
      return withDeclared(wait, a, again.ok ? again.attributes : undefined);
    };
    const source: CallbackSource = {
      kind: 'http',
      requestId,
      ...(target.head.clientRequestId !== undefined ? { clientRequestId: target.head.clientRequestId } : {}),
      ...(target.head.ip ? { ip: target.head.ip } : {}),
      ...(request.userAgent ? { userAgent: request.userAgent.slice(0, 256) } : {}),
    };
    const keyed = claims.key !== undefined ? { key: claims.key } : {};

    // What this gateway already knows for good (a closed run, a wait past its quota of recorded repeats): no call.
    const fact = statusCache.wait(claims.workflowId, claims.runId, id);
    if (fact?.kind === 'closed') {
      if (fact.digest === digest) return shaped(accepted(log, 'duplicate', id, requestId, { runStatus: fact.runStatus, cached: true }));
      return answer(log, requestId, 'gone', 'this procedure has finished', { runStatus: fact.runStatus, cached: true });
    }
    if (fact?.kind === 'quiet') {
      log.info({ recorded: false, cached: true }, 'callback repeat not recorded on the run');
      return repeatAnswer(log, requestId, fact.answer, id, undefined, shaped);
    }

    const check = requestAttributes(wait, payload, target.bodyType, query, (name) => request.header(name));
    const bindingError = (bound: Readonly<Record<string, string>> | undefined): FieldError | undefined => {
      if (!check.ok || !wait.bind || !bound || !Object.prototype.hasOwnProperty.call(bound, wait.name)) return undefined;
      const value = check.attributes[wait.bind.attribute];
      return value === undefined || bindingDigest(claims.runId, wait.name, value) !== bound[wait.name] ? { field: wait.bind.attribute, message: BINDING_MISMATCH } : undefined;
    };

    // One call to Temporal for a callback that applies: the update (the run answers, exactly), or with `signal-first`
    // the signal alone (the run checks everything again and records on its ledger what did not apply).
    const oneCall = statusCheck === 'update' || (statusCheck === 'signal-first' && !recentlyAccepted.has(`${claims.runId}\n${id}`));
    if (oneCall && check.ok) {
      const known = bindingError(statusCache.bound(claims.workflowId, claims.runId));
      if (known) return refuseFields(log, requestId, [known]);
      const receivedAt = new Date().toISOString();
      const args: CallbackSignalArgs = { wait: wait.name, ...keyed, attributes: check.inputs, receivedAt, source, digest };
      // One budget for both calls (HOOKWAIT_TEMPORAL_TIMEOUT_MS): the update gets the first part of it, the fallback
      // signal the rest, so a Temporal that is down is answered 503 as soon as with one call.
      const budgetEnd = Date.now() + timeoutMs;
      let fields: Record<string, unknown> = {};
      if (statusCheck === 'update') {
        const delivered = await deliverByUpdate(handle, args, requestId, Math.min(Date.now() + updateTimeoutMs, budgetEnd));
        if (delivered.kind === 'closed') return closedAnswer(target, digest, shaped);
        if (delivered.kind === 'unavailable') return temporalError(log, requestId, 'update', delivered.error);
        if (delivered.kind === 'answered' || delivered.kind === 'refused') return runAnswer(target, delivered, receivedAt, check.attributes, shaped);
        // No worker answered in time (or it does not know the update yet): the signal, durable with no worker up.
        if (delivered.why === 'no-worker-in-time') log.warn({ updateTimeoutMs: Math.min(updateTimeoutMs, timeoutMs) }, 'no worker answered the callback update in time: sending it as a signal');
        else if (updateFailures('update-failed')) log.warn({ error: delivered.error }, 'the callback update failed: sending callbacks as signals (answers may be approximate); at most one line a minute');
        fields = { update: false, why: delivered.why };
      }
      try {
        await options.client.connection.withDeadline(Math.max(budgetEnd, Date.now() + Math.min(timeoutMs, 1_000)), () => handle.signal(callbackSignal, args));
      } catch (err) {
        if (classifyTemporalError(err) !== 'gone') return temporalError(log, requestId, 'signal', err);
        // The rare path: the run has closed (or never existed). One describe tells a lost-202 retry (200) from 410.
        return closedAnswer(target, digest, shaped);
      }
      rememberAccepted(`${claims.runId}\n${id}`);
      return withDeclared(wait, accepted(log, 'accepted', id, requestId, fields, receivedAt), check.attributes);
    }

    let memo: HookwaitMemo | undefined;
    try {
      const description = await withDeadline(() => handle.describe());
      if (description.type !== claims.procedure) return answer(log, requestId, 'not-found', 'no such callback URL');
      memo = description.memo?.[MEMO_KEY] as HookwaitMemo | undefined;
      statusCache.rememberDescription(claims.workflowId, claims.runId, id, description.status.name, memo, repeatOutcome(memo, id, wait.name));
      if (description.status.name !== 'RUNNING') {
        // The same callback again after the run finished (its 202 was lost): still the duplicate answer.
        if (memo?.waits?.[id] === 'received' && memo.digests?.[id] === digest) return shaped(accepted(log, 'duplicate', id, requestId, { runStatus: description.status.name }));
        return answer(log, requestId, 'gone', 'this procedure has finished', { runStatus: description.status.name });
      }
    } catch (err) {
      return temporalError(log, requestId, 'describe', err);
    }
    const receivedAt = new Date().toISOString();
    const repeat = repeatOutcome(memo, id, wait.name);
    if (repeat) {
      // Recorded on the run (the ledger) but never applied: no attributes travel with it. Past the run's quota of
      // recorded repeats, only counted and logged here, so retries cannot grow its history without bound.
      if (memo?.quiet?.includes(id)) {
        log.info({ recorded: false }, 'callback repeat not recorded on the run');
      } else {
        try {
          await withDeadline(() => handle.signal(callbackSignal, { wait: wait.name, ...keyed, receivedAt, source }));
        } catch (err) {
          if (classifyTemporalError(err) === 'unavailable') return temporalError(log, requestId, 'signal', err);
        }
      }
      return repeatAnswer(log, requestId, repeat, id, receivedAt, shaped);
    }

    if (!check.ok) return refuseFields(log, requestId, check.errors);
    // A wait bound to the run's input: once the run has published its bound value (as a digest), a callback for
    // another run's customer is refused here; before that the run itself refuses it (recorded as `rejected`).
    const mismatch = bindingError(memo?.bound);
    if (mismatch) return refuseFields(log, requestId, [mismatch]);
    const signal: CallbackSignalArgs = { wait: wait.name, ...keyed, attributes: check.inputs, receivedAt, source, digest };
    try {
      await withDeadline(() => handle.signal(callbackSignal, signal));
    } catch (err) {
      return temporalError(log, requestId, 'signal', err);
    }
    rememberAccepted(`${claims.runId}\n${id}`);
    return withDeclared(wait, accepted(log, 'accepted', id, requestId, {}, receivedAt), check.attributes);
  };

  /** The run's own answer to a callback it took as an update (or its validator refused). */
  const runAnswer = (
    target: CallbackTarget,
    delivered: Extract<UpdateDelivery, { kind: 'answered' | 'refused' }>,
    receivedAt: string,
    attributes: Readonly<Record<string, unknown>>,
    shaped: (a: CallbackAnswer) => CallbackAnswer,
  ): CallbackAnswer => {
    const { claims, wait, log } = target;
    const requestId = target.head.requestId;
    const id = waitId(wait.name, claims.key);
    const run = delivered.delivery;
    if (delivered.kind === 'refused' && (run.outcome === 'duplicate' || run.outcome === 'late' || run.outcome === 'revoked')) {
      // Past the run's quota: it never records this wait's repeats again, so this replica answers them itself.
      statusCache.rememberQuiet(claims.workflowId, claims.runId, id, run.outcome);
      log.info({ recorded: false }, 'callback repeat not recorded on the run');
    }
    switch (run.outcome) {
      case 'accepted':
      case 'kept':
        return withDeclared(wait, accepted(log, 'accepted', id, requestId, { update: true }, receivedAt), attributes);
      case 'rejected':
        return refuseFields(log, requestId, run.errors && run.errors.length > 0 ? run.errors : [{ field: '(callback)', message: 'refused by the run' }], { update: true });
      case 'unknown-wait':
        return answer(log, requestId, 'gone', 'this wait can no longer be completed', { update: true });
      default:
        return repeatAnswer(log, requestId, run.outcome, id, receivedAt, shaped);
    }
  };

  /** One callback as the `hookwait.deliver` update: the run's answer, or why the caller must fall back to the signal. */
  const deliverByUpdate = async (
    handle: ReturnType<Client['workflow']['getHandle']>,
    args: CallbackSignalArgs,
    requestId: string,
    deadline: number,
  ): Promise<UpdateDelivery> => {
    try {
      const delivery: unknown = await options.client.connection.withDeadline(deadline, () =>
        handle.executeUpdate(deliverUpdate, { args: [args], updateId: `hookwait-callback-${requestId}` }),
      );
      // A handler of that name that answers something else (not hookwait's): the signal decides.
      if (!isDelivery(delivery)) return { kind: 'fallback', why: 'update-failed', error: new Error('the hookwait.deliver update answered no outcome') };
      return { kind: 'answered', delivery };
    } catch (err) {
      const refused = updateRefusal(err);
      if (refused) return refused;
      if (classifyTemporalError(err) === 'gone') return { kind: 'closed' };
      if (isDeadline(err)) return { kind: 'fallback', why: 'no-worker-in-time', error: err };
      // Temporal itself is unreachable: the signal would fail the same way.
      if (grpcCode(err) === 14) return { kind: 'unavailable', error: err };
      return { kind: 'fallback', why: 'update-failed', error: err };
    }
  };

  /** A signal found no open run: one describe, for the answer (and this gateway remembers it: a closed run stays closed). */
  const closedAnswer = async (target: CallbackTarget, digest: string, shaped: (a: CallbackAnswer) => CallbackAnswer): Promise<CallbackAnswer> => {
    const { claims, log } = target;
    const requestId = target.head.requestId;
    const id = waitId(target.wait.name, claims.key);
    try {
      const description = await withDeadline(() => options.client.workflow.getHandle(claims.workflowId, claims.runId).describe());
      if (description.type !== claims.procedure) return answer(log, requestId, 'not-found', 'no such callback URL');
      const memo = description.memo?.[MEMO_KEY] as HookwaitMemo | undefined;
      statusCache.rememberDescription(claims.workflowId, claims.runId, id, description.status.name, memo);
      if (memo?.waits?.[id] === 'received' && memo.digests?.[id] === digest) return shaped(accepted(log, 'duplicate', id, requestId, { runStatus: description.status.name }));
      return answer(log, requestId, 'gone', 'this procedure has finished', { runStatus: description.status.name });
    } catch (err) {
      return temporalError(log, requestId, 'describe', err);
    }
  };

  return {
    catalog,
    inspect,
    deliver,
    async deliverCallback(request) {
      const first = inspect(request);
      return 'answer' in first ? first.answer : deliver(first.target, request);
    },
  };
}

/** What became of a callback sent as the `hookwait.deliver` update. */
type UpdateDelivery =
  | { readonly kind: 'answered'; readonly delivery: CallbackDelivery }
  /** The validator refused it (another run's bound value, or a repeat past the run's quota): never recorded. */
  | { readonly kind: 'refused'; readonly delivery: CallbackDelivery }
  | { readonly kind: 'closed' }
  | { readonly kind: 'unavailable'; readonly error: unknown }
  | { readonly kind: 'fallback'; readonly why: 'no-worker-in-time' | 'update-failed'; readonly error: unknown };

/**
 * How long the gateway waits for a worker to answer a callback update before signalling instead: 2 s, well under
 * the 3–5 s some senders wait for an answer, and far above a healthy worker's few milliseconds.
 */
export const DEFAULT_UPDATE_TIMEOUT_MS = 2_000;

/** What the run answered, if it is a {@link CallbackDelivery}. */
function isDelivery(value: unknown): value is CallbackDelivery {
  return typeof value === 'object' && value !== null && typeof (value as { outcome?: unknown }).outcome === 'string';
}

/** The gRPC status code of a failed call, when it carries one (directly or as its cause). */
function grpcCode(err: unknown): number | undefined {
  if (!(err instanceof Error)) return undefined;
  const e = err as Error & { code?: unknown; cause?: { code?: unknown } };
  const code = typeof e.code === 'number' ? e.code : e.cause?.code;
  return typeof code === 'number' ? code : undefined;
}

/** The validator's refusal, from a failed update; undefined for any other failure. */
function updateRefusal(err: unknown): { readonly kind: 'refused'; readonly delivery: CallbackDelivery } | undefined {
  if (!(err instanceof Error) || err.name !== 'WorkflowUpdateFailedError') return undefined;
  const cause = (err as Error & { cause?: unknown }).cause;
  if (!(cause instanceof ApplicationFailure) || cause.type !== CALLBACK_REFUSED_FAILURE) return undefined;
  const said = cause.details?.[0] as Partial<CallbackDelivery> | undefined;
  const outcome = said?.outcome;
  if (outcome === 'revoked' || outcome === 'late' || outcome === 'duplicate' || outcome === 'unknown-wait') return { kind: 'refused', delivery: { outcome } };
  const errors = Array.isArray(said?.errors) ? said.errors.filter((e) => typeof e?.field === 'string' && typeof e?.message === 'string') : [];
  return { kind: 'refused', delivery: { outcome: 'rejected', errors } };
}

/** A call cut short by its deadline (gRPC DEADLINE_EXCEEDED, or the SDK's update timeout). */
function isDeadline(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === 'WorkflowUpdateRPCTimeoutOrCancelledError') return true;
  const code = grpcCode(err);
  // gRPC status codes: 4 DEADLINE_EXCEEDED, 1 CANCELLED.
  return code === 4 || code === 1 || /deadline/i.test(err.message);
}

/**
 * Rate-limits log lines per key: the first call in each `periodMs` is let through with the number of calls muted
 * since the last line let through; the others get undefined.
 */
export function refusalSampler(periodMs: number, now: () => number = Date.now): (key: string) => { readonly suppressed: number } | undefined {
  const state = new Map<string, { last: number; suppressed: number }>();
  return (key) => {
    const t = now();
    const s = state.get(key);
    if (s && t - s.last < periodMs) {
      s.suppressed++;
      return undefined;
    }
    const suppressed = s?.suppressed ?? 0;
    state.set(key, { last: t, suppressed: 0 });
    return { suppressed };
  };
}

/** Builds an answer from the outcome table, and logs it there. */
export function answer(
  log: Logger,
  requestId: string,
  outcome: Outcome,
  detail?: string,
  fields: Record<string, unknown> = {},
  headers: Record<string, string> = {},
  errors?: readonly FieldError[],
): CallbackAnswer {
  const spec = OUTCOMES[outcome];
  log[spec.level]({ outcome, ...fields }, spec.message);
  return { outcome, status: spec.status, headers, body: problemOf(outcome, detail, { requestId, ...(errors ? { errors } : {}) }) };
}

function accepted(log: Logger, outcome: 'accepted' | 'duplicate', wait: string, requestId: string, fields: Record<string, unknown> = {}, receivedAt = new Date().toISOString()): CallbackAnswer {
  const spec = OUTCOMES[outcome];
  log[spec.level]({ outcome, ...fields }, spec.message);
  return { outcome, status: spec.status, headers: {}, body: { status: outcome, wait, receivedAt, requestId } };
}

/** `422` naming each field the callback got wrong (a binding mismatch is marked in the log). */
function refuseFields(log: Logger, requestId: string, errors: readonly FieldError[], fields: Record<string, unknown> = {}): CallbackAnswer {
  const binding = errors.some((e) => e.message === BINDING_MISMATCH) ? { binding: true } : {};
  return answer(log, requestId, 'invalid-attributes', errors.map((e) => `${e.field}: ${e.message}`).join('; '), { fields: errors.map((e) => e.field), ...fields, ...binding }, {}, errors);
}

/** Attaches the wait's declared success answer, if it has one. */
function withDeclared(wait: WaitPoint, a: CallbackAnswer, attributes: Readonly<Record<string, unknown>> | undefined): CallbackAnswer {
  const declared = declaredSuccess(wait, attributes);
  return declared ? { ...a, declared } : a;
}

/** Why a callback to an open run will not apply (from its memo), or undefined when it still may. */
function repeatOutcome(memo: HookwaitMemo | undefined, id: string, waitName: string): 'revoked' | 'late' | 'duplicate' | undefined {
  if ((memo?.revoked?.includes(id) ?? false) || isRevokedBy(memo?.revokedRules, waitName)) return 'revoked';
  const status = memo?.waits?.[id];
  if (status === 'timed_out') return 'late';
  if (status === 'received') return 'duplicate';
  return undefined;
}

function repeatAnswer(
  log: Logger,
  requestId: string,
  repeat: 'revoked' | 'late' | 'duplicate',
  id: string,
  receivedAt?: string,
  shaped: (a: CallbackAnswer) => CallbackAnswer = (a) => a,
): CallbackAnswer {
  if (repeat === 'revoked') return answer(log, requestId, 'revoked', 'this callback URL has been revoked');
  if (repeat === 'late') return answer(log, requestId, 'late', 'this wait has already timed out');
  return shaped(accepted(log, 'duplicate', id, requestId, {}, receivedAt));
}

function temporalError(log: Logger, requestId: string, operation: string, err: unknown): CallbackAnswer {
  if (classifyTemporalError(err) === 'gone') return answer(log, requestId, 'gone', 'this procedure has finished');
  const a = answer(log, requestId, 'unavailable', 'the workflow service is unavailable; retry later', { operation, error: err }, { 'Retry-After': String(RETRY_AFTER_SECONDS) });
  return { ...a, failedOperation: operation };
}

/** How a failed call to Temporal is answered: the run is gone (410), or Temporal is unavailable (503, retry later). */
export function classifyTemporalError(err: unknown): 'gone' | 'unavailable' {
  // Across bundles `instanceof` may fail; the SDK's name is stable.
  if (err instanceof Error && err.name === 'WorkflowNotFoundError') return 'gone';
  return 'unavailable';
}

/**
 * Identifies one callback for the "same callback again" check: its delivery id when the sender gives one
 * (`webhook-id`, `idempotency-key`, `x-request-id` is not one), else its exact bytes and the values its wait reads
 * beside the body (`beside`: query parameters and headers, by name), so the same body with another query is another
 * callback. 128 bits, base64url.
 *
 * @example
 * ```ts
 * callbackDigest({ body, header: (n) => req.get(n) }, [['query:tenant', 't1']]);
 * ```
 */
export function callbackDigest(request: Pick<CallbackRequest, 'body' | 'header'>, beside: readonly (readonly [string, string | undefined])[] = []): string {
  const deliveryId = request.header('webhook-id') ?? request.header('idempotency-key');
  const hash = createHash('sha256');
  if (deliveryId) hash.update('id:').update(deliveryId);
  else if (beside.length === 0) hash.update('body:').update(request.body);
  else hash.update(`body+${request.body.length}:`).update(request.body).update(JSON.stringify(beside.map(([k, v]) => [k, v ?? null])));
  return hash.digest('base64url').slice(0, 22);
}
