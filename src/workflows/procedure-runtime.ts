import { patched, sleep, workflowInfo } from '@temporalio/workflow';
import { installTriggerResponse, type TriggerResponder } from './trigger-response';
import type { z } from 'zod';
import type { AttributesDecl, CapturedAttributes, Scalar } from '../definitions/attributes';
import type { ConnectorDecl, ConnectorDefinition, ConnectorPoint, ConnectorResult, DefinedConnectorResult } from '../definitions/connector';
import { DefinitionError } from '../definitions/definition-error';
import { type Duration, durationToMs } from '../definitions/duration';
import { formatDurationMs, type PollSchedule } from '../definitions/poll';
import { type AnyProcedure, findWait, type Procedure, type ProcedureWebhookDecl } from '../definitions/procedure';
import type { WebhookPoint, WebhookResult } from '../definitions/webhook';
import { sendCheckedWebhook } from './webhook';
import type { Assignee, WaitDecl, WaitDefinition, WaitPoint } from '../definitions/wait-point';
import { formatZodIssues } from '../definitions/zod-issues';
import type { Callback, WaitPoll } from './callback';
import { callDefinedConnector, checkedSchedule, CONNECTOR_LIMITS_PATCH, connectorActivities, type PollOptions, type PollResult, runPoll, runtimePoll } from './connector-calls';
import { channel, failure, Runtime, runtime, hasRuntime, WaitEscalated, type WaitSuccess, type WaitTimeout } from './runtime';
import { waitId } from '../core/run-state';
import { bindingDigest, boundInputValue } from '../core/run-binding';

export type { WaitSuccess, WaitTimeout } from './runtime';

/** What `run.wait(name)` resolves to: an escalating wait never returns on timeout (the procedure ends `escalated`). */
export type WaitOutcome<D> = D extends WaitDecl<infer A extends AttributesDecl>
  ? D['onTimeout'] extends 'branch'
    ? WaitSuccess<CapturedAttributes<A>> | WaitTimeout
    : WaitSuccess<CapturedAttributes<A>>
  : never;

/** How a procedure's run ended; the workflow's result. */
export type ProcedureResult<O> =
  | { readonly status: 'completed'; readonly output: O; readonly attributes: Record<string, Record<string, Scalar>> }
  | {
      readonly status: 'escalated';
      readonly wait: string;
      readonly attributes: Record<string, Record<string, Scalar>>;
      /** Which parts of the escalation were delivered: the message to the customer (it may fail), the assignment (always made). */
      readonly escalation?: { readonly messageDelivered: boolean; readonly assigned: true };
    };

/** A connector of the procedure (by name) or one made by `defineConnector`. */
export type PollTarget<C> = (keyof C & string) | ConnectorDefinition;
/** The response a poll of `P` gets: the connector's mapped response. */
export type PollResponse<C, P> = P extends ConnectorDefinition ? DefinedConnectorResult<P> : P extends keyof C ? ConnectorResult<C[P]> : unknown;
/** A procedure's wait poll (callback or poll, whichever comes first): see {@link WaitPoll}. */
export interface ProcedureWaitPoll<C, P extends PollTarget<C>> extends WaitPoll<PollResponse<C, P>> {
  /** A connector of the procedure (by name) or one made by `defineConnector`. */
  readonly connector: P;
}

