/**
 * hookwait's messages on a run: what the gateway, the client and operators send, and what they read back. The
 * types live in the pure core (`src/core/run-state.ts`); this module gives them their Temporal names.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CallbackDelivery, CallbackSignalArgs, CustomerMessage, ExpireSignalArgs, ProcedureState, RevokeSignalArgs, TriggerResponse } from '../core/run-state';

export * from '../core/run-state';

/** A callback for one wait (sent by the gateway, or by an operator's `complete`); durable with no worker up. */
export const callbackSignal = defineSignal<[CallbackSignalArgs]>('hookwait.callback');
/**
 * A callback for one wait, as an update: the run applies it exactly as {@link callbackSignal} and answers what it did
 * (accepted, duplicate, late, revoked), so the gateway's answer is exact with one call. Needs a worker to answer; the
 * gateway falls back to the signal when none does in time. The validator refuses, before anything reaches the
 * history, a callback the run would reject (another run's bound value) and a repeat past the run's quota of recorded
 * repeats: failure type {@link CALLBACK_REFUSED_FAILURE}, its one detail the {@link CallbackDelivery}.
 */
export const deliverUpdate = defineUpdate<CallbackDelivery, [CallbackSignalArgs]>('hookwait.deliver');
/** The failure type of a {@link deliverUpdate} its validator refused (details: `[CallbackDelivery]`). */
export const CALLBACK_REFUSED_FAILURE = 'HookwaitCallbackRefused';
/** Customer messages get no reply while the procedure waits; they are recorded in its state. */
export const customerMessageSignal = defineSignal<[CustomerMessage]>('hookwait.customerMessage');
/** Revokes callback URLs of the run: the gateway answers 410 from then on; the waits themselves are unchanged. */
export const revokeSignal = defineSignal<[RevokeSignalArgs]>('hookwait.revoke');
/** An operator takes a wait's timeout path now (before it is reached, it times out as soon as it is). */
export const expireSignal = defineSignal<[ExpireSignalArgs]>('hookwait.expire');
/** The run's whole readable state: waits, captured attributes, callback URLs, the ledger. */
export const stateQuery = defineQuery<ProcedureState>('hookwait.state');
/**
 * Resolves to the run's callback URLs once it has minted them (a procedure mints every wait's at its start). Used with
 * update-with-start, so a client gets a fresh run's URLs in one round trip.
 */
export const callbackUrlsUpdate = defineUpdate<Readonly<Record<string, string>>>('hookwait.callbackUrls');
/**
 * Resolves to the run's state once a worker has applied every message sent before it (signals are applied before
 * updates): how a client learns that its revoke, expire or complete took effect.
 */
export const syncUpdate = defineUpdate<ProcedureState>('hookwait.sync');
/**
 * Resolves to the procedure's answer to the webhook that started it, once it calls `run.respond` (sent by the gateway
 * as an update-with-start, always with the update id {@link TRIGGER_RESPONSE_UPDATE_ID}, so a repeated delivery asks
 * the same update and gets the same answer).
 */
export const triggerResponseUpdate = defineUpdate<TriggerResponse>('hookwait.triggerResponse');
/** The one update id of {@link triggerResponseUpdate} on a run. */
export const TRIGGER_RESPONSE_UPDATE_ID = 'hookwait-trigger-response';
