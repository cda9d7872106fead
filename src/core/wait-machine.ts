/**
 * The pure state machine of a run's waits: every decision about callbacks, expiries, revocations and timeouts.
 * No Temporal imports and no clock: given a state and an event it returns the new state and what happened, so it is
 * tested exhaustively without a server (test/unit/wait-machine.test.ts) and the workflow runtime only applies it.
 *
 * Rules:
 * - the first valid callback for a wait wins; a later one is a `duplicate`, never applied;
 * - `received` and `timed_out` are terminal; a revoked wait refuses HTTP callbacks (`revoked`);
 * - a callback that arrives before its wait is awaited, or (in a plain workflow) before the wait is even declared,
 *   is kept and applied as soon as it can be: no accepted callback is lost.
 */
import { checkCapturedAttributes, type FieldError, type Scalar } from '../definitions/attributes';
import { BINDING_MISMATCH, bindingDigest } from './run-binding';
import type { WaitPoint } from '../definitions/wait-point';
import {
  type CallbackSignalArgs,
  type CallbackSource,
  type CustomerMessage,
  type ExpireSignalArgs,
  isRevokedBy,
  type LedgerEntry,
  type LedgerOutcome,
  MAX_EARLY,
  MAX_LEDGER,
  MAX_RECORDED_REPEATS,
  type ProcedureState,
  type ProcedureStatus,
  type RevokeSignalArgs,
  waitId,
  type WaitState,
} from './run-state';

/** What the machine needs to know about the run's declarations. */
export interface MachineContext {
  /** The declared wait of that name, or undefined when the run does not know it (yet). */
  lookup(wait: string): WaitPoint | undefined;
  /**
   * `true` for a procedure, which declares every wait up front: a callback for another name is recorded as
   * `unknown-wait`. `false` for a plain workflow, which declares waits as it goes: such a callback is kept.
   */
  readonly closed: boolean;
  /**
   * Asked only when a callback's string attribute is over its `maxLength`: refuse it? Default yes. The workflow
   * answers through a patch, so a run that accepted such a value before the limit existed replays as it ran.
   */
  readonly enforceMaxLength?: () => boolean;
  /**
   * Asked only when an HTTP callback carries the request id of one already on the ledger for that wait: take it as the
   * same request again and record nothing? Default yes. The workflow answers through a patch: gateways before the
   * update took a sender's `x-request-id` as theirs, so older histories may hold two different callbacks with one id.
   */
  readonly oneRequestOnce?: () => boolean;
}

export type MachineEvent =
  | { readonly type: 'callback'; readonly callback: CallbackSignalArgs }
  | { readonly type: 'expire'; readonly request: ExpireSignalArgs }
  | { readonly type: 'revoke'; readonly request: RevokeSignalArgs }
  | { readonly type: 'customer-message'; readonly message: CustomerMessage; readonly at: string }
  /** The run declares a wait (a key of a keyed wait): kept callbacks for it apply now. */
  | { readonly type: 'declare'; readonly wait: string; readonly key?: string; readonly url?: string }
  /** The run starts awaiting a wait; `at` is the workflow's clock. */
  | { readonly type: 'begin'; readonly id: string; readonly at: string; readonly timeoutMs: number }
  /** The wait's condition returned: the callback came, an operator expired it, or its timer fired. */
  | { readonly type: 'end'; readonly id: string }
  /**
   * The wait's poll (`cb.wait({ poll })`) answered: `done` completes the wait with `attributes` (as a callback would,
   * same checks) unless it already ended; `failed` stops the poll (recorded, the wait goes on; `errors` say why when it
   * was the connector call that failed). With `done`, `errors` means the response did not fit the wait's attributes.
   */
  | {
      readonly type: 'poll';
      readonly wait: string;
      readonly key?: string;
      readonly at: string;
      readonly connector: string;
      readonly check: number;
      readonly verdict: 'done' | 'failed';
      readonly attributes?: Record<string, Scalar>;
      readonly errors?: readonly FieldError[];
    }
  /** A progress message of an open wait was sent (`delivered`), or the channel refused it. */
  | { readonly type: 'progress'; readonly id: string; readonly at: string; readonly index: number; readonly delivered: boolean }
  | { readonly type: 'finish'; readonly status: Extract<ProcedureStatus, 'completed' | 'escalated' | 'failed'>; readonly escalatedAt?: { readonly wait: string; readonly at: string } };

