/**
 * Definition-time checks shared by data connectors and outbound webhooks: the `env` allowlist and the `{{env.*}}`
 * placeholders it governs, the shape of a form body, and what every outbound call declares alike (URL, headers, body
 * encoding, timeout, retry policy). Internal: not exported from the package.
 */
import type { JsonTemplate } from './connector';
import { DefinitionError } from './definition-error';
import { type Duration, durationToMs } from './duration';
import { placeholderPaths } from './template-placeholders';

/** hookwait's own configuration (signing keys, the Temporal connection and its API key): never readable by a template. */
const DENIED_ENV_PREFIXES = ['HOOKWAIT_', 'TEMPORAL_'] as const;
const ENV_ENTRY = /^[A-Za-z_][A-Za-z0-9_]*\*?$/;

export function deniedEnvName(name: string): boolean {
  const upper = name.toUpperCase();
  return DENIED_ENV_PREFIXES.some((p) => upper.startsWith(p));
}

/** Whether `name` is covered by the allowlist (a name or a `PREFIX*`), and not one of hookwait's own. */
export function envAllowed(allow: readonly string[], name: string): boolean {
  if (name === '' || deniedEnvName(name)) return false;
  return allow.some((entry) => (entry.endsWith('*') ? name.startsWith(entry.slice(0, -1)) : name === entry));
}

/** The templates of an outbound call: its URL, headers and body. */
export interface OutboundTemplates {
  readonly url: string;
  readonly headers?: { readonly [name: string]: string };
  readonly body?: JsonTemplate;
}

export function normalizeEnvAllowlist(env: unknown, field: string): string[] {
  if (env === undefined) return [];
  if (!Array.isArray(env)) throw new DefinitionError(field, "must be a list of variable names or prefixes, e.g. ['KYC_API_KEY', 'KYC_*']");
  return env.map((entry: unknown, i) => {
    if (typeof entry !== 'string' || !ENV_ENTRY.test(entry)) {
      throw new DefinitionError(`${field}[${i}]`, "must be a variable name (letters, digits, '_') or a prefix ending in '*', such as 'KYC_*'");
    }
    if (deniedEnvName(entry.replace(/\*$/, ''))) {
      throw new DefinitionError(`${field}[${i}]`, `HOOKWAIT_* and TEMPORAL_* variables are hookwait's own configuration; an outbound call never reads them`);
    }
    return entry;
  });
}

/** Each template string of a connector with the field it sits in (`…url`, `…headers.<name>`, `…body.a[1].b`). */
function templateStrings(decl: OutboundTemplates, field: string): [string, string][] {
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
 * whole environment), hookwait's own variables, and any variable the call does not declare.
 */
export function checkEnvPlaceholders(decl: OutboundTemplates, allow: readonly string[], field: string): void {
  for (const [text, at] of templateStrings(decl, field)) {
    for (const path of placeholderPaths(text)) {
      if (path === 'env') throw new DefinitionError(at, '{{env}} would expose the whole environment of the worker; name one declared variable, e.g. {{env.API_KEY}}');
      if (!path.startsWith('env.')) continue;
      const name = path.split('.')[1] ?? '';
      if (deniedEnvName(name)) {
        throw new DefinitionError(at, `{{${path}}}: HOOKWAIT_* and TEMPORAL_* variables are hookwait's own configuration; an outbound call never reads them`);
      }
      if (!envAllowed(allow, name)) {
        throw new DefinitionError(at, `{{${path}}} reads the environment variable '${name}', which ${field}.env does not declare; add '${name}' to ${field}.env`);
      }
    }
  }
}


/**
 * Checks a form body (`application/x-www-form-urlencoded`): an object whose values are strings (templates), numbers,
 * booleans or null, one level deep (a form has no nesting).
 */
