/**
 * Webhook triggers: an inbound webhook at `/hooks/<path>` starts a procedure. Pure declarations, checked at once; the
 * gateway's trigger service (src/service/trigger-service.ts) serves them.
 */
import type { z } from 'zod';
import { DefinitionError } from './definition-error';
import { durationToMs, type Duration } from './duration';
import type { AnyProcedure } from './procedure';
import { checkSignedParts, normalizeSenderAuth, type SenderAuth, type SenderAuthDecl } from './sender-auth';
import { placeholderPaths } from './template-placeholders';

/** The methods a trigger may accept. */
export const TRIGGER_METHODS = ['POST', 'GET', 'PUT', 'PATCH', 'DELETE'] as const;
export type TriggerMethod = (typeof TRIGGER_METHODS)[number];

/** The statuses a declared response may have (a procedure's own answer may use any 2xx or 4xx). */
export const RESPONSE_STATUSES = [200, 201, 202, 204] as const;
export type ResponseStatus = (typeof RESPONSE_STATUSES)[number];

/** The longest a `fromProcedure` response may keep the sender waiting. */
export const MAX_RESPOND_TIMEOUT_MS = 30_000;

/** A JSON value: a response body. Strings may hold `{{ placeholders }}` (see {@link TriggerResponseDecl.body}). */
export type JsonBody = string | number | boolean | null | readonly JsonBody[] | { readonly [key: string]: JsonBody };

/**
 * An HTTP answer as the author declares it: for a trigger (the run's start) or a callback wait (an accepted callback).
 *
 * @example
 * ```ts
 * response: { status: 201, headers: { 'x-run': '{{workflowId}}' }, body: { id: '{{workflowId}}', run: '{{runId}}' } }
 * ```
 */
export interface ResponseDecl {
  readonly status: ResponseStatus;
  /** Extra headers (values may hold placeholders). `Content-Type` chooses how a string body is sent (default text/plain). */
  readonly headers?: { readonly [name: string]: string };
  /**
   * JSON (strings may hold `{{ placeholders }}`; a string that is exactly one placeholder takes the value as is), or
   * a string sent as text (HTML with `Content-Type: text/html`). A 204 has no body.
   */
  readonly body?: JsonBody;
}

/** A checked {@link ResponseDecl}. */
export interface ResponseSpec {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: JsonBody;
}

/** The procedure decides the answer with `await run.respond({ status, headers, body })`. */
export interface FromProcedureResponseDecl {
  readonly type: 'fromProcedure';
  /** How long the sender waits for `run.respond`, at most 30 s. */
  readonly timeout: Duration;
  /** What the sender gets past the timeout (the run goes on). */
  readonly fallback: ResponseDecl;
}

/** A trigger's response: a static one (answered once the run has started) or the procedure's own. */
export type TriggerResponseDecl = ResponseDecl | FromProcedureResponseDecl;

/** A trigger as the author declares it. */
export interface TriggerDecl {
  /** Its name: letters, digits, `_`, `-` (listed by `hookwait triggers`, the `HookwaitTrigger` search attribute). */
  readonly name: string;
  readonly title?: string;
  /** The URL suffix: served at `/hooks/<path>`. Letters, digits, `-`, `_`, in `/`-separated segments. */
  readonly path: string;
  /** Default `['POST']`. */
  readonly methods?: readonly TriggerMethod[];
  /** Sender authentication, checked before anything reaches Temporal (401). */
  readonly auth?: SenderAuthDecl;
  /** zod schemas of the request's headers (names lower-case), query and body; a mismatch is 422 naming each field. */
  readonly expect?: { readonly headers?: z.ZodType; readonly query?: z.ZodType; readonly body?: z.ZodType };
  /** The procedure the trigger starts. */
  readonly procedure: AnyProcedure;
  /**
   * The procedure's input: by input field (dotted for nested), a path into the request: `body`, `body.<path>`,
   * `query.<name>`, `headers.<name>`. Default: the whole body.
   */
  readonly input?: { readonly [field: string]: string };
  /** Where the sender's delivery id is read: `headers.webhook-id`, `body.event.id`, `query.id`. Without one, every request starts a run. */
  readonly idempotencyKey?: string;
  /** Default: `{ status: 201, body: { status: 'started', trigger, workflowId, runId } }`. */
  readonly response?: TriggerResponseDecl;
  /**
   * At most `requests` deliveries per `per` (e.g. `{ requests: 100, per: '1m' }`) on each gateway replica, counted
   * once a request has passed every check (auth, `expect`, input), so refused requests cannot use it up; past it,
   * `429` with `Retry-After`. Default: none (the per-address limit applies to every request).
   */
  readonly rateLimit?: { readonly requests: number; readonly per: Duration };
}

