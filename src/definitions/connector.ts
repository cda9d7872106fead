import type { z } from 'zod';
import { DefinitionError } from './definition-error';
import type { Duration } from './duration';
import { envAllowed, normalizeOutboundCall } from './outbound-env';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A JSON value whose strings may hold `{{ placeholders }}` (see the README's "Data connectors"). */
export type JsonTemplate = string | number | boolean | null | readonly JsonTemplate[] | { readonly [key: string]: JsonTemplate };

/**
 * A data connector: one declared HTTP call. `url`, `headers` and `body` are templates over
 * `input`, `callbackUrls`, `attributes`, `vars` (given at the call) and `env` (the variables of the worker's
 * environment that the connector declares in `env`, so secrets stay out of workflow history).
 */
export interface ConnectorDecl<R extends z.ZodType = z.ZodType> {
  readonly title?: string;
  readonly method?: HttpMethod;
  readonly url: string;
  readonly headers?: { readonly [name: string]: string };
  readonly body?: JsonTemplate;
  /**
   * How the body is encoded: `'json'` (default) or `'form'` (`application/x-www-form-urlencoded`: the body is then an
   * object of key-value pairs). A declared `content-type: application/x-www-form-urlencoded` header means `'form'` too.
   */
  readonly contentType?: 'json' | 'form';
  /** Maps the JSON response into attributes; the call fails (not retried) when the response does not fit. */
  readonly response?: R;
  /** Per attempt; default 10s. */
  readonly timeout?: Duration;
  /** Bounded retries with backoff for network errors, 5xx and 429 (Retry-After honoured); 4xx is never retried. */
  readonly retry?: { readonly maximumAttempts?: number; readonly initialInterval?: Duration; readonly maximumInterval?: Duration };
  /**
   * The worker's environment variables the templates may read as `{{env.NAME}}`: names (`'KYC_API_KEY'`) or
   * prefixes ending in `*` (`'KYC_*'`). `HOOKWAIT_*` and `TEMPORAL_*` are never readable. Default: none. A template
   * that reads an undeclared variable, or `{{env}}` itself, is a `DefinitionError`.
   */
  readonly env?: readonly string[];
  /**
   * Limits across all runs: at most `concurrency` calls in flight per worker process that serves the connector, and at
   * most `perSecond` calls started per second on the whole task queue (enforced by the Temporal server). A limited
   * connector's calls run on a task queue of their own ({@link connectorTaskQueue}), served by a connector worker
   * (`hookwaitPlugin` starts one beside your worker; see `createConnectorWorkers`).
   */
  readonly limits?: ConnectorLimits;
}

/** See {@link ConnectorDecl.limits}. */
export interface ConnectorLimits {
  /** Calls in flight at once, per worker process serving the connector (1-1000). */
  readonly concurrency?: number;
  /** Calls started per second across all workers (the task queue's rate limit, e.g. `0.5` or `10`). */
  readonly perSecond?: number;
}

export interface ConnectorPoint {
  readonly name: string;
  readonly title: string;
  readonly method: HttpMethod;
  readonly url: string;
  readonly headers: { readonly [name: string]: string };
  readonly body?: JsonTemplate;
  /** How the body is encoded (see {@link ConnectorDecl.contentType}). */
  readonly contentType: 'json' | 'form';
  readonly response?: z.ZodType;
  readonly timeoutMs: number;
  readonly retry: { readonly maximumAttempts: number; readonly initialIntervalMs: number; readonly maximumIntervalMs: number };
  /** The declared environment allowlist: names and `PREFIX*` entries (see {@link ConnectorDecl.env}). */
  readonly env: readonly string[];
  readonly limits?: ConnectorLimits;
}

/**
 * A connector declared on its own with {@link defineConnector}, for plain workflows (`pollConnector`, a wait's
 * `poll`) and for `run.poll` in procedures. Register it with the worker: `hookwaitPlugin({ connectors: [kycStatus] })`.
 */
export interface ConnectorDefinition<N extends string = string, R extends z.ZodType = z.ZodType> extends ConnectorPoint {
  readonly name: N;
  /** Type-level only: the response schema as declared. */
  readonly declaredResponse?: R;
}

/**
 * Declares a connector outside a procedure, in a pure module that both your workflows and your worker import.
 * Checked at once; a mistake throws a {@link DefinitionError} naming the field. Its templates see `input` and
 * `vars` (what the workflow passes), and `env` (declared variables only).
 *
 * @example
 * ```ts
 * import { z } from 'zod';
 * import { defineConnector } from 'hookwait/workflow';
 *
 * export const kycStatus = defineConnector({
 *   name: 'kycStatus',
 *   method: 'GET',
 *   url: 'https://kyc.example.com/checks/{{vars.checkId}}',
 *   response: z.object({ state: z.enum(['pending', 'verified', 'rejected']) }),
 *   limits: { concurrency: 2, perSecond: 5 },
 * });
 * ```
 */
export function defineConnector<const N extends string, R extends z.ZodType = z.ZodType>(decl: ConnectorDecl<R> & { readonly name: N }): ConnectorDefinition<N, R> {
  if (typeof decl !== 'object' || decl === null) throw new DefinitionError('connector', 'must be a connector declaration');
  return normalizeConnector(decl.name, decl, typeof decl.name === 'string' && CONNECTOR_NAME.test(decl.name) ? decl.name : 'name') as ConnectorDefinition<N, R>;
}

/**
 * The task queue a limited connector's calls run on: `<taskQueue>-connector-<procedure>-<name>` for a procedure's
 * connector, `<taskQueue>-connector-<name>` for one made by {@link defineConnector}.
 *
 * @example
 * ```ts
 * connectorTaskQueue('support', 'identityVerification', 'startVerification'); // 'support-connector-identityVerification-startVerification'
 * ```
 */
export function connectorTaskQueue(taskQueue: string, procedure: string | undefined, connector: string): string {
  return procedure === undefined ? `${taskQueue}-connector-${connector}` : `${taskQueue}-connector-${procedure}-${connector}`;
}

const CONNECTOR_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

function normalizeLimits(limits: unknown, field: string): ConnectorLimits | undefined {
  if (limits === undefined) return undefined;
  if (typeof limits !== 'object' || limits === null || Array.isArray(limits)) throw new DefinitionError(field, 'must be { concurrency?, perSecond? }');
  const { concurrency, perSecond, ...rest } = limits as Record<string, unknown>;
  const unknownKey = Object.keys(rest)[0];
  if (unknownKey !== undefined) throw new DefinitionError(`${field}.${unknownKey}`, 'is not a limit: use concurrency or perSecond');
  if (concurrency !== undefined && !(typeof concurrency === 'number' && Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 1000)) {
    throw new DefinitionError(`${field}.concurrency`, `must be a whole number from 1 to 1000, got ${JSON.stringify(concurrency)}`);
  }
  if (perSecond !== undefined && !(typeof perSecond === 'number' && Number.isFinite(perSecond) && perSecond > 0 && perSecond <= 100_000)) {
    throw new DefinitionError(`${field}.perSecond`, `must be a positive number of calls per second, got ${JSON.stringify(perSecond)}`);
  }
  if (concurrency === undefined && perSecond === undefined) throw new DefinitionError(field, 'declare concurrency, perSecond or both');
  return { ...(concurrency !== undefined ? { concurrency } : {}), ...(perSecond !== undefined ? { perSecond } : {}) };
}

/** What a connector call resolves to in the workflow. */
export type ConnectorResult<C> = C extends { readonly response: infer R extends z.ZodType } ? z.output<R> : unknown;

const METHODS: readonly HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * Whether a connector whose allowlist is `allow` may read the environment variable `name`: it is listed, or starts
 * with a listed `PREFIX*`, and it is not one of hookwait's own (`HOOKWAIT_*`, `TEMPORAL_*`).
 */
export function connectorEnvAllowed(allow: readonly string[], name: string): boolean {
  return envAllowed(allow, name);
}

/**
 * Checks a connector declaration and fills in its defaults.
 * @throws {@link DefinitionError} naming the field, e.g. `connectors.kyc.headers.authorization` for an undeclared `{{env.X}}`.
 */
export function normalizeConnector(name: string, decl: ConnectorDecl, field: string): ConnectorPoint {
  if (!CONNECTOR_NAME.test(name)) throw new DefinitionError(field, 'connector names are 1-64 letters, digits, "_" or "-"');
  const method = decl.method ?? 'POST';
  if (!METHODS.includes(method)) throw new DefinitionError(`${field}.method`, `must be one of ${METHODS.join(', ')}`);
  if (method === 'GET' && decl.body !== undefined) throw new DefinitionError(`${field}.body`, 'a GET call has no body');
  const common = normalizeOutboundCall(name, decl, field, { defaultAttempts: 5, maxAttempts: 100 });
  const limits = normalizeLimits(decl.limits, `${field}.limits`);
  return {
    name,
    method,
    ...common,
    ...(decl.response !== undefined ? { response: decl.response } : {}),
    ...(limits ? { limits } : {}),
  };
}

/** What a call of a connector made by {@link defineConnector} resolves to: its response schema's output. */
export type DefinedConnectorResult<C> = C extends ConnectorDefinition<string, infer R> ? z.output<R> : unknown;

export { outboundContentType } from './outbound-env';
