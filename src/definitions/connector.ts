import type { z } from 'zod';
import { DefinitionError } from './definition-error';
import { type Duration, durationToMs } from './duration';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A JSON value whose strings may hold `{{ placeholders }}` (see the README's "Data connectors"). */
export type JsonTemplate = string | number | boolean | null | readonly JsonTemplate[] | { readonly [key: string]: JsonTemplate };

/**
 * A data connector: one declared HTTP call. `url`, `headers` and `body` are templates over
 * `input`, `callbackUrls`, `attributes`, `vars` (given at the call) and `env` (the worker's environment,
 * so secrets stay out of workflow history).
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
}

/** What a connector call resolves to in the workflow. */
export type ConnectorResult<C> = C extends { readonly response: infer R extends z.ZodType } ? z.output<R> : unknown;

const METHODS: readonly HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

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
  };
}