/** A path into the request, as `input` and `idempotencyKey` declare it. */
export interface RequestPath {
  readonly source: 'body' | 'query' | 'headers';
  readonly path: readonly string[];
}

/** A checked trigger, made by {@link defineTrigger}. */
export interface Trigger {
  readonly kind: 'hookwait.trigger';
  readonly name: string;
  readonly title: string;
  /** Without a leading or trailing slash. */
  readonly path: string;
  readonly methods: readonly TriggerMethod[];
  readonly auth?: SenderAuth;
  readonly expect: { readonly headers?: z.ZodType; readonly query?: z.ZodType; readonly body?: z.ZodType };
  readonly procedure: AnyProcedure;
  /** By input field path (segments). Undefined: the whole body. */
  readonly input?: readonly { readonly field: readonly string[]; readonly from: RequestPath }[];
  readonly idempotencyKey?: RequestPath;
  readonly response: { readonly type: 'static'; readonly spec: ResponseSpec } | { readonly type: 'fromProcedure'; readonly timeoutMs: number; readonly fallback: ResponseSpec };
  /** Deliveries per window on each gateway replica (see {@link TriggerDecl.rateLimit}). */
  readonly rateLimit?: { readonly requests: number; readonly windowMs: number };
}

const TRIGGER_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const PATH_SEGMENT = /^[A-Za-z0-9_-]{1,64}$/;
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/;
const FIELD_SEGMENT = /^[A-Za-z0-9_$-]{1,128}$/;
const RESERVED_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);
/** Headers an author's response may not set: the gateway's own framing and security headers. */
const RESPONSE_HEADERS_OWNED = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'set-cookie', 'x-request-id', 'location', 'trailer']);
/** Headers that carry credentials: never captured, never mapped into a run. */
export const NEVER_CAPTURED_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key']);

/** The headers a sender-auth declaration reads: never captured as attributes or input. */
export function senderAuthHeaders(auth: SenderAuth | undefined): string[] {
  if (!auth) return [];
  switch (auth.type) {
    case 'standardWebhooks':
      return ['webhook-signature'];
    default:
      return [auth.header];
  }
}

/**
 * Checks a response declaration.
 * @throws {@link DefinitionError} naming the field.
 * @example
 * ```ts
 * normalizeResponse({ status: 204 }, 'response'); // { status: 204, headers: {} }
 * ```
 */
export function normalizeResponse(decl: ResponseDecl, field: string): ResponseSpec {
  if (typeof decl !== 'object' || decl === null) throw new DefinitionError(field, 'must be { status, headers?, body? }');
  if (!(RESPONSE_STATUSES as readonly number[]).includes(decl.status)) {
    throw new DefinitionError(`${field}.status`, `must be one of ${RESPONSE_STATUSES.join(', ')}, got ${JSON.stringify(decl.status)}`);
  }
  if (decl.status === 204 && decl.body !== undefined) throw new DefinitionError(`${field}.body`, 'a 204 response has no body');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(decl.headers ?? {})) {
    const lower = name.toLowerCase();
    if (!HEADER_NAME.test(name) || RESPONSE_HEADERS_OWNED.has(lower)) {
      throw new DefinitionError(`${field}.headers.${name}`, `must be a header name the gateway does not set itself (not ${[...RESPONSE_HEADERS_OWNED].join(', ')})`);
    }
    if (typeof value !== 'string' || /[\r\n\0]/.test(value)) throw new DefinitionError(`${field}.headers.${name}`, 'must be a string without line breaks');
    headers[lower] = value;
  }
  if (decl.body !== undefined) checkJson(decl.body, `${field}.body`, 0);
  return { status: decl.status, headers, ...(decl.body !== undefined ? { body: decl.body } : {}) };
}

