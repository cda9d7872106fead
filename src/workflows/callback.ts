/**
 * `createCallback`: wait for a webhook inside any Temporal workflow. Import it from `hookwait/workflow`.
 */
import type { AttributesDecl, CapturedAttributes } from '../definitions/attributes';
import type { ConnectorDefinition, DefinedConnectorResult } from '../definitions/connector';
import type { Duration } from '../definitions/duration';
import type { PollBackoff, PollVerdict } from '../definitions/poll';
import type { TimeoutAction, WaitDefinition } from '../definitions/wait-point';
import { waitId } from '../core/run-state';
import { callDefinedConnector, runtimePoll } from './connector-calls';
import { type RuntimePoll, runtime, type WaitSuccess, type WaitTimeout } from './runtime';

/**
 * Callback **or** poll, whichever comes first: while the wait is open, its poll calls a connector at once and then
 * every `every`; when `until(response)` says done, the wait completes with the attributes read from the response (as
 * from a callback's body, same checks), and the ledger shows `source.kind: 'poll'`. A callback that arrives first
 * completes it instead (`completedBy: 'callback'`) and stops the poll; one that arrives after the poll completed it
 * is a `duplicate`. `failed` (or a check whose call fails after its retries) stops the poll, recorded on the ledger:
 * the callback or the timeout still ends the wait.
 */
export interface WaitPoll<R> {
  /** Time between checks (at least 1s); the first check is made when the wait begins. */
  readonly every: Duration;
  readonly until: (response: R) => PollVerdict;
  /** Longer intervals as the poll goes on: a coefficient, or `{ coefficient?, maximumInterval? }`. */
  readonly backoff?: PollBackoff | number;
  /** The connector's `{{vars.*}}`. */
  readonly vars?: Record<string, unknown>;
  /** The object the wait's attributes are read from, by their declared paths; default the response itself. */
  readonly attributes?: (response: R) => unknown;
}

/** A plain workflow's wait poll: a connector made by `defineConnector` (registered with the worker's plugin). */
export interface DefinedConnectorPoll<C extends ConnectorDefinition> extends WaitPoll<DefinedConnectorResult<C>> {
  readonly connector: C;
}


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
   * @param options.poll callback or poll, whichever comes first (see {@link WaitPoll}).
   */
  wait<C extends ConnectorDefinition>(options?: { readonly timeout?: Duration; readonly poll?: DefinedConnectorPoll<C> }): Promise<CallbackOutcome<W>>;
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
 * Callback or poll, whichever comes first (for providers whose callbacks get lost):
 * ```ts
 * const result = await cb.wait({ poll: { connector: kycStatus, vars: { checkId }, every: '1m', until: (r) => r.state !== 'pending' } });
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
    wait: (waitOptions) => rt.await(wait, options.key, awaitOptions(waitOptions)) as Promise<CallbackOutcome<W>>,
  };
}

/** `wait()`'s options as the runtime takes them. */
function awaitOptions<C extends ConnectorDefinition>(options: { readonly timeout?: Duration; readonly poll?: DefinedConnectorPoll<C> } | undefined): { readonly timeout?: Duration; readonly poll?: RuntimePoll } | undefined {
  if (!options?.poll) return options?.timeout !== undefined ? { timeout: options.timeout } : undefined;
  const poll = options.poll;
  return {
    ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
    poll: runtimePoll(poll.connector.name, poll, (n) => callDefinedConnector(poll.connector, { vars: poll.vars ?? {} }, n)),
  };
}