export function normalizeFormBody(body: unknown, field: string): void {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new DefinitionError(field, 'a form body is an object of key-value pairs');
  for (const [k, v] of Object.entries(body)) {
    if (v !== null && typeof v === 'object') throw new DefinitionError(`${field}.${k}`, 'a form field is a string, number, boolean or null (a form has no nesting)');
  }
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

/** What a connector's and a webhook's declarations share, before their own options. */
export interface OutboundCallDecl extends OutboundTemplates {
  readonly title?: string;
  readonly contentType?: 'json' | 'form';
  readonly timeout?: Duration;
  readonly retry?: { readonly maximumAttempts?: number; readonly initialInterval?: Duration; readonly maximumInterval?: Duration };
  readonly env?: readonly string[];
}

/** The normalized shared part of an outbound call (see {@link normalizeOutboundCall}). */
export interface OutboundCall {
  readonly title: string;
  readonly url: string;
  readonly headers: { readonly [name: string]: string };
  readonly body?: JsonTemplate;
  readonly contentType: 'json' | 'form';
  readonly timeoutMs: number;
  readonly retry: { readonly maximumAttempts: number; readonly initialIntervalMs: number; readonly maximumIntervalMs: number };
  readonly env: readonly string[];
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Checks what a connector and a webhook declare alike, and fills in the defaults: URL, title, headers (names and
 * string values), body encoding (a form body's shape), timeout, retry policy, and the `env` allowlist with the
 * placeholders it governs.
 * @throws {@link DefinitionError} naming the field, e.g. `webhooks.crm.headers.x y` for a header name with a space.
 *
 * @example
 * ```ts
 * normalizeOutboundCall('crm', { url: 'https://crm.example/hook' }, 'webhooks.crm', { defaultAttempts: 3, maxAttempts: 20 });
 * // { title: 'crm', url: 'https://crm.example/hook', headers: {}, contentType: 'json', timeoutMs: 10000, retry: {...}, env: [] }
 * ```
 */
export function normalizeOutboundCall(
  name: string,
  decl: OutboundCallDecl,
  field: string,
  bounds: { readonly defaultAttempts: number; readonly maxAttempts: number; readonly maxTimeoutMs?: number },
): OutboundCall {
  if (typeof decl.url !== 'string' || decl.url.trim() === '') throw new DefinitionError(`${field}.url`, 'is required');
  if (decl.title !== undefined && typeof decl.title !== 'string') throw new DefinitionError(`${field}.title`, 'must be a string');
  for (const [h, v] of Object.entries(decl.headers ?? {})) {
    if (typeof v !== 'string') throw new DefinitionError(`${field}.headers.${h}`, 'must be a string');
    if (!HEADER_NAME.test(h)) throw new DefinitionError(`${field}.headers.${h}`, 'is not a valid header name');
  }
  const contentType = outboundContentType(decl.contentType, decl.headers, `${field}.contentType`);
  if (contentType === 'form' && decl.body !== undefined) normalizeFormBody(decl.body, `${field}.body`);
  const maximumAttempts = decl.retry?.maximumAttempts ?? bounds.defaultAttempts;
  if (!Number.isInteger(maximumAttempts) || maximumAttempts < 1 || maximumAttempts > bounds.maxAttempts) {
    throw new DefinitionError(`${field}.retry.maximumAttempts`, `must be a whole number from 1 to ${bounds.maxAttempts}`);
  }
  const timeoutMs = durationToMs(decl.timeout ?? '10s', `${field}.timeout`);
  if (timeoutMs < 1) throw new DefinitionError(`${field}.timeout`, bounds.maxTimeoutMs === undefined ? 'must be positive' : 'must be from 1ms to 5m');
  if (bounds.maxTimeoutMs !== undefined && timeoutMs > bounds.maxTimeoutMs) throw new DefinitionError(`${field}.timeout`, 'must be from 1ms to 5m');
  const env = normalizeEnvAllowlist(decl.env, `${field}.env`);
  checkEnvPlaceholders(decl, env, field);
  return {
    title: decl.title ?? name,
    url: decl.url,
    headers: { ...(decl.headers ?? {}) },
    ...(decl.body !== undefined ? { body: decl.body } : {}),
    contentType,
    timeoutMs,
    retry: {
      maximumAttempts,
      initialIntervalMs: durationToMs(decl.retry?.initialInterval ?? '1s', `${field}.retry.initialInterval`),
      maximumIntervalMs: durationToMs(decl.retry?.maximumInterval ?? '30s', `${field}.retry.maximumInterval`),
    },
    env,
  };
}
