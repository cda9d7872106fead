import { type AttributesDecl, type NormalizedAttribute, normalizeAttributes } from './attributes';
import { DefinitionError } from './definition-error';
import { type Duration, maxWaitTimeoutMs, waitTimeoutToMs } from './duration';
import { normalizeProgress, type ProgressDecl, type ProgressPoint } from './poll';
import { checkSignedParts, normalizeSenderAuth, type SenderAuth, type SenderAuthDecl } from './sender-auth';
import { normalizeResponse, type ResponseDecl, type ResponseSpec, senderAuthHeaders } from './trigger';
import { placeholderPaths } from './template-placeholders';

/** The methods a callback may use; a wait declares which (default POST and PUT). */
export const CALLBACK_METHODS_ALL = ['POST', 'PUT', 'GET'] as const;
export type CallbackMethod = (typeof CALLBACK_METHODS_ALL)[number];
/** A wait's methods unless it declares others. */
export const DEFAULT_CALLBACK_METHODS: readonly CallbackMethod[] = ['POST', 'PUT'];

/** Who gets the conversation when a wait escalates: a team or a teammate. */
export type Assignee = { readonly team: string } | { readonly teammate: string };

/** What a wait does when no callback arrives in time. */
export type TimeoutAction = 'escalate' | 'branch';

export interface EscalationDecl {
  /** Sent to the customer when the wait times out. */
  readonly message?: string;
  /** The team or teammate the conversation is routed to after the message. */
  readonly assignee?: Assignee;
}

/** A wait point as the author declares it. */
export interface WaitDecl<A extends AttributesDecl = AttributesDecl> {
  /** Human name, shown in the Web UI and the CLI (e.g. "Wait for ID verification callback"). */
  readonly title: string;
  /** The response attributes captured from the callback; anything else in the payload is dropped. */
  readonly attributes: A;
  /** How long to wait, at least 1s. A run may override it: `run.wait(name, { timeout })`. */
  readonly timeout: Duration;
  /**
   * `'escalate'` (default): send `escalation.message` to the customer, assign the conversation to
   * `escalation.assignee` and end the procedure with status `escalated`.
   * `'branch'`: the wait returns `{ ok: false, reason: 'timeout' }` and the procedure decides.
   */
  readonly onTimeout?: TimeoutAction;
  readonly escalation?: EscalationDecl;
  /** Optional sender authentication, checked at the gateway before anything reaches Temporal (401 on failure). */
  readonly auth?: SenderAuthDecl;
  /**
   * Optional run binding (procedures only): the callback's `attribute` must equal the run's input at the dotted
   * path `input` (compared as text), so a callback meant for one customer cannot complete another customer's run,
   * even with a valid signature replayed from elsewhere. Checked by the run (a mismatch is recorded on its ledger as
   * `rejected`, never applied) and, once the run has published its bound value, by the gateway (`422`).
   *
   * @example
   * ```ts
   * bind: { attribute: 'customer_id', input: 'customerId' } // with attributes ['status', 'customer_id']
   * ```
   */
  readonly bind?: WaitBindingDecl;
  /**
   * Progress messages while the wait is open: after each `every`, `message` is sent to the customer, at most `max`
   * times (default 3), each once (idempotency key per index) and recorded on the ledger. They stop when the wait ends.
   *
   * @example
   * ```ts
   * progress: { every: '2m', message: 'We are still checking your documents ({{progress.elapsed}} so far).', max: 3 }
   * ```
   */
  readonly progress?: ProgressDecl;
  /**
   * The methods the callback URL accepts (default `['POST', 'PUT']`). A `GET` callback reads its attributes from the
   * query string (`from: 'query'`): a browser redirect such as OAuth's `?code=…&state=…`.
   */
  readonly methods?: readonly CallbackMethod[];
  /**
   * Answer an accepted (or repeated) callback with `303 See Other` to this URL: an absolute http(s) URL or a path
   * starting with `/`; `{{attribute}}` placeholders (URL-encoded) only after the host. For browser callbacks.
   * @example
   * ```ts
   * redirect: 'https://app.example.com/linked?state={{state}}'
   * ```
   */
  readonly redirect?: string;
  /**
   * The answer to an accepted (or repeated) callback instead of the default (202 / 200 JSON): a status of 200, 201,
   * 202 or 204, headers, and a JSON body or a string (HTML with `content-type: text/html`). `{{attribute}}`
   * placeholders are filled (HTML-escaped in HTML).
   */
  readonly response?: ResponseDecl;
}

/** See {@link WaitDecl.bind}. */
export interface WaitBindingDecl {
  /** A declared attribute of the wait. */
  readonly attribute: string;
  /** A dotted path into the procedure's input (`customerId`, `customer.id`) that holds a string, number or boolean. */
  readonly input: string;
}