export interface Transition {
  readonly state: ProcedureState;
  /** Ledger outcomes the event recorded (a revocation of several waits records several). */
  readonly outcomes: readonly LedgerOutcome[];
  /** Whether what the gateway reads (memo, search attributes) changed. */
  readonly publish: boolean;
}

/** A fresh state for a run. `waits` are the waits declared up front (a procedure's), all pending. */
export function initialState(init: {
  readonly procedure: string;
  readonly workflowId: string;
  readonly runId: string;
  readonly conversationId: string;
  readonly startedAt: string;
  readonly waits?: readonly WaitPoint[];
  /** Digests of the bound values of waits declared with `bind`, by wait name (see `bindingDigest`). */
  readonly bindings?: Readonly<Record<string, string>>;
}): ProcedureState {
  return {
    procedure: init.procedure,
    workflowId: init.workflowId,
    runId: init.runId,
    conversationId: init.conversationId,
    status: 'running',
    startedAt: init.startedAt,
    callbackUrls: {},
    waits: Object.fromEntries((init.waits ?? []).map((w) => [w.name, { title: w.title, status: 'pending' as const }])),
    customerMessages: [],
    ledger: [],
    ...(init.bindings && Object.keys(init.bindings).length > 0 ? { bindings: init.bindings } : {}),
  };
}

const TERMINAL_RUN: readonly ProcedureStatus[] = ['completed', 'escalated', 'failed'];
/** Callbacks kept per wait id before the wait is declared. */
const MAX_EARLY_PER_WAIT = 5;

/** Applies one event. Pure: `state` is not modified. */
export function step(state: ProcedureState, event: MachineEvent, ctx: MachineContext): Transition {
  switch (event.type) {
    case 'callback':
      return onCallback(state, event.callback, ctx);
    case 'expire':
      return onExpire(state, event.request, ctx);
    case 'revoke':
      return onRevoke(state, event.request, ctx);
    case 'customer-message':
      return { state: { ...state, customerMessages: [...state.customerMessages, { text: event.message.text, at: event.message.at ?? event.at }] }, outcomes: [], publish: false };
    case 'declare':
      return onDeclare(state, event, ctx);
    case 'begin':
      return onBegin(state, event);
    case 'end':
      return onEnd(state, event.id);
    case 'poll':
      return onPoll(state, event, ctx);
    case 'progress':
      return onProgress(state, event);
    case 'finish':
      return { state: { ...state, status: event.status, ...(event.escalatedAt ? { escalatedAt: event.escalatedAt } : {}) }, outcomes: [], publish: true };
  }
}

function record(state: ProcedureState, entry: LedgerEntry): ProcedureState {
  const ledger = [...state.ledger, entry];
  return { ...state, ledger: ledger.length > MAX_LEDGER ? ledger.slice(ledger.length - MAX_LEDGER) : ledger };
}

function withWait(state: ProcedureState, id: string, wait: WaitState): ProcedureState {
  return { ...state, waits: { ...state.waits, [id]: wait } };
}

function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}

/** The wait's state, creating a keyed wait's (or a plain workflow's) on first sight when it is declared. */
function waitOf(state: ProcedureState, point: WaitPoint, key: string | undefined): { id: string; wait: WaitState } {
  const id = waitId(point.name, key);
  const existing = own(state.waits, id);
  if (existing) return { id, wait: existing };
  const revoked = isRevokedBy(state.revokedRules, point.name);
  return { id, wait: { title: point.title, status: 'pending', ...(key !== undefined ? { wait: point.name, key } : {}), ...(revoked ? { revoked } : {}) } };
}

