/**
 * The workflow runtime: holds one run's state, installs hookwait's handlers, applies the pure state machine
 * (src/core/wait-machine.ts) and publishes what the gateway and the Web UI read. One per workflow execution
 * (module state is isolated per execution by the SDK's bundle). Used by `createCallback` and by `procedure`.
 *
 * Its command sequence is what parked runs replay against: every change to it goes behind `patched()` and is
 * covered by the committed histories in test/histories (see DEVELOPERS.md).
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { HookwaitActivities } from '../activities/activity-types';
import { type MachineContext, type MachineEvent, memoOf, quietRepeat, step, type Transition, waitSettled, initialState } from '../core/wait-machine';
import { type CallbackDelivery, type CallbackSignalArgs, MAX_WAITS_PER_RUN, MEMO_KEY, MEMO_VERSION, type ProcedureState, waitId, WAIT_KEY } from '../core/run-state';
import { extractAttributes, type Scalar } from '../definitions/attributes';
import { formatDurationMs, nextPollInterval, type PollSchedule, type ProgressPoint, progressMessage } from '../definitions/poll';
import { DefinitionError } from '../definitions/definition-error';
import { type Duration, waitTimeoutToMs } from '../definitions/duration';
import { type Assignee, assigneeLabel, type WaitPoint } from '../definitions/wait-point';
import { renderCurrentDetails } from './current-details';
import { CALLBACK_REFUSED_FAILURE, callbackSignal, callbackUrlsUpdate, customerMessageSignal, deliverUpdate, expireSignal, revokeSignal, stateQuery, syncUpdate } from './messages';
import { HookwaitDeadline, HookwaitProcedure, HookwaitStatus, HookwaitWaitingFor } from './search-attributes';

/** A callback arrived in time (or the wait's poll found the job done). */
export interface WaitSuccess<A> {
  readonly ok: true;
  readonly attributes: A;
  /** ISO time the callback reached the gateway (for a poll: the time of the check that completed the wait). */
  readonly receivedAt: string;
  /** What completed the wait: its callback, or its poll (`wait({ poll })`). Absent on runs of earlier versions. */
  readonly completedBy?: 'callback' | 'poll';
}

/** The poll of a callback-or-poll wait, as the runtime runs it (see `WaitPoll` for the author's options). */
export interface RuntimePoll {
  /** The connector's name: for the ledger and the timers' summaries. */
  readonly connector: string;
  readonly schedule: PollSchedule;
  /** Makes check `n` (an activity). */
  call(n: number): Promise<unknown>;
  until(response: unknown): unknown;
  /** The wait's attributes from a `done` response; default: read by the wait's declared attributes (paths), as from a callback's body. */
  readonly attributes?: (response: unknown) => unknown;
  /** Turns `until`'s answer into a verdict, failing the run on a wrong one. */
  verdict(answer: unknown): 'done' | 'pending' | 'failed';
}
/** No callback in time, on a wait declared with `onTimeout: 'branch'`. */
export interface WaitTimeout {
  readonly ok: false;
  readonly reason: 'timeout';
}

/**
 * Thrown by an escalating wait once it has escalated (message sent, conversation assigned). `procedure` turns it into
 * the `escalated` result; in a plain workflow, catch it to end the run your way, or let it fail the run
 * (type `HookwaitEscalated`, not retried).
 */
export class WaitEscalated extends ApplicationFailure {
  constructor(
    readonly wait: string,
    /** Whether the escalation message reached the customer (the conversation is assigned either way). */
    readonly messageDelivered: boolean = true,
  ) {
    super(`wait '${wait}' timed out and escalated`, 'HookwaitEscalated', true);
  }
}

export function failure(type: string, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true });
}

const channelOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 20 },
} as const;
/** Activities are proxied per call so that each carries a summary for the Web UI. */
export function channel(summary: string) {
  return proxyActivities<Pick<HookwaitActivities, 'hookwaitSendMessage' | 'hookwaitAssign'>>({ ...channelOptions, summary });
}
function minter(summary: string) {
  return proxyLocalActivities<Pick<HookwaitActivities, 'hookwaitMintCallbackUrls'>>({ startToCloseTimeout: '10s', summary }).hookwaitMintCallbackUrls;
}