/** A wait point after definition-time checks. */
export interface WaitPoint {
  readonly name: string;
  readonly title: string;
  readonly attributes: readonly NormalizedAttribute[];
  readonly timeoutMs: number;
  readonly onTimeout: TimeoutAction;
  readonly escalation?: { readonly message: string; readonly assignee: Assignee };
  readonly auth?: SenderAuth;
  readonly bind?: WaitBindingDecl;
  readonly progress?: ProgressPoint;
  /** Absent: {@link DEFAULT_CALLBACK_METHODS}. */
  readonly methods?: readonly CallbackMethod[];
  readonly redirect?: string;
  readonly response?: ResponseSpec;
}

export const WAIT_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

/**
 * A checked wait declaration with its name, made by {@link defineWait}: usable in any workflow with
 * `createCallback` (from `hookwait/workflow`) and known to the gateway, which checks callbacks against it.
 * The type parameters carry the declaration, so `await callback.wait()` is typed from it.
 */
export interface WaitDefinition<N extends string = string, A extends AttributesDecl = AttributesDecl, T extends TimeoutAction = TimeoutAction>
  extends WaitPoint {
  readonly name: N;
  readonly onTimeout: T;
  /** Type-level only: the attributes as declared. */
  readonly declaredAttributes?: A;
}

/**
 * Declares a wait for a callback, like Temporal's `defineSignal`: in a pure module that both your workflows and the
 * gateway import. Checked at once; a mistake throws a {@link DefinitionError} naming the field.
 *
 * @example
 * ```ts
 * import { z } from 'zod';
 * import { defineWait } from 'hookwait/workflow';
 *
 * export const idVerified = defineWait({
 *   name: 'idVerified',
 *   title: 'Wait for the KYC provider',
 *   attributes: { status: z.enum(['verified', 'rejected']), reference: { path: 'data.reference.id' } },
 *   timeout: '1h',
 *   onTimeout: 'branch',
 * });
 * ```
 */
export function defineWait<const N extends string, const A extends AttributesDecl, const T extends TimeoutAction = 'escalate'>(
  decl: WaitDecl<A> & { readonly name: N; readonly onTimeout?: T },
): WaitDefinition<N, A, T> {
  if (typeof decl !== 'object' || decl === null) throw new DefinitionError('wait', 'must be a wait declaration');
  if (decl.bind !== undefined) throw new DefinitionError('bind', "binds a callback to a procedure's input: a plain workflow's wait cannot use it");
  return normalizeWait(decl.name, decl, typeof decl.name === 'string' && WAIT_NAME.test(decl.name) ? decl.name : 'name') as WaitDefinition<N, A, T>;
}

export function assigneeLabel(a: Assignee): string {
  return 'team' in a ? `team ${a.team}` : `teammate ${a.teammate}`;
}

function checkAssignee(value: unknown, field: string): Assignee {
  if (typeof value === 'object' && value !== null) {
    const v = value as Record<string, unknown>;
    if (typeof v.team === 'string' && v.team.trim() !== '' && v.teammate === undefined) return { team: v.team };
    if (typeof v.teammate === 'string' && v.teammate.trim() !== '' && v.team === undefined) return { teammate: v.teammate };
  }
  throw new DefinitionError(field, 'must be { team: "<id>" } or { teammate: "<id>" }');
}

const INPUT_PATH = /^[A-Za-z_$][A-Za-z0-9_$]{0,63}(\.[A-Za-z_$][A-Za-z0-9_$]{0,63}){0,7}$/;

function checkBinding(bind: WaitBindingDecl, attributes: readonly NormalizedAttribute[], field: string): WaitBindingDecl {
  if (typeof bind !== 'object' || bind === null) throw new DefinitionError(field, 'must be { attribute, input }');
  if (typeof bind.attribute !== 'string' || !attributes.some((a) => a.name === bind.attribute)) {
    throw new DefinitionError(`${field}.attribute`, `must name a declared attribute (${attributes.map((a) => a.name).join(', ')}), got ${JSON.stringify(bind.attribute)}`);
  }
  if (typeof bind.input !== 'string' || !INPUT_PATH.test(bind.input) || bind.input.split('.').some((p) => p === '__proto__' || p === 'constructor' || p === 'prototype')) {
    throw new DefinitionError(`${field}.input`, `must be a dotted path into the procedure's input (e.g. customerId or customer.id), got ${JSON.stringify(bind.input)}`);
  }
  return { attribute: bind.attribute, input: bind.input };
}

