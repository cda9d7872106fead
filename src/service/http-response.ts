/**
 * Shapes the success answers authors declare (a trigger's response, a wait's `response` or `redirect`, a procedure's
 * `run.respond`) into what the gateway sends. Framework-free; the Express adapters write the result.
 */
import { PLACEHOLDER_SOURCE } from '../definitions/template-placeholders';
import type { JsonBody, ResponseSpec } from '../definitions/trigger';
import { isRespondStatus } from '../definitions/trigger';

/** A body that is not JSON: text or HTML, sent as it is with its content type. */
export interface RawBody {
  readonly contentType: string;
  readonly text: string;
}

/** A rendered success answer: status, headers, and a JSON body, a raw body, or none (204, 303). */
export interface RenderedResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly json?: unknown;
  readonly raw?: RawBody;
}

const PLACEHOLDER = new RegExp(PLACEHOLDER_SOURCE, 'g');
const WHOLE = new RegExp(`^${PLACEHOLDER_SOURCE}$`);
/** Headers the gateway sets itself: an author's (or a procedure's) response never overrides them. */
const OWNED = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'set-cookie', 'x-request-id', 'location', 'trailer']);

function lookup(vars: Record<string, unknown>, path: string): unknown {
  let current: unknown = vars;
  for (const segment of path.split('.')) {
    if (typeof current !== 'object' || current === null || !Object.prototype.hasOwnProperty.call(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

const asText = (v: unknown): string => (v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v));
const HTML: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Fills `{{ path }}` placeholders in a string; a value that is missing is empty. `escape` is applied to each value. */
export function fillTemplate(template: string, vars: Record<string, unknown>, escape: (text: string) => string = (t) => t): string {
  return template.replace(PLACEHOLDER, (_m, path: string) => escape(asText(lookup(vars, path))));
}

function fillJson(template: JsonBody | undefined, vars: Record<string, unknown>, depth = 0): unknown {
  if (template === undefined || depth > 16) return undefined;
  if (typeof template === 'string') {
    const whole = WHOLE.exec(template);
    if (whole && whole[1] !== undefined) return lookup(vars, whole[1]) ?? null;
    return fillTemplate(template, vars);
  }
  if (Array.isArray(template)) return template.map((t) => fillJson(t as JsonBody, vars, depth + 1));
  if (typeof template === 'object' && template !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(template)) Object.defineProperty(out, k, { value: fillJson(v as JsonBody, vars, depth + 1), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return template;
}

/**
 * A header value Node will send: every character outside tab and printable ASCII (line breaks, other control
 * characters, anything above U+007E such as `€`) percent-encoded as UTF-8, so a value a sender controls can neither
 * split the header nor make `setHeader` throw. At most 4096 characters.
 *
 * @example
 * ```ts
 * headerValue('5 €');     // '5 %E2%82%AC'
 * headerValue('a\r\nb');  // 'a%0D%0Ab'
 * ```
 */
export function headerValue(value: string): string {
  const encoded = value.replace(/[^\t\x20-\x7e]/gu, (c) => {
    try {
      return encodeURIComponent(c);
    } catch {
      return '%EF%BF%BD'; // a lone surrogate: U+FFFD
    }
  });
  // Cut at 4096 without leaving half of a `%XX`.
  return encoded.length <= 4096 ? encoded : encoded.slice(0, 4096).replace(/%[0-9A-F]?$/, '');
}

/**
 * Keeps the headers an answer may carry: names the gateway does not own, values without line breaks, made sendable
 * ({@link headerValue}).
 */
export function safeHeaders(headers: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof headers !== 'object' || headers === null) return out;
  for (const [name, value] of Object.entries(headers as Record<string, unknown>)) {
    const lower = name.toLowerCase();
    // A value with a line break is dropped (a procedure's header is never split or rewritten into two).
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/.test(name) || OWNED.has(lower) || typeof value !== 'string' || /[\r\n\0]/.test(value)) continue;
    out[lower] = headerValue(value);
  }
  return out;
}

/**
 * Renders a declared response with `vars`: placeholders in header values and in the body (markup-escaped in a text
 * body of any type but `text/plain` and JSON, since the values may come from a sender; a text body also gets
 * `X-Content-Type-Options: nosniff` and a sandboxing `Content-Security-Policy` unless declared). A string body is sent as text (its `content-type`
 * header, default `text/plain; charset=utf-8`), anything else as JSON; a 204 has no body.
 *
 * @example
 * ```ts
 * renderResponse({ status: 201, headers: {}, body: { id: '{{workflowId}}' } }, { workflowId: 'w1' });
 * // { status: 201, headers: {}, json: { id: 'w1' } }
 * ```
 */
export function renderResponse(spec: ResponseSpec, vars: Record<string, unknown>): RenderedResponse {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(spec.headers)) headers[k] = headerValue(fillTemplate(v, vars));
  return shapeBody(spec.status, headers, spec.body === undefined ? undefined : typeof spec.body === 'string' ? spec.body : fillJson(spec.body, vars), (t) =>
    fillTemplate(t, vars, needsMarkupEscape(headers['content-type']) ? (s) => s.replace(/[&<>"']/g, (c) => HTML[c] as string) : undefined),
  );
}

/**
 * Whether values filled into a text body of this content type are markup-escaped: for every type but plain text and
 * JSON (HTML, SVG, XML and anything a browser might render), so a sender's value cannot become markup.
 */
function needsMarkupEscape(contentType: string | undefined): boolean {
  if (contentType === undefined) return false; // text/plain, the default
  return !/^\s*(text\/plain|application\/json|application\/[\w.-]+\+json)\s*(;|$)/i.test(contentType);
}

/** Set on every text body unless the answer declares its own: no sniffing, no scripts, no loads, a sandboxed page. */
const RAW_BODY_DEFAULTS: Readonly<Record<string, string>> = { 'x-content-type-options': 'nosniff', 'content-security-policy': "default-src 'none'; sandbox" };

function shapeBody(status: number, headers: Record<string, string>, body: unknown, text: (t: string) => string = (t) => t): RenderedResponse {
  if (status === 204 || body === undefined) {
    const { 'content-type': _dropped, ...rest } = headers;
    return { status, headers: status === 204 ? rest : headers };
  }
  if (typeof body === 'string') {
    const { 'content-type': contentType, ...rest } = headers;
    return { status, headers: { ...RAW_BODY_DEFAULTS, ...rest }, raw: { contentType: contentType ?? 'text/plain; charset=utf-8', text: text(body) } };
  }
  return { status, headers, json: body };
}

/** A procedure's answer (`run.respond`), as it travels from the workflow. */
export interface ProcedureResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

/**
 * A procedure's answer made safe to send: a 2xx or 4xx status (anything else: undefined, the caller answers its
 * fallback), headers the gateway does not own, the body as is (a string as text).
 */
export function procedureResponse(given: unknown): RenderedResponse | undefined {
  if (typeof given !== 'object' || given === null) return undefined;
  const r = given as ProcedureResponse;
  if (!isRespondStatus(r.status)) return undefined;
  return shapeBody(r.status, safeHeaders(r.headers), r.body);
}