interface RuntimeInit {
  readonly procedure: string;
  readonly conversationId: string;
  /** A procedure's waits, declared up front (closed); absent for a plain workflow, which declares as it goes. */
  readonly waits?: readonly WaitPoint[];
  /** Digests of the bound values of a procedure's waits declared with `bind`, by wait name. */
  readonly bindings?: Readonly<Record<string, string>>;
}

/** One run's hookwait state and the operations on it. */
export class Runtime {
  state: ProcedureState;
  private readonly known = new Map<string, WaitPoint>();
  private readonly ctx: MachineContext;
  private searchAttributes = false;
  private minted = false;
  /** Mints in flight (local activities): see the `hookwait.callbackUrls` handler. */
  private minting = 0;
  /** Waits being declared (minting their URL), counted against {@link MAX_WAITS_PER_RUN}. */
  private readonly declaring = new Set<string>();
  /** Set by `procedure`: it publishes the escalated status itself, after unwinding the body. */
  procedureMode = false;
  /** Whether waits declaring `progress` send their messages (the patch, decided once: {@link decideProgress}). */
  private progressPatched: boolean | undefined;
  /** The worker's `HOOKWAIT_MAX_WAIT_TIMEOUT`, as the mint recorded it (absent in runs minted before it existed). */
  private maxWaitTimeoutMs: number | undefined;
  /** Publishing coalesced: a procedure started with {@link COALESCED_PUBLISH}. */
  private coalesce = false;
  /** Waits whose `await` is blocked on their condition: their resumption publishes, so nothing else needs to first. */
  private readonly awaiting = new Set<string>();
  /** What the last coalesced flush upserted, so an unchanged memo or search-attribute set is not upserted again. */
  private lastMemo: string | undefined;
  private lastSearchAttributes: string | undefined;

  constructor(init: RuntimeInit) {
    const info = workflowInfo();
    for (const w of init.waits ?? []) this.known.set(w.name, w);
    const closed = init.waits !== undefined;
    // Attribute length limits came later: a run that accepted a longer value before them (no marker) replays as it ran.
    this.ctx = { closed, lookup: (name) => this.known.get(name), enforceMaxLength: () => patched(ATTRIBUTE_MAX_LENGTH), oneRequestOnce: () => patched(ONE_REQUEST_ONCE) };
    this.state = initialState({
      procedure: init.procedure,
      workflowId: info.workflowId,
      runId: info.runId,
      conversationId: init.conversationId,
      startedAt: new Date().toISOString(),
      ...(init.waits ? { waits: init.waits } : {}),
      ...(init.bindings ? { bindings: init.bindings } : {}),
    });
    this.installHandlers();
  }

  /** Applies an event to the state; publishes when what others read changed. Returns what the event recorded. */
  apply(event: MachineEvent): Transition['outcomes'] {
    const t = step(this.state, event, this.ctx);
    this.state = t.state;
    if (t.publish) this.publish();
    return t.outcomes;
  }

