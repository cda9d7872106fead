import { parseStrictJson, StrictJsonError } from './strict-json';

/** Why a callback body could not be read; the gateway answers with `status`. */
export class CallbackBodyError extends Error {
  constructor(
    readonly status: 400 | 413 | 415,
    message: string,
  ) {
    super(message);
  }
}

export type CallbackBodyType = 'json' | 'form';
export const ACCEPTED_CONTENT_TYPES = ['application/json', 'application/x-www-form-urlencoded'] as const;
/** As body-parser's `parameterLimit`: more fields than this is an attack, not a callback. */
export const MAX_FORM_FIELDS = 1000;

/** Reads the media type and charset; only JSON and urlencoded forms, in UTF-8, are callbacks. */
export function callbackBodyType(contentType: string | undefined): CallbackBodyType {
  if (!contentType) throw new CallbackBodyError(415, `Content-Type is required: ${ACCEPTED_CONTENT_TYPES.join(' or ')}`);
  const [mediaRaw, ...params] = contentType.split(';');
  const media = (mediaRaw ?? '').trim().toLowerCase();
  for (const p of params) {
    const [k, v] = p.split('=').map((s) => s.trim().toLowerCase());
    if (k === 'charset' && v !== undefined && v.replace(/"/g, '') !== 'utf-8' && v.replace(/"/g, '') !== 'utf8') {
      throw new CallbackBodyError(415, `charset ${v} is not supported; send UTF-8`);
    }
  }
  if (media === 'application/json' || (media.startsWith('application/') && media.endsWith('+json'))) return 'json';
  if (media === 'application/x-www-form-urlencoded') return 'form';
  throw new CallbackBodyError(415, `Content-Type ${media || '(empty)'} is not accepted; send ${ACCEPTED_CONTENT_TYPES.join(' or ')}`);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Parses the raw bytes into a plain object; anything else is a 400 that says what is wrong. */
export function parseCallbackBody(raw: Buffer, type: CallbackBodyType): Record<string, unknown> {
  if (raw.length === 0) throw new CallbackBodyError(400, 'the request body is empty');
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    throw new CallbackBodyError(400, 'the request body is not valid UTF-8');
  }
  if (type === 'form') {
    const params = new URLSearchParams(text);
    const out: Record<string, unknown> = {};
    let count = 0;
    for (const [key, value] of params) {
      if (++count > MAX_FORM_FIELDS) throw new CallbackBodyError(413, `more than ${MAX_FORM_FIELDS} form fields`);
      // A field sent twice is ambiguous: refuse rather than guess. defineProperty keeps __proto__ as plain own data.
      if (Object.prototype.hasOwnProperty.call(out, key)) throw new CallbackBodyError(400, `form field ${JSON.stringify(key.slice(0, 64))} appears more than once`);
      if (key.includes('\0') || value.includes('\0')) throw new CallbackBodyError(400, 'NUL character in a form field');
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  let value: unknown;
  try {
    value = parseStrictJson(text);
  } catch (err) {
    if (err instanceof StrictJsonError) throw new CallbackBodyError(400, `malformed JSON: ${err.message}`);
    throw err;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CallbackBodyError(400, `the JSON body must be an object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`);
  }
  return value as Record<string, unknown>;
}
