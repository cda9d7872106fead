import type { z } from 'zod';
import { DefinitionError } from './definition-error';
import { type Duration, durationToMs } from './duration';
import { placeholderPaths } from './template-placeholders';

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

/** hookwait's own configuration (signing keys, the Temporal connection and its API key): never readable by a template. */
const DENIED_ENV_PREFIXES = ['HOOKWAIT_', 'TEMPORAL_'] as const;
const ENV_ENTRY = /^[A-Za-z_][A-Za-z0-9_]*\*?$/;

function deniedEnvName(name: string): boolean {
  const upper = name.toUpperCase();
  return DENIED_ENV_PREFIXES.some((p) => upper.startsWith(p));
}

/**
 * Whether a connector whose allowlist is `allow` may read the environment variable `name`: it is listed, or starts
 * with a listed `PREFIX*`, and it is not one of hookwait's own (`HOOKWAIT_*`, `TEMPORAL_*`).
 */
export function connectorEnvAllowed(allow: readonly string[], name: string): boolean {
  if (name === '' || deniedEnvName(name)) return false;
  return allow.some((entry) => (entry.endsWith('*') ? name.startsWith(entry.slice(0, -1)) : name === entry));
}

function normalizeEnvAllowlist(env: unknown, field: string): string[] {
  if (env === undefined) return [];
  if (!Array.isArray(env)) throw new DefinitionError(field, "must be a list of variable names or prefixes, e.g. ['KYC_API_KEY', 'KYC_*']");
  return env.map((entry: unknown, i) => {
    if (typeof entry !== 'string' || !ENV_ENTRY.test(entry)) {
      throw new DefinitionError(`${field}[${i}]`, "must be a variable name (letters, digits, '_') or a prefix ending in '*', such as 'KYC_*'");
    }
    if (deniedEnvName(entry.replace(/\*$/, ''))) {
      throw new DefinitionError(`${field}[${i}]`, `HOOKWAIT_* and TEMPORAL_* variables are hookwait's own configuration; a connector never reads them`);
    }
    return entry;
  });
}

/** Each template string of a connector with the field it sits in (`…url`, `…headers.<name>`, `…body.a[1].b`). */
function templateStrings(decl: ConnectorDecl, field: string): [string, string][] {
  const out: [string, string][] = [[decl.url, `${field}.url`]];
  for (const [name, value] of Object.entries(decl.headers ?? {})) if (typeof value === 'string') out.push([value, `${field}.headers.${name}`]);
  const walk = (t: JsonTemplate | undefined, at: string): void => {
    if (typeof t === 'string') out.push([t, at]);
    else if (Array.isArray(t)) t.forEach((v: JsonTemplate, i) => walk(v, `${at}[${i}]`));
    else if (typeof t === 'object' && t !== null) for (const [k, v] of Object.entries(t)) walk(v as JsonTemplate, `${at}.${k}`);
  };
  walk(decl.body, `${field}.body`);
  return out;
}

/**
 * Refuses, at definition time, every `{{env…}}` placeholder the allowlist does not cover: `{{env}}` itself (the
 * whole environment), hookwait's own variables, and any variable the connector does not declare.
 */
function checkEnvPlaceholders(decl: ConnectorDecl, allow: readonly string[], field: string): void {
  for (const [text, at] of templateStrings(decl, field)) {
    for (const path of placeholderPaths(text)) {
      if (path === 'env') throw new DefinitionError(at, '{{env}} would expose the whole environment of the worker; name one declared variable, e.g. {{env.API_KEY}}');
      if (!path.startsWith('env.')) continue;
      const name = path.split('.')[1] ?? '';
      if (deniedEnvName(name)) {
        throw new DefinitionError(at, `{{${path}}}: HOOKWAIT_* and TEMPORAL_* variables are hookwait's own configuration; a connector never reads them`);
      }
      if (!connectorEnvAllowed(allow, name)) {
        throw new DefinitionError(at, `{{${path}}} reads the environment variable '${name}', which ${field}.env does not declare; add '${name}' to ${field}.env`);
      }
    }
  }
}

/**
 * Checks a connector declaration and fills in its defaults.
 * @throws {@link DefinitionError} naming the field, e.g. `connectors.kyc.headers.authorization` for an undeclared `{{env.X}}`.
 */
export function normalizeConnector(name: string, decl: ConnectorDecl, field: string): ConnectorPoint {
  if (!CONNECTOR_NAME.test(name)) throw new DefinitionError(field, 'connector names are 1-64 letters, digits, "_" or "-"');
  const method = decl.method ?? 'POST';
  if (!METHODS.includes(method)) throw new DefinitionError(`${field}.method`, `must be one of ${METHODS.join(', ')}`);
  if (typeof decl.url !== 'string' || decl.url.trim() === '') throw new DefinitionError(`${field}.url`, 'is required');
  if (method === 'GET' && decl.body !== undefined) throw new DefinitionError(`${field}.body`, 'a GET call has no body');
  const maximumAttempts = decl.retry?.maximumAttempts ?? 5;
  if (!Number.isInteger(maximumAttempts) || maximumAttempts < 1 || maximumAttempts > 100) {
    throw new DefinitionError(`${field}.retry.maximumAttempts`, 'must be a whole number from 1 to 100');
  }
  const timeoutMs = durationToMs(decl.timeout ?? '10s', `${field}.timeout`);
  if (timeoutMs < 1) throw new DefinitionError(`${field}.timeout`, 'must be positive');
  const env = normalizeEnvAllowlist(decl.env, `${field}.env`);
  checkEnvPlaceholders(decl, env, field);
  const limits = normalizeLimits(decl.limits, `${field}.limits`);
  return {
    name,
    title: decl.title ?? name,
    method,
    url: decl.url,
    headers: { ...(decl.headers ?? {}) },
    ...(decl.body !== undefined ? { body: decl.body } : {}),
    ...(decl.response !== undefined ? { response: decl.response } : {}),
    timeoutMs,
    retry: {
      maximumAttempts,
      initialIntervalMs: durationToMs(decl.retry?.initialInterval ?? '1s', `${field}.retry.initialInterval`),
      maximumIntervalMs: durationToMs(decl.retry?.maximumInterval ?? '30s', `${field}.retry.maximumInterval`),
    },
    env,
    ...(limits ? { limits } : {}),
  };
}

/** What a call of a connector made by {@link defineConnector} resolves to: its response schema's output. */
export type DefinedConnectorResult<C> = C extends ConnectorDefinition<string, infer R> ? z.output<R> : unknown;
