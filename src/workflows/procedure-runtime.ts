import {
  ApplicationFailure,
  condition,
  log,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { z } from 'zod';
import type { HookwaitActivities } from '../activities/activity-types';
import { checkCapturedAttributes, type AttributesDecl, type CapturedAttributes, type Scalar } from '../definitions/attributes';
import type { ConnectorDecl, ConnectorResult } from '../definitions/connector';
import { DefinitionError } from '../definitions/definition-error';
import { type Duration, waitTimeoutToMs } from '../definitions/duration';
import { findWait, type Procedure } from '../definitions/procedure';
import { type Assignee, assigneeLabel, type WaitDecl, type WaitPoint } from '../definitions/wait-point';
import { formatZodIssues } from '../definitions/zod-issues';
import { renderCurrentDetails } from './current-details';
import {
  callbackSignal,
  customerMessageSignal,
  expireSignal,
  revokeSignal,
  type HookwaitMemo,
  type LedgerEntry,
  MAX_RECORDED_REPEATS,
  MEMO_KEY,
  type ProcedureState,
  stateQuery,
  type WaitStatus,
} from './messages';
import { HookwaitDeadline, HookwaitProcedure, HookwaitStatus, HookwaitWaitingFor } from './search-attributes';

/** A callback arrived in time. */
export interface WaitSuccess<A> {
  readonly ok: true;
  readonly attributes: A;
  /** ISO time the callback reached the gateway. */
  readonly receivedAt: string;
}
/** No callback in time, on a wait declared with `onTimeout: 'branch'`. */
export interface WaitTimeout {
  readonly ok: false;
  readonly reason: 'timeout';
}
/** What `run.wait(name)` resolves to: an escalating wait never returns on timeout (the procedure ends `escalated`). */
export type WaitOutcome<D> = D extends WaitDecl<infer A extends AttributesDecl>
  ? D['onTimeout'] extends 'branch'
    ? WaitSuccess<CapturedAttributes<A>> | WaitTimeout
    : WaitSuccess<CapturedAttributes<A>>
  : never;

/** How a procedure's run ended; the workflow's result. */
export type ProcedureResult<O> =
  | { readonly status: 'completed'; readonly output: O; readonly attributes: Record<string, Record<string, Scalar>> }
  | { readonly status: 'escalated'; readonly wait: string; readonly attributes: Record<string, Record<string, Scalar>> };

/** The handle a procedure's body gets: its input, its callback URLs, its waits and its connectors. */
export interface ProcedureRun<
  S extends z.ZodType,
  W extends { readonly [name: string]: WaitDecl<AttributesDecl> },
  C extends { readonly [name: string]: ConnectorDecl },
> {
  /** The validated input. */
  readonly input: z.output<S>;
  /** `input.conversationId` when given, else the workflow id. */
  readonly conversationId: string;
  readonly workflowId: string;
  /** The wait's callback URL; minted when the run starts, so it is usable from the first line. */
  callbackUrl(wait: keyof W & string): string;
  /**
   * Pauses until the wait's callback arrives (at once if it already has) or its timeout passes.
   * @param options.timeout overrides the declared timeout for this run (at least 1s).
   */
  wait<K extends keyof W & string>(wait: K, options?: { readonly timeout?: Duration }): Promise<WaitOutcome<W[K]>>;
  /** Calls a declared data connector; resolves to its response mapped through the connector's schema. */
  callConnector<K extends keyof C & string>(connector: K, vars?: Record<string, unknown>): Promise<ConnectorResult<C[K]>>;
  /** Sends a message to the customer through the conversation channel. */
  sendMessage(text: string): Promise<void>;
  /** Sends the message, assigns the conversation and ends the procedure with status `escalated`. */
  escalate(escalation: { readonly message: string; readonly assignee: Assignee }): Promise<never>;
}

/** Thrown to unwind the procedure's body after an escalation; the wrapper turns it into the `escalated` result. */
class EscalationExit extends Error {
  constructor(readonly wait: string) {
    super(`escalated at ${wait}`);
  }
}

const channelOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 20 },
} as const;
/** Activities are proxied per call so that each carries a summary for the Web UI. */
function channel(summary: string) {
  return proxyActivities<Pick<HookwaitActivities, 'hookwaitSendMessage' | 'hookwaitAssign'>>({ ...channelOptions, summary });
}
const { hookwaitMintCallbackUrls } = proxyLocalActivities<Pick<HookwaitActivities, 'hookwaitMintCallbackUrls'>>({
  startToCloseTimeout: '10s',
  summary: 'Mint callback URLs',
});

