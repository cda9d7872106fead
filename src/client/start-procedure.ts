import { randomUUID } from 'node:crypto';
import type { Client, WorkflowHandle, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { z } from 'zod';
import type { Procedure } from '../definitions/procedure';
import { formatZodIssues } from '../definitions/zod-issues';
import { type ProcedureState, stateQuery } from '../workflows/messages';
import { HookwaitProcedure, HookwaitStatus } from '../workflows/search-attributes';

/** Thrown by {@link startProcedure} when the input does not fit the procedure's `input` schema; nothing is started. */
export class ProcedureInputError extends Error {
  override readonly name = 'ProcedureInputError';
  constructor(
    /** The offending fields, as paths (`kyc.mode`); `(root)` for the input itself. */
    readonly fields: readonly string[],
    /** The issues, each led by its field: `input.kyc.mode: Invalid option …`. */
    readonly issues: string,
    procedureName: string,
  ) {
    super(`invalid input for ${procedureName}: ${issues}`);
  }
}

/** Checks a run's input against the procedure's `input` schema. @throws {@link ProcedureInputError} naming each field. */
export function checkProcedureInput(procedure: Pick<Procedure, 'name' | 'input'>, input: unknown): void {
  const parsed = procedure.input.safeParse(input);
  if (parsed.success) return;
  const fields = [...new Set(parsed.error.issues.map((i) => i.path.map(String).join('.') || '(root)'))];
  throw new ProcedureInputError(fields, formatZodIssues(parsed.error, 'input'), procedure.name);
}

export interface StartProcedureOptions {
  readonly taskQueue: string;
  /** Default: `<procedure name>-<uuid>`. */
  readonly workflowId?: string;
  /** Shown in the Web UI after the procedure's title, e.g. `customer c1, conversation 42`. */
  readonly summary?: string;
  /**
   * Set `HookwaitProcedure` and `HookwaitStatus="running"` at start, so the run is listed from its first moment.
   * Default true; false on a namespace without hookwait's search attributes (see `hookwait setup`).
   */
  readonly searchAttributes?: boolean;
}

/**
 * Starts a run of a procedure the way the Web UI reads best: the input checked first (a typed error names each
 * bad field, and nothing starts), a static summary, and the search attributes set from the start.
 *
 * @returns the handle; {@link callbackUrlsOf} reads the run's callback URLs once it has minted them.
 * @throws {@link ProcedureInputError} when the input does not fit `procedure.input`.
 */
export async function startProcedure<S extends z.ZodType>(
  client: Client,
  procedure: Pick<Procedure<string, S>, 'name' | 'title' | 'input'>,
  input: z.input<S>,
  options: StartProcedureOptions,
): Promise<WorkflowHandleWithFirstExecutionRunId> {
  checkProcedureInput(procedure, input);
  const summary = options.summary ? `${procedure.title}: ${options.summary}` : procedure.title;
  return client.workflow.start(procedure.name, {
    taskQueue: options.taskQueue,
    workflowId: options.workflowId ?? `${procedure.name}-${randomUUID()}`,
    args: [input],
    staticSummary: summary,
    ...(options.searchAttributes === false
      ? {}
      : {
          typedSearchAttributes: [
            { key: HookwaitProcedure, value: procedure.name },
            { key: HookwaitStatus, value: 'running' },
          ],
        }),
  });
}

/**
 * The run's callback URLs, by wait name, once its first workflow task has minted them (a worker must be running);
 * `undefined` if none came within `timeoutMs`.
 */
export async function callbackUrlsOf(handle: WorkflowHandle, timeoutMs = 10_000): Promise<Readonly<Record<string, string>> | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = deadline - Date.now();
    const state = await handle.client.connection
      .withDeadline(Date.now() + Math.max(100, Math.min(2_000, left)), () => handle.query(stateQuery))
      .catch((): ProcedureState | undefined => undefined);
    if (state && Object.keys(state.callbackUrls).length > 0) return state.callbackUrls;
    if (Date.now() >= deadline) return undefined;
    await new Promise((r) => setTimeout(r, 200));
  }
}