function checkJson(value: unknown, field: string, depth: number): void {
  if (depth > 16) throw new DefinitionError(field, 'is nested too deeply');
  if (value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) return;
  if (Array.isArray(value)) return value.forEach((v, i) => checkJson(v, `${field}[${i}]`, depth + 1));
  if (typeof value === 'object') return Object.entries(value as object).forEach(([k, v]) => checkJson(v, `${field}.${k}`, depth + 1));
  throw new DefinitionError(field, 'must be JSON (strings, numbers, booleans, null, arrays, objects)');
}

/**
 * Reads a request path (`body`, `body.a.b`, `query.code`, `headers.webhook-id`).
 * @throws {@link DefinitionError} naming `field`; credential headers (and `forbidden`) are refused.
 */
export function parseRequestPath(text: unknown, field: string, forbidden: readonly string[] = []): RequestPath {
  if (typeof text !== 'string') throw new DefinitionError(field, 'must be a path such as body.customerId, query.id or headers.webhook-id');
  const [source, ...rest] = text.split('.');
  if (source === 'headers') {
    const name = rest.join('.').toLowerCase();
    if (!HEADER_NAME.test(name)) throw new DefinitionError(field, `headers.<name> needs a header name, got ${JSON.stringify(text)}`);
    if (NEVER_CAPTURED_HEADERS.has(name) || forbidden.includes(name)) throw new DefinitionError(field, `header ${name} carries credentials and can never be captured`);
    return { source: 'headers', path: [name] };
  }
  if (source === 'query') {
    const name = rest.join('.');
    if (!FIELD_SEGMENT.test(name.replace(/\./g, '_')) || RESERVED_SEGMENTS.has(name)) throw new DefinitionError(field, `query.<name> needs a parameter name, got ${JSON.stringify(text)}`);
    return { source: 'query', path: [name] };
  }
  if (source === 'body') {
    if (!rest.every((s) => FIELD_SEGMENT.test(s) && !RESERVED_SEGMENTS.has(s)) || rest.length > 32) throw new DefinitionError(field, `must be a dotted path of plain segments, got ${JSON.stringify(text)}`);
    return { source: 'body', path: rest };
  }
  throw new DefinitionError(field, `must start with body, query or headers, got ${JSON.stringify(text)}`);
}

/**
 * Declares a webhook trigger: a request to `/hooks/<path>` starts `procedure` with an input mapped from the request,
 * and the sender gets the declared response (or the procedure's own, with `run.respond`). Pure; checked at once.
 *
 * @throws {@link DefinitionError} naming the field (a path with a space, an unknown method, a credential header in
 * `input`, a `fromProcedure` timeout over 30 s, …).
 * @example
 * ```ts
 * export const kycStart = defineTrigger({
 *   name: 'kycStart',
 *   path: 'kyc/start',
 *   procedure: identityVerificationProcedure,
 *   expect: { body: z.object({ customerId: z.string().min(1) }) },
 *   input: { customerId: 'body.customerId' },
 *   idempotencyKey: 'headers.webhook-id',
 *   response: { status: 201, body: { workflowId: '{{workflowId}}', runId: '{{runId}}' } },
 * });
 * ```
 */
