/**
 * `HookwaitClient`: what code outside the workflows (an admin tool, a support back office, the CLI) does with
 * hookwait runs: start them and get their callback URLs, complete, expire or revoke their waits as an operator, and
 * read their state. Signals carry every action, so an action is durable the moment it returns, worker or not; each
 * then asks a worker (an update, under a deadline) whether it was applied, and says so.
 */
import { randomUUID } from 'node:crypto';
import {
  type Client,
  WithStartWorkflowOperation,
  type Workflow,
  WorkflowExecutionAlreadyStartedError,
  type WorkflowExecutionDescription,
  type WorkflowHandle,
} from '@temporalio/client';
import type { z } from 'zod';
import { callbackUrl as callbackUrlFor } from '../activities/create-activities';
import { extractAttributes, type FieldError, type Scalar } from '../definitions/attributes';
import type { AnyProcedure, Procedure } from '../definitions/procedure';
import type { TimeoutAction, WaitPoint } from '../definitions/wait-point';
import { CallbackTokenTooLongError, checkCallbackTokenLength, mintCallbackToken, type TokenKeyring } from '../security/callback-token';
import { type WaitCatalog, waitCatalog } from '../service/wait-catalog';
import {
  type CallbackSignalArgs,
  type CallbackSource,
  callbackSignal,
  callbackUrlsUpdate,
  expireSignal,
  type HookwaitMemo,
  isRevokedBy,
  type LedgerEntry,
  type LedgerOutcome,
  MEMO_KEY,
  TRIGGER_MEMO_KEY,
  type ProcedureStatus,
  revokeSignal,
  WAIT_KEY,
  waitId,
  type WaitState,
} from '../workflows/messages';
import type { ProcedureResult } from '../workflows/procedure-runtime';
import { CallbackDataError, HookwaitArgumentError, HookwaitConflictError, HookwaitNotFoundError } from './errors';
import { checkProcedureInput, runStartOptions, startError } from './start-procedure';
import { callbackUrlsBy, isNoAnswer, isNotFound, queryStateBy, syncStateBy, withDeadline } from './worker-calls';

/** How long an operation waits for a worker by default (an update or a query), before it reports that none answered. */
export const DEFAULT_WORKER_TIMEOUT_MS = 10_000;

/** Options of {@link HookwaitClient}. */
export interface HookwaitClientOptions {
  /** A Temporal client, connected to the namespace the runs live in. */
  readonly client: Client;
  /** Procedures this client starts and acts on: their inputs and waits are checked here, before Temporal hears of it. */
  readonly procedures?: readonly AnyProcedure[];
  /** Waits declared with `defineWait` and used with `createCallback` in plain workflows, for `complete` and `expire`. */
  readonly waits?: readonly WaitPoint[];
  /**
   * The workers' signing keyring (`HOOKWAIT_TOKEN_KEYS`). With it, callback URLs are minted here, identical to the
   * ones the run mints (tokens are deterministic), so `start` returns them with no worker up. Give `publicBaseUrl` too.
   */
  readonly keyring?: TokenKeyring;
  /** The gateway's public URL (`HOOKWAIT_PUBLIC_BASE_URL`), the prefix of every callback URL; needed with `keyring`. */
  readonly publicBaseUrl?: string;
  /** The workers' task queue: where `start` puts runs. */
  readonly taskQueue: string;
  /** The namespace the tokens bind; default: the client's namespace. */
  readonly namespace?: string;
  /** How long an operation waits for a worker to answer (default {@link DEFAULT_WORKER_TIMEOUT_MS}). */
  readonly workerTimeoutMs?: number;
}

/** Options of {@link HookwaitClient.start}. */
export interface HookwaitStartOptions {
  /** Default: `<procedure or workflow type>-<uuid>`. */
  readonly workflowId?: string;
  /** Shown in the Web UI after the procedure's title, e.g. `customer c1, conversation 42`. */
  readonly summary?: string;
  /**
   * Set `HookwaitProcedure` and `HookwaitStatus="running"` at start, so the run is listed from its first moment.
   * Default true; false on a namespace without hookwait's search attributes (see `hookwait setup`).
   */
  readonly searchAttributes?: boolean;
  /**
   * Without a keyring: how long to wait for a worker to answer with the run's URLs (default: the client's
   * `workerTimeoutMs`). 0 starts the run without asking.
   */
  readonly waitForUrlsMs?: number;
}

