/**
 * The readable state of a run that waits for callbacks, and the messages that change it. Pure types: shared by the
 * state machine, the workflow runtime, the callback service, the client and the CLI.
 */
import type { FieldError, Scalar } from '../definitions/attributes';

/** Where a callback came from, as the gateway (or an operator tool) saw it. */
export interface CallbackSource {
  /** `poll`: the wait's own poll (`cb.wait({ poll })`); `progress`: a progress message the run sent while waiting. */
  readonly kind: 'http' | 'operator' | 'client' | 'poll' | 'progress';
  /** Who, for an operator's action. */
  readonly operator?: string;
  readonly ip?: string;
  readonly userAgent?: string;
  readonly requestId?: string;
  /** The sender's own `x-request-id`, when it gave a sane one (`requestId` is always the gateway's). */
  readonly clientRequestId?: string;
}

/**
 * The signal the gateway sends for each callback. `attributes` holds only the declared attributes (already
 * extracted from the payload); it is absent when the gateway knows the callback cannot apply.
 */
export interface CallbackSignalArgs {
  readonly wait: string;
  /** The wait's key, for keyed waits (one callback URL per item). */
  readonly key?: string;
  readonly attributes?: Record<string, Scalar>;
  /** ISO time the callback reached the gateway. */
  readonly receivedAt: string;
  readonly source: CallbackSource;
  /**
   * A short digest of the callback (its delivery id, else its body): kept with an accepted callback so that the same
   * callback sent again after the run finished is answered as a duplicate, not as gone.
   */
  readonly digest?: string;
}

/**
 * What the run did with one callback delivered as an update (`hookwait.deliver`): the gateway's exact answer, from the
 * run itself. `kept`: the run has not declared that wait yet (a plain workflow); it is applied when it does.
 */
export interface CallbackDelivery {
  readonly outcome: Extract<LedgerOutcome, 'accepted' | 'duplicate' | 'late' | 'revoked' | 'rejected' | 'unknown-wait'> | 'kept';
  /** Why the run refused it (`rejected`): the field and the reason, as on the ledger. */
  readonly errors?: readonly FieldError[];
}

export interface ExpireSignalArgs {
  readonly wait: string;
  readonly key?: string;
  readonly at: string;
  readonly source: CallbackSource;
}

export interface RevokeSignalArgs {
  /** One wait (every key of it, unless `key` is given), or every wait of the run when absent. */
  readonly wait?: string;
  readonly key?: string;
  readonly at: string;
  readonly source: CallbackSource;
}

export interface CustomerMessage {
  readonly text: string;
  readonly at?: string;
}

export type WaitStatus = 'pending' | 'waiting' | 'received' | 'timed_out';
export type ProcedureStatus = 'running' | 'waiting' | 'completed' | 'escalated' | 'failed';
export type LedgerOutcome = 'accepted' | 'duplicate' | 'late' | 'rejected' | 'unknown-wait' | 'expired' | 'revoked' | 'progress';

/** One callback (or operator action) that reached the run. */
export interface LedgerEntry {
  readonly at: string;
  /** The wait's name, with `:key` for a keyed wait. */
  readonly wait: string;
  readonly outcome: LedgerOutcome;
  readonly source: CallbackSource;
  readonly errors?: readonly FieldError[];
  /** For an entry of the wait's poll: the connector and the check's number (1, 2, …). */
  readonly poll?: { readonly connector: string; readonly check: number };
  /** For a progress message: its index (1, 2, …) and whether the channel took it. */
  readonly progress?: { readonly index: number; readonly delivered: boolean };
}

/** One wait of the run: a declared wait, or one key of a keyed wait. */
export interface WaitState {
  readonly title: string;
  /** The declared wait's name (for a keyed wait, the record key is `<wait>:<key>`). */
  readonly wait?: string;
  readonly key?: string;
  readonly status: WaitStatus;
  /** An operator asked for the timeout path now (`hookwait expire`). */
  readonly expireRequested?: boolean;
  /** The wait's callback URL was revoked (`hookwait revoke`): the gateway answers 410. */
  readonly revoked?: boolean;
  /** Callbacks recorded on the ledger but not applied (duplicate, late, revoked). */
  readonly repeats?: number;
  readonly timeoutMs?: number;
  readonly waitingSince?: string;
  readonly deadline?: string;
  readonly receivedAt?: string;
  readonly attributes?: Record<string, Scalar>;
  /** The accepted callback's digest (see {@link CallbackSignalArgs.digest}). */
  readonly digest?: string;
  /** What completed the wait: its callback, or its poll (`cb.wait({ poll })`). */
  readonly completedBy?: 'callback' | 'poll';
  /** Progress messages sent while it was open. */
  readonly progressSent?: number;
}