export function defineTrigger(decl: TriggerDecl): Trigger {
  if (typeof decl !== 'object' || decl === null) throw new DefinitionError('trigger', 'must be a trigger declaration');
  if (typeof decl.name !== 'string' || !TRIGGER_NAME.test(decl.name)) {
    throw new DefinitionError('name', 'trigger names are 1-64 letters, digits, "_" or "-", starting with a letter');
  }
  if (decl.title !== undefined && (typeof decl.title !== 'string' || decl.title.trim() === '')) throw new DefinitionError('title', 'must be a non-empty string');
  const path = typeof decl.path === 'string' ? decl.path.replace(/^\/+|\/+$/g, '') : '';
  const segments = path.split('/');
  if (path === '' || segments.length > 8 || !segments.every((s) => PATH_SEGMENT.test(s))) {
    throw new DefinitionError('path', `must be letters, digits, "-" and "_" in "/"-separated segments (e.g. kyc/start), got ${JSON.stringify(decl.path)}`);
  }
  if (segments[0]?.toLowerCase() === 'callbacks') throw new DefinitionError('path', 'callbacks/… is where callback URLs are served (under a router mounted at /hooks): choose another first segment');
  const methods = decl.methods ?? ['POST'];
  if (!Array.isArray(methods) || methods.length === 0) throw new DefinitionError('methods', `must list at least one of ${TRIGGER_METHODS.join(', ')}`);
  methods.forEach((m, i) => {
    if (!(TRIGGER_METHODS as readonly string[]).includes(m)) throw new DefinitionError(`methods[${i}]`, `must be one of ${TRIGGER_METHODS.join(', ')}, got ${JSON.stringify(m)}`);
  });
  const auth = decl.auth !== undefined ? normalizeSenderAuth(decl.auth, 'auth') : undefined;
  const procedure = decl.procedure;
  if (typeof procedure !== 'object' || procedure === null || typeof procedure.name !== 'string' || typeof procedure.input?.safeParse !== 'function') {
    throw new DefinitionError('procedure', 'must be a defineProcedure(...) result');
  }
  const expect: { headers?: z.ZodType; query?: z.ZodType; body?: z.ZodType } = {};
  for (const part of ['headers', 'query', 'body'] as const) {
    const schema = decl.expect?.[part];
    if (schema === undefined) continue;
    if (typeof (schema as { safeParse?: unknown }).safeParse !== 'function') throw new DefinitionError(`expect.${part}`, 'must be a zod schema');
    expect[part] = schema;
  }
  const forbidden = senderAuthHeaders(auth);
  const shape = (expect.headers as { shape?: Record<string, unknown> } | undefined)?.shape;
  for (const name of Object.keys(shape ?? {})) {
    if (NEVER_CAPTURED_HEADERS.has(name.toLowerCase()) || forbidden.includes(name.toLowerCase())) {
      throw new DefinitionError(`expect.headers.${name}`, `header ${name.toLowerCase()} carries credentials and can never be captured`);
    }
  }
  let input: { field: string[]; from: RequestPath }[] | undefined;
  if (decl.input !== undefined) {
    if (typeof decl.input !== 'object' || decl.input === null) throw new DefinitionError('input', 'must map input fields to request paths');
    input = Object.entries(decl.input).map(([field, from]) => {
      const segments = field.split('.');
      if (!segments.every((s) => FIELD_SEGMENT.test(s) && !RESERVED_SEGMENTS.has(s))) throw new DefinitionError(`input.${field}`, 'input fields are dotted paths of plain segments');
      return { field: segments, from: parseRequestPath(from, `input.${field}`, forbidden) };
    });
  }
  const idempotencyKey = decl.idempotencyKey !== undefined ? parseRequestPath(decl.idempotencyKey, 'idempotencyKey', forbidden.filter((h) => h !== 'webhook-id')) : undefined;
  const source = (p: RequestPath): 'body' | 'query' | 'header' => (p.source === 'headers' ? 'header' : p.source);
  checkSignedParts(auth, 'auth', {
    methods,
    methodsField: 'methods',
    reads: [
      ...(input ?? []).map((m) => ({ source: source(m.from), name: String(m.from.path[0]), field: `input.${m.field.join('.')}` })),
      ...(idempotencyKey ? [{ source: source(idempotencyKey), name: String(idempotencyKey.path[0]), field: 'idempotencyKey' }] : []),
    ],
  });
  const response = normalizeTriggerResponse(decl.response, decl.name);
  const rateLimit = normalizeTriggerRateLimit(decl.rateLimit);
  if (!auth) {
    // A callback URL is a credential: only a sender who proved who it is may get one (a repeated delivery is answered
    // to whoever presents its idempotency key again).
    const spec = response.type === 'static' ? response.spec : response.fallback;
    const where = response.type === 'static' ? 'response' : 'response.fallback';
    const strings: string[] = [...Object.values(spec.headers)];
    const walk = (v: unknown): void => {
      if (typeof v === 'string') strings.push(v);
      else if (Array.isArray(v)) v.forEach(walk);
      else if (typeof v === 'object' && v !== null) Object.values(v).forEach(walk);
    };
    walk(spec.body);
    const url = strings.flatMap(placeholderPaths).find((p) => p === 'callbackUrls' || p.startsWith('callbackUrls.'));
    if (url !== undefined) throw new DefinitionError(where, `{{${url}}} hands out a callback URL (a credential): declare \`auth\` on this trigger, or leave it out of the response`);
  }
  return {
    kind: 'hookwait.trigger',
    name: decl.name,
    title: decl.title ?? decl.name,
    path,
    methods: [...new Set(methods)],
    ...(auth ? { auth } : {}),
    expect,
    procedure,
    ...(input ? { input } : {}),
    ...(idempotencyKey ? { idempotencyKey } : {}),
    response,
    ...(rateLimit ? { rateLimit } : {}),
  };
}

