/**
 * The HTTP contract of a callback wait, apart from what the callback does to the run: which methods its URL takes,
 * where its attributes are read (body, query string, headers), and how an accepted callback is answered (the default
 * JSON, a declared `response`, or a `redirect`). Framework-free; used by the callback service.
 */
import { type AttributeCheck, extractAttributes } from '../definitions/attributes';
import { CALLBACK_METHODS_ALL, DEFAULT_CALLBACK_METHODS, type WaitPoint } from '../definitions/wait-point';
import { fillTemplate, type RawBody, renderResponse } from './http-response';

/** Every method some wait may accept: others are refused before the token is read. */
export const ANY_CALLBACK_METHOD: readonly string[] = CALLBACK_METHODS_ALL;

/** The methods a wait's callback URL takes. */
export function waitMethods(wait: Pick<WaitPoint, 'methods'>): readonly string[] {
  return wait.methods ?? DEFAULT_CALLBACK_METHODS;
}

/** Whether a request with this method carries no body to read (a browser's GET). */
export function isBodyless(method: string): boolean {
  return method.toUpperCase() === 'GET';
}

/**
 * The query string's parameters; a parameter given twice is ambiguous: `undefined` (answered 400).
 * @example
 * ```ts
 * queryRecord([['code', 'c1'], ['state', 's1']]); // { code: 'c1', state: 's1' }
 * ```
 */
export function queryRecord(pairs: readonly (readonly [string, string])[] = []): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const [k, v] of pairs) {
    if (Object.prototype.hasOwnProperty.call(out, k)) return undefined;
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Reads a wait's attributes from the request: each from the body, the query string or a header, as declared. */
export function requestAttributes(
  wait: WaitPoint,
  payload: Record<string, unknown>,
  source: 'json' | 'form',
  query: Readonly<Record<string, string>>,
  header: (name: string) => string | undefined,
): AttributeCheck {
  return extractAttributes(wait.attributes, payload, { source, query, header });
}

/** What an accepted (or repeated) callback is answered with, when the wait declares it. */
export interface DeclaredSuccess {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: unknown;
  readonly raw?: RawBody;
}

/**
 * The wait's own success answer (`redirect`: 303 with `Location`; `response`: its status, headers and body), filled
 * with the captured attributes; undefined when it declares neither (the default answer stands).
 */
export function declaredSuccess(wait: WaitPoint, attributes: Readonly<Record<string, unknown>> | undefined): DeclaredSuccess | undefined {
  const vars = attributes ?? {};
  if (wait.redirect !== undefined) {
    // Values are URL-encoded; placeholders sit after the host (checked at definition), so the origin is the author's.
    return { status: 303, headers: { Location: fillTemplate(wait.redirect, vars, encodeURIComponent) } };
  }
  if (wait.response === undefined) return undefined;
  const r = renderResponse(wait.response, vars);
  return { status: r.status, headers: r.headers, ...(r.json !== undefined ? { body: r.json } : {}), ...(r.raw ? { raw: r.raw } : {}) };
}