const MAX_LEDGER = 200;

function failure(type: string, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true });
}

/**
 * Turns a procedure definition and its body into a Temporal workflow function. Export the result under
 * the definition's `name` from your workflows module.
 *
 * @example
 * export const refundApproval = procedure(refundApprovalDefinition, async (run) => {
 *   await run.sendMessage('A manager is reviewing your refund.');
 *   const { attributes } = await run.wait('approval');
 *   return attributes.decision;
 * });
 */
export function procedure<
  N extends string,
  S extends z.ZodType,
  W extends { readonly [name: string]: WaitDecl<AttributesDecl> },
  C extends { readonly [name: string]: ConnectorDecl },
  O,
>(
  definition: Procedure<N, S, W, C>,
  body: (run: ProcedureRun<S, W, C>) => Promise<O>,
): (input: z.input<S>) => Promise<ProcedureResult<O>> {
  const workflow = async (rawInput: z.input<S>): Promise<ProcedureResult<O>> => {
    const info = workflowInfo();
    if (info.workflowType !== definition.name) {
      throw failure(
        'ProcedureNameMismatch',
        `procedure '${definition.name}' is exported as workflow type '${info.workflowType}'; export it under its definition's name`,
      );
    }
    const parsed = definition.input.safeParse(rawInput);
    if (!parsed.success) throw failure('InvalidProcedureInput', `invalid input: ${formatZodIssues(parsed.error, 'input')}`);
    const input = parsed.data as z.output<S>;
    const conversationId =
      typeof (input as { conversationId?: unknown })?.conversationId === 'string'
        ? (input as { conversationId: string }).conversationId
        : info.workflowId;

    const now = (): string => new Date().toISOString();
    const waitPoints = Object.values(definition.waits) as WaitPoint[];
    const state: ProcedureState = {
      procedure: definition.name,
      workflowId: info.workflowId,
      runId: info.runId,
      conversationId,
      status: 'running',
      startedAt: now(),
      callbackUrls: {},
      waits: Object.fromEntries(waitPoints.map((w) => [w.name, { title: w.title, status: 'pending' as const }])),
      customerMessages: [],
      ledger: [],
    };
    let searchAttributes = false;
    let messagesSent = 0;
    let current: WaitPoint | undefined;

    const record = (entry: LedgerEntry): void => {
      state.ledger.push(entry);
      if (state.ledger.length > MAX_LEDGER) state.ledger.splice(0, state.ledger.length - MAX_LEDGER);
    };
    const publish = (): void => {
      const memo: HookwaitMemo = {
        procedure: definition.name,
        status: state.status,
        waits: Object.fromEntries(Object.entries(state.waits).map(([k, w]) => [k, w.status])),
        revoked: Object.entries(state.waits).flatMap(([k, w]) => (w.revoked ? [k] : [])),
        quiet: Object.entries(state.waits).flatMap(([k, w]) => ((w.repeats ?? 0) >= MAX_RECORDED_REPEATS ? [k] : [])),
      };
      upsertMemo({ [MEMO_KEY]: memo });
      if (searchAttributes) {
        const waiting = current && state.waits[current.name]?.status === 'waiting' ? current : undefined;
        const deadline = waiting ? state.waits[waiting.name]?.deadline : undefined;
        upsertSearchAttributes([
          { key: HookwaitProcedure, value: definition.name },
          { key: HookwaitStatus, value: state.status },
          { key: HookwaitWaitingFor, value: waiting ? waiting.name : null },
          { key: HookwaitDeadline, value: deadline ? new Date(deadline) : null },
        ]);
      }
      setCurrentDetails(renderCurrentDetails(state));
    };

    // Handlers first: a callback that arrives before its wait (even before the first task) is kept.
    setHandler(callbackSignal, (cb) => {
      const base = { at: typeof cb?.receivedAt === 'string' ? cb.receivedAt : now(), wait: String(cb?.wait), source: cb?.source ?? { kind: 'client' } };
      const point = typeof cb?.wait === 'string' ? findWait(definition, cb.wait) : undefined;
      const wait = point ? state.waits[point.name] : undefined;
      // The gateway's request id travels in the signal, so one callback can be followed from HTTP to here.
      log.info('hookwait callback', { wait: base.wait, requestId: base.source.requestId, kind: base.source.kind });
      if (!point || !wait) return record({ ...base, outcome: 'unknown-wait' });
      const repeat = (outcome: 'revoked' | 'duplicate' | 'late'): void => {
        record({ ...base, outcome });
        wait.repeats = (wait.repeats ?? 0) + 1;
        // From now on the gateway stops signalling this wait's repeats (see HookwaitMemo.quiet).
        if (wait.repeats === MAX_RECORDED_REPEATS) publish();
      };
      if (wait.revoked && base.source.kind === 'http') return repeat('revoked');
      if (wait.status === 'received') return repeat('duplicate');
      if (wait.status === 'timed_out' || state.status === 'escalated') return repeat('late');
      const check = checkCapturedAttributes(point.attributes, cb.attributes);
      if (!check.ok) return record({ ...base, outcome: 'rejected', errors: check.errors });
      wait.status = 'received';
      wait.receivedAt = base.at;
      wait.attributes = check.attributes as Record<string, Scalar>;
      record({ ...base, outcome: 'accepted' });
      publish();
    });
    setHandler(expireSignal, (request) => {
      const wait = typeof request?.wait === 'string' && findWait(definition, request.wait) ? state.waits[request.wait] : undefined;
      const entry = { at: typeof request?.at === 'string' ? request.at : now(), wait: String(request?.wait), source: request?.source ?? { kind: 'operator' as const } };
      if (!wait) return record({ ...entry, outcome: 'unknown-wait' });
      if (wait.status === 'received' || wait.status === 'timed_out') return record({ ...entry, outcome: 'late' });
      wait.expireRequested = true;
      record({ ...entry, outcome: 'expired' });
      publish();
    });
    setHandler(revokeSignal, (request) => {
      const at = typeof request?.at === 'string' ? request.at : now();
      const source = request?.source ?? { kind: 'operator' as const };
      const names = request?.wait === undefined ? Object.keys(state.waits) : [String(request.wait)];
      for (const name of names) {
        const wait = findWait(definition, name) ? state.waits[name] : undefined;
        if (!wait) {
          record({ at, wait: name, source, outcome: 'unknown-wait' });
          continue;
        }
        wait.revoked = true;
        record({ at, wait: name, source, outcome: 'revoked' });
      }
      publish();
    });
    setHandler(customerMessageSignal, (message) => {
      if (typeof message?.text === 'string') state.customerMessages.push({ text: message.text, at: message.at ?? now() });
    });
    setHandler(stateQuery, () => state);

    const minted = await hookwaitMintCallbackUrls({
      namespace: info.namespace,
      procedure: definition.name,
      workflowId: info.workflowId,
      runId: info.runId,
      waits: waitPoints.map((w) => w.name),
    });
    state.callbackUrls = minted.urls;
    searchAttributes = minted.searchAttributes;
    publish();

    const escalate = async (wait: string, message: string, assignee: Assignee): Promise<never> => {
      const key = `${info.workflowId}/${info.runId}/escalation/${wait}`;
      await channel(`Escalation message (${wait})`).hookwaitSendMessage({ conversationId, text: message, idempotencyKey: `${key}/message` });
      await channel(`Assign to ${assigneeLabel(assignee)} (${wait})`).hookwaitAssign({
        conversationId,
        assignee,
        idempotencyKey: `${key}/assign`,
        reason: `timeout at ${wait}`,
      });
      state.escalatedAt = { wait, at: now() };
      throw new EscalationExit(wait);
    };

    const run: ProcedureRun<S, W, C> = {
      input,
      conversationId,
      workflowId: info.workflowId,
      callbackUrl(name) {
        const url = state.callbackUrls[name];
        if (url === undefined) throw failure('UnknownWait', `procedure '${definition.name}' declares no wait '${name}'`);
        return url;
      },
      async wait(name, options) {
        const point = findWait(definition, name);
        const wait = point ? state.waits[point.name] : undefined;
        if (!point || !wait) throw failure('UnknownWait', `procedure '${definition.name}' declares no wait '${name}'`);
        let timeoutMs = point.timeoutMs;
        if (options?.timeout !== undefined) {
          try {
            timeoutMs = waitTimeoutToMs(options.timeout, `wait(${name}).timeout`);
          } catch (e) {
            throw failure('InvalidWaitTimeout', e instanceof DefinitionError ? e.message : String(e));
          }
        }
        if (wait.status === 'pending') {
          const since = new Date();
          wait.status = 'waiting';
          wait.timeoutMs = timeoutMs;
          wait.waitingSince = since.toISOString();
          wait.deadline = new Date(since.getTime() + timeoutMs).toISOString();
          current = point;
          state.status = 'waiting';
          publish();
          await condition(() => wait.status === 'received' || wait.expireRequested === true, timeoutMs, { summary: `${point.title} (${name})` });
          current = undefined;
          // A callback applied in the same activation as the timer still wins: it was accepted first.
          if ((wait.status as WaitStatus) !== 'received') wait.status = 'timed_out';
          state.status = 'running';
          publish();
        } else if (wait.status === 'waiting') {
          throw failure('WaitInProgress', `wait '${name}' is already being awaited`);
        }
        if (wait.status === 'received' && wait.attributes && wait.receivedAt) {
          return { ok: true, attributes: wait.attributes, receivedAt: wait.receivedAt } as WaitOutcome<W[typeof name]>;
        }
        if (point.onTimeout === 'branch' || !point.escalation) return { ok: false, reason: 'timeout' } as WaitOutcome<W[typeof name]>;
        return escalate(name, point.escalation.message, point.escalation.assignee);
      },
      async callConnector(name, vars) {
        const connector = Object.prototype.hasOwnProperty.call(definition.connectors, name) ? definition.connectors[name] : undefined;
        if (!connector) throw failure('UnknownConnector', `procedure '${definition.name}' declares no connector '${name}'`);
        const { hookwaitCallConnector } = proxyActivities<Pick<HookwaitActivities, 'hookwaitCallConnector'>>({
          startToCloseTimeout: connector.timeoutMs + 5_000,
          summary: `Data connector: ${connector.title}`,
          retry: {
            maximumAttempts: connector.retry.maximumAttempts,
            initialInterval: connector.retry.initialIntervalMs,
            maximumInterval: connector.retry.maximumIntervalMs,
            backoffCoefficient: 2,
          },
        });
        const attributes = Object.fromEntries(
          Object.entries(state.waits).flatMap(([k, w]) => (w.attributes ? [[k, w.attributes]] : [])),
        );
        const result = await hookwaitCallConnector({
          procedure: definition.name,
          connector: name,
          variables: { input, callbackUrls: state.callbackUrls, attributes, vars: vars ?? {} },
        });
        return result as ConnectorResult<C[typeof name]>;
      },
      async sendMessage(text) {
        await channel(`Message to customer: ${text.length > 60 ? `${text.slice(0, 57)}…` : text}`).hookwaitSendMessage({
          conversationId,
          text,
          idempotencyKey: `${info.workflowId}/${info.runId}/message/${messagesSent++}/${hashText(text)}`,
        });
      },
      escalate({ message, assignee }) {
        return escalate('(procedure)', message, assignee);
      },
    };

    const attributesSoFar = (): Record<string, Record<string, Scalar>> =>
      Object.fromEntries(Object.entries(state.waits).flatMap(([k, w]) => (w.attributes ? [[k, w.attributes]] : [])));
    try {
      const output = await body(run);
      state.status = 'completed';
      publish();
      return { status: 'completed', output, attributes: attributesSoFar() };
    } catch (err) {
      if (err instanceof EscalationExit) {
        state.status = 'escalated';
        publish();
        return { status: 'escalated', wait: err.wait, attributes: attributesSoFar() };
      }
      state.status = 'failed';
      publish();
      throw err;
    }
  };
  // Named after the definition, so stack traces and the worker's registry read well.
  Object.defineProperty(workflow, 'name', { value: definition.name });
  return workflow;
}

/** A short deterministic digest, so two different messages at the same step get different idempotency keys. */
function hashText(text: string): string {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return (h >>> 0).toString(36);
}