  private installHandlers(): void {
    // Handlers first: a callback that arrives before its wait (even before the first task) is kept.
    // Signals that reached the run before these handlers existed (before its first workflow task, e.g. while no worker
    // ran, or before a plain workflow's first createCallback) were buffered by the SDK, which dispatches them one
    // signal name at a time as each handler is set (every callback, then every expiry, then every revocation). They
    // are collected while the handlers are set, then applied in the order they were sent (applyBuffered).
    const buffered: MachineEvent[] = [];
    let installing = true;
    const receive = (event: MachineEvent): void => {
      if (installing) buffered.push(event);
      else this.apply(event);
    };
    setHandler(
      callbackSignal,
      (cb) => {
        // The gateway's request id travels in the signal, so one callback can be followed from HTTP to here.
        log.info('hookwait callback', { wait: String(cb?.wait), key: cb?.key, requestId: cb?.source?.requestId, kind: cb?.source?.kind });
        receive(callbackEvent(cb));
      },
      { description: 'A callback for one wait: sent by the hookwait gateway (HTTP) or an operator (hookwait complete).' },
    );
    setHandler(expireSignal, (request) => receive({ type: 'expire', request: { ...request, at: typeof request?.at === 'string' ? request.at : new Date().toISOString() } }), {
      description: "Take a wait's timeout path now (hookwait expire).",
    });
    setHandler(revokeSignal, (request) => receive({ type: 'revoke', request: { ...request, at: typeof request?.at === 'string' ? request.at : new Date().toISOString() } }), {
      description: 'Revoke callback URLs of this run (one key, one wait, or all): they answer 410 from then on.',
    });
    setHandler(
      customerMessageSignal,
      (message) => {
        if (typeof message?.text === 'string') receive({ type: 'customer-message', message, at: new Date().toISOString() });
      },
      { description: 'A message from the customer while the procedure waits: recorded, not answered.' },
    );
    installing = false;
    // Before the update handlers: a buffered `hookwait.sync` answers with these applied.
    this.applyBuffered(buffered);
    setHandler(stateQuery, () => this.state, { description: 'Waits, captured attributes, callback URLs and the callback ledger.' });
    setHandler(
      callbackUrlsUpdate,
      async () => {
        // Completes only once no mint is in flight. Local activities started together (several createCallback at
        // once) resolve one activation at a time when first run but all in one activation on replay: an update
        // completed between two of them would complete at another point of the command sequence on replay, a
        // nondeterminism error. Waiting for all of them puts the completion at the same point either way.
        await condition(() => this.minted && this.minting === 0);
        return this.state.callbackUrls;
      },
      { description: "The run's callback URLs, once minted." },
    );
    setHandler(syncUpdate, () => this.state, { description: 'The state after every earlier signal was applied (revoke, expire, complete).' });
    setHandler(
      deliverUpdate,
      (cb): CallbackDelivery => {
        log.info('hookwait callback', { wait: String(cb?.wait), key: cb?.key, requestId: cb?.source?.requestId, kind: cb?.source?.kind, update: true });
        const [outcome] = this.apply(callbackEvent(cb));
        if (outcome === undefined) return { outcome: 'kept' };
        // A callback records one ledger entry: the last.
        const errors = outcome === 'rejected' ? this.state.ledger[this.state.ledger.length - 1]?.errors : undefined;
        return { outcome: outcome as CallbackDelivery['outcome'], ...(errors ? { errors } : {}) };
      },
      {
        description: 'A callback for one wait (the gateway): applied as hookwait.callback is, answered with what the run did.',
        validator: (cb) => {
          const refused = refusedCallback(this.state, cb, this.ctx);
          if (refused) throw ApplicationFailure.create({ type: CALLBACK_REFUSED_FAILURE, message: `callback refused: ${refused.outcome}`, details: [refused], nonRetryable: true });
        },
      },
    );
  }

  /**
   * Applies the signals buffered before the handlers existed. Those that touch waits (callbacks, expiries,
   * revocations) go in the order they were sent, by their senders' clocks (the gateway's `receivedAt`, an operator's
   * `at`): a revocation sent before a callback is applied before it, as it is once a worker runs the workflow, so
   * the callback is never applied. Runs that buffered them before this change (no patch marker) keep the SDK's
   * order on replay. Customer messages touch no wait; they follow, in the order they came.
   */
  private applyBuffered(buffered: readonly MachineEvent[]): void {
    const sentAt = (e: MachineEvent): number => Date.parse(e.type === 'callback' ? e.callback.receivedAt : e.type === 'expire' || e.type === 'revoke' ? e.request.at : '');
    const received = buffered.filter((e) => e.type !== 'customer-message');
    const sent = received.every((e) => !Number.isNaN(sentAt(e))) ? [...received].sort((a, b) => sentAt(a) - sentAt(b)) : received;
    const reordered = sent.some((e, i) => e !== received[i]);
    for (const event of reordered && patched(BUFFERED_SIGNALS_IN_SENT_ORDER) ? sent : received) this.apply(event);
    for (const event of buffered) if (event.type === 'customer-message') this.apply(event);
  }

