import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import type { HookwaitConfig } from '../config';
import type { AnyProcedure } from '../definitions/procedure';
import { findWait } from '../definitions/procedure';
import type { WaitPoint } from '../definitions/wait-point';
import { type HookwaitMemo, MEMO_KEY, type ProcedureState, stateQuery } from '../workflows/messages';

/** Exit codes: 0 done, 1 Temporal or another runtime failure, 2 bad usage or input, 3 unknown workflow, procedure or wait, 4 the wait is no longer open. */
export const EXIT = { ok: 0, failure: 1, usage: 2, notFound: 3, conflict: 4 } as const;

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

/** What a command needs: configuration, a lazily connected client, the known procedures. */
export interface CliContext {
  readonly config: HookwaitConfig;
  readonly env: NodeJS.ProcessEnv;
  readonly io: CliIo;
  client(): Promise<Client>;
  procedures(): AnyProcedure[];
}

export class UsageError extends Error {}
export class NotFoundError extends Error {}
export class ConflictError extends Error {}

export async function queryState(client: Client, workflowId: string, runId?: string, timeoutMs = 5_000): Promise<ProcedureState | undefined> {
  try {
    return await client.connection.withDeadline(Date.now() + timeoutMs, () => client.workflow.getHandle(workflowId, runId).query(stateQuery));
  } catch {
    return undefined;
  }
}

export async function describeRun(client: Client, workflowId: string): Promise<WorkflowExecutionDescription> {
  try {
    return await client.workflow.getHandle(workflowId).describe();
  } catch (err) {
    if ((err as Error).name === 'WorkflowNotFoundError') throw new NotFoundError(`no workflow '${workflowId}'`);
    throw err;
  }
}

/** The run's procedure and one of its waits, or a clear error naming what is unknown. */
export function resolveWait(ctx: CliContext, description: WorkflowExecutionDescription, waitName: string | undefined): { procedure: AnyProcedure; wait: WaitPoint } {
  const procedure = ctx.procedures().find((p) => p.name === description.type);
  if (!procedure) throw new NotFoundError(`workflow '${description.workflowId}' runs '${description.type}', which is not a known procedure`);
  if (!waitName) throw new UsageError(`name the wait (${Object.keys(procedure.waits).join(', ')})`);
  const wait = findWait(procedure, waitName);
  if (!wait) throw new NotFoundError(`procedure '${procedure.name}' has no wait '${waitName}' (waits: ${Object.keys(procedure.waits).join(', ')})`);
  return { procedure, wait };
}

/** Refuses an operator action on a run that has finished or a wait that is no longer open. */
export function requireOpenWait(description: WorkflowExecutionDescription, wait: string): void {
  if (description.status.name !== 'RUNNING') throw new ConflictError(`workflow '${description.workflowId}' has finished (${description.status.name})`);
  const status = (description.memo?.[MEMO_KEY] as HookwaitMemo | undefined)?.waits?.[wait];
  if (status === 'received' || status === 'timed_out') throw new ConflictError(`wait '${wait}' is no longer open (${status.replace('_', ' ')})`);
}

export function operatorName(env: NodeJS.ProcessEnv): string {
  return env.HOOKWAIT_OPERATOR || env.USER || env.LOGNAME || 'operator';
}
