/**
 * What data connectors and outbound webhooks share: rendering a declared request (URL, headers, body encoded as
 * declared), checking it, and a redacted copy of it for people to read (the CLI's test send, the simulator).
 */
import type { JsonTemplate } from '../definitions/connector';
import { envAllowed } from '../definitions/outbound-env';
import { renderJson, renderString, renderUrl, TemplateError } from './template';

/** A request ready to send. */
export interface OutboundRequest {
  readonly method: string;
  readonly url: string;
  /** The URL as messages and logs show it: `{{env.*}}` left as written, no query string, no user:password. */
  readonly shownUrl: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

/** What a connector or webhook declares of its request. */
export interface OutboundSpec {
  readonly method: string;
  readonly url: string;
  readonly headers: { readonly [name: string]: string };
  readonly body?: JsonTemplate;
  readonly contentType: 'json' | 'form';
  readonly env: readonly string[];
}

/** A request that cannot be made as declared (a bad template value, a URL that is not http(s), …): not retried. */
export class OutboundRequestError extends Error {
  override readonly name = 'OutboundRequestError';
}

/** Without the query string and any user:password part, which may carry keys. */
export function safeUrl(url: string): string {
  const i = url.indexOf('?');
  const noQuery = i < 0 ? url : `${url.slice(0, i)}?…`;
  return noQuery.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1…@');
}

/** The variables of `env` that the declaration lists, and no others. */
export function declaredEnv(allow: readonly string[], env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && envAllowed(allow, name)) Object.defineProperty(out, name, { value, enumerable: true });
  }
  return out;
}

function formValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/**
 * Encodes a rendered body as declared: JSON, or `application/x-www-form-urlencoded` (each key once; a value that is
 * not a string is written as text, an object as its JSON).
 */
export function encodeBody(rendered: unknown, contentType: 'json' | 'form'): { readonly body: string; readonly contentType: string } {
  if (contentType === 'json') return { body: JSON.stringify(rendered), contentType: 'application/json' };
  const form = new URLSearchParams();
  for (const [k, v] of Object.entries((rendered ?? {}) as Record<string, unknown>)) form.append(k, formValue(v));
  return { body: form.toString(), contentType: 'application/x-www-form-urlencoded' };
}

/**
 * Renders a declared request over `variables` (plus the declared `env`) and checks it: an http(s) URL without
 * credentials, no line breaks in headers. The declared `content-type` header is kept; without one, it is the
 * encoding's.
 *
 * @throws {@link OutboundRequestError} saying why (the URL shown without env values).
 */
export function renderOutboundRequest(
  spec: OutboundSpec,
  variables: Record<string, unknown>,
  env: Record<string, string | undefined>,
  where: string,
  options: { readonly checkUrl?: boolean } = {},
): OutboundRequest {
  const vars = { ...variables, env: declaredEnv(spec.env, env) };
  let url: string;
  let shownUrl: string;
  let headers: Record<string, string>;
  let body: string | undefined;
  let contentType: string | undefined;
  try {
    url = renderUrl(spec.url, vars, `${where}.url`);
    shownUrl = safeUrl(renderUrl(spec.url, vars, `${where}.url`, { keepEnv: true }));
    headers = Object.fromEntries(Object.entries(spec.headers).map(([k, v]) => [k, renderString(v, vars, `${where}.headers.${k}`)]));
    if (spec.body !== undefined) ({ body, contentType } = encodeBody(renderJson(spec.body, vars, `${where}.body`), spec.contentType));
  } catch (err) {
    if (err instanceof TemplateError) throw new OutboundRequestError(err.message);
    throw err;
  }
  if (options.checkUrl ?? true) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new OutboundRequestError(`${where}: '${shownUrl}' is not a URL`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new OutboundRequestError(`${where}: only http(s) URLs are called, got ${parsed.protocol}`);
    // Credentials belong in headers (from env), never in a URL that ends up in messages and logs.
    if (parsed.username !== '' || parsed.password !== '') throw new OutboundRequestError(`${where}: the URL must not carry credentials; send them in a header`);
  }
  for (const [name, value] of Object.entries(headers)) {
    if (/[\r\n\0]/.test(value)) throw new OutboundRequestError(`${where}: header ${name} would contain a line break or NUL`);
  }
  if (contentType !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = contentType;
  return { method: spec.method, url, shownUrl, headers, ...(body !== undefined ? { body } : {}) };
}

/** Header names whose values are credentials or signatures: shown as `[redacted]`. */
const SECRET_HEADER = /authorization|api[-_]?key|token|secret|password|signature|cookie|credential|session/i;

/**
 * A copy of a request safe to show or record: credential and signature headers `[redacted]`, every value of the
 * declared `env` (4 characters or more) replaced by `[env.NAME]` wherever it appears (URL, headers, body).
 *
 * @example
 * ```ts
 * redactOutboundRequest(request, { CRM_TOKEN: 't0ps3cret' }); // headers.authorization: '[redacted]'
 * ```
 */
export function redactOutboundRequest<R extends { readonly url: string; readonly headers: Record<string, string>; readonly body?: string }>(request: R, envValues: Record<string, string>): R {
  const secrets = Object.entries(envValues)
    .filter(([, v]) => v.length >= 4)
    .sort((a, b) => b[1].length - a[1].length);
  const scrub = (text: string): string => {
    let out = text;
    for (const [name, value] of secrets) {
      out = out.split(value).join(`[env.${name}]`);
      const encoded = encodeURIComponent(value);
      if (encoded !== value) out = out.split(encoded).join(`[env.${name}]`);
    }
    return out;
  };
  const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, SECRET_HEADER.test(k) ? '[redacted]' : scrub(v)]));
  return { ...request, url: scrub(request.url), headers, ...(request.body !== undefined ? { body: scrub(request.body) } : {}) };
}