  /**
   * Decides the progress patch once, before a local activity (a procedure at its start, a plain workflow when it
   * declares a wait with `progress`): a patch first decided in the activation that resumes after a local activity may
   * not replay (DEVELOPERS.md, "Deciding patches").
   */
  decideProgress(): boolean {
    this.progressPatched ??= patched(PROGRESS_PATCH);
    return this.progressPatched;
  }

  /** Knows a wait this run uses (a plain workflow declares them as it goes). */
  learn(point: WaitPoint): void {
    const existing = this.known.get(point.name);
    if (existing && existing !== point) {
      throw failure('HookwaitWaitConflict', `two different waits are named '${point.name}' in this workflow`);
    }
    this.known.set(point.name, point);
  }

  /** Mints URLs for the given waits (a local activity: the signing key stays in the worker). */
  async mint(waits: readonly string[], keyed: readonly { wait: string; key: string }[], summary: string): Promise<Record<string, string>> {
    const info = workflowInfo();
    this.minting++;
    let minted: Awaited<ReturnType<HookwaitActivities['hookwaitMintCallbackUrls']>>;
    try {
      minted = await minter(summary)({
        namespace: info.namespace,
        procedure: this.state.procedure,
        workflowId: info.workflowId,
        runId: info.runId,
        waits,
        ...(keyed.length > 0 ? { keyed } : {}),
      });
    } finally {
      this.minting--;
    }
    this.searchAttributes = minted.searchAttributes;
    if (typeof minted.maxWaitTimeoutMs === 'number') this.maxWaitTimeoutMs = minted.maxWaitTimeoutMs;
    return minted.urls;
  }

  /** A procedure's first step: every declared wait's URL, then one publish. */
  async mintAll(): Promise<void> {
    // Procedures started from here on publish once per workflow task instead of once per change (fewer history
    // events per callback); runs started before replay as they ran.
    if (patched(COALESCED_PUBLISH)) this.coalesce = true;
    const urls = await this.mint([...this.known.keys()], [], 'Mint callback URLs');
    this.state = { ...this.state, callbackUrls: { ...this.state.callbackUrls, ...urls } };
    this.minted = true;
    this.publish();
  }

  /** The URL of one wait (one key of it), minting it on first use. */
  async declare(point: WaitPoint, key: string | undefined): Promise<string> {
    if (key !== undefined && (typeof key !== 'string' || !WAIT_KEY.test(key))) {
      throw failure('HookwaitInvalidKey', `key of wait '${point.name}' must be 1-128 letters, digits or _ . @ = + -, got ${JSON.stringify(key)}`);
    }
    this.learn(point);
    if (point.progress) this.decideProgress();
    const id = waitId(point.name, key);
    const known = this.state.callbackUrls[id];
    if (known !== undefined && Object.prototype.hasOwnProperty.call(this.state.waits, id)) return known;
    if (!this.declaring.has(id) && Object.keys(this.state.waits).length + this.declaring.size >= MAX_WAITS_PER_RUN && !Object.prototype.hasOwnProperty.call(this.state.waits, id)) {
      throw failure('HookwaitTooManyWaits', `a run may declare at most ${MAX_WAITS_PER_RUN} waits (keys included); '${id}' would be one more: give batches of items child workflows`);
    }
    this.declaring.add(id);
    let url: string | undefined;
    try {
      url = known ?? (await this.mint(key === undefined ? [point.name] : [], key === undefined ? [] : [{ wait: point.name, key }], `Mint callback URL (${id})`))[id];
    } finally {
      this.declaring.delete(id);
    }
    if (url === undefined) throw failure('HookwaitMintFailed', `no callback URL was minted for '${id}'`);
    this.minted = true;
    this.apply({ type: 'declare', wait: point.name, ...(key !== undefined ? { key } : {}), url });
    return url;
  }