function onCallback(state: ProcedureState, cb: CallbackSignalArgs, ctx: MachineContext, kept = false): Transition {
  const wait = typeof cb?.wait === 'string' ? cb.wait : String(cb?.wait);
  const key = typeof cb?.key === 'string' ? cb.key : undefined;
  const base = { at: typeof cb?.receivedAt === 'string' ? cb.receivedAt : '', wait: waitId(wait, key), source: cb?.source ?? { kind: 'client' as const } };
  const point = ctx.lookup(wait);
  if (!point) {
    if (ctx.closed || TERMINAL_RUN.includes(state.status)) return done(record(state, { ...base, outcome: 'unknown-wait' }), 'unknown-wait', false);
    return keepEarly(state, cb, base);
  }
  const { id, wait: w } = waitOf(state, point, key);
  // The same HTTP request twice (the gateway's update, then its signal when no worker answered in time, both applied
  // once a worker runs): the second is not recorded.
  const requestId = base.source.kind === 'http' ? base.source.requestId : undefined;
  if (typeof requestId === 'string' && state.ledger.some((e) => e.wait === id && e.source.requestId === requestId) && (ctx.oneRequestOnce?.() ?? true)) {
    return { state, outcomes: ['duplicate'], publish: false };
  }
  const repeat = repeatOf(state, w, base.source.kind, kept);
  if (repeat) {
    const repeats = (w.repeats ?? 0) + 1;
    const next = record(withWait(state, id, { ...w, repeats }), { ...base, outcome: repeat });
    // From the quota on, the gateway stops signalling this wait's repeats (see HookwaitMemo.quiet).
    return done(next, repeat, repeats === MAX_RECORDED_REPEATS);
  }
  const check = checkCapturedAttributes(point.attributes, cb.attributes, ctx.enforceMaxLength ? { enforceMaxLength: ctx.enforceMaxLength } : {});
  if (!check.ok) return done(record(withWait(state, id, w), { ...base, outcome: 'rejected', errors: check.errors }), 'rejected', false);
  const unbound = bindingError(state, point, check.attributes);
  if (unbound) return done(record(withWait(state, id, w), { ...base, outcome: 'rejected', errors: [unbound] }), 'rejected', false);
  const received: WaitState = {
    ...w,
    status: 'received',
    receivedAt: base.at,
    attributes: check.attributes as Record<string, string | number | boolean>,
    ...(typeof cb.digest === 'string' ? { digest: cb.digest.slice(0, 64) } : {}),
    completedBy: 'callback',
  };
  return done(record(withWait(state, id, received), { ...base, outcome: 'accepted' }), 'accepted', true);
}

/** Why a callback cannot apply to a wait that already has a state: revoked (HTTP only), already received, or late. */
function repeatOf(state: ProcedureState, w: WaitState, sourceKind: CallbackSource['kind'], kept: boolean): 'revoked' | 'duplicate' | 'late' | undefined {
  // A kept callback passed the revocation check when it arrived; a revocation since does not undo that.
  if (w.revoked && sourceKind === 'http' && !kept) return 'revoked';
  if (w.status === 'received') return 'duplicate';
  if (w.status === 'timed_out' || TERMINAL_RUN.includes(state.status)) return 'late';
  return undefined;
}

/**
 * A callback that would only be recorded as a repeat (`revoked`, `duplicate`, `late`) of a wait already past the run's
 * quota of recorded repeats: what it would be recorded as, else undefined. Reads the state only (no event applied), so
 * an update's validator can refuse such a callback before it reaches the run's history.
 *
 * @example
 * ```ts
 * quietRepeat(state, { wait: 'kyc', receivedAt, source: { kind: 'http', requestId: 'r1' } }, ctx); // 'duplicate' after 20 repeats
 * ```
 */