/** Where {@link StartedRun.callbackUrls} came from: a worker (the run itself), this client's keyring, or nowhere yet. */
export type UrlsFrom = 'worker' | 'client' | 'none';

/** A run {@link HookwaitClient.start} started. */
export interface StartedRun<W extends Workflow = Workflow> {
  /** Typed by the workflow function when one was passed. */
  readonly handle: WorkflowHandle<W>;
  readonly workflowId: string;
  readonly runId: string;
  /** By wait id (`<wait>`, or `<wait>:<key>` for keyed waits). Empty when `urlsFrom` is `none`. */
  readonly callbackUrls: Readonly<Record<string, string>>;
  /**
   * `client`: minted here with the keyring; `worker`: the run answered the `hookwait.callbackUrls` update; `none`: no
   * keyring and no worker answered in time. The run is started in every case; `callbackUrls(workflowId)` asks again.
   */
  readonly urlsFrom: UrlsFrom;
}

/** The workflow function a procedure definition stands for: what `procedure(definition, body)` returns. */
export type ProcedureWorkflow<P> = P extends Procedure<string, infer S, infer _W, infer _C> ? (input: z.input<S>) => Promise<ProcedureResult<unknown>> : never;
/** The input a procedure definition accepts (before its schema's transforms). */
export type ProcedureInputOf<P> = P extends Procedure<string, infer S, infer _W, infer _C> ? z.input<S> : never;

/** Options of an operator's action ({@link HookwaitClient.complete}, {@link HookwaitClient.expire}). */
export interface OperatorActionOptions {
  /** Who acts: recorded on the run's ledger. */
  readonly operator: string;
  /** The key, for a keyed wait (one URL per item). */
  readonly key?: string;
  /** How long to wait for a worker to apply it (default: the client's `workerTimeoutMs`). */
  readonly timeoutMs?: number;
}

/** What an action's callback became on the run: a ledger outcome, or `kept` (a plain workflow has not declared the wait yet). */
export type ActionOutcome = LedgerOutcome | 'kept';

/** What {@link HookwaitClient.complete} did. */
export interface CompleteResult {
  readonly workflowId: string;
  readonly runId: string;
  /** The wait id (`<wait>` or `<wait>:<key>`). */
  readonly wait: string;
  /** The captured values, as the run holds them once it applies the completion. */
  readonly attributes: Readonly<Record<string, Scalar>>;
  /**
   * `true`: a worker applied it within the deadline, and `outcome` says how. `false`: no worker answered in time; the
   * completion is durable in Temporal and applied when a worker runs the workflow.
   */
  readonly applied: boolean;
  /** `accepted`, or why not: `duplicate`, `late`, `rejected` (with `errors`), `unknown-wait`; `kept` for later. */
  readonly outcome?: ActionOutcome;
  readonly errors?: readonly FieldError[];
}

/** What {@link HookwaitClient.expire} did. */
export interface ExpireResult {
  readonly workflowId: string;
  readonly runId: string;
  readonly wait: string;
  /** The path the wait takes now, as declared: `escalate` or `branch`. */
  readonly onTimeout: TimeoutAction;
  /** As in {@link CompleteResult.applied}. */
  readonly applied: boolean;
  /** `expired`, or `late` when the wait had closed meanwhile. */
  readonly outcome?: ActionOutcome;
}

/** Options of {@link HookwaitClient.revoke}. */
export interface RevokeOptions {
  readonly operator: string;
  /** One wait (every key of it, unless `key` is given); every wait of the run when absent. */
  readonly wait?: string;
  /** One key of a keyed wait; needs `wait`. */
  readonly key?: string;
  readonly timeoutMs?: number;
}

/** What {@link HookwaitClient.revoke} did. */
export interface RevokeResult {
  readonly workflowId: string;
  readonly runId: string;
  /** The wait id revoked, or `all`. */
  readonly revoked: string;
  /**
   * `true`: a worker applied it: the gateway answers 410 from now on. `false`: no worker answered in time; the
   * revocation is durable, and no callback that reaches Temporal after it is ever applied.
   */
  readonly applied: boolean;
  /** The ledger entries it recorded (one per wait it revoked). */
  readonly outcomes: readonly LedgerOutcome[];
}

/** Options of {@link HookwaitClient.show} and {@link HookwaitClient.callbackUrls}. */
export interface WorkerWaitOptions {
  /** How long to wait for a worker (default: the client's `workerTimeoutMs`). */
  readonly timeoutMs?: number;
}