  /** Awaits one wait (see `Callback.wait`): the callback, its poll, an operator's expiry or the timeout. */
  async await(point: WaitPoint, key: string | undefined, options?: { readonly timeout?: Duration; readonly poll?: RuntimePoll }): Promise<WaitSuccess<Record<string, Scalar>> | WaitTimeout> {
    const id = waitId(point.name, key);
    const wait = this.state.waits[id];
    if (!wait) throw failure('UnknownWait', `${this.state.procedure} declares no wait '${id}'`);
    let timeoutMs = point.timeoutMs;
    if (options?.timeout !== undefined) {
      try {
        timeoutMs = waitTimeoutToMs(options.timeout, `wait(${id}).timeout`, this.maxWaitTimeoutMs);
      } catch (e) {
        throw failure('InvalidWaitTimeout', e instanceof DefinitionError ? e.message : String(e));
      }
    }
    if (wait.status === 'waiting') throw failure('WaitInProgress', `wait '${id}' is already being awaited`);
    if (wait.status === 'pending') {
      const begunAt = Date.now();
      this.apply({ type: 'begin', id, at: new Date(begunAt).toISOString(), timeoutMs });
      // Work that runs only while the wait is open (progress messages, the poll), in a scope cancelled when it ends.
      // New command sequences only for waits that declare them; progress is behind a patch too, so adding it to a wait
      // with parked runs is replay-safe.
      const scope = new CancellationScope();
      const alongside: Promise<void>[] = [];
      let broken: unknown;
      const guard = (work: () => Promise<void>): Promise<void> =>
        scope.run(work).catch((err: unknown) => {
          if (!isCancellation(err)) broken ??= err;
        });
      if (point.progress && this.decideProgress()) alongside.push(guard(() => this.progress(point.progress as ProgressPoint, id, begunAt, begunAt + timeoutMs)));
      if (options?.poll) alongside.push(guard(() => this.poll(point, key, options.poll as RuntimePoll)));
      this.awaiting.add(id);
      try {
        await condition(() => waitSettled(this.state, id) || broken !== undefined, timeoutMs, { summary: `${point.title} (${id})` });
      } finally {
        this.awaiting.delete(id);
      }
      this.apply({ type: 'end', id });
      if (alongside.length > 0) {
        scope.cancel();
        await Promise.all(alongside);
        if (broken !== undefined) throw broken;
      }
    }
    const settled = this.state.waits[id];
    if (settled?.status === 'received' && settled.attributes && settled.receivedAt) {
      return { ok: true, attributes: settled.attributes, receivedAt: settled.receivedAt, ...(settled.completedBy ? { completedBy: settled.completedBy } : {}) };
    }
    if (point.onTimeout === 'branch' || !point.escalation) return { ok: false, reason: 'timeout' };
    return this.escalate(id, point.escalation.message, point.escalation.assignee);
  }

  /**
   * Progress message `i` goes `i × every` after the wait began, while it is still open and before its deadline; each
   * with its own idempotency key, so the channel delivers it once. A message the channel refuses is recorded, not fatal.
   */
  private async progress(progress: ProgressPoint, id: string, begunAt: number, deadline: number): Promise<void> {
    const info = workflowInfo();
    for (let index = 1; index <= progress.max; index++) {
      const due = begunAt + index * progress.everyMs;
      if (due >= deadline) return;
      await sleep(Math.max(1, due - Date.now()), { summary: `Progress message ${index} of ${progress.max} (${id})` });
      if (this.state.waits[id]?.status !== 'waiting' || waitSettled(this.state, id)) return;
      let delivered = true;
      try {
        // Not cancelled half-way when the wait ends meanwhile: the message is sent or refused, and recorded.
        await CancellationScope.nonCancellable(() =>
          channel(`Progress message ${index} (${id})`).hookwaitSendMessage({
            conversationId: this.state.conversationId,
            text: progressMessage(progress, index),
            idempotencyKey: `${info.workflowId}/${info.runId}/progress/${id}/${index}`,
          }),
        );
      } catch (err) {
        if (isCancellation(err)) throw err;
        delivered = false;
        log.warn('hookwait progress message failed', { wait: id, index, error: err instanceof Error ? err.message : String(err) });
      }
      this.apply({ type: 'progress', id, at: new Date().toISOString(), index, delivered });
    }
  }

