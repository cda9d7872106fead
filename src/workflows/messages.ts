import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { FieldError, Scalar } from '../definitions/attributes';

/** Where a callback came from, as the gateway (or an operator tool) saw it. */
export interface CallbackSource {
  readonly kind: 'http' | 'operator' | 'client';
  /** Who, for an operator's action. */
  readonly operator?: string;
  readonly ip?: string;
  readonly userAgent?: string;
  readonly requestId?: string;
}

/**
 * The signal the gateway sends for each callback. `attributes` holds only the declared attributes
 * (already extracted from the payload); it is absent when the gateway knows the callback cannot apply.
 */
export interface CallbackSignalArgs {
  readonly wait: string;
  readonly attributes?: Record<string, Scalar>;
  /** ISO time the callback reached the gateway. */
  readonly receivedAt: string;
  readonly source: CallbackSource;
}

export interface CustomerMessage {
  readonly text: string;
  readonly at?: string;
}

export type WaitStatus = 'pending' | 'waiting' | 'received' | 'timed_out';
export type ProcedureStatus = 'running' | 'waiting' | 'completed' | 'escalated' | 'failed';
export type LedgerOutcome = 'accepted' | 'duplicate' | 'late' | 'rejected' | 'unknown-wait' | 'expired' | 'revoked';

/** One callback that reached the run. */
export interface LedgerEntry {
  readonly at: string;
  readonly wait: string;
  readonly outcome: LedgerOutcome;
  readonly source: CallbackSource;
  readonly errors?: readonly FieldError[];
}

export interface WaitState {
  readonly title: string;
  status: WaitStatus;
  /** An operator asked for the timeout path now (`hookwait expire`). */
  expireRequested?: boolean;
  /** The wait's callback URL was revoked (`hookwait revoke`): the gateway answers 410. */
  revoked?: boolean;
  /** Callbacks recorded on the ledger but not applied (duplicate, late, revoked). */
  repeats?: number;
  timeoutMs?: number;
  waitingSince?: string;
  deadline?: string;
  receivedAt?: string;
  attributes?: Record<string, Scalar>;
}

/** The whole readable state of a run, served by {@link stateQuery}. */
export interface ProcedureState {
  readonly procedure: string;
  readonly workflowId: string;
  readonly runId: string;
  readonly conversationId: string;
  status: ProcedureStatus;
  readonly startedAt: string;
  callbackUrls: Record<string, string>;
  readonly waits: Record<string, WaitState>;
  readonly customerMessages: CustomerMessage[];
  readonly ledger: LedgerEntry[];
  escalatedAt?: { readonly wait: string; readonly at: string };
}

/** Memo kept in step with the run, so the gateway can tell "wait timed out" (410) without a worker. */
export interface HookwaitMemo {
  readonly procedure: string;
  readonly status: ProcedureStatus;
  readonly waits: Record<string, WaitStatus>;
  /** Waits whose callback URLs were revoked. */
  readonly revoked?: readonly string[];
  /**
   * Waits that have recorded {@link MAX_RECORDED_REPEATS} repeats: the gateway answers further repeats without
   * signalling the run, so a sender stuck in a retry loop cannot grow its history without bound.
   */
  readonly quiet?: readonly string[];
}
export const MAX_RECORDED_REPEATS = 20;
export const MEMO_KEY = 'hookwait';

export const callbackSignal = defineSignal<[CallbackSignalArgs]>('hookwait.callback');
/** Customer messages get no reply while the procedure waits; they are recorded in its state. */
export const customerMessageSignal = defineSignal<[CustomerMessage]>('hookwait.customerMessage');
export const stateQuery = defineQuery<ProcedureState>('hookwait.state');

export interface ExpireSignalArgs {
  readonly wait: string;
  readonly at: string;
  readonly source: CallbackSource;
}
export interface RevokeSignalArgs {
  /** One wait, or every wait of the run when absent. */
  readonly wait?: string;
  readonly at: string;
  readonly source: CallbackSource;
}
/** Revokes callback URLs of the run: the gateway answers 410 from then on; the waits themselves are unchanged. */
export const revokeSignal = defineSignal<[RevokeSignalArgs]>('hookwait.revoke');

/** An operator takes a wait's timeout path now (before it is reached, it times out as soon as it is). */
export const expireSignal = defineSignal<[ExpireSignalArgs]>('hookwait.expire');