/** A run at a glance: what `hookwait show --json` prints. */
export interface RunSummary {
  readonly workflowId: string;
  readonly runId: string;
  /** The procedure, or the workflow type of a plain workflow. */
  readonly procedure: string;
  /** Temporal's status: `RUNNING`, `COMPLETED`, `TERMINATED`, … */
  readonly temporalStatus: string;
  readonly status: ProcedureStatus | 'unknown';
  /** By wait id (`<wait>`, `<wait>:<key>` for keyed waits). From the memo (statuses only) when no worker answered. */
  readonly waits: Readonly<Record<string, WaitState>>;
  /** Customer messages received while waiting. */
  readonly customerMessages: number;
  /** The callback ledger (empty when no worker answered). */
  readonly ledger: readonly LedgerEntry[];
  /** `worker`: the whole state (query); `memo`: wait statuses only, read without a worker; `none`: neither. */
  readonly stateFrom: 'worker' | 'memo' | 'none';
  /** The webhook trigger that started the run, and the sender's delivery id (from the run's start memo). */
  readonly trigger?: { readonly name: string; readonly deliveryId?: string };
}

/** The trigger of a run's start memo (`hookwaitTrigger`), when it has a well-formed one. */
function triggerOf(value: unknown): { trigger?: { name: string; deliveryId?: string } } {
  if (typeof value !== 'object' || value === null) return {};
  const { name, deliveryId } = value as { name?: unknown; deliveryId?: unknown };
  if (typeof name !== 'string') return {};
  return { trigger: { name, ...(typeof deliveryId === 'string' ? { deliveryId } : {}) } };
}

/** Memo key of the one-time mark `start` gives a run (see its update-with-start fallback). */
const START_MEMO_KEY = 'hookwaitStart';

/**
 * The client-side counterpart of hookwait's workflows: starts runs and returns their callback URLs, lets operators
 * complete, expire and revoke waits (each checked first, recorded on the run's ledger, and reported as applied once
 * a worker has), and reads a run's state. Every check the gateway makes at the edge is made here too, with typed
 * errors: {@link HookwaitNotFoundError}, {@link HookwaitConflictError}, {@link CallbackDataError},
 * {@link ProcedureInputError}, {@link HookwaitArgumentError}.
 *
 * Actions are signals, durable the moment they return even with no worker running; `applied` says whether a worker
 * applied them within the deadline (`workerTimeoutMs`). No call here blocks longer than its deadline.
 *
 * @example
 * ```ts
 * import { Client, Connection } from '@temporalio/client';
 * import { HookwaitClient, loadConfig } from 'hookwait';
 * import { procedures } from './procedures';
 *
 * const config = loadConfig();
 * const client = new Client({ connection: await Connection.connect({ address: config.temporal.address }) });
 * const hookwait = new HookwaitClient({
 *   client, procedures, taskQueue: 'support',
 *   keyring: config.keyring, publicBaseUrl: config.publicBaseUrl,   // optional: URLs with no worker up
 * });
 * const run = await hookwait.start(identityVerification, { customerId: 'c1' });
 * console.log(run.callbackUrls.idVerification);
 * await hookwait.complete(run.workflowId, 'idVerification', { verification_status: 'verified' }, { operator: 'ann' });
 * ```
 */
export class HookwaitClient {
  private readonly client: Client;
  private readonly catalog: WaitCatalog;
  private readonly keyring: TokenKeyring | undefined;
  private readonly publicBaseUrl: string | undefined;
  private readonly taskQueue: string;
  private readonly namespace: string;
  private readonly workerTimeoutMs: number;

  /**
   * @throws {@link HookwaitArgumentError} for a keyring without `publicBaseUrl`.
   * @throws `DefinitionError` for two different waits of the same name in `waits`.
   *
   * @example
   * ```ts
   * const hookwait = new HookwaitClient({ client, procedures, waits: [lineApproved], taskQueue: 'support' });
   * ```
   */
  constructor(options: HookwaitClientOptions) {
    if (options.keyring && !options.publicBaseUrl) {
      throw new HookwaitArgumentError('publicBaseUrl', 'a keyring mints callback URLs: give publicBaseUrl (HOOKWAIT_PUBLIC_BASE_URL) with it');
    }
    this.client = options.client;
    this.catalog = waitCatalog(options.procedures ?? [], options.waits ?? []);
    this.keyring = options.keyring;
    this.publicBaseUrl = options.publicBaseUrl;
    this.taskQueue = options.taskQueue;
    this.namespace = options.namespace ?? options.client.options.namespace;
    this.workerTimeoutMs = options.workerTimeoutMs ?? DEFAULT_WORKER_TIMEOUT_MS;
  }