/** The handle a procedure's body gets: its input, its callback URLs, its waits and its connectors. */
export interface ProcedureRun<
  S extends z.ZodType,
  W extends { readonly [name: string]: WaitDecl<AttributesDecl> },
  C extends { readonly [name: string]: ConnectorDecl },
  H extends { readonly [name: string]: ProcedureWebhookDecl } = { readonly [name: string]: ProcedureWebhookDecl },
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
  wait<K extends keyof W & string, P extends PollTarget<C> = keyof C & string>(
    wait: K,
    options?: { readonly timeout?: Duration; readonly poll?: ProcedureWaitPoll<C, P> },
  ): Promise<WaitOutcome<W[K]>>;
  /**
   * Pauses the procedure for `duration` (a durable Temporal timer, shown in the Web UI as `Sleep <duration>: <summary>`).
   * Plain workflows use Temporal's own `sleep` from `@temporalio/workflow`.
   */
  sleep(duration: Duration, options?: { readonly summary?: string }): Promise<void>;
  /**
   * Calls a connector (the procedure's, by name, or one made by `defineConnector`) at once, then every `every`, until
   * `until(response)` says `done` or `failed`, or `timeout` passes (a last check is made at the deadline). Each check
   * is an activity and each interval a timer: durable and deterministic.
   */
  poll<P extends PollTarget<C>>(connector: P, options: PollOptions<PollResponse<C, P>>): Promise<PollResult<PollResponse<C, P>>>;
  /** Calls a declared data connector; resolves to its response mapped through the connector's schema. */
  callConnector<K extends keyof C & string>(connector: K, vars?: Record<string, unknown>): Promise<ConnectorResult<C[K]>>;
  /**
   * Sends a declared outbound webhook (templates over `input`, `attributes` captured so far and `vars`). Resolves to
   * `{ ok: true, status, attempts }` on a 2xx; after the last failed attempt to `{ ok: false, status, attempts, error }`
   * (a `required` webhook fails the run instead).
   */
  sendWebhook<K extends keyof H & string>(webhook: K, vars?: Record<string, unknown>): Promise<WebhookResult>;
  /** Sends a message to the customer through the conversation channel. */
  sendMessage(text: string): Promise<void>;
  /** Sends the message, assigns the conversation and ends the procedure with status `escalated`. */
  escalate(escalation: { readonly message: string; readonly assignee: Assignee }): Promise<never>;
  /**
   * A keyed wait: one callback URL per key of a declared wait (e.g. one approval per line item), each awaited on
   * its own. `run.createCallback('approval', { key: item.sku })`.
   */
  createCallback<K extends keyof W & string>(wait: K, options: { readonly key: string }): Promise<Callback<WaitDefinition<K, W[K]['attributes'], W[K]['onTimeout'] extends 'branch' ? 'branch' : 'escalate'>>>;
  /**
   * Answers the webhook that started this run (a trigger declared with `response: { type: 'fromProcedure', … }`):
   * the sender gets this status (2xx or 4xx), headers and body, if it is still waiting (else it got the fallback).
   * Resolves to whether a sender was waiting for this answer (false for a run not started by such a trigger).
   * @throws `HookwaitAlreadyResponded` (an ApplicationFailure) when called a second time; `HookwaitInvalidResponse`
   * for a status outside 2xx/4xx.
   */
  respond: TriggerResponder;
}

/** The property that carries a procedure's definition on its workflow function (a registered symbol: any copy reads it). */
const PROCEDURE_MARK = Symbol.for('hookwait.procedure');

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
  H extends { readonly [name: string]: ProcedureWebhookDecl } = {},
