import { z } from 'zod';
import type { AttributesDecl, CapturedAttributes } from './attributes';
import { type ConnectorDecl, type ConnectorPoint, normalizeConnector } from './connector';
import { DefinitionError } from './definition-error';
import { type WaitDecl, type WaitPoint, normalizeWait } from './wait-point';
import { isWebhookPoint, normalizeWebhook, type WebhookDecl, type WebhookPoint } from './webhook';

/** A procedure's webhook: a declaration, or one made with `defineWebhook` (its name becomes the key). */
export type ProcedureWebhookDecl = WebhookDecl | WebhookPoint;

/** A procedure as the author declares it, in a pure module that both the workflow and the gateway import. */
export interface ProcedureDecl<
  N extends string,
  S extends z.ZodType,
  W extends { readonly [name: string]: WaitDecl<AttributesDecl> },
  C extends { readonly [name: string]: ConnectorDecl },
  H extends { readonly [name: string]: ProcedureWebhookDecl } = {},
> {
  /** The workflow type: the name under which the procedure's workflow function is exported. */
  readonly name: N;
  /** Shown in the Web UI's summary; default: the name. */
  readonly title?: string;
  /** Validates the run's input; a run with bad input fails at once with an error naming each field. */
  readonly input?: S;
  readonly waits: W;
  readonly connectors?: C;
  /** Outbound webhooks, sent with `run.sendWebhook(name, vars?)` (see the README's "Outbound webhooks"). */
  readonly webhooks?: H;
}

/**
 * A checked procedure definition. Build one with {@link defineProcedure}; the type parameters carry the
 * declarations so that `run.wait(...)`, `run.callbackUrl(...)` and `run.callConnector(...)` are fully typed.
 */
export interface Procedure<
  N extends string = string,
  S extends z.ZodType = z.ZodType,
  W extends { readonly [name: string]: WaitDecl<AttributesDecl> } = { readonly [name: string]: WaitDecl<AttributesDecl> },
  C extends { readonly [name: string]: ConnectorDecl } = { readonly [name: string]: ConnectorDecl },
  H extends { readonly [name: string]: ProcedureWebhookDecl } = { readonly [name: string]: ProcedureWebhookDecl },
> {
  readonly name: N;
  readonly title: string;
  readonly input: S;
  readonly waits: { readonly [K in keyof W]: WaitPoint };
  readonly connectors: { readonly [K in keyof C]: ConnectorPoint };
  /** The outbound webhooks, checked (absent on procedures built before webhooks existed: read with `?? {}`). */
  readonly webhooks: { readonly [K in keyof H]: WebhookPoint };
  /** Type-level only: the declarations as written. */
  readonly declarations?: { readonly waits: W; readonly connectors: C; readonly webhooks?: H };
}

/** Any procedure, for registries (the plugin, the gateway, the CLI). */
export type AnyProcedure = Procedure<string, z.ZodType, { readonly [name: string]: WaitDecl<AttributesDecl> }, { readonly [name: string]: ConnectorDecl }>;

export type WaitNames<P> = P extends Procedure<string, z.ZodType, infer W, infer _C> ? keyof W & string : never;
export type WebhookNames<P> = P extends Procedure<string, z.ZodType, infer _W, infer _C, infer H> ? keyof H & string : never;
export type ConnectorNames<P> = P extends Procedure<string, z.ZodType, infer _W, infer C> ? keyof C & string : never;
export type ProcedureInput<P> = P extends Procedure<string, infer S, infer _W, infer _C> ? z.output<S> : never;
export type WaitAttributes<P, K extends string> =
  P extends Procedure<string, z.ZodType, infer W, infer _C> ? (K extends keyof W ? CapturedAttributes<W[K]['attributes']> : never) : never;
export type WaitIsBranching<P, K extends string> =
  P extends Procedure<string, z.ZodType, infer W, infer _C> ? (K extends keyof W ? (W[K]['onTimeout'] extends 'branch' ? true : false) : never) : never;

const PROCEDURE_NAME = /^[A-Za-z_$][A-Za-z0-9_$]{0,127}$/;
const defaultInput = z.record(z.string(), z.unknown());

/**
 * Declares a procedure and its wait points and data connectors, checking them at once.
 *
 * @throws {@link DefinitionError} naming the field, e.g. a wait with `onTimeout: 'escalate'` but no escalation assignee.
 *
 * @example
 * export const refundApproval = defineProcedure({
 *   name: 'refundApproval',
 *   waits: {
 *     approval: {
 *       title: 'Wait for a manager to approve the refund',
 *       attributes: ['decision', 'approver'],
 *       timeout: '4h',
 *       escalation: { message: 'A teammate will follow up on your refund.', assignee: { team: 'billing' } },
 *     },
 *   },
 * });
 */
export function defineProcedure<
  const N extends string,
  const W extends { readonly [name: string]: WaitDecl<AttributesDecl> },
  S extends z.ZodType = typeof defaultInput,
  const C extends { readonly [name: string]: ConnectorDecl } = {},
  const H extends { readonly [name: string]: ProcedureWebhookDecl } = {},
>(decl: ProcedureDecl<N, S, W, C, H>): Procedure<N, S, W, C, H> {
  if (typeof decl !== 'object' || decl === null) throw new DefinitionError('procedure', 'must be an object');
  if (typeof decl.name !== 'string' || !PROCEDURE_NAME.test(decl.name)) {
    throw new DefinitionError('name', 'must be a JavaScript identifier: the name the workflow function is exported under');
  }
  if (typeof decl.waits !== 'object' || decl.waits === null || Object.keys(decl.waits).length === 0) {
    throw new DefinitionError('waits', 'declare at least one wait point');
  }
  const waits: Record<string, WaitPoint> = {};
  for (const [name, w] of Object.entries(decl.waits)) waits[name] = normalizeWait(name, w, `waits.${name}`);
  const connectors: Record<string, ConnectorPoint> = {};
  for (const [name, c] of Object.entries(decl.connectors ?? {})) connectors[name] = normalizeConnector(name, c, `connectors.${name}`);
  const webhooks: Record<string, WebhookPoint> = {};
  if (decl.webhooks !== undefined && (typeof decl.webhooks !== 'object' || decl.webhooks === null)) throw new DefinitionError('webhooks', 'must be an object of named webhooks');
  for (const [name, w] of Object.entries(decl.webhooks ?? {})) {
    if (isWebhookPoint(w)) {
      if (!/^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(name)) throw new DefinitionError(`webhooks.${name}`, 'webhook names are 1-64 letters, digits, "_" or "-", starting with a letter');
      webhooks[name] = { ...w, name, title: w.title === w.name ? name : w.title };
    } else webhooks[name] = normalizeWebhook(name, w, `webhooks.${name}`);
  }
  return {
    name: decl.name,
    title: decl.title ?? decl.name,
    input: (decl.input ?? defaultInput) as S,
    waits: waits as { readonly [K in keyof W]: WaitPoint },
    connectors: connectors as { readonly [K in keyof C]: ConnectorPoint },
    webhooks: webhooks as { readonly [K in keyof H]: WebhookPoint },
  };
}

/** Looks a wait point up by name, or undefined (names come from outside: tokens, the CLI). */
export function findWait(procedure: AnyProcedure, name: string): WaitPoint | undefined {
  return Object.prototype.hasOwnProperty.call(procedure.waits, name) ? procedure.waits[name] : undefined;
}
