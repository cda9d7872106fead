import { patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import { installTriggerResponse, type TriggerResponder } from './trigger-response';
import type { z } from 'zod';
import type { HookwaitActivities } from '../activities/activity-types';
import type { AttributesDecl, CapturedAttributes, Scalar } from '../definitions/attributes';
import type { ConnectorDecl, ConnectorResult } from '../definitions/connector';
import type { Duration } from '../definitions/duration';
import { type AnyProcedure, findWait, type Procedure, type ProcedureWebhookDecl } from '../definitions/procedure';
import type { WebhookPoint, WebhookResult } from '../definitions/webhook';
import { sendCheckedWebhook } from './webhook';
import type { Assignee, WaitDecl, WaitDefinition, WaitPoint } from '../definitions/wait-point';
import { formatZodIssues } from '../definitions/zod-issues';
import type { Callback } from './callback';
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
  | { readonly status: 'escalated'; readonly wait: string; readonly attributes: Record<string, Record<string, Scalar>> };

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
  wait<K extends keyof W & string>(wait: K, options?: { readonly timeout?: Duration }): Promise<WaitOutcome<W[K]>>;
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
    await rt.mintAll();

    const pointOf = (name: string): WaitPoint => {
      const point = findWait(definition, name);
      if (!point) throw failure('UnknownWait', `procedure '${definition.name}' declares no wait '${name}'`);
      return point;
    };
    let messagesSent = 0;
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
        return (await rt.await(pointOf(name), undefined, options)) as WaitOutcome<W[typeof name]>;
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
        const connector = Object.prototype.hasOwnProperty.call(definition.connectors, name) ? definition.connectors[name] : undefined;
        if (!connector) throw failure('UnknownConnector', `procedure '${definition.name}' declares no connector '${name}'`);
        const activities = proxyActivities<Pick<HookwaitActivities, 'hookwaitCallConnector' | 'hookwaitCallConnectorMinting'>>({
          startToCloseTimeout: connector.timeoutMs + 5_000,
          summary: `Data connector: ${connector.title}`,
          retry: {
            maximumAttempts: connector.retry.maximumAttempts,
            initialInterval: connector.retry.initialIntervalMs,
            maximumInterval: connector.retry.maximumIntervalMs,
            backoffCoefficient: 2,
          },
        });
        const variables = { input, attributes: attributesSoFar(rt), vars: vars ?? {} };
        // New runs pass no live URL (history keeps activity inputs): the activity mints `callbackUrls` again. It is a
        // new activity type, so a worker not yet upgraded answers "not registered" (retried) rather than failing the
        // call; runs that called connectors before this change replay the old call.
        const result = patched(CONNECTOR_MINTS_URLS)
          ? await activities.hookwaitCallConnectorMinting({
              procedure: definition.name,
              connector: name,
              variables,
              callbackWaits: Object.keys(rt.state.callbackUrls).map((id) => {
                const w = rt.state.waits[id];
                return w?.wait !== undefined && w.key !== undefined ? { wait: w.wait, key: w.key } : { wait: id };
              }),
            })
          : await activities.hookwaitCallConnector({ procedure: definition.name, connector: name, variables: { ...variables, callbackUrls: rt.state.callbackUrls } });
        return result as ConnectorResult<C[typeof name]>;
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
        return { status: 'escalated', wait: err.wait, attributes: attributesSoFar(rt) };
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
