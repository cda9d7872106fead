import { redactTokensIn } from '../security/callback-token';

/** A query string after a gateway path (`/callbacks/…?code=…`, `/hooks/…?…`): OAuth codes and the like ride in it. */
const GATEWAY_QUERY = /(\/(?:callbacks|hooks)\/[^\s?"'#\\]*)\?[^\s"'#\\]*/g;

/**
 * Callback tokens cut to their first characters (see `redactTokensIn`), and the query string of any gateway URL
 * replaced by `?[redacted]`, wherever they appear in `text`.
 *
 * @example
 * ```ts
 * redactSensitiveIn('GET /callbacks/hw2.k1.abc?code=secret'); // 'GET /callbacks/hw2.k1.abc?[redacted]'
 * ```
 */
export function redactSensitiveIn(text: string): string {
  const t = redactTokensIn(text);
  return t.includes('?') ? t.replace(GATEWAY_QUERY, '$1?[redacted]') : t;
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * A copy of log fields that is safe to hand to any logger: callback tokens in every string, nested or not, are
 * cut to their first 12 characters; errors become `{ name, message }` (message redacted too); a repeated reference
 * becomes `'[Circular]'`. Values that are neither strings, errors, arrays nor plain objects pass as they are.
 *
 * @example
 * ```ts
 * redactFields({ url: `https://x/callbacks/${token}`, error: new Error('boom') });
 * // { url: 'https://x/callbacks/hw1.k1.abcd…', error: { name: 'Error', message: 'boom' } }
 * ```
 */
export function redactFields(value: unknown, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof value === 'string') return redactSensitiveIn(value);
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Error) return { name: value.name, message: redactSensitiveIn(value.message) };
  if (!Array.isArray(value) && !isPlainObject(value)) return value;
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  const copy = Array.isArray(value)
    ? value.map((v: unknown) => redactFields(v, seen))
    : Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactFields(v, seen)]));
  seen.delete(value);
  return copy;
}
