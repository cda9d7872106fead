/**
 * Calls that need a worker to answer (updates, queries), each bounded by a deadline, and how their failures read.
 * Signals need no worker (the server persists them); updates and queries block until a worker answers, so every one
 * of them here runs under `connection.withDeadline`.
 */
import { type Client, type WorkflowHandle, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { callbackUrlsUpdate, type ProcedureState, stateQuery, syncUpdate } from '../workflows/messages';

/** Runs `fn` with every Temporal call in it bounded by `deadline` (ms since the epoch). */
export function withDeadline<T>(client: Pick<Client, 'connection'>, deadline: number, fn: () => Promise<T>): Promise<T> {
  return client.connection.withDeadline(deadline, fn);
}

/** The workflow id is unknown, or (for signals and updates) the run has already finished. */
export function isNotFound(err: unknown): boolean {
  // Across bundles `instanceof` may fail; the SDK's name is stable.
  return err instanceof Error && err.name === 'WorkflowNotFoundError';
}

/**
 * No worker answered in time (the deadline passed), or the run refused the update (it has no handler yet: a plain
 * workflow that has not used `createCallback`).
 */
export function isNoAnswer(err: unknown): boolean {
  return err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || err instanceof WorkflowUpdateFailedError;
}

/** The run's state from a worker (query), or undefined when none answered by the deadline. */
export async function queryStateBy(handle: WorkflowHandle, deadline: number): Promise<ProcedureState | undefined> {
  try {
    return await withDeadline(handle.client, deadline, () => handle.query(stateQuery));
  } catch {
    return undefined;
  }
}

/**
 * The run's state once a worker has applied every signal sent before this call (`hookwait.sync`). For a run that
 * finished meanwhile (the signal may have been what finished it), the final state by query. Undefined when no
 * worker answered by the deadline.
 */
export async function syncStateBy(handle: WorkflowHandle, deadline: number): Promise<ProcedureState | undefined> {
  try {
    return await withDeadline(handle.client, deadline, () => handle.executeUpdate(syncUpdate));
  } catch (err) {
    // A run cannot complete with a signal it has not processed, so a closed run's state includes ours (or it was
    // terminated, and its ledger says not).
    if (isNotFound(err)) return queryStateBy(handle, deadline);
    if (isNoAnswer(err)) return undefined;
    throw err;
  }
}

/**
 * The run's callback URLs once it has minted them (`hookwait.callbackUrls`); for a finished run, the ones it had
 * (by query). Undefined when no worker answered by the deadline.
 */
export async function callbackUrlsBy(handle: WorkflowHandle, deadline: number): Promise<Readonly<Record<string, string>> | undefined> {
  try {
    return await withDeadline(handle.client, deadline, () => handle.executeUpdate(callbackUrlsUpdate));
  } catch (err) {
    if (isNotFound(err)) {
      const state = await queryStateBy(handle, deadline);
      return state && Object.keys(state.callbackUrls).length > 0 ? state.callbackUrls : undefined;
    }
    if (isNoAnswer(err)) return undefined;
    throw err;
  }
}