  /**
   * Starts a run and returns it with its callback URLs. The input of a procedure is checked first (nothing starts
   * when it does not fit); the run gets a static summary and its search attributes from the first moment.
   *
   * The URLs come from this client's keyring when it has one (no worker needed; for a procedure, whose waits are
   * declared up front), else from the run itself through update-with-start (the start and the
   * `hookwait.callbackUrls` update in one request, conflict policy `FAIL`: a running workflow with that id is a
   * {@link HookwaitConflictError}, never silently reused), bounded by `waitForUrlsMs`. When no worker answers in
   * time, the run is started all the same and `urlsFrom` is `none`.
   *
   * Pass the workflow function to get a typed handle (a `procedure(...)` function is matched with its definition
   * in `procedures` by name), a procedure definition, or a procedure's name.
   *
   * @throws {@link ProcedureInputError} naming each bad field of a procedure's input.
   * @throws {@link HookwaitNotFoundError} for a procedure name this client does not know.
   * @throws {@link HookwaitConflictError} (`already-started`) when a run with that workflow id is running.
   *
   * @example
   * ```ts
   * const { handle, callbackUrls, urlsFrom } = await hookwait.start(identityVerification, { customerId: 'c1' }, { summary: 'conversation 1042' });
   * if (urlsFrom === 'none') console.log('no worker yet: ask again with hookwait.callbackUrls(handle.workflowId)');
   * const result = await handle.result();   // typed: ProcedureResult<…>
   * ```
   */
  start<W extends Workflow>(workflow: W, input: Parameters<W>[0], options?: HookwaitStartOptions): Promise<StartedRun<W>>;
  start<P extends AnyProcedure>(procedure: P, input: ProcedureInputOf<P>, options?: HookwaitStartOptions): Promise<StartedRun<ProcedureWorkflow<P>>>;
  start(procedure: string, input: unknown, options?: HookwaitStartOptions): Promise<StartedRun>;
  async start(target: Workflow | AnyProcedure | string, input: unknown, options: HookwaitStartOptions = {}): Promise<StartedRun> {
    const { workflow, name, procedure } = this.resolveTarget(target);
    if (procedure) checkProcedureInput(procedure, input);
    const args: unknown[] = procedure || input !== undefined ? [input] : [];
    // A one-time mark of this start, so a fallback that reuses a running run can tell it is ours.
    const nonce = randomUUID();
    const startOptions = { ...runStartOptions(name, procedure?.title ?? name, { taskQueue: this.taskQueue, ...options }), args, memo: { [START_MEMO_KEY]: nonce } };
    const workflowId = startOptions.workflowId;
    // A run whose callback URLs could never be accepted is refused here, before it starts.
    if (procedure) this.checkTokenLengths(procedure, workflowId);

    if (procedure && this.keyring) {
      const handle = await this.startPlain(workflow, startOptions);
      const runId = handle.firstExecutionRunId;
      const callbackUrls = Object.fromEntries(Object.keys(procedure.waits).map((w) => [w, this.mint(procedure.name, workflowId, runId, w)]));
      return { handle, workflowId, runId, callbackUrls, urlsFrom: 'client' };
    }
    const waitMs = options.waitForUrlsMs ?? this.workerTimeoutMs;
    if (waitMs <= 0) {
      const handle = await this.startPlain(workflow, startOptions);
      return { handle, workflowId, runId: handle.firstExecutionRunId, callbackUrls: {}, urlsFrom: 'none' };
    }

    const deadline = Date.now() + waitMs;
    const op = new WithStartWorkflowOperation<Workflow>(workflow, { ...startOptions, workflowIdConflictPolicy: 'FAIL' });
    let runId: string | undefined;
    try {
      const update = await withDeadline(this.client, deadline, () =>
        this.client.workflow.startUpdateWithStart(callbackUrlsUpdate, { waitForStage: 'ACCEPTED', startWorkflowOperation: op }),
      );
      runId = update.workflowRunId;
      const callbackUrls = await withDeadline(this.client, deadline, () => update.result());
      const handle = await op.workflowHandle();
      if (runId !== undefined) return { handle, workflowId, runId, callbackUrls, urlsFrom: 'worker' };
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) throw alreadyStarted(workflowId);
      if (!isNoAnswer(err)) throw startError(err, this.client.options.namespace, startOptions.typedSearchAttributes !== undefined);
    }
    if (runId !== undefined) return { handle: await op.workflowHandle(), workflowId, runId, callbackUrls: {}, urlsFrom: 'none' };
    // The deadline passed before the server's first answer. The server has (almost certainly) started the run, but
    // the SDK then rejects op.workflowHandle() too, so the run id is unknown here: a start that reuses a running
    // run of this id (ours) learns it, and starts the run in the rare case the first request never got through.
    const handle = await this.startPlain(workflow, { ...startOptions, workflowIdConflictPolicy: 'USE_EXISTING' });
    // USE_EXISTING returns whatever run has this id: only ours carries this start's mark.
    const { memo } = await handle.describe();
    if (memo?.[START_MEMO_KEY] !== nonce) throw alreadyStarted(workflowId);
    return { handle, workflowId, runId: handle.firstExecutionRunId, callbackUrls: {}, urlsFrom: 'none' };
  }

  /**
   * The callback URL of one wait (one key of a keyed wait) of a run, minted here with the keyring: the same URL the
   * run mints. Needs no worker; reads the run's type from Temporal.
   *
   * @throws {@link HookwaitArgumentError} when this client has no keyring, or for an invalid key.
   * @throws {@link HookwaitNotFoundError} for an unknown run or a wait this client does not know.
   *
   * @example
   * ```ts
   * const url = await hookwait.callbackUrl(run.workflowId, run.runId, 'lineApproved', 'sku-1');
   * ```
   */
  async callbackUrl(workflowId: string, runId: string, wait: string, key?: string): Promise<string> {
    if (!this.keyring) {
      throw new HookwaitArgumentError('keyring', 'callbackUrl mints URLs here and needs the signing keyring: pass keyring and publicBaseUrl to HookwaitClient, or ask the run with callbackUrls(workflowId)');
    }
    checkKey(key);
    const description = await this.describe(workflowId, runId);
    const point = this.resolveWait(description, wait);
    return this.mint(description.type, workflowId, description.runId, point.name, key);
  }

  /**
   * The callback URLs of a running workflow, by wait id, as the run holds them (`hookwait.callbackUrls` update,
   * bounded by `timeoutMs`); `undefined` when no worker answered in time.
   *
   * @throws {@link HookwaitNotFoundError} for an unknown workflow; {@link HookwaitConflictError} for a finished run.
   *
   * @example
   * ```ts
   * const urls = await hookwait.callbackUrls('identityVerification-42');   // { idVerification: 'https://…' }
   * ```
   */
  async callbackUrls(workflowId: string, options: WorkerWaitOptions = {}): Promise<Readonly<Record<string, string>> | undefined> {
    const description = await this.describe(workflowId);
    requireRunning(description, 'its callback URLs answer 410');
    const handle = this.client.workflow.getHandle(workflowId, description.runId);
    return callbackUrlsBy(handle, Date.now() + (options.timeoutMs ?? this.workerTimeoutMs));
  }

  /**
   * Completes a wait as an operator: `data` is checked like a callback's payload (declared attributes only, typed,
   * read by their paths), the run must be running and the wait still open; then the callback signal is sent (source
   * `operator`) and a worker is asked (`hookwait.sync`) how the run took it.
   *
   * @throws {@link HookwaitNotFoundError} for an unknown run or wait; {@link CallbackDataError} naming each field that
   * does not fit; {@link HookwaitConflictError} for a finished run or a wait no longer open; nothing is sent then.
   *
   * @example
   * ```ts
   * const r = await hookwait.complete('order-42', 'lineApproved', { approved: true }, { key: 'sku-1', operator: 'ann' });
   * if (!r.applied) console.log('recorded in Temporal; applied when a worker runs the workflow');
   * else console.log(r.outcome);   // 'accepted'
   * ```
   */
  async complete(workflowId: string, wait: string, data: unknown, options: OperatorActionOptions): Promise<CompleteResult> {
    checkKey(options.key);
    const description = await this.describe(workflowId);
    const point = this.resolveWait(description, wait);
    const id = waitId(point.name, options.key);
    const check = extractAttributes(point.attributes, data);
    if (!check.ok) throw new CallbackDataError(id, check.errors);
    requireOpenWait(description, id);
    const source = operatorSource(options.operator);
    const signal: CallbackSignalArgs = {
      wait: point.name,
      ...(options.key !== undefined ? { key: options.key } : {}),
      attributes: check.inputs,
      receivedAt: new Date().toISOString(),
      source,
    };
    const handle = this.client.workflow.getHandle(workflowId, description.runId);
    await handle.signal(callbackSignal, signal);
    const state = await syncStateBy(handle, Date.now() + (options.timeoutMs ?? this.workerTimeoutMs));
    const entry = state?.ledger.find((e) => e.source.requestId === source.requestId);
    const kept = !entry && (state?.early ?? []).some((cb) => cb.source?.requestId === source.requestId);
    const attributes = Object.fromEntries(Object.entries(check.attributes).flatMap(([k, v]) => (v === undefined ? [] : [[k, v]])));
    return {
      workflowId,
      runId: description.runId,
      wait: id,
      attributes,
      applied: entry !== undefined || kept,
      ...(entry ? { outcome: entry.outcome } : kept ? { outcome: 'kept' as const } : {}),
      ...(entry?.errors ? { errors: entry.errors } : {}),
    };
  }

  /**
   * Takes a wait's timeout path now (escalate or branch, as declared), as an operator; recorded on the ledger. The run
   * must be running and the wait still open. A wait not reached yet times out as soon as the run reaches it.
   *
   * @throws {@link HookwaitNotFoundError} for an unknown run or wait; {@link HookwaitConflictError} for a finished run
   * or a wait no longer open.
   *
   * @example
   * ```ts
   * const r = await hookwait.expire('order-42', 'approval', { operator: 'ann' });
   * console.log(r.onTimeout, r.applied);   // 'escalate' true
   * ```
   */
  async expire(workflowId: string, wait: string, options: OperatorActionOptions): Promise<ExpireResult> {
    checkKey(options.key);
    const description = await this.describe(workflowId);
    const point = this.resolveWait(description, wait);
    const id = waitId(point.name, options.key);
    requireOpenWait(description, id);
    const source = operatorSource(options.operator);
    const handle = this.client.workflow.getHandle(workflowId, description.runId);
    await handle.signal(expireSignal, { wait: point.name, ...(options.key !== undefined ? { key: options.key } : {}), at: new Date().toISOString(), source });
    const state = await syncStateBy(handle, Date.now() + (options.timeoutMs ?? this.workerTimeoutMs));
    const entry = state?.ledger.find((e) => e.source.requestId === source.requestId);
    return { workflowId, runId: description.runId, wait: id, onTimeout: point.onTimeout, applied: entry !== undefined, ...(entry ? { outcome: entry.outcome } : {}) };
  }

  /**
   * Revokes callback URLs of a running run: all of them, one wait's (every key of it, and keys created later), or one
   * key's. The gateway answers 410 for them once a worker has applied it (`applied: true`); the revocation is durable
   * at once, and a callback that reaches Temporal after it is never applied. The run itself goes on.
   *
   * @throws {@link HookwaitNotFoundError} for an unknown run or wait; {@link HookwaitConflictError} for a finished
   * run (its URLs already answer 410); {@link HookwaitArgumentError} for a key without a wait.
   *
   * @example
   * ```ts
   * await hookwait.revoke('order-42', { operator: 'sec-ops' });                               // every URL of the run
   * await hookwait.revoke('order-42', { wait: 'lineApproved', key: 'sku-1', operator: 'ann' });   // one key
   * ```
   */
  async revoke(workflowId: string, options: RevokeOptions): Promise<RevokeResult> {
    if (options.key !== undefined && options.wait === undefined) throw new HookwaitArgumentError('key', 'a key names one key of a wait: give the wait too');
    checkKey(options.key);
    const description = await this.describe(workflowId);
    let wait: string | undefined;
    if (options.wait !== undefined) wait = this.revocableWait(description, options.wait);
    requireRunning(description, 'its URLs already answer 410');
    const source = operatorSource(options.operator);
    const handle = this.client.workflow.getHandle(workflowId, description.runId);
    await handle.signal(revokeSignal, {
      ...(wait !== undefined ? { wait } : {}),
      ...(options.key !== undefined ? { key: options.key } : {}),
      at: new Date().toISOString(),
      source,
    });
    const state = await syncStateBy(handle, Date.now() + (options.timeoutMs ?? this.workerTimeoutMs));
    return {
      workflowId,
      runId: description.runId,
      revoked: wait === undefined ? 'all' : waitId(wait, options.key),
      applied: state !== undefined,
      outcomes: (state?.ledger ?? []).filter((e) => e.source.requestId === source.requestId).map((e) => e.outcome),
    };
  }

  /**
   * A run at a glance: Temporal's status and hookwait's, every wait (keyed waits by `<wait>:<key>`) with its deadline
   * and captured attributes, and the callback ledger. The state comes from a worker (query, bounded by `timeoutMs`);
   * with none, wait statuses come from the run's memo.
   *
   * @throws {@link HookwaitNotFoundError} for an unknown workflow.
   *
   * @example
   * ```ts
   * const s = await hookwait.show('order-42');
   * console.log(s.status, Object.keys(s.waits), s.ledger.length);
   * ```
   */
  async show(workflowId: string, options: WorkerWaitOptions = {}): Promise<RunSummary> {
    const description = await this.describe(workflowId);
    const handle = this.client.workflow.getHandle(workflowId, description.runId);
    const state = await queryStateBy(handle, Date.now() + (options.timeoutMs ?? this.workerTimeoutMs));
    const memo = memoOf(description);
    return {
      workflowId,
      runId: description.runId,
      procedure: description.type,
      temporalStatus: description.status.name,
      status: state?.status ?? memo?.status ?? 'unknown',
      waits: state?.waits ?? (memo ? this.waitsFromMemo(description.type, memo) : {}),
      customerMessages: state?.customerMessages.length ?? 0,
      ledger: state?.ledger ?? [],
      stateFrom: state ? 'worker' : memo ? 'memo' : 'none',
      ...triggerOf(description.memo?.[TRIGGER_MEMO_KEY]),
    };
  }

  private resolveTarget(target: Workflow | AnyProcedure | string): { workflow: Workflow | string; name: string; procedure?: AnyProcedure } {
    if (typeof target === 'function') {
      if (!target.name) throw new HookwaitArgumentError('workflow', 'the workflow function has no name: pass a named function (its name is the workflow type)');
      const procedure = this.catalog.procedure(target.name);
      return { workflow: target, name: target.name, ...(procedure ? { procedure } : {}) };
    }
    if (typeof target === 'string') {
      const procedure = this.catalog.procedure(target);
      if (!procedure) {
        const known = this.catalog.entries().flatMap((e) => (e.scope.startsWith('~/') ? [] : [e.scope.slice(0, e.scope.indexOf('/'))]));
        throw new HookwaitNotFoundError('procedure', target, `unknown procedure '${target}' (known: ${[...new Set(known)].join(', ') || 'none'})`);
      }
      return { workflow: target, name: target, procedure };
    }
    return { workflow: target.name, name: target.name, procedure: target };
  }

  private async startPlain(
    workflow: Workflow | string,
    options: ReturnType<typeof runStartOptions> & { readonly args: unknown[]; readonly memo?: Record<string, unknown>; readonly workflowIdConflictPolicy?: 'USE_EXISTING' },
  ) {
    try {
      return await this.client.workflow.start(workflow, options);
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) throw alreadyStarted(options.workflowId);
      throw startError(err, this.client.options.namespace, options.typedSearchAttributes !== undefined);
    }
  }

  private checkTokenLengths(procedure: AnyProcedure, workflowId: string): void {
    for (const wait of Object.keys(procedure.waits)) {
      try {
        checkCallbackTokenLength({ namespace: this.namespace, procedure: procedure.name, workflowId, wait }, this.keyring?.signingKeyId);
      } catch (err) {
        if (err instanceof CallbackTokenTooLongError) throw new HookwaitArgumentError('workflowId', `workflow id too long for a callback URL: ${err.message}`);
        throw err;
      }
    }
  }

  private mint(procedure: string, workflowId: string, runId: string, wait: string, key?: string): string {
    const keyring = this.keyring as TokenKeyring;
    const token = mintCallbackToken(keyring, { namespace: this.namespace, procedure, workflowId, runId, wait, ...(key !== undefined ? { key } : {}) });
    return callbackUrlFor(this.publicBaseUrl as string, token);
  }

  private async describe(workflowId: string, runId?: string): Promise<WorkflowExecutionDescription> {
    try {
      return await withDeadline(this.client, Date.now() + this.workerTimeoutMs, () => this.client.workflow.getHandle(workflowId, runId).describe());
    } catch (err) {
      if (isNotFound(err)) throw new HookwaitNotFoundError('workflow', workflowId, `no workflow '${workflowId}'${runId ? ` with run id '${runId}'` : ''}`);
      throw err;
    }
  }

  /** The declared wait of that name for this run: the procedure's own, else one given in `waits`. */
  private resolveWait(description: WorkflowExecutionDescription, wait: string): WaitPoint {
    const entry = this.catalog.find(description.type, wait);
    if (entry) return entry.point;
    throw this.unknownWait(description, wait);
  }

  /** For a revocation: a wait this client declares, or one the run's memo knows (a plain workflow's). */
  private revocableWait(description: WorkflowExecutionDescription, wait: string): string {
    const entry = this.catalog.find(description.type, wait);
    if (entry) return entry.point.name;
    const ids = Object.keys(memoOf(description)?.waits ?? {});
    if (ids.some((id) => id === wait || id.startsWith(`${wait}:`))) return wait;
    throw this.unknownWait(description, wait);
  }

  private unknownWait(description: WorkflowExecutionDescription, wait: string): HookwaitNotFoundError {
    const procedure = this.catalog.procedure(description.type);
    if (procedure) {
      return new HookwaitNotFoundError('wait', wait, `procedure '${procedure.name}' has no wait '${wait}' (waits: ${Object.keys(procedure.waits).join(', ')})`);
    }
    const known = this.catalog.entries().flatMap((e) => (e.scope.startsWith('~/') ? [e.point.name] : []));
    return new HookwaitNotFoundError(
      'wait',
      wait,
      `workflow '${description.workflowId}' runs '${description.type}', and this client knows no wait '${wait}' for it ` +
        (known.length > 0 ? `(known waits: ${known.join(', ')})` : '(it is not a known procedure; pass its waits to HookwaitClient)'),
    );
  }

  private waitsFromMemo(type: string, memo: HookwaitMemo): Record<string, WaitState> {
    return Object.fromEntries(
      Object.entries(memo.waits ?? {}).map(([id, status]): [string, WaitState] => {
        const colon = id.indexOf(':');
        const name = colon < 0 ? id : id.slice(0, colon);
        const revoked = (memo.revoked?.includes(id) ?? false) || isRevokedBy(memo.revokedRules, name);
        return [
          id,
          {
            title: this.catalog.find(type, name)?.point.title ?? name,
            ...(colon < 0 ? {} : { wait: name, key: id.slice(colon + 1) }),
            status,
            ...(revoked ? { revoked } : {}),
          },
        ];
      }),
    );
  }
}