  /**
   * The wait's poll: checks at once, then after each interval, until the job is done (the wait completes, through the
   * state machine, as a callback would), failed, or the wait ends. A check whose call fails after its retries stops
   * the poll (recorded); the callback can still complete the wait.
   */
  private async poll(point: WaitPoint, key: string | undefined, poll: RuntimePoll): Promise<void> {
    const id = waitId(point.name, key);
    const open = (): boolean => this.state.waits[id]?.status === 'waiting' && !waitSettled(this.state, id);
    for (let n = 1; open(); n++) {
      let response: unknown;
      try {
        response = await poll.call(n);
      } catch (err) {
        if (isCancellation(err) || !(err instanceof ActivityFailure)) throw err;
        const cause = err.cause instanceof Error ? err.cause.message : err.message;
        this.apply({ type: 'poll', wait: point.name, ...(key !== undefined ? { key } : {}), at: new Date().toISOString(), connector: poll.connector, check: n, verdict: 'failed', errors: [{ field: '(poll)', message: `check ${n} failed: ${cause.slice(0, 300)}` }] });
        return;
      }
      if (!open()) return;
      const verdict = poll.verdict(poll.until(response));
      const event = { type: 'poll' as const, wait: point.name, ...(key !== undefined ? { key } : {}), at: new Date().toISOString(), connector: poll.connector, check: n };
      if (verdict === 'failed') {
        this.apply({ ...event, verdict: 'failed' });
        return;
      }
      if (verdict === 'done') {
        const extracted = extractAttributes(point.attributes, poll.attributes ? poll.attributes(response) : response);
        this.apply(extracted.ok ? { ...event, verdict: 'done', attributes: extracted.inputs } : { ...event, verdict: 'done', errors: extracted.errors });
        return;
      }
      const interval = nextPollInterval(poll.schedule, n);
      await sleep(interval, { summary: `Poll ${poll.connector} (${id}): check ${n + 1} in ${formatDurationMs(interval)}` });
    }
  }

  /** Sends the escalation message, assigns the conversation, then throws {@link WaitEscalated}. */
  async escalate(wait: string, message: string, assignee: Assignee): Promise<never> {
    const info = workflowInfo();
    const conversationId = this.state.conversationId;
    const key = `${info.workflowId}/${info.runId}/escalation/${wait}`;
    let messageDelivered = true;
    try {
      await channel(`Escalation message (${wait})`).hookwaitSendMessage({ conversationId, text: message, idempotencyKey: `${key}/message` });
    } catch (err) {
      // The customer could not be told, but the conversation must still reach a person. Runs that failed here before
      // this change replay as they ran (no patch marker: the failure is rethrown).
      if (isCancellation(err) || !patched(ESCALATION_ASSIGNS_ANYWAY)) throw err;
      messageDelivered = false;
      log.warn('hookwait escalation message failed; assigning the conversation anyway', { wait, error: err instanceof Error ? err.message : String(err) });
    }
    await channel(`Assign to ${assigneeLabel(assignee)} (${wait})`).hookwaitAssign({ conversationId, assignee, idempotencyKey: `${key}/assign`, reason: `timeout at ${wait}` });
    const escalatedAt = { wait, at: new Date().toISOString(), messageDelivered, assigned: true };
    this.state = { ...this.state, escalatedAt };
    // A procedure publishes its escalated end itself. A plain workflow goes on (it may catch WaitEscalated and keep
    // waiting for other waits or keys), so its run stays open to callbacks: only what happened is published.
    if (!this.procedureMode) this.publish();
    throw new WaitEscalated(wait, messageDelivered);
  }

  /** What the gateway reads without a worker (memo), the list filters (search attributes) and the Web UI (details). */
  publish(): void {
    if (this.coalesce) {
      // A wait about to resume publishes through its own `end`, in this same activation: publishing now as well would
      // only upsert twice in one workflow task.
      if ([...this.awaiting].some((id) => waitSettled(this.state, id))) return;
    }
    this.flush();
  }

