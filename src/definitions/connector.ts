import type { z } from 'zod';
import { DefinitionError } from './definition-error';
import { type Duration, durationToMs } from './duration';
import { checkEnvPlaceholders, envAllowed, normalizeEnvAllowlist, normalizeFormBody } from './outbound-env';

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
  const contentType = outboundContentType(decl.contentType, decl.headers, `${field}.contentType`);
  if (contentType === 'form' && decl.body !== undefined) normalizeFormBody(decl.body, `${field}.body`);
  return {
    name,
    title: decl.title ?? name,
    method,
    url: decl.url,
    headers: { ...(decl.headers ?? {}) },
    ...(decl.body !== undefined ? { body: decl.body } : {}),
    contentType,
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

/**
 * The body encoding of a connector or webhook: as declared, else `'form'` when a declared `content-type` header says
 * `application/x-www-form-urlencoded`, else `'json'`.
 *
 * @example
 * ```ts
 * outboundContentType(undefined, { 'Content-Type': 'application/x-www-form-urlencoded' }, 'connectors.crm.contentType'); // 'form'
 * ```
 */
export function outboundContentType(declared: unknown, headers: { readonly [name: string]: string } | undefined, field: string): 'json' | 'form' {
  if (declared !== undefined && declared !== 'json' && declared !== 'form') throw new DefinitionError(field, "must be 'json' or 'form'");
  const header = Object.entries(headers ?? {}).find(([k]) => k.toLowerCase() === 'content-type')?.[1];
  const formHeader = typeof header === 'string' && /^\s*application\/x-www-form-urlencoded\b/i.test(header);
  if (declared === 'json' && formHeader) throw new DefinitionError(field, "is 'json' but the content-type header says application/x-www-form-urlencoded");
  return (declared as 'json' | 'form' | undefined) ?? (formHeader ? 'form' : 'json');
}
