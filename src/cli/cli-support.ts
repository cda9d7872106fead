import type { Client } from '@temporalio/client';
import { loadWaits, procedureModules } from '../app/procedure-modules';
import { CallbackDataError, HookwaitArgumentError, HookwaitConflictError, HookwaitNotFoundError } from '../client/errors';
import { type ActionOutcome, HookwaitClient } from '../client/hookwait-client';
import { ProcedureInputError } from '../client/start-procedure';
import type { HookwaitConfig } from '../config';
import type { FieldError } from '../definitions/attributes';
import type { AnyProcedure } from '../definitions/procedure';

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

/**
 * The {@link HookwaitClient} the commands are shells over, knowing the procedures (and the plain workflows' waits)
 * of HOOKWAIT_PROCEDURES_MODULE. It mints callback URLs itself only when `HOOKWAIT_TOKEN_KEYS` is configured (the
 * workers' keys); without it, the run's URLs come from a worker.
 */
export async function hookwaitClient(ctx: CliContext): Promise<HookwaitClient> {
  const configured = (ctx.env.HOOKWAIT_TOKEN_KEYS ?? '') !== '';
  return new HookwaitClient({
    client: await ctx.client(),
    procedures: ctx.procedures(),
    waits: loadWaits(procedureModules(ctx.env).proceduresModule),
    taskQueue: ctx.config.temporal.taskQueue,
    namespace: ctx.config.temporal.namespace,
    ...(configured ? { keyring: ctx.config.keyring, publicBaseUrl: ctx.config.publicBaseUrl } : {}),
  });
}

/**
 * Runs a client call and turns its typed errors into the CLI's (and so its exit codes): unknown → 3, no longer
 * open → 4, bad arguments or data → 2. `command` leads the message.
 */
export async function viaClient<T>(command: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof HookwaitNotFoundError) throw new NotFoundError(`${command}: ${err.message}`);
    if (err instanceof HookwaitConflictError) throw new ConflictError(`${command}: ${err.message}`);
    if (err instanceof HookwaitArgumentError || err instanceof CallbackDataError || err instanceof ProcedureInputError) throw new UsageError(`${command}: ${err.message}`);
    throw err;
  }
}

/**
 * An action a worker applied, but not as asked (a callback that came first wins): the exit code says why. `accepted`,
 * `expired`, `kept` (a plain workflow applies it once it declares the wait) and not applied yet are fine.
 */
export function reportOutcome(command: string, wait: string, outcome: ActionOutcome | undefined, errors?: readonly FieldError[]): void {
  const closed = `${command}: wait '${wait}' is no longer open: the run recorded this as ${outcome}`;
  switch (outcome) {
    case 'duplicate':
    case 'late':
      throw new ConflictError(closed);
    case 'unknown-wait':
      throw new NotFoundError(`${command}: the run does not know wait '${wait}'`);
    case 'rejected':
      throw new UsageError(`${command}: the run rejected the data for wait '${wait}': ${(errors ?? []).map((e) => `${e.field}: ${e.message}`).join('; ')}`);
    default:
      return;
  }
}

export function operatorName(env: NodeJS.ProcessEnv): string {
  return env.HOOKWAIT_OPERATOR || env.USER || env.LOGNAME || 'operator';
}
