/**
 * The one table of what can happen to a callback request. Each outcome fixes the HTTP status, the problem type
 * (`urn:hookwait:problem:<slug>`), the metric label (the outcome's own name), the ledger outcome when the run records
 * it, and the log line. Adding an outcome touches this table only. Pure: no HTTP framework.
 */
import type { FieldError } from '../definitions/attributes';
import type { LedgerOutcome } from '../core/run-state';

export interface OutcomeSpec {
  readonly status: number;
  readonly title: string;
  /** The problem type's slug for non-2xx answers. */
  readonly problem?: string;
  /** What the run's ledger records for it, when the callback reaches the run. */
  readonly ledger?: LedgerOutcome;
  readonly level: 'info' | 'warn' | 'error';
  /** The log line. */
  readonly message: string;
}

export const OUTCOMES = {
  accepted: { status: 202, title: 'Accepted', ledger: 'accepted', level: 'info', message: 'callback accepted' },
  duplicate: { status: 200, title: 'Duplicate', ledger: 'duplicate', level: 'info', message: 'callback duplicate' },
  /** A trigger started a run (the trigger's response decides the status: 201 unless it says otherwise). */
  'trigger-started': { status: 201, title: 'Started', level: 'info', message: 'trigger started a run' },
  /** A trigger's delivery seen before (same idempotency key): the same run, the same answer. */
  'trigger-repeat': { status: 200, title: 'Already started', level: 'info', message: 'trigger delivery repeated' },
  /** A `fromProcedure` trigger: the procedure answered with `run.respond` in time. */
  'trigger-responded': { status: 200, title: 'Answered by the procedure', level: 'info', message: 'trigger answered by the procedure' },
  /** A `fromProcedure` trigger: the procedure did not answer in time; the sender gets the fallback, the run goes on. */
  'trigger-fallback': { status: 202, title: 'Fallback', level: 'info', message: 'trigger answered with its fallback' },
  'bad-body': { status: 400, title: 'Bad request', problem: 'bad-request', level: 'info', message: 'callback refused' },
  unauthorized: { status: 401, title: 'Unauthorized', problem: 'unauthorized', level: 'info', message: 'callback refused' },
  'not-found': { status: 404, title: 'Not found', problem: 'not-found', level: 'info', message: 'callback refused' },
  'method-not-allowed': { status: 405, title: 'Method not allowed', problem: 'method-not-allowed', level: 'info', message: 'callback refused' },
  'request-timeout': { status: 408, title: 'Request timeout', problem: 'request-timeout', level: 'info', message: 'request refused' },
  /** The run has finished (completed, escalated, failed, terminated) or no longer exists. */
  gone: { status: 410, title: 'Gone', problem: 'gone', level: 'info', message: 'callback refused' },
  late: { status: 410, title: 'Gone', problem: 'gone', ledger: 'late', level: 'info', message: 'callback refused' },
  revoked: { status: 410, title: 'Gone', problem: 'gone', ledger: 'revoked', level: 'info', message: 'callback refused' },
  'payload-too-large': { status: 413, title: 'Payload too large', problem: 'payload-too-large', level: 'info', message: 'callback refused' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type', problem: 'unsupported-media-type', level: 'info', message: 'callback refused' },
  'invalid-attributes': { status: 422, title: 'Payload does not fit the declared attributes', problem: 'invalid-attributes', level: 'info', message: 'callback refused' },
  /** A trigger request whose headers, query or body do not fit its `expect` schemas, or whose mapped input does not fit the procedure's. */
  'invalid-request': { status: 422, title: 'Request does not fit the trigger', problem: 'invalid-request', level: 'info', message: 'trigger refused' },
  'rate-limited': { status: 429, title: 'Too many requests', problem: 'too-many-requests', level: 'info', message: 'callback refused' },
  'headers-too-large': { status: 431, title: 'Request header fields too large', problem: 'headers-too-large', level: 'info', message: 'request refused' },
  /** The host app is set up so that hookwait cannot read the callback (a body parser ran first): ours to fix, so 5xx. */
  misconfigured: { status: 500, title: 'Gateway misconfigured', problem: 'misconfigured', level: 'error', message: 'gateway misconfigured' },
  internal: { status: 500, title: 'Internal error', problem: 'internal', level: 'error', message: 'unexpected error' },
  unavailable: { status: 503, title: 'Temporarily unavailable', problem: 'temporal-unavailable', level: 'warn', message: 'temporal unavailable' },
  'shutting-down': { status: 503, title: 'Shutting down', problem: 'shutting-down', level: 'info', message: 'request refused while shutting down' },
} as const satisfies Record<string, OutcomeSpec>;

export type Outcome = keyof typeof OUTCOMES;

/** An RFC 9457 problem document: every non-2xx answer of the gateway is one. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly errors?: readonly FieldError[];
  readonly requestId?: string;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
/** Seconds a sender should wait before retrying while Temporal (or this replica) is unavailable. */
export const RETRY_AFTER_SECONDS = 5;

/** The problem document of an outcome: the one builder every answer goes through. */
export function problemOf(outcome: Outcome, detail?: string, extra: { readonly errors?: readonly FieldError[]; readonly requestId?: string } = {}): Problem {
  const spec: OutcomeSpec = OUTCOMES[outcome];
  return {
    type: `urn:hookwait:problem:${spec.problem ?? outcome}`,
    title: spec.title,
    status: spec.status,
    ...(detail ? { detail } : {}),
    ...(extra.errors ? { errors: extra.errors } : {}),
    ...(extra.requestId ? { requestId: extra.requestId } : {}),
  };
}