export function quietRepeat(state: ProcedureState, cb: CallbackSignalArgs, ctx: MachineContext): 'revoked' | 'duplicate' | 'late' | undefined {
  const point = ctx.lookup(String(cb?.wait));
  if (!point) return undefined;
  const key = typeof cb?.key === 'string' ? cb.key : undefined;
  const w = own(state.waits, waitId(point.name, key));
  if (!w || (w.repeats ?? 0) < MAX_RECORDED_REPEATS) return undefined;
  return repeatOf(state, w, cb?.source?.kind ?? 'client', false);
}

/**
 * The wait's poll answered. Like a callback that cannot be repeated by a sender: the first of callback and poll to
 * complete the wait wins, the other is a `duplicate` (or `late` after a timeout); the same attribute and binding
 * checks apply. Repeats are not counted towards the gateway's quiet quota (no sender is retrying).
 */
function onPoll(state: ProcedureState, event: Extract<MachineEvent, { type: 'poll' }>, ctx: MachineContext): Transition {
  const id = waitId(event.wait, event.key);
  const base = { at: event.at, wait: id, source: { kind: 'poll' as const }, poll: { connector: event.connector, check: event.check } };
  const point = ctx.lookup(event.wait);
  if (!point) return done(record(state, { ...base, outcome: 'unknown-wait' }), 'unknown-wait', false);
  const { wait: w } = waitOf(state, point, event.key);
  if (w.status === 'received') return done(record(state, { ...base, outcome: 'duplicate' }), 'duplicate', false);
  if (w.status === 'timed_out' || TERMINAL_RUN.includes(state.status)) return done(record(state, { ...base, outcome: 'late' }), 'late', false);
  if (event.verdict === 'failed') {
    const errors = event.errors && event.errors.length > 0 ? event.errors : [{ field: '(poll)', message: `connector ${event.connector} answered that the job failed; the wait goes on` }];
    return done(record(state, { ...base, outcome: 'rejected', errors }), 'rejected', false);
  }
  if (event.errors && event.errors.length > 0) return done(record(state, { ...base, outcome: 'rejected', errors: event.errors }), 'rejected', false);
  const check = checkCapturedAttributes(point.attributes, event.attributes ?? {}, ctx.enforceMaxLength ? { enforceMaxLength: ctx.enforceMaxLength } : {});
  if (!check.ok) return done(record(state, { ...base, outcome: 'rejected', errors: check.errors }), 'rejected', false);
  const unbound = bindingError(state, point, check.attributes);
  if (unbound) return done(record(state, { ...base, outcome: 'rejected', errors: [unbound] }), 'rejected', false);
  const received: WaitState = { ...w, status: 'received', receivedAt: event.at, attributes: check.attributes as Record<string, Scalar>, completedBy: 'poll' };
  return done(record(withWait(state, id, received), { ...base, outcome: 'accepted' }), 'accepted', true);
}

/** A progress message of an open wait: recorded on the ledger (and counted on the wait when delivered). */
function onProgress(state: ProcedureState, event: Extract<MachineEvent, { type: 'progress' }>): Transition {
  const w = own(state.waits, event.id);
  const entry: LedgerEntry = { at: event.at, wait: event.id, outcome: 'progress', source: { kind: 'progress' }, progress: { index: event.index, delivered: event.delivered } };
  const next = w && event.delivered ? withWait(state, event.id, { ...w, progressSent: (w.progressSent ?? 0) + 1 }) : state;
  return done(record(next, entry), 'progress', false);
}

/**
 * A wait declared with `bind` takes only a callback whose bound attribute equals the run's bound value (compared by
 * digest, as text). Fails closed: a bound wait of a run without a bound value takes nothing.
 */
function bindingError(state: ProcedureState, point: WaitPoint, attributes: Readonly<Record<string, unknown>>): FieldError | undefined {
  if (!point.bind) return undefined;
  const expected = state.bindings ? own(state.bindings, point.name) : undefined;
  const value = attributes[point.bind.attribute];
  const given = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? bindingDigest(state.runId, point.name, value) : undefined;
  if (expected !== undefined && given === expected) return undefined;
  return { field: point.bind.attribute, message: BINDING_MISMATCH };
}

