/**
 * The trigger service: everything the gateway decides about one request to a webhook trigger (`/hooks/<path>`), with
 * no HTTP framework. path → method → rate → content type → (body read by the adapter) → sender auth → body → expected
 * headers, query and body → input → idempotency key → start (or update-with-start for `fromProcedure`) → response.
 * Nothing reaches Temporal before the request has passed every check. The Express adapter is src/api/trigger-route.ts.
 */
import { createHash, randomUUID } from 'node:crypto';
import { type Client, WithStartWorkflowOperation, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import type { z } from 'zod';
import type { FieldError } from '../definitions/attributes';
import { safeParseGuarded } from '../definitions/zod-issues';
import { checkTriggers, NEVER_CAPTURED_HEADERS, type RequestPath, senderAuthHeaders, type Trigger } from '../definitions/trigger';
import { TRIGGER_MEMO_KEY, TRIGGER_RESPONSE_MEMO_KEY, type TriggerInfo } from '../core/run-state';
import { forMarkdown } from '../core/escape';
import { hookwaitLogger, type Logger, silentLogger } from '../logging/logger';
import { mintCallbackUrls } from '../activities/create-activities';
import type { TokenKeyring } from '../security/callback-token';
import { buildSenderVerifiers, signedMessageId } from '../security/sender-auth-verifier';
import { runStartOptions, SearchAttributesNotRegisteredError, startError } from '../client/start-procedure';
import { HookwaitTrigger } from '../workflows/search-attributes';
import { TRIGGER_RESPONSE_UPDATE_ID, triggerResponseUpdate } from '../workflows/messages';
import { CallbackBodyError, type CallbackBodyType, callbackBodyType, parseCallbackBody } from '../api/callback-body';
import { clientAddressKey, FixedWindowLimiter } from '../api/rate-limiter';
import { answer, classifyTemporalError, DEFAULT_RATE_LIMITS, refusalSampler, type RateLimits } from './callback-service';
import { type Outcome, OUTCOMES, type Problem, RETRY_AFTER_SECONDS } from './outcomes';
import { procedureResponse, type RawBody, type RenderedResponse, renderResponse } from './http-response';

export interface TriggerServiceOptions {
  readonly client: Client;
  readonly namespace: string;
  /** The task queue the triggered runs start on (the workers'). */
  readonly taskQueue: string;
  readonly triggers: readonly Trigger[];
  readonly logger?: Logger;
  /** Where sender-auth secrets are read (once, now); default `process.env`. */
  readonly secrets?: Record<string, string | undefined>;
  /** Deadline for each call to Temporal; default 5 s. */
  readonly temporalTimeoutMs?: number;
  /** Set `HookwaitProcedure`, `HookwaitStatus` and `HookwaitTrigger` at start; default true. */
  readonly searchAttributes?: boolean;
  /** Per client address, as for callbacks; `false` turns that limit off (a trigger's own `rateLimit` still applies). */
  readonly rateLimits?: RateLimits | false;
  /** With `publicBaseUrl`: `{{callbackUrls.<wait>}}` in a response template is the run's callback URL. */
  readonly keyring?: TokenKeyring;
  readonly publicBaseUrl?: string;
  /** `false`: no sender is checked and no secret is read (`hookwait trigger test`, which has no sender). Default true. */
  readonly verifySenders?: boolean;
}

/** The answer to one trigger request. */
export interface TriggerAnswer {
  readonly outcome: Outcome;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** JSON (a problem document for 4xx/5xx), absent for no body. */
  readonly body?: unknown;
  /** A text or HTML body instead of JSON. */
  readonly raw?: RawBody;
  /** The run the request started (or found, for a repeated delivery). */
  readonly run?: { readonly workflowId: string; readonly runId?: string };
  readonly failedOperation?: string;
  /** The answer was declared (the trigger's response, the procedure's `run.respond`), not built by the gateway. */
  readonly authored?: boolean;
}

/** What is known before the body is read. `path` is what follows `/hooks/`. */
export interface TriggerHead {
  readonly method: string;
  readonly path: string;
  readonly contentType?: string;
  readonly ip?: string;
  readonly requestId: string;
  readonly clientRequestId?: string;
}

/** A whole request. `headers` has lower-case names; `query` the query string's pairs in order. */
export interface TriggerRequest extends TriggerHead {
  readonly body: Buffer;
  readonly headers: Readonly<Record<string, string>>;
  readonly query: readonly (readonly [string, string])[];
}

export interface TriggerTarget {
  readonly head: TriggerHead;
  readonly trigger: Trigger;
  readonly bodyType?: CallbackBodyType;
  readonly log: Logger;
}

export interface TriggerService {
  /** The trigger serving `path` (case-insensitive, no slashes around), if any. */
  find(path: string): Trigger | undefined;
  inspect(head: TriggerHead): { readonly answer: TriggerAnswer } | { readonly target: TriggerTarget };
  /** The rest of the checks, then the start. Never throws for anything a sender sends. */
  deliver(target: TriggerTarget, request: TriggerRequest, options?: { readonly skipAuth?: boolean }): Promise<TriggerAnswer>;
  /**
   * One whole request: `inspect`, then `deliver`. What `hookwait trigger test` and another HTTP framework call.
   *
   * @example
   * ```ts
   * const a = await service.deliverTrigger({ method: 'POST', path: 'kyc/start', requestId: 'r1', contentType: 'application/json',
   *   body: Buffer.from('{"customerId":"c1"}'), headers: {}, query: [] });
   * // a.status === 201, a.run.workflowId
   * ```
   */
  deliverTrigger(request: TriggerRequest, options?: { readonly skipAuth?: boolean }): Promise<TriggerAnswer>;
}

/** Longest idempotency key accepted. */
export const MAX_DELIVERY_ID_LENGTH = 256;
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/**
 * The workflow id of a trigger's delivery: readable (the trigger's name and the key's first safe characters) and
 * fixed by a hash of the whole key, so a hostile key cannot shape the id.
 *
 * @example
 * ```ts
 * triggerWorkflowId('kycStart', 'msg_2Zx'); // 'kycStart-msg_2Zx-<16 base64url characters>'
 * ```
 */
export function triggerWorkflowId(trigger: string, deliveryId: string): string {
  const readable = deliveryId.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 40);
  const hash = createHash('sha256').update(`${trigger}\n${deliveryId}`).digest('base64url').slice(0, 16);
  return `${trigger}-${readable}-${hash}`;
}

