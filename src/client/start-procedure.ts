import { randomUUID } from 'node:crypto';
import type { Client, WorkflowHandle, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { z } from 'zod';
import type { Procedure } from '../definitions/procedure';
import { formatZodIssues } from '../definitions/zod-issues';
import { HOOKWAIT_SEARCH_ATTRIBUTES, HookwaitProcedure, HookwaitStatus } from '../workflows/search-attributes';
import { callbackUrlsBy } from './worker-calls';

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
/** A refused start on a namespace without hookwait's search attributes, as the typed error that says what to do. */
export function startError(err: unknown, namespace: string, searchAttributes: boolean | undefined): unknown {
  const attribute = searchAttributes === false ? undefined : unknownSearchAttribute(err);
  return attribute ? new SearchAttributesNotRegisteredError(namespace, attribute, { cause: err }) : err;
}

function unknownSearchAttribute(err: unknown): string | undefined {
  // A plain start fails with a ServiceError whose cause is the gRPC error (code 3, the reason in `details`); an
  // update-with-start surfaces the server's reason in its own message. Either way the reason names the attribute.
  for (let e: unknown = err, depth = 0; e !== null && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, details, message } = e as { code?: unknown; details?: unknown; message?: unknown };
    const reasons = [code === GRPC_INVALID_ARGUMENT ? details : undefined, message].filter((r): r is string => typeof r === 'string');
    for (const reason of reasons) {
      const m = UNKNOWN_SEARCH_ATTRIBUTE.exec(reason);
      const name = m?.[1] ?? m?.[2];
      if (name && HOOKWAIT_SEARCH_ATTRIBUTES.some((k) => k.name === name)) return name;
    }
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
 * The options every hookwait start uses: a default workflow id, the static summary (the title first) and the search
 * attributes set from the first moment. Shared by {@link startProcedure} and `HookwaitClient.start`.
 */
export function runStartOptions(
  name: string,
  title: string,
  options: { readonly taskQueue: string; readonly workflowId?: string; readonly summary?: string; readonly searchAttributes?: boolean },
) {
  return {
    taskQueue: options.taskQueue,
    workflowId: options.workflowId ?? `${name}-${randomUUID()}`,
    staticSummary: options.summary ? `${title}: ${options.summary}` : title,
    ...(options.searchAttributes === false
      ? {}
      : {
          typedSearchAttributes: [
            { key: HookwaitProcedure, value: name },
            { key: HookwaitStatus, value: 'running' },
          ],
        }),
  };
}

/**
 * Starts a run of a procedure the way the Web UI reads best: the input checked first (a typed error names each
 * bad field, and nothing starts), a static summary, and the search attributes set from the start.
 * `HookwaitClient.start` does the same and also returns the run's callback URLs.
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
  return client.workflow
    .start(procedure.name, { ...runStartOptions(procedure.name, procedure.title, options), args: [input] })
    .catch((err: unknown) => {
      throw startError(err, client.options.namespace, options.searchAttributes);
    });
}

/**
 * The run's callback URLs, by wait name, once it has minted them (a worker must be running): asked with the
 * `hookwait.callbackUrls` update, bounded by `timeoutMs`; `undefined` if no worker answered in time.
 * `HookwaitClient` can also mint them without a worker, given the signing keyring.
 */
export async function callbackUrlsOf(handle: WorkflowHandle, timeoutMs = 10_000): Promise<Readonly<Record<string, string>> | undefined> {
  return callbackUrlsBy(handle, Date.now() + timeoutMs);
}