/**
 * A plain workflow declares its waits as it goes: a callback for a wait it has not declared yet is kept (a few per
 * wait id; more are duplicates) and applied, in order, when the wait is declared: the first that fits wins.
 * Revocation is judged now, on arrival.
 */
function keepEarly(state: ProcedureState, cb: CallbackSignalArgs, base: Omit<LedgerEntry, 'outcome'>): Transition {
  const early = state.early ?? [];
  if (base.source.kind === 'http' && isRevokedBy(state.revokedRules, String(cb.wait))) return done(record(state, { ...base, outcome: 'revoked' }), 'revoked', false);
  // A few per wait id (the first may not fit the declaration, which is not known yet); more are duplicates.
  if (early.filter((e) => waitId(e.wait, e.key) === base.wait).length >= MAX_EARLY_PER_WAIT) return done(record(state, { ...base, outcome: 'duplicate' }), 'duplicate', false);
  // Bounded: past it, the callback is recorded (and so visible) rather than kept.
  if (early.length >= MAX_EARLY) return done(record(state, { ...base, outcome: 'unknown-wait' }), 'unknown-wait', false);
  return { state: { ...state, early: [...early, cb] }, outcomes: [], publish: false };
}

function onExpire(state: ProcedureState, request: ExpireSignalArgs, ctx: MachineContext): Transition {
  const wait = String(request?.wait);
  const key = typeof request?.key === 'string' ? request.key : undefined;
  const entry = { at: typeof request?.at === 'string' ? request.at : '', wait: waitId(wait, key), source: request?.source ?? { kind: 'operator' as const } };
  const point = ctx.lookup(wait);
  if (!point) return done(record(state, { ...entry, outcome: 'unknown-wait' }), 'unknown-wait', false);
  const { id, wait: w } = waitOf(state, point, key);
  if (w.status === 'received' || w.status === 'timed_out') return done(record(state, { ...entry, outcome: 'late' }), 'late', false);
  return done(record(withWait(state, id, { ...w, expireRequested: true }), { ...entry, outcome: 'expired' }), 'expired', true);
}

function onRevoke(state: ProcedureState, request: RevokeSignalArgs, ctx: MachineContext): Transition {
  const at = typeof request?.at === 'string' ? request.at : '';
  const source = request?.source ?? { kind: 'operator' as const };
  const key = typeof request?.key === 'string' ? request.key : undefined;
  let next = state;
  const outcomes: LedgerOutcome[] = [];
  if (request?.wait === undefined || (key === undefined && ctx.lookup(String(request.wait)))) {
    // The whole run, or every key of one wait: also those created later.
    const rule = request?.wait === undefined ? '*' : String(request.wait);
    if (!isRevokedBy(next.revokedRules, rule)) next = { ...next, revokedRules: [...(next.revokedRules ?? []), rule] };
  }
  const targets =
    request?.wait === undefined
      ? Object.keys(state.waits)
      : key !== undefined
        ? [waitId(String(request.wait), key)]
        : [String(request.wait), ...Object.entries(state.waits).flatMap(([id, w]) => (w.wait === request.wait ? [id] : []))];
  for (const id of [...new Set(targets)]) {
    const name = id.includes(':') ? id.slice(0, id.indexOf(':')) : id;
    const point = ctx.lookup(name);
    const existing = own(next.waits, id);
    if (!point && !existing) {
      next = record(next, { at, wait: id, source, outcome: 'unknown-wait' });
      outcomes.push('unknown-wait');
      continue;
    }
    // Only the waits this run knows; a key not created yet is revoked by the rule above when it is.
    if (!existing && (key === undefined || !point)) continue;
    const w = existing ?? waitOf(next, point as WaitPoint, key).wait;
    next = record(withWait(next, id, { ...w, revoked: true }), { at, wait: id, source, outcome: 'revoked' });
    outcomes.push('revoked');
  }
  return { state: next, outcomes, publish: true };
}

