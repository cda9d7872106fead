import { randomUUID } from 'node:crypto';
import type { Client, WorkflowHandle, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { z } from 'zod';
import type { Procedure } from '../definitions/procedure';
import { formatZodIssues } from '../definitions/zod-issues';
import { type ProcedureState, stateQuery } from '../workflows/messages';
import { HOOKWAIT_SEARCH_ATTRIBUTES, HookwaitProcedure, HookwaitStatus } from '../workflows/search-attributes';

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

/**
 * Thrown by {@link startProcedure} when the namespace does not have hookwait's search attributes; nothing is
 * started. Register them with `npx hookwait setup`, or start with `searchAttributes: false`.
 */
export class SearchAttributesNotRegisteredError extends Error {
  override readonly name = 'SearchAttributesNotRegisteredError';
  constructor(
    /** The namespace the run was to start in. */
    readonly namespace: string,
    /** The search attribute the server named as unknown, e.g. `HookwaitProcedure`. */
    readonly attribute: string,
    options?: { readonly cause?: unknown },
  ) {
    super(
      `namespace '${namespace}' does not have hookwait's search attributes (the server does not know ${attribute}): ` +
        'register them with `npx hookwait setup`, or start without them (searchAttributes: false; HOOKWAIT_SEARCH_ATTRIBUTES=false)',
      options,
    );
  }
}

const GRPC_INVALID_ARGUMENT = 3;
// SQL visibility (the dev server, PostgreSQL, MySQL, SQLite) and Elasticsearch word it differently.
const UNKNOWN_SEARCH_ATTRIBUTE = /no mapping defined for search attribute (\w+)|search attribute (\w+) is not defined/;

/** The hookwait search attribute a start was refused for, if that is why it failed. */
function unknownSearchAttribute(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e !== null && typeof e === 'object' && depth < 3; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, details } = e as { code?: unknown; details?: unknown };
    if (code !== GRPC_INVALID_ARGUMENT || typeof details !== 'string') continue;
    const m = UNKNOWN_SEARCH_ATTRIBUTE.exec(details);
    const name = m?.[1] ?? m?.[2];
    if (name && HOOKWAIT_SEARCH_ATTRIBUTES.some((k) => k.name === name)) return name;
  }
  return undefined;
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
 * @throws {@link SearchAttributesNotRegisteredError} when the namespace lacks hookwait's search attributes.
 */
export async function startProcedure<S extends z.ZodType>(
  client: Client,
  procedure: Pick<Procedure<string, S>, 'name' | 'title' | 'input'>,
  input: z.input<S>,
  options: StartProcedureOptions,
): Promise<WorkflowHandleWithFirstExecutionRunId> {
  checkProcedureInput(procedure, input);
  const summary = options.summary ? `${procedure.title}: ${options.summary}` : procedure.title;
  const start = client.workflow.start(procedure.name, {
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
  return start.catch((err: unknown) => {
    const attribute = options.searchAttributes === false ? undefined : unknownSearchAttribute(err);
    throw attribute ? new SearchAttributesNotRegisteredError(client.options.namespace, attribute, { cause: err }) : err;
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