function readPath(source: unknown, path: readonly string[]): unknown {
  let current = source;
  for (const segment of path) {
    if (Array.isArray(current) && /^\d+$/.test(segment)) current = current[Number(segment)];
    else if (typeof current === 'object' && current !== null && Object.prototype.hasOwnProperty.call(current, segment)) current = (current as Record<string, unknown>)[segment];
    else return undefined;
  }
  return current;
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let current = target;
  path.forEach((segment, i) => {
    if (i === path.length - 1) {
      Object.defineProperty(current, segment, { value, enumerable: true, writable: true, configurable: true });
      return;
    }
    const next = Object.prototype.hasOwnProperty.call(current, segment) ? current[segment] : undefined;
    if (typeof next !== 'object' || next === null) Object.defineProperty(current, segment, { value: {}, enumerable: true, writable: true, configurable: true });
    current = current[segment] as Record<string, unknown>;
  });
}

function zodErrors(error: z.ZodError, prefix: string): FieldError[] {
  return error.issues.map((i) => ({ field: [prefix, ...i.path.map(String)].join('.'), message: i.message }));
}

/**
 * Creates the trigger service.
 * @throws {@link DefinitionError} for two triggers on one path; {@link ConfigError} when a sender-auth secret is missing.
 */
export function createTriggerService(options: TriggerServiceOptions): TriggerService {
  checkTriggers(options.triggers);
  const byPath = new Map(options.triggers.map((t) => [t.path.toLowerCase(), t]));
  const verifiers = buildSenderVerifiers(
    options.triggers.filter((t) => t.auth && options.verifySenders !== false).map((t) => ({ scope: `trigger/${t.name}`, label: `trigger ${t.name}`, point: { auth: t.auth } as never })),
    options.secrets ?? process.env,
  );
  const timeoutMs = options.temporalTimeoutMs ?? 5_000;
  const logger = hookwaitLogger(options.logger).child({ component: 'gateway' });
  const limits = options.rateLimits === false ? undefined : (options.rateLimits ?? DEFAULT_RATE_LIMITS);
  const perIp = limits && limits.perIp > 0 ? new FixedWindowLimiter(limits.perIp, limits.windowMs) : undefined;
  // Each trigger's own limit (declared with `rateLimit`), by trigger name.
  const perTrigger = new Map<string, FixedWindowLimiter>();
  const triggerLimited = (trigger: Trigger): number => {
    if (!trigger.rateLimit) return 0;
    let limiter = perTrigger.get(trigger.name);
    if (!limiter) perTrigger.set(trigger.name, (limiter = new FixedWindowLimiter(trigger.rateLimit.requests, trigger.rateLimit.windowMs)));
    return limiter.hit(trigger.name);
  };
  const sampler = refusalSampler(1_000);
  const client = options.client;
  const withDeadline = <T>(ms: number, fn: () => Promise<T>): Promise<T> => client.connection.withDeadline(Date.now() + ms, fn);

  // `HookwaitTrigger` came after the other search attributes: a namespace set up before it (an upgrade without
  // `hookwait setup`) refuses starts that set it. The first such refusal turns it off for this gateway (one error in
  // the log), and the run starts without it rather than every trigger answering 503.
  let triggerAttribute = options.searchAttributes ?? true;
  const missingTriggerAttribute = (err: unknown): boolean => {
    if (!triggerAttribute) return false;
    const typed = startError(err, options.namespace, true);
    if (!(typed instanceof SearchAttributesNotRegisteredError) || typed.attribute !== HookwaitTrigger.name) return false;
    triggerAttribute = false;
    logger.error(
      { namespace: options.namespace, attribute: HookwaitTrigger.name },
      `namespace '${options.namespace}' does not have the HookwaitTrigger search attribute: triggered runs start without it; run \`npx hookwait setup\`, then restart the gateway`,
    );
    return true;
  };

  const find = (path: string): Trigger | undefined => byPath.get(path.replace(/^\/+|\/+$/g, '').toLowerCase());

  const refuse = (log: Logger, requestId: string, outcome: Outcome, detail: string, fields: Record<string, unknown> = {}, headers: Record<string, string> = {}, errors?: readonly FieldError[]): TriggerAnswer => {
    const early = outcome === 'not-found' || outcome === 'method-not-allowed' || outcome === 'rate-limited';
    const sample = early ? sampler(outcome) : { suppressed: 0 };
    const a = answer(sample ? log : silentLogger, requestId, outcome, detail, sample?.suppressed ? { ...fields, suppressed: sample.suppressed } : fields, headers, errors);
    return { outcome: a.outcome, status: a.status, headers: a.headers, body: a.body };
  };

  const inspect: TriggerService['inspect'] = (head) => {
    const log = logger.child({ requestId: head.requestId, ...(head.clientRequestId !== undefined ? { clientRequestId: head.clientRequestId } : {}) });
    const trigger = find(head.path);
    if (!trigger) return { answer: refuse(log, head.requestId, 'not-found', 'no such trigger', { path: head.path.slice(0, 128) }) };
    const tlog = log.child({ trigger: trigger.name });
    const method = head.method.toUpperCase();
    if (!(trigger.methods as readonly string[]).includes(method)) {
      return { answer: refuse(tlog, head.requestId, 'method-not-allowed', `use ${trigger.methods.join(', ')}`, { method: head.method.slice(0, 16) }, { Allow: trigger.methods.join(', ') }) };
    }
    const waitMs = perIp?.hit(head.ip ? clientAddressKey(head.ip) : 'unknown') ?? 0;
    if (waitMs > 0) {
      return { answer: refuse(tlog, head.requestId, 'rate-limited', 'too many requests for this client; retry later', { scope: 'client' }, { 'Retry-After': String(Math.max(1, Math.ceil(waitMs / 1000))) }) };
    }
    let bodyType: CallbackBodyType | undefined;
    if (head.contentType !== undefined || (BODY_METHODS.has(method) && trigger.expect.body !== undefined)) {
      try {
        bodyType = callbackBodyType(head.contentType);
      } catch (err) {
        if (err instanceof CallbackBodyError) return { answer: refuse(tlog, head.requestId, 'unsupported-media-type', err.message) };
        throw err;
      }
    }
    return { target: { head, trigger, ...(bodyType ? { bodyType } : {}), log: tlog } };
  };

  const deliver: TriggerService['deliver'] = async (target, request, deliverOptions = {}) => {
    const { trigger, log } = target;
    const requestId = target.head.requestId;
    const header = (name: string): string | undefined => (Object.prototype.hasOwnProperty.call(request.headers, name) ? request.headers[name] : undefined);
    const verify = verifiers.get(`trigger/${trigger.name}`);
    if (trigger.auth && !verify && options.verifySenders !== false) throw new Error(`no sender check for trigger ${trigger.name}`);
    // A timestamped signature names its message: a request sent again within the tolerance (a replay, or a retry) is
    // the same delivery, so without a declared idempotency key it is keyed by that message and starts nothing new.
    let messageId: string | undefined;
    if (verify && !deliverOptions.skipAuth) {
      const verdict = verify(request.body, header, `trigger\n${trigger.name}`);
      if (!verdict.ok) return refuse(log, requestId, 'unauthorized', 'the request could not be authenticated', { reason: verdict.reason });
      if (trigger.auth) messageId = signedMessageId(trigger.auth, request.body, header);
    }
    // The body.
    let body: Record<string, unknown> = {};
    if (request.body.length > 0) {
      if (!target.bodyType) return refuse(log, requestId, 'unsupported-media-type', 'Content-Type is required with a body: application/json or application/x-www-form-urlencoded');
      try {
        body = parseCallbackBody(request.body, target.bodyType);
      } catch (err) {
        if (!(err instanceof CallbackBodyError)) throw err;
        return refuse(log, requestId, err.status === 413 ? 'payload-too-large' : 'bad-body', err.message);
      }
    }
    // The query: a parameter given twice is ambiguous.
    const query: Record<string, string> = {};
    for (const [k, v] of request.query) {
      if (Object.prototype.hasOwnProperty.call(query, k)) return refuse(log, requestId, 'bad-body', `query parameter ${JSON.stringify(k.slice(0, 64))} appears more than once`);
      Object.defineProperty(query, k, { value: v, enumerable: true, writable: true, configurable: true });
    }
    // Headers, without the credentials (they never reach a schema, an input or a log).
    const hidden = new Set([...NEVER_CAPTURED_HEADERS, ...senderAuthHeaders(trigger.auth)]);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(request.headers)) if (!hidden.has(k)) headers[k] = v;

    const parts: Record<'headers' | 'query' | 'body', unknown> = { headers, query, body };
    const errors: FieldError[] = [];
    for (const part of ['headers', 'query', 'body'] as const) {
      const schema = trigger.expect[part];
      if (!schema) continue;
      const parsed = safeParseGuarded(schema, parts[part]);
      if (parsed.success) parts[part] = parsed.data;
      else errors.push(...zodErrors(parsed.error, part));
    }
    if (errors.length > 0) return refuse(log, requestId, 'invalid-request', errors.map((e) => `${e.field}: ${e.message}`).join('; '), { fields: errors.map((e) => e.field) }, {}, errors);

    const read = (from: RequestPath): unknown => readPath(parts[from.source], from.path);
    let input: unknown = parts.body;
    if (trigger.input) {
      const mapped: Record<string, unknown> = {};
      for (const m of trigger.input) {
        const value = read(m.from);
        if (value !== undefined) setPath(mapped, m.field, value);
      }
      input = mapped;
    }
    const checked = safeParseGuarded(trigger.procedure.input, input);
    if (!checked.success) {
      const inputErrors = zodErrors(checked.error, 'input');
      return refuse(log, requestId, 'invalid-request', inputErrors.map((e) => `${e.field}: ${e.message}`).join('; '), { fields: inputErrors.map((e) => e.field) }, {}, inputErrors);
    }
    let deliveryId: string | undefined;
    if (trigger.idempotencyKey) {
      const key = read(trigger.idempotencyKey);
      const field = [trigger.idempotencyKey.source, ...trigger.idempotencyKey.path].join('.');
      if ((typeof key !== 'string' && typeof key !== 'number') || String(key).length === 0 || String(key).length > MAX_DELIVERY_ID_LENGTH) {
        const e: FieldError = { field, message: `the delivery id is required (1 to ${MAX_DELIVERY_ID_LENGTH} characters)` };
        return refuse(log, requestId, 'invalid-request', `${e.field}: ${e.message}`, { fields: [field] }, {}, [e]);
      }
      deliveryId = String(key);
    } else if (messageId !== undefined) {
      deliveryId = messageId.length <= MAX_DELIVERY_ID_LENGTH ? messageId : `sha256-${createHash('sha256').update(messageId).digest('hex')}`;
    }
    // Counted only now: requests refused above cannot use up the trigger's budget.
    const waitMs = triggerLimited(trigger);
    if (waitMs > 0) {
      return refuse(log, requestId, 'rate-limited', 'too many deliveries to this trigger; retry later', { scope: 'trigger' }, { 'Retry-After': String(Math.max(1, Math.ceil(waitMs / 1000))) });
    }
    return start(target, input, deliveryId);
  };

  async function start(target: TriggerTarget, input: unknown, deliveryId: string | undefined): Promise<TriggerAnswer> {
    const { trigger } = target;
    const requestId = target.head.requestId;
    const procedure = trigger.procedure;
    const workflowId = deliveryId !== undefined ? triggerWorkflowId(trigger.name, deliveryId) : `${trigger.name}-${randomUUID()}`;
    const log = target.log.child({ workflowId });
    const respond = trigger.response.type === 'fromProcedure';
    const info: TriggerInfo = { name: trigger.name, ...(deliveryId !== undefined ? { deliveryId } : {}), ...(respond ? { respond } : {}) };
    const searchAttributes = options.searchAttributes ?? true;
    const base = runStartOptions(procedure.name, procedure.title, {
      taskQueue: options.taskQueue,
      workflowId,
      summary: `trigger ${trigger.name}${deliveryId !== undefined ? `, delivery ${forMarkdown(deliveryId.slice(0, 64))}` : ''}`,
      searchAttributes,
    });
    // A static answer's start fails on a running run of the same delivery (FAIL), so a repeat is told apart and
    // answered as one; update-with-start needs USE_EXISTING.
    const startOptions = (conflict: 'FAIL' | 'USE_EXISTING' = 'USE_EXISTING') => ({
      ...base,
      ...(base.typedSearchAttributes
        ? { typedSearchAttributes: [...base.typedSearchAttributes, ...(triggerAttribute ? [{ key: HookwaitTrigger, value: trigger.name }] : [])] }
        : {}),
      args: [input],
      // The Web UI's static details of the run: which webhook started it (values escaped for markdown).
      staticDetails: `Started by webhook trigger **${forMarkdown(trigger.name)}** (${forMarkdown(`/hooks/${trigger.path}`)})${deliveryId !== undefined ? `, delivery \`${deliveryId.slice(0, 128).replace(/[`\u0000-\u001f\u007f-\u009f]/g, '')}\`` : ''}`,
      memo: { [TRIGGER_MEMO_KEY]: info },
      workflowIdConflictPolicy: conflict,
      // A delivery seen again after its run ended must not start a second run: the id stays taken.
      ...(deliveryId !== undefined ? { workflowIdReusePolicy: 'REJECT_DUPLICATE' as const } : {}),
    });
    /** Runs `attempt`, once more without `HookwaitTrigger` when the namespace does not know it (see {@link missingTriggerAttribute}). */
    const withoutUnknownTriggerAttribute = async <T>(attempt: () => Promise<T>): Promise<T> => {
      try {
        return await attempt();
      } catch (err) {
        if (!missingTriggerAttribute(err)) throw err;
        return attempt();
      }
    };
    const startRun = (conflict?: 'FAIL' | 'USE_EXISTING') =>
      withoutUnknownTriggerAttribute(() => withDeadline(timeoutMs, () => client.workflow.start(procedure.name, startOptions(conflict))));
    const vars = (runId: string | undefined, runInput: unknown = input): Record<string, unknown> => ({
      workflowId,
      runId: runId ?? null,
      trigger: trigger.name,
      deliveryId: deliveryId ?? null,
      input: runInput,
      callbackUrls:
        runId && options.keyring && options.publicBaseUrl
          ? mintCallbackUrls({ keyring: options.keyring, publicBaseUrl: options.publicBaseUrl }, { namespace: options.namespace, procedure: procedure.name, workflowId, runId }, Object.keys(procedure.waits).map((wait) => ({ wait })))
          : {},
    });
    const reply = (outcome: Outcome, r: RenderedResponse, runId: string | undefined, fields: Record<string, unknown> = {}): TriggerAnswer => {
      log[OUTCOMES[outcome].level]({ outcome, runId, status: r.status, ...fields }, OUTCOMES[outcome].message);
      return {
        outcome,
        status: r.status,
        headers: r.headers,
        ...(r.json !== undefined ? { body: r.json } : {}),
        ...(r.raw ? { raw: r.raw } : {}),
        run: { workflowId, ...(runId ? { runId } : {}) },
        authored: true,
      };
    };
    const unavailable = (operation: string, err: unknown): TriggerAnswer => {
      const typed = startError(err, options.namespace, searchAttributes);
      const a = answer(log, requestId, 'unavailable', 'the workflow service is unavailable; retry later', { operation, error: typed }, { 'Retry-After': String(RETRY_AFTER_SECONDS) });
      return { outcome: a.outcome, status: a.status, headers: a.headers, body: a.body as Problem, failedOperation: operation };
    };
    /**
     * The input the run was started with (its first event), so a repeat's `{{input.*}}` is the first delivery's, never
     * the repeating request's; null when it cannot be read.
     */
    const runInputOf = async (runId: string): Promise<unknown> => {
      try {
        const page = await withDeadline(timeoutMs, () =>
          client.workflowService.getWorkflowExecutionHistory({ namespace: options.namespace, execution: { workflowId, runId }, maximumPageSize: 1 }),
        );
        const payloads = page.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads;
        return payloads ? await decodeFromPayloadsAtIndex(client.options.loadedDataConverter, 0, payloads) : null;
      } catch (err) {
        log.warn({ error: (err as Error)?.name }, "a repeated delivery's run input could not be read: its answer has no input values");
        return null;
      }
    };
    /** A delivery seen before (its run running or ended): the same answer, from what the run recorded. */
    const ended = async (): Promise<TriggerAnswer> => {
      try {
        const d = await withDeadline(timeoutMs, () => client.workflow.getHandle(workflowId).describe());
        const recorded = respond ? procedureResponse(d.memo?.[TRIGGER_RESPONSE_MEMO_KEY]) : undefined;
        if (recorded) return reply('trigger-repeat', recorded, d.runId, { runStatus: d.status.name });
        const spec = trigger.response.type === 'static' ? trigger.response.spec : trigger.response.fallback;
        const needsInput = /\{\{\s*input\b/.test(JSON.stringify(spec));
        return reply('trigger-repeat', renderResponse(spec, vars(d.runId, needsInput ? await runInputOf(d.runId) : null)), d.runId, { runStatus: d.status.name });
      } catch (err) {
        return unavailable('describe', err);
      }
    };

    if (trigger.response.type === 'static') {
      try {
        const handle = await startRun('FAIL');
        return reply('trigger-started', renderResponse(trigger.response.spec, vars(handle.firstExecutionRunId)), handle.firstExecutionRunId);
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) return ended();
        return unavailable('start', err);
      }
    }

    // fromProcedure: update-with-start; the answer is what the run computes with `run.respond`, within the timeout.
    const fallback = trigger.response.fallback;
    const deadline = Date.now() + trigger.response.timeoutMs;
    let runId: string | undefined;
    try {
      const update = await withoutUnknownTriggerAttribute(() =>
        client.connection.withDeadline(deadline, () =>
          client.workflow.startUpdateWithStart(triggerResponseUpdate, {
            updateId: TRIGGER_RESPONSE_UPDATE_ID,
            waitForStage: 'ACCEPTED',
            startWorkflowOperation: new WithStartWorkflowOperation(procedure.name, startOptions()),
          }),
        ),
      );
      runId = update.workflowRunId;
      const given = await client.connection.withDeadline(deadline, () => update.result());
      const rendered = procedureResponse(given);
      if (rendered) return reply('trigger-responded', rendered, runId);
      log.error({ status: (given as { status?: unknown } | undefined)?.status }, 'the procedure answered a status other than 2xx or 4xx: the fallback is sent');
      return reply('trigger-fallback', renderResponse(fallback, vars(runId)), runId, { reason: 'invalid-status' });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return ended();
      // Past the timeout (or the run ended without answering): the fallback, once the run's id is known. A start that
      // reuses the running run (USE_EXISTING) learns it, and starts the run if the first request never got through.
      if (runId === undefined) {
        try {
          runId = (await startRun()).firstExecutionRunId;
        } catch (startErr) {
          if (startErr instanceof WorkflowExecutionAlreadyStartedError) return ended();
          return unavailable('start', startErr);
        }
      }
      const reason = classifyTemporalError(err) === 'gone' ? 'run-ended' : 'timeout';
      return reply('trigger-fallback', renderResponse(fallback, vars(runId)), runId, { reason, error: (err as Error)?.name });
    }
  }

  return {
    find,
    inspect,
    deliver,
    async deliverTrigger(request, deliverOptions) {
      const first = inspect(request);
      return 'answer' in first ? first.answer : deliver(first.target, request, deliverOptions);
    },
  };
}