function onDeclare(state: ProcedureState, event: { readonly wait: string; readonly key?: string; readonly url?: string }, ctx: MachineContext): Transition {
  const point = ctx.lookup(event.wait);
  if (!point) return { state, outcomes: [], publish: false };
  const { id, wait } = waitOf(state, point, event.key);
  let next = withWait(state, id, wait);
  if (event.url !== undefined) next = { ...next, callbackUrls: { ...next.callbackUrls, [id]: event.url } };
  // Callbacks that came before the wait was declared apply now, in the order they came.
  const early = next.early ?? [];
  // Every key of the wait: once it is known, callbacks for its other keys apply at once, so kept ones must go first.
  const mine = early.filter((cb) => cb.wait === event.wait);
  if (mine.length === 0) return { state: next, outcomes: [], publish: true };
  next = { ...next, early: early.filter((cb) => !mine.includes(cb)) };
  const outcomes: LedgerOutcome[] = [];
  for (const cb of mine) {
    const t = onCallback(next, cb, ctx, true);
    next = t.state;
    outcomes.push(...t.outcomes);
  }
  return { state: next, outcomes, publish: true };
}

function onBegin(state: ProcedureState, event: { readonly id: string; readonly at: string; readonly timeoutMs: number }): Transition {
  const w = own(state.waits, event.id);
  if (!w || w.status !== 'pending') return { state, outcomes: [], publish: false };
  const deadline = new Date(Date.parse(event.at) + event.timeoutMs).toISOString();
  const waiting: WaitState = { ...w, status: 'waiting', timeoutMs: event.timeoutMs, waitingSince: event.at, deadline };
  return { state: { ...withWait(state, event.id, waiting), status: TERMINAL_RUN.includes(state.status) ? state.status : 'waiting' }, outcomes: [], publish: true };
}

function onEnd(state: ProcedureState, id: string): Transition {
  const w = own(state.waits, id);
  if (!w) return { state, outcomes: [], publish: false };
  // A callback applied in the same activation as the timer still wins: it was accepted first.
  let next = w.status === 'received' ? state : withWait(state, id, { ...w, status: 'timed_out' });
  const stillWaiting = Object.values(next.waits).some((x) => x.status === 'waiting');
  if (!TERMINAL_RUN.includes(next.status)) next = { ...next, status: stillWaiting ? 'waiting' : 'running' };
  return { state: next, outcomes: [], publish: true };
}

function done(state: ProcedureState, outcome: LedgerOutcome, publish: boolean): Transition {
  return { state, outcomes: [outcome], publish };
}

/** Whether the wait's condition holds: its callback came, or an operator asked for the timeout path. */
export function waitSettled(state: ProcedureState, id: string): boolean {
  const w = own(state.waits, id);
  return w !== undefined && (w.status === 'received' || w.expireRequested === true);
}

/** What the gateway reads without a worker, derived from the state. */
export function memoOf(state: ProcedureState, version: number) {
  const entries = Object.entries(state.waits);
  const digests = Object.fromEntries(entries.flatMap(([id, w]) => (w.status === 'received' && w.digest ? [[id, w.digest]] : [])));
  // Kept callbacks of waits not declared yet: the gateway answers their repeats as duplicates.
  const kept = (state.early ?? []).map((cb) => [waitId(cb.wait, cb.key), 'received'] as const);
  return {
    v: version,
    procedure: state.procedure,
    status: state.status,
    waits: Object.fromEntries([...kept, ...entries.map(([id, w]) => [id, w.status] as const)]),
    revoked: entries.flatMap(([id, w]) => (w.revoked ? [id] : [])),
    ...(state.revokedRules?.length ? { revokedRules: state.revokedRules } : {}),
    quiet: entries.flatMap(([id, w]) => ((w.repeats ?? 0) >= MAX_RECORDED_REPEATS ? [id] : [])),
    ...(Object.keys(digests).length ? { digests } : {}),
    ...(state.bindings ? { bound: state.bindings } : {}),
  };
}