>(
  definition: Procedure<N, S, W, C, H>,
  body: (run: ProcedureRun<S, W, C, H>) => Promise<O>,
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

    if (hasRuntime()) throw failure('HookwaitRuntimeInUse', 'a procedure must be the workflow itself, not called from another workflow function');
    const waits = Object.values(definition.waits) as WaitPoint[];
    // Waits bound to the input: their value must be there (else no callback could ever apply). Behind a patch, so a
    // run parked before `bind` was added to its wait replays as it ran (no check, nothing refused at its start).
    const bindings: Record<string, string> = {};
    if (waits.some((w) => w.bind) && patched(BIND_PATCH)) {
      for (const w of waits) {
        if (!w.bind) continue;
        const value = boundInputValue(input, w.bind.input);
        if (value === undefined) throw failure('InvalidProcedureInput', `invalid input: input.${w.bind.input} must be a string, number or boolean: wait '${w.name}' is bound to it`);
        bindings[w.name] = bindingDigest(info.runId, w.name, value);
      }
    }
    const rt: Runtime = runtime(() => ({ procedure: definition.name, conversationId, waits, ...(Object.keys(bindings).length > 0 ? { bindings } : {}) }));
    rt.procedureMode = true;
    // Before the first await: a trigger's update-with-start arrives with the run's first task.
    const respond = installTriggerResponse(rt);
    // Patches of new features are decided here, before the first local activity (the mint), and only when the
    // procedure declares the feature: a patch first decided in the activation that resumes after a local activity may
    // not replay (see DEVELOPERS.md, "Deciding patches").
    const limitsPatched = (Object.values(definition.connectors) as ConnectorPoint[]).some((c) => c.limits) && patched(CONNECTOR_LIMITS_PATCH);
    if (waits.some((w) => w.progress)) rt.decideProgress();
    await rt.mintAll();

    const pointOf = (name: string): WaitPoint => {
      const point = findWait(definition, name);
      if (!point) throw failure('UnknownWait', `procedure '${definition.name}' declares no wait '${name}'`);
      return point;
    };
    let messagesSent = 0;
    const connectorOf = (name: string): ConnectorPoint => {
      const connector = Object.prototype.hasOwnProperty.call(definition.connectors, name) ? (definition.connectors as Record<string, ConnectorPoint>)[name] : undefined;
      if (!connector) throw failure('UnknownConnector', `procedure '${definition.name}' declares no connector '${name}'`);
      return connector;
    };
    const callProcedureConnector = async (name: string, vars: Record<string, unknown> | undefined, check?: number): Promise<unknown> => {
      const connector = connectorOf(name);
      const activities = connectorActivities(connector, definition.name, check !== undefined ? `Poll ${connector.title}: check ${check}` : `Data connector: ${connector.title}`, () => limitsPatched);
      const variables = { input, attributes: attributesSoFar(rt), vars: vars ?? {} };
      const callbackWaits = (): { wait: string; key?: string }[] =>
        Object.keys(rt.state.callbackUrls).map((id) => {
          const w = rt.state.waits[id];
          return w?.wait !== undefined && w.key !== undefined ? { wait: w.wait, key: w.key } : { wait: id };
        });
      // A poll's check is a new path: it takes the current activity without asking the older patch (no run of an older
      // version polls), so no patch is first decided in the middle of a wait.
      if (check !== undefined) return activities.hookwaitCallConnectorMinting({ procedure: definition.name, connector: name, variables, callbackWaits: callbackWaits(), check });
      // New runs pass no live URL (history keeps activity inputs): the activity mints `callbackUrls` again. It is a
      // new activity type, so a worker not yet upgraded answers "not registered" (retried) rather than failing the
      // call; runs that called connectors before this change replay the old call.
      return patched(CONNECTOR_MINTS_URLS)
        ? activities.hookwaitCallConnectorMinting({
            procedure: definition.name,
            connector: name,
            variables,
            callbackWaits: callbackWaits(),
          })
        : activities.hookwaitCallConnector({ procedure: definition.name, connector: name, variables: { ...variables, callbackUrls: rt.state.callbackUrls } });
    };
    const pollLabel = (target: string | ConnectorDefinition): string => (typeof target === 'string' ? target : target.name);
    /** One check of a poll: the procedure's connector by name, or a defined one (its templates see input, attributes, vars). */
    const pollCheck = (target: string | ConnectorDefinition, vars: Record<string, unknown> | undefined, n: number): Promise<unknown> =>
      typeof target === 'string'
        ? callProcedureConnector(target, vars, n)
        : callDefinedConnector(target, { input, attributes: attributesSoFar(rt), vars: vars ?? {} }, n);
    const run: ProcedureRun<S, W, C, H> = {
      input,
      conversationId,
      workflowId: info.workflowId,
      callbackUrl(name) {
        const url = rt.state.callbackUrls[pointOf(name).name];
        if (url === undefined) throw failure('UnknownWait', `procedure '${definition.name}' declares no wait '${name}'`);
        return url;
      },
      async wait(name, options) {
        const poll = options?.poll;
        const runtimeOptions = {
          ...(options?.timeout !== undefined ? { timeout: options.timeout } : {}),
          ...(poll ? { poll: runtimePoll(pollLabel(poll.connector), poll as WaitPoll<unknown>, (n) => pollCheck(poll.connector, poll.vars, n)) } : {}),
        };
        return (await rt.await(pointOf(name), undefined, runtimeOptions)) as WaitOutcome<W[typeof name]>;
      },
      async sleep(duration, options) {
        let ms: number;
        try {
          ms = durationToMs(duration, 'sleep(duration)');
        } catch (e) {
          throw failure('InvalidSleepDuration', e instanceof DefinitionError ? e.message : String(e));
        }
        const summary = typeof options?.summary === 'string' && options.summary.trim() !== '' ? `: ${options.summary.slice(0, 200)}` : '';
        await sleep(ms, { summary: `Sleep ${formatDurationMs(ms)}${summary}` });
      },
      async poll(connector, options) {
        const label = pollLabel(connector);
        const schedule = checkedSchedule(options, `poll(${label})`) as PollSchedule & { timeoutMs: number };
        return runPoll(label, schedule, (n) => pollCheck(connector, options.vars, n), options.until as (response: unknown) => unknown) as never;
      },
      async createCallback(name, options) {
        const point = pointOf(name);
        const url = await rt.declare(point, options.key);
        return {
          url,
          name,
          key: options.key,
          id: waitId(name, options.key),
          wait: (waitOptions?: { readonly timeout?: Duration }) => rt.await(point, options.key, waitOptions),
        } as never;
      },
      async callConnector(name, vars) {
        return (await callProcedureConnector(name, vars)) as ConnectorResult<C[typeof name]>;
      },
      async sendWebhook(name, vars) {
        const webhooks: Record<string, WebhookPoint> = definition.webhooks ?? {};
        const point = Object.prototype.hasOwnProperty.call(webhooks, name) ? webhooks[name] : undefined;
        if (!point) throw failure('UnknownWebhook', `procedure '${definition.name}' declares no webhook '${name}'`);
        // A new activity type in a new code path: no run parked before webhooks existed ever reaches it.
        return sendCheckedWebhook(definition.name, point, { input, attributes: attributesSoFar(rt), vars: vars ?? {} });
      },
      async sendMessage(text) {
        await channel(`Message to customer: ${text.length > 60 ? `${text.slice(0, 57)}…` : text}`).hookwaitSendMessage({
          conversationId,
          text,
          idempotencyKey: `${info.workflowId}/${info.runId}/message/${messagesSent++}/${hashText(text)}`,
        });
      },
      escalate({ message, assignee }) {
        return rt.escalate('(procedure)', message, assignee);
      },
      respond,
    };

    try {
      const output = await body(run);
      rt.apply({ type: 'finish', status: 'completed' });
      return { status: 'completed', output, attributes: attributesSoFar(rt) };
    } catch (err) {
      if (err instanceof WaitEscalated) {
        rt.apply({ type: 'finish', status: 'escalated', ...(rt.state.escalatedAt ? { escalatedAt: rt.state.escalatedAt } : {}) });
        return { status: 'escalated', wait: err.wait, attributes: attributesSoFar(rt), escalation: { messageDelivered: err.messageDelivered, assigned: true } };
      }
      rt.apply({ type: 'finish', status: 'failed' });
      throw err;
    }
  };
  // Named after the definition, so stack traces and the worker's registry read well.
  Object.defineProperty(workflow, 'name', { value: definition.name });
  // Marked with its definition, so a worker can check at start (in Node) that it is exported under its name.
  Object.defineProperty(workflow, PROCEDURE_MARK, { value: definition });
  return workflow;
}

/** The definition a workflow function made by {@link procedure} runs, if `value` is one (read by the worker's start checks). */
export function procedureDefinitionOf(value: unknown): AnyProcedure | undefined {
  if (typeof value !== 'function') return undefined;
  const definition = (value as unknown as Record<symbol, unknown>)[PROCEDURE_MARK];
  return typeof definition === 'object' && definition !== null ? (definition as AnyProcedure) : undefined;
}

/** Patch: waits declared with `bind` are checked (runs started before it replay without the check). */
const BIND_PATCH = 'hookwait-bind';
/** Patch: connector calls carry no callback URL; `hookwaitCallConnectorMinting` mints them in the activity. */
const CONNECTOR_MINTS_URLS = 'hookwait-connector-mints-urls';

/** Captured attributes by wait (keyed waits by `<wait>:<key>`). */
function attributesSoFar(rt: Runtime): Record<string, Record<string, Scalar>> {
  return Object.fromEntries(Object.entries(rt.state.waits).flatMap(([k, w]) => (w.attributes ? [[k, w.attributes]] : [])));
}

/** A short deterministic digest, so two different messages at the same step get different idempotency keys. */
function hashText(text: string): string {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return (h >>> 0).toString(36);
}
