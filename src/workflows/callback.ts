/**
 * `createCallback`: wait for a webhook inside any Temporal workflow. Import it from `hookwait/workflow`.
 */
import type { AttributesDecl, CapturedAttributes } from '../definitions/attributes';
import type { Duration } from '../definitions/duration';
import type { TimeoutAction, WaitDefinition } from '../definitions/wait-point';
import { waitId } from '../core/run-state';
import { runtime, type WaitSuccess, type WaitTimeout } from './runtime';

/**
 * What `callback.wait()` resolves to, typed from the declaration: the captured attributes, or (for a wait declared
 * with `onTimeout: 'branch'`) a timeout. An escalating wait never resolves on timeout: it escalates and throws
 * `WaitEscalated`.
 */
export type CallbackOutcome<W> =
  W extends WaitDefinition<string, infer A extends AttributesDecl, infer T extends TimeoutAction>
    ? T extends 'branch'
      ? WaitSuccess<CapturedAttributes<A>> | WaitTimeout
      : WaitSuccess<CapturedAttributes<A>>
    : never;

/** One callback URL of a run, and the way to wait for it. */
export interface Callback<W extends WaitDefinition> {
  /** The URL to hand to the sender: it completes this wait (this key of it) of this run, once. */
  readonly url: string;
  /** The wait's name. */
  readonly name: W['name'];
  /** The key, for a keyed wait. */
  readonly key?: string;
  /** `<name>` or `<name>:<key>`: how the ledger, the CLI and the Web UI name this wait. */
  readonly id: string;
  /**
   * Pauses until the callback arrives (at once if it already has), an operator expires the wait, or the timeout passes.
   * @param options.timeout overrides the declared timeout for this wait (at least 1s), e.g. from the workflow's input.
   */
  wait(options?: { readonly timeout?: Duration }): Promise<CallbackOutcome<W>>;
}

/** Options of {@link createCallback}. */
export interface CreateCallbackOptions {
  /**
   * Makes the wait keyed: one callback URL per key (e.g. one approval per line item), each with its own ledger entries.
   * The token binds the key. 1-128 letters, digits or `_ . @ = + -`.
   */
  readonly key?: string;
}

/**
 * Creates a callback URL for a wait in the current workflow, and the way to wait for it. Works in any workflow whose
 * worker has the hookwait plugin; the gateway must know the wait (pass it in its `waits`).
 *
 * The URL is minted by a local activity (the signing key stays in the worker); the same wait and key in the same run
 * always give the same URL. A callback that arrives before `wait()` is called, or even before `createCallback`, is kept.
 *
 * @example
 * ```ts
 * import { createCallback } from 'hookwait/workflow';
 * import { idVerified } from './waits';
 *
 * export async function onboarding(customerId: string): Promise<string> {
 *   const cb = await createCallback(idVerified);
 *   await startKycCheck(customerId, cb.url);           // your activity hands the URL to the provider
 *   const result = await cb.wait();
 *   return result.ok ? result.attributes.status : 'timed out';
 * }
 * ```
 * Keyed waits, one approval per line item:
 * ```ts
 * const approvals = await Promise.all(items.map((item) => createCallback(lineApproved, { key: item.sku })));
 * const results = await Promise.all(approvals.map((cb) => cb.wait()));
 * ```
 */
export async function createCallback<W extends WaitDefinition>(wait: W, options: CreateCallbackOptions = {}): Promise<Callback<W>> {
  const rt = runtime();
  const url = await rt.declare(wait, options.key);
  return {
    url,
    name: wait.name,
    ...(options.key !== undefined ? { key: options.key } : {}),
    id: waitId(wait.name, options.key),
    wait: (waitOptions) => rt.await(wait, options.key, waitOptions) as Promise<CallbackOutcome<W>>,
  };
}