/** The whole readable state of a run, served by the `hookwait.state` query. */
export interface ProcedureState {
  /** The procedure's name, or the workflow type for a plain workflow using `createCallback`. */
  readonly procedure: string;
  readonly workflowId: string;
  readonly runId: string;
  readonly conversationId: string;
  readonly status: ProcedureStatus;
  readonly startedAt: string;
  /** Callback URLs by wait (`<wait>:<key>` for keyed waits). */
  readonly callbackUrls: Readonly<Record<string, string>>;
  readonly waits: Readonly<Record<string, WaitState>>;
  readonly customerMessages: readonly CustomerMessage[];
  readonly ledger: readonly LedgerEntry[];
  /**
   * The escalation: its wait, when, which parts were delivered: `messageDelivered: false` when the customer could not
   * be told, `assigned: true` once the conversation was assigned (it always is). Runs escalated by earlier versions
   * have no `assigned` (and `messageDelivered` only when false).
   */
  readonly escalatedAt?: { readonly wait: string; readonly at: string; readonly messageDelivered?: boolean; readonly assigned?: boolean };
  /** Revocations that also apply to keys created later: `*` (every wait) or a wait's name. */
  readonly revokedRules?: readonly string[];
  /** Callbacks for waits this run has not declared yet (a plain workflow declares its waits as it goes). */
  readonly early?: readonly CallbackSignalArgs[];
  /** Digests of the bound values of the waits declared with `bind`, by wait name (see `bindingDigest`). */
  readonly bindings?: Readonly<Record<string, string>>;
  /** The webhook trigger that started the run, and the sender's delivery id when it gave one. */
  readonly trigger?: TriggerInfo;
}

/** What the gateway records (start memo {@link TRIGGER_MEMO_KEY}) on a run a webhook trigger started. */
export interface TriggerInfo {
  readonly name: string;
  readonly deliveryId?: string;
  /** The trigger answers with the procedure's `run.respond`. */
  readonly respond?: boolean;
}

/** The start memo key of {@link TriggerInfo}. */
export const TRIGGER_MEMO_KEY = 'hookwaitTrigger';
/** The memo key where a triggered run records its `run.respond` answer, for repeated deliveries after it ended. */
export const TRIGGER_RESPONSE_MEMO_KEY = 'hookwaitTriggerResponse';

/** A procedure's answer to the sender of the webhook that started it (`run.respond`). */
export interface TriggerResponse {
  /** 2xx or 4xx. */
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** JSON, or a string sent as text (its `content-type` header says which kind). */
  readonly body?: unknown;
}

/** The version of {@link HookwaitMemo}; 1 had no `v` field. */
export const MEMO_VERSION = 2;

/**
 * Memo kept in step with the run, so the gateway can answer without a worker: 410 for a timed-out or revoked wait,
 * 200 for a repeat of an accepted callback even after the run finished.
 */
export interface HookwaitMemo {
  /** Absent in version 1. */
  readonly v?: number;
  readonly procedure: string;
  readonly status: ProcedureStatus;
  /** By wait id (`<wait>` or `<wait>:<key>`). */
  readonly waits: Readonly<Record<string, WaitStatus>>;
  /** Wait ids whose callback URLs were revoked. */
  readonly revoked?: readonly string[];
  /** Revocations that apply to keys not created yet: `*` or a wait's name. */
  readonly revokedRules?: readonly string[];
  /**
   * Waits that have recorded {@link MAX_RECORDED_REPEATS} repeats: the gateway answers further repeats without
   * signalling the run, so a sender stuck in a retry loop cannot grow its history without bound.
   */
  readonly quiet?: readonly string[];
  /** Digests of accepted callbacks, by wait id. */
  readonly digests?: Readonly<Record<string, string>>;
  /**
   * Digests of the run's bound values, by wait name, for waits declared with `bind`: the gateway refuses (422) a
   * callback whose bound attribute does not match. Absent before the run's first publish and from older runs.
   */
  readonly bound?: Readonly<Record<string, string>>;
}
export const MAX_RECORDED_REPEATS = 20;
export const MEMO_KEY = 'hookwait';
/** The ledger keeps the newest entries. */
export const MAX_LEDGER = 200;
/**
 * Waits (keys included) one run may declare. Every change of a wait publishes the memo, which lists them all, so a run's
 * history grows with the square of its waits: at this many it stays far below Temporal's 50 MB history limit. For more
 * items, give each batch a child workflow.
 */
export const MAX_WAITS_PER_RUN = 200;
/** Callbacks kept for waits a plain workflow has not declared yet. */
export const MAX_EARLY = 100;

/** The id of one wait of a run: its name, or `<name>:<key>` for a keyed wait. */
export function waitId(wait: string, key?: string): string {
  return key === undefined ? wait : `${wait}:${key}`;
}

/** What a revocation or an expiry names, as a wait id, `<wait>` for every key of it, or `*` for the whole run. */
export function isRevokedBy(rules: readonly string[] | undefined, wait: string): boolean {
  return rules !== undefined && (rules.includes('*') || rules.includes(wait));
}

/** Keys of keyed waits: what the author may use (it reaches URLs, logs and the Web UI). */
export const WAIT_KEY = /^[A-Za-z0-9_.@=+-]{1,128}$/;
