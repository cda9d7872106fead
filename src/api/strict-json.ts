import { UnsafeNumber } from '../definitions/unsafe-number';

/** Why a body is not acceptable JSON; answered 400 with this message. */
export class StrictJsonError extends Error {}

/** Deeper than any real callback; deep enough is how parser bombs work. */
export const MAX_JSON_DEPTH = 32;

/**
 * A strict JSON parser for callback bodies: refuses duplicate keys, nesting deeper than {@link MAX_JSON_DEPTH} and
 * NUL characters, keeps `__proto__`/`constructor` keys as plain own data, and keeps numbers that a JavaScript number
 * cannot hold exactly as {@link UnsafeNumber}.
 */
export function parseStrictJson(text: string): unknown {
  let i = 0;
  const fail = (what: string): never => {
    throw new StrictJsonError(`${what} at position ${i}`);
  };
  const ws = (): void => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const string = (): string => {
    i++; // opening quote
    let out = '';
    for (;;) {
      if (i >= text.length) fail('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return out;
      }
      if (c < 0x20) fail(c === 0 ? 'NUL character in a string' : 'control character in a string');
      if (c === 0x5c) {
        const e = text[i + 1];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e !== undefined && simple[e] !== undefined) {
          out += simple[e];
          i += 2;
        } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
          const code = parseInt(text.slice(i + 2, i + 6), 16);
          if (code === 0) fail('NUL character in a string');
          out += String.fromCharCode(code);
          i += 6;
        } else fail('bad escape');
      } else {
        out += text[i];
        i++;
      }
    }
  };
  const number = (): number | UnsafeNumber => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) return fail('bad number');
    i += m[0].length;
    const n = Number(m[0]);
    const integral = m[2] === undefined && m[3] === undefined;
    if (!Number.isFinite(n) || (integral && !Number.isSafeInteger(n))) return new UnsafeNumber(m[0]);
    return n;
  };
  const value = (depth: number): unknown => {
    if (depth > MAX_JSON_DEPTH) fail(`nested deeper than ${MAX_JSON_DEPTH} levels`);
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const obj: Record<string, unknown> = {};
      ws();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a key');
        const key = string();
        if (Object.prototype.hasOwnProperty.call(obj, key)) fail(`duplicate key ${JSON.stringify(key.slice(0, 64))}`);
        ws();
        if (text[i] !== ':') fail("expected ':'");
        i++;
        Object.defineProperty(obj, key, { value: value(depth + 1), enumerable: true, writable: true, configurable: true });
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return obj;
        } else fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      i++;
      const arr: unknown[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value(depth + 1));
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return arr;
        } else fail("expected ',' or ']'");
      }
    }
    if (c === '"') return string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return number();
    for (const [word, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    return fail(i >= text.length ? 'unexpected end of input' : 'unexpected character');
  };
  const result = value(0);
  ws();
  if (i !== text.length) fail('unexpected data after the JSON value');
  return result;
}