function memoOf(description: WorkflowExecutionDescription): HookwaitMemo | undefined {
  return description.memo?.[MEMO_KEY] as HookwaitMemo | undefined;
}

function checkKey(key: string | undefined): void {
  if (key !== undefined && (typeof key !== 'string' || !WAIT_KEY.test(key))) {
    throw new HookwaitArgumentError('key', `key must be 1-128 letters, digits or _ . @ = + -, got ${JSON.stringify(key)}`);
  }
}

/** An operator's action, with an id of its own: how its ledger entry is found in the state a worker returns. */
function operatorSource(operator: string): CallbackSource & { readonly requestId: string } {
  return { kind: 'operator', operator, requestId: randomUUID() };
}

function requireRunning(description: WorkflowExecutionDescription, consequence?: string): void {
  const status = description.status.name;
  if (status !== 'RUNNING') {
    throw new HookwaitConflictError('finished', description.workflowId, `workflow '${description.workflowId}' has finished (${status})${consequence ? `: ${consequence}` : ''}`, undefined, status);
  }
}

/** Refuses an action on a run that has finished or a wait that is no longer open (by the run's memo: no worker needed). */
function requireOpenWait(description: WorkflowExecutionDescription, id: string): void {
  requireRunning(description);
  const status = memoOf(description)?.waits?.[id];
  if (status === 'received' || status === 'timed_out') {
    throw new HookwaitConflictError('wait-closed', description.workflowId, `wait '${id}' is no longer open (${status.replace('_', ' ')})`, id, status);
  }
}

function alreadyStarted(workflowId: string): HookwaitConflictError {
  return new HookwaitConflictError('already-started', workflowId, `a workflow with id '${workflowId}' is already running`);
}