function normalizeTriggerRateLimit(decl: TriggerDecl['rateLimit']): Trigger['rateLimit'] {
  if (decl === undefined) return undefined;
  if (typeof decl !== 'object' || decl === null) throw new DefinitionError('rateLimit', "must be { requests, per }, e.g. { requests: 100, per: '1m' }");
  if (!Number.isInteger(decl.requests) || decl.requests < 1 || decl.requests > 1_000_000) throw new DefinitionError('rateLimit.requests', 'must be a whole number from 1 to 1000000');
  const windowMs = durationToMs(decl.per, 'rateLimit.per');
  if (windowMs < 1_000 || windowMs > 24 * 3_600_000) throw new DefinitionError('rateLimit.per', 'must be from 1s to 24h');
  return { requests: decl.requests, windowMs };
}

function normalizeTriggerResponse(decl: TriggerResponseDecl | undefined, name: string): Trigger['response'] {
  if (decl === undefined) {
    return { type: 'static', spec: { status: 201, headers: {}, body: { status: 'started', trigger: name, workflowId: '{{workflowId}}', runId: '{{runId}}' } } };
  }
  if (typeof decl === 'object' && decl !== null && 'type' in decl && decl.type === 'fromProcedure') {
    const timeoutMs = durationToMs(decl.timeout, 'response.timeout');
    if (timeoutMs < 1 || timeoutMs > MAX_RESPOND_TIMEOUT_MS) throw new DefinitionError('response.timeout', `must be from 1ms to 30s, got ${JSON.stringify(decl.timeout)}`);
    if (decl.fallback === undefined) throw new DefinitionError('response.fallback', 'is required: what the sender gets when the procedure has not answered in time');
    return { type: 'fromProcedure', timeoutMs, fallback: normalizeResponse(decl.fallback, 'response.fallback') };
  }
  if (typeof decl === 'object' && decl !== null && 'type' in decl) throw new DefinitionError('response.type', "must be 'fromProcedure' (or leave it out for a static response)");
  return { type: 'static', spec: normalizeResponse(decl as ResponseDecl, 'response') };
}

/**
 * Checks a gateway's triggers together: names and paths unique.
 * @throws {@link DefinitionError} naming the trigger.
 * @example
 * ```ts
 * checkTriggers([kycStart, orderCreated]);
 * ```
 */
export function checkTriggers(triggers: readonly Trigger[]): void {
  const byPath = new Map<string, string>();
  const names = new Set<string>();
  for (const t of triggers) {
    if (t?.kind !== 'hookwait.trigger') throw new DefinitionError('triggers', 'must be defineTrigger(...) results');
    if (names.has(t.name)) throw new DefinitionError(`triggers.${t.name}`, 'two triggers have this name');
    names.add(t.name);
    const other = byPath.get(t.path.toLowerCase());
    if (other !== undefined) throw new DefinitionError(`triggers.${t.name}.path`, `trigger '${other}' already serves /hooks/${t.path}`);
    byPath.set(t.path.toLowerCase(), t.name);
  }
}

/** A status a procedure may answer with `run.respond`: 2xx or 4xx, never 5xx. */
export function isRespondStatus(status: unknown): status is number {
  return typeof status === 'number' && Number.isInteger(status) && ((status >= 200 && status <= 299) || (status >= 400 && status <= 499));
}