export function normalizeWait(name: string, decl: WaitDecl, field: string): WaitPoint {
  if (!WAIT_NAME.test(name)) {
    throw new DefinitionError(field, 'wait names are 1-64 letters, digits, "_" or "-", starting with a letter');
  }
  if (typeof decl !== 'object' || decl === null) throw new DefinitionError(field, 'must be a wait declaration');
  if (typeof decl.title !== 'string' || decl.title.trim() === '') throw new DefinitionError(`${field}.title`, 'is required');
  const attributes = normalizeAttributes(decl.attributes, `${field}.attributes`);
  const timeoutMs = waitTimeoutToMs(decl.timeout, `${field}.timeout`, maxWaitTimeoutMs());
  const onTimeout = decl.onTimeout ?? 'escalate';
  if (onTimeout !== 'escalate' && onTimeout !== 'branch') {
    throw new DefinitionError(`${field}.onTimeout`, `must be 'escalate' or 'branch', got ${JSON.stringify(onTimeout)}`);
  }
  const auth = {
    ...(decl.auth !== undefined ? { auth: normalizeSenderAuth(decl.auth, `${field}.auth`) } : {}),
    ...(decl.bind !== undefined ? { bind: checkBinding(decl.bind, attributes, `${field}.bind`) } : {}),
    ...(decl.progress !== undefined ? { progress: normalizeProgress(decl.progress, `${field}.progress`) } : {}),
    ...normalizeHttpContract(decl, attributes, field),
  };
  const authHeaders = senderAuthHeaders(auth.auth);
  for (const a of attributes) {
    if (a.from === 'header' && authHeaders.includes(a.path[0] as string)) {
      throw new DefinitionError(`${field}.attributes.${a.name}.path`, `header ${a.path[0]} authenticates this wait's callbacks and can never be captured`);
    }
  }
  checkSignedParts(auth.auth, `${field}.auth`, {
    methods: auth.methods ?? [],
    methodsField: `${field}.methods`,
    reads: attributes.map((a) => ({ source: a.from ?? 'body', name: String(a.path[0]), field: `${field}.attributes.${a.name}.from` })),
  });
  if (onTimeout === 'branch') return { name, title: decl.title, attributes, timeoutMs, onTimeout, ...auth };

  const missing: string[] = [];
  const message = decl.escalation?.message;
  if (typeof message !== 'string' || message.trim() === '') missing.push(`${field}.escalation.message`);
  if (decl.escalation?.assignee === undefined) missing.push(`${field}.escalation.assignee`);
  if (missing.length > 0) {
    throw new DefinitionError(
      missing[0] as string,
      `onTimeout 'escalate' needs an escalation message and an escalation assignee; missing: ${missing.join(', ')}`,
    );
  }
  const assignee = checkAssignee(decl.escalation?.assignee, `${field}.escalation.assignee`);
  return { name, title: decl.title, attributes, timeoutMs, onTimeout, escalation: { message: message as string, assignee }, ...auth };
}

const REDIRECT_ORIGIN = /^(https?:\/\/[^/?#{}\s]+)?\/[^\s]*$/;

/** A wait's `methods`, `redirect` and `response`, checked. */
function normalizeHttpContract(
  decl: WaitDecl,
  attributes: readonly NormalizedAttribute[],
  field: string,
): { methods?: readonly CallbackMethod[]; redirect?: string; response?: ResponseSpec } {
  const out: { methods?: readonly CallbackMethod[]; redirect?: string; response?: ResponseSpec } = {};
  if (decl.methods !== undefined) {
    if (!Array.isArray(decl.methods) || decl.methods.length === 0) throw new DefinitionError(`${field}.methods`, `must list at least one of ${CALLBACK_METHODS_ALL.join(', ')}`);
    decl.methods.forEach((m, i) => {
      if (!(CALLBACK_METHODS_ALL as readonly string[]).includes(m)) throw new DefinitionError(`${field}.methods[${i}]`, `must be one of ${CALLBACK_METHODS_ALL.join(', ')}, got ${JSON.stringify(m)}`);
    });
    out.methods = [...new Set(decl.methods)];
  }
  const names = new Set(attributes.map((a) => a.name));
  const checkPlaceholders = (text: string, where: string): void => {
    for (const p of placeholderPaths(text)) if (!names.has(p)) throw new DefinitionError(where, `{{${p}}} names no attribute of this wait (${[...names].join(', ')})`);
  };
  if (decl.redirect !== undefined) {
    if (typeof decl.redirect !== 'string' || decl.redirect.length > 2048 || !REDIRECT_ORIGIN.test(decl.redirect) || decl.redirect.startsWith('//') || decl.redirect.includes('\\')) {
      throw new DefinitionError(`${field}.redirect`, `must be an absolute http(s) URL or a path starting with / (not // and no backslash: browsers read /\\host as another host), with placeholders only after the host, got ${JSON.stringify(decl.redirect)}`);
    }
    checkPlaceholders(decl.redirect, `${field}.redirect`);
    if (decl.response !== undefined) throw new DefinitionError(`${field}.response`, 'a wait answers with a redirect or a response, not both');
    out.redirect = decl.redirect;
  }
  if (decl.response !== undefined) {
    const spec = normalizeResponse(decl.response, `${field}.response`);
    for (const [k, v] of Object.entries(spec.headers)) checkPlaceholders(v, `${field}.response.headers.${k}`);
    const strings: string[] = [];
    const walk = (v: unknown): void => {
      if (typeof v === 'string') strings.push(v);
      else if (Array.isArray(v)) v.forEach(walk);
      else if (typeof v === 'object' && v !== null) Object.values(v).forEach(walk);
    };
    walk(spec.body);
    for (const t of strings) checkPlaceholders(t, `${field}.response.body`);
    out.response = spec;
  }
  return out;
}