  /** Publishes now. */
  private flush(): void {
    const memo = memoOf(this.state, MEMO_VERSION);
    const memoJson = this.coalesce ? JSON.stringify(memo) : undefined;
    if (!this.coalesce || memoJson !== this.lastMemo) {
      upsertMemo({ [MEMO_KEY]: memo });
      this.lastMemo = memoJson;
    }
    if (this.searchAttributes) {
      const waiting = Object.entries(this.state.waits)
        .filter(([, w]) => w.status === 'waiting' && w.deadline)
        .sort(([, a], [, b]) => String(a.deadline).localeCompare(String(b.deadline)))[0];
      const values = [this.state.procedure, this.state.status, waiting ? waiting[0] : null, waiting?.[1].deadline ?? null] as const;
      const key = this.coalesce ? JSON.stringify(values) : undefined;
      if (!this.coalesce || key !== this.lastSearchAttributes) {
        upsertSearchAttributes([
          { key: HookwaitProcedure, value: values[0] },
          { key: HookwaitStatus, value: values[1] },
          { key: HookwaitWaitingFor, value: values[2] },
          { key: HookwaitDeadline, value: values[3] ? new Date(values[3]) : null },
        ]);
        this.lastSearchAttributes = key;
      }
    }
    setCurrentDetails(renderCurrentDetails(this.state));
  }
}

/**
 * Patch: a procedure does not publish (memo, search attributes, details) when a signal settles a wait it is blocked
 * on (the wait's resumption publishes in the same workflow task), and skips a memo or search-attribute upsert whose
 * values did not change.
 */
const COALESCED_PUBLISH = 'hookwait-coalesced-publish';

/**
 * Patch: an HTTP callback whose gateway request id is already on the wait's ledger is the same request again (the
 * gateway's update and its fallback signal): not recorded. Asked only when that happens.
 */
const ONE_REQUEST_ONCE = 'hookwait-one-request-once';

/** Patch: a callback's string attribute over its `maxLength` is refused (asked only when one is). */
const ATTRIBUTE_MAX_LENGTH = 'hookwait-attribute-max-length';

/** Patch: an escalation whose message fails still assigns the conversation. */
const ESCALATION_ASSIGNS_ANYWAY = 'hookwait-escalation-assigns-anyway';

/** Patch: a wait that declares `progress` sends its progress messages (a wait given `progress` while runs park on it replays as it ran). */
const PROGRESS_PATCH = 'hookwait-wait-progress';

/** Patch: signals buffered before the handlers existed are applied in the order they were sent (see applyBuffered). */
const BUFFERED_SIGNALS_IN_SENT_ORDER = 'hookwait-buffered-signals-in-sent-order';

/** A callback (signal or update) as the machine's event; a sender-less time is the run's own clock. */
function callbackEvent(cb: CallbackSignalArgs): MachineEvent {
  return { type: 'callback', callback: { ...cb, receivedAt: typeof cb?.receivedAt === 'string' ? cb.receivedAt : new Date().toISOString() } };
}

/**
 * What an update's validator refuses, so that it never reaches the history: a callback the run would reject (its
 * attributes or another run's bound value), or a repeat past the quota of recorded repeats. Reads the state only.
 */
function refusedCallback(state: ProcedureState, cb: CallbackSignalArgs, ctx: MachineContext): CallbackDelivery | undefined {
  const repeat = quietRepeat(state, cb, ctx);
  if (repeat) return { outcome: repeat };
  // The gateway checked lengths already; a validator decides no patch.
  const t = step(state, callbackEvent(cb), { ...ctx, enforceMaxLength: () => true, oneRequestOnce: () => true });
  // Nothing the run could use would be recorded: a wait it does not declare (any more).
  if (t.outcomes[0] === 'unknown-wait') return { outcome: 'unknown-wait' };
  if (t.outcomes[0] !== 'rejected') return undefined;
  const errors = t.state.ledger[t.state.ledger.length - 1]?.errors;
  return { outcome: 'rejected', ...(errors ? { errors } : {}) };
}

let current: Runtime | undefined;

/** This run's runtime, created (and its handlers installed) on first use. */
export function runtime(init?: () => RuntimeInit): Runtime {
  if (!current) current = new Runtime(init ? init() : { procedure: workflowInfo().workflowType, conversationId: workflowInfo().workflowId });
  return current;
}

/** For `procedure`: the runtime must be created by it, with its declared waits. */
export function hasRuntime(): boolean {
  return current !== undefined;
}
