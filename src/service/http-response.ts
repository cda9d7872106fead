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

/** Keeps the headers an answer may carry: names the gateway does not own, values without line breaks. */
export function safeHeaders(headers: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof headers !== 'object' || headers === null) return out;
  for (const [name, value] of Object.entries(headers as Record<string, unknown>)) {
    const lower = name.toLowerCase();
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/.test(name) || OWNED.has(lower) || typeof value !== 'string' || /[\r\n\0]/.test(value)) continue;
    out[lower] = value.slice(0, 4096);
  }
  return out;
}

/**
 * Renders a declared response with `vars`: placeholders in header values and in the body (HTML-escaped in a
 * `text/html` body, since the values may come from a sender). A string body is sent as text (its `content-type`
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
  for (const [k, v] of Object.entries(spec.headers)) headers[k] = fillTemplate(v, vars).replace(/[\r\n\0]/g, ' ');
  return shapeBody(spec.status, headers, spec.body === undefined ? undefined : typeof spec.body === 'string' ? spec.body : fillJson(spec.body, vars), (t) =>
    fillTemplate(t, vars, /html/i.test(headers['content-type'] ?? '') ? (s) => s.replace(/[&<>"']/g, (c) => HTML[c] as string) : undefined),
  );
}

function shapeBody(status: number, headers: Record<string, string>, body: unknown, text: (t: string) => string = (t) => t): RenderedResponse {
  if (status === 204 || body === undefined) {
    const { 'content-type': _dropped, ...rest } = headers;
    return { status, headers: status === 204 ? rest : headers };
  }
  if (typeof body === 'string') {
    const { 'content-type': contentType, ...rest } = headers;
    return { status, headers: rest, raw: { contentType: contentType ?? 'text/plain; charset=utf-8', text: text(body) } };
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
