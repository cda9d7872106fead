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
  if (!/^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(name)) throw new DefinitionError(field, 'connector names are 1-64 letters, digits, "_" or "-"');
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
  };
}
