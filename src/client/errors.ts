/**
 * The typed errors of {@link HookwaitClient}: each names the thing it is about, so a caller (the CLI, an admin tool)
 * can answer without parsing messages.
 */
import type { FieldError } from '../definitions/attributes';

/** What a {@link HookwaitNotFoundError} could not find. */
export type HookwaitMissing = 'workflow' | 'procedure' | 'wait';

/**
 * An unknown workflow, procedure or wait. `what` says which, `name` names it.
 *
 * @example
 * ```ts
 * try {
 *   await hookwait.show('order-42');
 * } catch (err) {
 *   if (err instanceof HookwaitNotFoundError && err.what === 'workflow') console.log(`no run ${err.missing}`);
 * }
 * ```
 */
export class HookwaitNotFoundError extends Error {
  override readonly name = 'HookwaitNotFoundError';
  constructor(
    readonly what: HookwaitMissing,
    /** The workflow id, procedure name or wait id (`<wait>` or `<wait>:<key>`) that is unknown. */
    readonly missing: string,
    message: string,
  ) {
    super(message);
  }
}

/** Why a {@link HookwaitConflictError} was raised. */
export type HookwaitConflict = 'finished' | 'wait-closed' | 'already-started';

/**
 * The action does not fit the run's current state: the run has finished, the wait is no longer open (already
 * received or timed out), or a run with that workflow id is already running.
 *
 * @example
 * ```ts
 * try {
 *   await hookwait.expire('order-42', 'approval', { operator: 'ann' });
 * } catch (err) {
 *   if (err instanceof HookwaitConflictError && err.reason === 'wait-closed') console.log(`${err.wait} is ${err.status}`);
 * }
 * ```
 */
export class HookwaitConflictError extends Error {
  override readonly name = 'HookwaitConflictError';
  constructor(
    readonly reason: HookwaitConflict,
    readonly workflowId: string,
    message: string,
    /** For `wait-closed`: the wait id. */
    readonly wait?: string,
    /** The run's Temporal status (`COMPLETED`, …) for `finished`; the wait's status for `wait-closed`. */
    readonly status?: string,
  ) {
    super(message);
  }
}

/**
 * An operator's data does not fit the wait's declared attributes; `errors` names each field (and its path), exactly
 * as the gateway's 422 would. Nothing was sent to the run.
 *
 * @example
 * ```ts
 * try {
 *   await hookwait.complete('order-42', 'approval', { decision: 'maybe' }, { operator: 'ann' });
 * } catch (err) {
 *   if (err instanceof CallbackDataError) console.log(err.errors.map((e) => e.field)); // ['decision', 'amount', …]
 * }
 * ```
 */
export class CallbackDataError extends Error {
  override readonly name = 'CallbackDataError';
  constructor(
    /** The wait id (`<wait>` or `<wait>:<key>`). */
    readonly wait: string,
    readonly errors: readonly FieldError[],
  ) {
    super(`data does not fit wait '${wait}': ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`);
  }
  /** The offending attributes' names. */
  get fields(): string[] {
    return this.errors.map((e) => e.field);
  }
}

/**
 * A call the client cannot make as asked: an invalid key, a key without its wait, or a client-side mint without a
 * signing keyring. The message says what to change.
 *
 * @example
 * ```ts
 * await hookwait.revoke('order-42', { key: 'sku-1', operator: 'ann' }).catch((err) => {
 *   if (err instanceof HookwaitArgumentError) console.log(err.argument); // 'key'
 * });
 * ```
 */
export class HookwaitArgumentError extends Error {
  override readonly name = 'HookwaitArgumentError';
  constructor(
    /** The argument or option at fault. */
    readonly argument: string,
    message: string,
  ) {
    super(message);
  }
}
