import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { type ProcedureState, stateQuery } from '../../src/workflows/messages';
import { eventually } from './http';

/** A unique workflow id with a readable prefix. */
export const uniqueId = (prefix: string): string => `${prefix}-${randomUUID()}`;

export const runState = (handle: WorkflowHandle): Promise<ProcedureState> => handle.query(stateQuery);

/** The wait's callback URL, once the run has minted it. */
export async function callbackUrlOf(handle: WorkflowHandle, wait: string): Promise<string> {
  return eventually(async () => (await runState(handle)).callbackUrls[wait]);
}

/** Resolves when the wait reaches `status`. */
export async function untilWaitStatus(handle: WorkflowHandle, wait: string, status: string): Promise<void> {
  await eventually(async () => ((await runState(handle)).waits[wait]?.status === status ? true : undefined));
}
