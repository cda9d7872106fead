import { z } from 'zod';
import { DefinitionError } from './definition-error';
import { UnsafeNumber } from './unsafe-number';

/** A captured attribute value. Response attributes are scalars only, as in Intercom's "Wait for Webhook". */
export type Scalar = string | number | boolean;

/** Options for one response attribute. */
export interface AttributeOptions<S extends z.ZodType = z.ZodType> {
  /** How to validate and type the value; default: a scalar string (numbers and booleans are turned into strings). */
  readonly schema?: S;
  /** Dotted path into the payload (`'data.reference.id'`, `'items.0.sku'`); default: the attribute's own name. */
  readonly path?: string;
  /**
   * Longest string value accepted, in characters (default {@link DEFAULT_MAX_STRING_LENGTH}, or the schema's own
   * `z.string().max(n)`, also under `.optional()`, `.nullable()`, `.default()`, `.catch()`, `.readonly()`,
   * `.transform()`/`.pipe()`, but not inside a union or `z.lazy`; at most {@link MAX_STRING_LENGTH_LIMIT}). Every captured value travels in the signal, the run's state and
   * result, and every later connector call: a longer one is refused (`422` naming the field).
   */
  readonly maxLength?: number;
  readonly description?: string;
  /**
   * Where the value is read (default `'body'`): the body (by `path`), the query string (`path` is the parameter's
   * name: OAuth-style `?code=…&state=…` on a GET callback) or a header (`path` is its name, case-insensitive).
   * `authorization`, cookies and the wait's own auth headers can never be captured (a definition error).
   */
  readonly from?: AttributeSource;
}

/** Where an attribute's value is read: see {@link AttributeOptions.from}. */
export type AttributeSource = 'body' | 'query' | 'header';

/** One attribute: a zod schema, or {@link AttributeOptions}. */
export type AttributeDecl = z.ZodType | AttributeOptions;

/** A wait point's response attributes: a list of names (all strings) or a record of declarations. */
export type AttributesDecl = readonly string[] | { readonly [name: string]: AttributeDecl };

/** The value type of one declared attribute. */
export type AttributeValue<D> = D extends z.ZodType
  ? z.output<D>
  : D extends { readonly schema: infer S extends z.ZodType }
    ? z.output<S>
    : string;

/** The typed record of attributes captured for a wait point declared with attributes `A`. */
export type CapturedAttributes<A> = A extends readonly (infer N extends string)[]
  ? { [K in N]: string }
  : { -readonly [K in keyof A]: AttributeValue<A[K]> };

/** An attribute after definition-time checks. */
export interface NormalizedAttribute {
  readonly name: string;
  readonly path: readonly string[];
  readonly schema: z.ZodType;
  /** Longest string accepted, in characters. */
  readonly maxLength: number;
  /** Absent: the body. */
  readonly from?: 'query' | 'header';
}

/** One reason a payload did not fit the declared attributes. */
export interface FieldError {
  /** The attribute's name. */
  readonly field: string;
  /** Where in the payload it was read from, when that differs from the name. */
  readonly path?: string;
  readonly message: string;
}

export type AttributeCheck =
  | {
      readonly ok: true;
      /** The captured values: each schema's output. */
      readonly attributes: Record<string, Scalar | undefined>;
      /**
       * The values each schema accepted, before its own transforms: what travels in a signal, so that the workflow,
       * parsing them with the same schemas, captures exactly `attributes` (a transform applied twice could fail).
       */
      readonly inputs: Record<string, Scalar>;
    }
  | { readonly ok: false; readonly errors: readonly FieldError[] };

/** The longest string an attribute accepts unless it declares `maxLength` (or a zod `.max()`): 1 KiB of characters. */
export const DEFAULT_MAX_STRING_LENGTH = 1024;
/** The largest `maxLength` an attribute may declare (64 Ki characters). */
export const MAX_STRING_LENGTH_LIMIT = 64 * 1024;

/** Options of {@link checkCapturedAttributes}. */
export interface CapturedCheckOptions {
  /**
   * Asked only when a string is over its attribute's `maxLength`: refuse it? Default: yes. The workflow answers
   * through a patch, so runs that accepted such a value before the limit existed replay as they ran.
   */
  readonly enforceMaxLength?: () => boolean;
}

/**
 * The most one wait's attributes may add up to in a signal, in bytes (1.5 MiB, under Temporal's 2 MiB payload limit):
 * a wait whose worst case is over it is a definition error, since Temporal would refuse the signal and the sender would
 * get `503` on every retry. The worst case counts each string attribute's `maxLength` × {@link JSON_ESCAPE_FACTOR}, each
 * number, boolean, enum or literal attribute {@link FIXED_SCALAR_CHARS} (or its longest enum value) ×
 * {@link JSON_ESCAPE_FACTOR}, plus {@link ATTRIBUTE_OVERHEAD_BYTES} for each attribute's name and punctuation.
 */
export const MAX_SIGNAL_ATTRIBUTES_BYTES = 1.5 * 1024 * 1024;
/** The worst case of JSON escaping: a control character or lone surrogate is six bytes (`\u001f`). */
const JSON_ESCAPE_FACTOR = 6;
/** A number or boolean, in characters: JSON's longest number (`-1.7976931348623157e+308`) is 24. */
const FIXED_SCALAR_CHARS = 32;
/** An attribute's name (at most 64 characters), its quotes, colon and comma, with room to spare. */
const ATTRIBUTE_OVERHEAD_BYTES = 128;

/** As in WotNot's Webhook block: at most 50 mapped variables per wait. */
export const MAX_ATTRIBUTES_PER_WAIT = 50;
const MAX_PATH_DEPTH = 32;
const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
// Assigning `__proto__` sets a prototype instead of a field: the one name an attribute cannot have.
const RESERVED = new Set(['__proto__']);
const PATH_SEGMENT = /^[A-Za-z0-9_$-]{1,128}$/;
/** Headers that carry credentials: never an attribute (the wait's own auth headers are refused by the wait). */
export const UNCAPTURABLE_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'webhook-signature']);

const scalarString = z
  .union([z.string(), z.number(), z.boolean()], { error: 'must be a scalar string' })
  .transform((v) => String(v));

function isZodType(value: unknown): value is z.ZodType {
  return typeof value === 'object' && value !== null && typeof (value as { safeParse?: unknown }).safeParse === 'function';
}

/** Zod 4 wrappers whose `unwrap()` returns the one schema they wrap; their own parsing never lengthens a string. */
const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'nonoptional', 'catch', 'readonly']);
const MAX_UNWRAP_DEPTH = 16;

/**
 * A zod schema's own `.max()` for strings, read through the wrappers `.optional()`, `.nullable()`, `.default()`,
 * `.prefault()`, `.nonoptional()`, `.catch()`, `.readonly()`, and through pipes (`.transform()`, `.pipe()`: the larger
 * of the two sides' readable maxima). Anything else (a union, `z.lazy`, a max inside a refinement function) is not
 * read: `undefined`, and the attribute gets the default unless it declares `maxLength`.
 */
function zodMaxLength(schema: z.ZodType, depth = 0): number | undefined {
  if (depth > MAX_UNWRAP_DEPTH) return undefined;
  // A zod string (and its formats: email, url, ...) exposes its `.max()` as `maxLength` (null without one).
  const own = (schema as { maxLength?: unknown }).maxLength;
  if (typeof own === 'number' && Number.isInteger(own) && own > 0) return own;
  const type = (schema as { def?: { type?: unknown } }).def?.type;
  if (typeof type === 'string' && WRAPPERS.has(type)) {
    const inner = (schema as { unwrap?: () => unknown }).unwrap?.();
    return isZodType(inner) ? zodMaxLength(inner, depth + 1) : undefined;
  }
  if (type === 'pipe') {
    const { in: input, out } = schema as { in?: unknown; out?: unknown };
    const sides = [input, out].map((s) => (isZodType(s) ? zodMaxLength(s, depth + 1) : undefined)).filter((m) => m !== undefined);
    return sides.length > 0 ? Math.max(...sides) : undefined;
  }
  return undefined;
}

const FIXED_SIZE_TYPES = new Set(['number', 'int', 'boolean', 'bigint', 'null', 'nan', 'undefined']);

/**
 * The longest value an attribute can carry, in characters, for the size budget: numbers and booleans a fixed size,
 * enums and literals their longest value, everything else (strings, unions with a string, anything unrecognised) its
 * `maxLength`. Never more than `maxLength` for what may be a string, since a longer string is refused.
 */
function worstCaseChars(schema: z.ZodType, maxLength: number, depth = 0): number {
  if (depth > MAX_UNWRAP_DEPTH) return maxLength;
  const def = (schema as { def?: { type?: unknown; values?: unknown; entries?: unknown } }).def;
  const type = def?.type;
  if (typeof type !== 'string') return maxLength;
  if (FIXED_SIZE_TYPES.has(type)) return FIXED_SCALAR_CHARS;
  if (type === 'enum' || type === 'literal') {
    const values = type === 'enum' ? Object.values((def?.entries ?? {}) as object) : Array.isArray(def?.values) ? def.values : [];
    return Math.min(Math.max(FIXED_SCALAR_CHARS, ...values.map((v) => String(v).length)), Math.max(maxLength, FIXED_SCALAR_CHARS));
  }
  if (WRAPPERS.has(type)) {
    const inner = (schema as { unwrap?: () => unknown }).unwrap?.();
    return isZodType(inner) ? worstCaseChars(inner, maxLength, depth + 1) : maxLength;
  }
  if (type === 'union') {
    const options = (schema as { options?: unknown }).options;
    if (!Array.isArray(options) || options.length === 0 || !options.every(isZodType)) return maxLength;
    return Math.max(...options.map((o: z.ZodType) => worstCaseChars(o, maxLength, depth + 1)));
  }
  // Strings, pipes and transforms (whose output may be any string), and anything else: the length check's limit.
  return maxLength;
}

export function normalizeAttributes(decl: AttributesDecl, field: string): NormalizedAttribute[] {
  const entries: [string, AttributeDecl | undefined][] = Array.isArray(decl)
    ? (decl as readonly string[]).map((name) => [name, undefined])
    : Object.entries(decl as Record<string, AttributeDecl>);
  if (entries.length === 0) throw new DefinitionError(field, 'declare at least one response attribute');
  if (entries.length > MAX_ATTRIBUTES_PER_WAIT) {
    throw new DefinitionError(field, `at most ${MAX_ATTRIBUTES_PER_WAIT} attributes per wait, got ${entries.length}`);
  }
  const seen = new Set<string>();
  const normalized = entries.map(([name, d]): NormalizedAttribute => {
    const f = `${field}.${name}`;
    if (typeof name !== 'string' || !NAME.test(name) || RESERVED.has(name)) {
      throw new DefinitionError(f, 'attribute names are 1-64 letters, digits or underscores, not starting with a digit, and not __proto__');
    }
    if (seen.has(name)) throw new DefinitionError(f, 'declared twice');
    seen.add(name);
    let schema: z.ZodType = scalarString;
    let pathText: string = name;
    let maxLength: number | undefined;
    let from: 'query' | 'header' | undefined;
    if (isZodType(d)) schema = d;
    else if (d !== undefined) {
      if (typeof d !== 'object' || d === null) throw new DefinitionError(f, 'must be a zod schema or { schema?, path?, maxLength? }');
      if (d.schema !== undefined) {
        if (!isZodType(d.schema)) throw new DefinitionError(`${f}.schema`, 'must be a zod schema');
        schema = d.schema;
      }
      if (d.path !== undefined) pathText = d.path;
      if (d.maxLength !== undefined) {
        if (!Number.isInteger(d.maxLength) || d.maxLength < 1 || d.maxLength > MAX_STRING_LENGTH_LIMIT) {
          throw new DefinitionError(`${f}.maxLength`, `must be a whole number from 1 to ${MAX_STRING_LENGTH_LIMIT}, got ${String(d.maxLength)}`);
        }
        maxLength = d.maxLength;
      }
      if (d.from !== undefined && d.from !== 'body') {
        if (d.from !== 'query' && d.from !== 'header') throw new DefinitionError(`${f}.from`, `must be 'body', 'query' or 'header', got ${JSON.stringify(d.from)}`);
        from = d.from;
      }
    }
    // A zod string's own `.max()` is honoured (up to the limit) when no maxLength is declared, also under wrappers.
    const zodMax = zodMaxLength(schema);
    maxLength ??= zodMax !== undefined ? Math.min(zodMax, MAX_STRING_LENGTH_LIMIT) : DEFAULT_MAX_STRING_LENGTH;
    if (from !== undefined) {
      // A query parameter or header is one name, read as it is (a header case-insensitively).
      if (!/^[A-Za-z0-9_.$-]{1,128}$/.test(pathText) || pathText === '__proto__') throw new DefinitionError(`${f}.path`, `must be a ${from === 'query' ? 'query parameter' : 'header'} name, got ${JSON.stringify(pathText)}`);
      if (from === 'header' && UNCAPTURABLE_HEADERS.has(pathText.toLowerCase())) throw new DefinitionError(`${f}.path`, `header ${pathText.toLowerCase()} carries credentials and can never be captured`);
      return { name, path: [from === 'header' ? pathText.toLowerCase() : pathText], schema, maxLength, from };
    }
    const path = pathText.split('.');
    if (path.length > MAX_PATH_DEPTH || !path.every((s) => PATH_SEGMENT.test(s) && s !== '__proto__')) {
      throw new DefinitionError(`${f}.path`, `must be a dotted path of plain segments, got ${JSON.stringify(pathText)}`);
    }
    return { name, path, schema, maxLength };
  });
  // Several attributes may read the same path, so a small body can become a huge signal: bound the worst case.
  const worstCase = normalized.reduce(
    (sum, a) => sum + worstCaseChars(a.schema, a.maxLength) * JSON_ESCAPE_FACTOR + ATTRIBUTE_OVERHEAD_BYTES,
    0,
  );
  if (worstCase > MAX_SIGNAL_ATTRIBUTES_BYTES) {
    const n = (x: number): string => x.toLocaleString('en-US');
    throw new DefinitionError(
      field,
      `these attributes may need up to ${n(worstCase)} bytes in one signal (each string's maxLength × ${JSON_ESCAPE_FACTOR} for JSON ` +
        `escaping, + ${ATTRIBUTE_OVERHEAD_BYTES} per attribute), over the budget of ${n(MAX_SIGNAL_ATTRIBUTES_BYTES)} bytes ` +
        '(1.5 MiB): lower their maxLength or declare fewer long attributes',
    );
  }
  return normalized;
}

function readPath(payload: unknown, path: readonly string[]): unknown {
  let current: unknown = payload;
  for (const segment of path) {
    if (Array.isArray(current)) {
      if (!/^\d+$/.test(segment)) return undefined;
      current = current[Number(segment)];
    } else if (typeof current === 'object' && current !== null && Object.prototype.hasOwnProperty.call(current, segment)) {
      current = (current as Record<string, unknown>)[segment];
    } else {
      return undefined;
    }
  }
  return current;
}

function isScalar(v: unknown): v is Scalar {
  return typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

/** Form bodies carry only strings: a typed attribute gets one chance with the string read as a number or boolean. */
function fromFormString(v: string): unknown {
  if (v === 'true') return true;
  if (v === 'false') return false;
  if (v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

function tooLong(attribute: NormalizedAttribute, values: readonly unknown[], enforce: () => boolean): string | undefined {
  const max = attribute.maxLength;
  const longest = Math.max(...values.map((v) => (typeof v === 'string' ? v.length : 0)));
  return longest > max && enforce() ? `must be at most ${max} characters, got ${longest}` : undefined;
}

const always = (): boolean => true;

function checkOne(
  attribute: NormalizedAttribute,
  rawIn: unknown,
  form: boolean,
  enforce: () => boolean,
): { value?: Scalar | undefined; input?: Scalar; error?: string } {
  let raw = rawIn;
  // Before any parsing: a huge string costs no schema work.
  const rawTooLong = tooLong(attribute, [raw], enforce);
  if (rawTooLong !== undefined) return { error: rawTooLong };
  if (raw instanceof UnsafeNumber) {
    // Exact digits are fine as a string; as a number they would silently change.
    if (attribute.schema.safeParse(raw.text).success) raw = raw.text;
    else return { error: `is a number (${raw.text.slice(0, 40)}) beyond ±2^53 that cannot be kept exactly; send it as a string` };
  }
  if (raw !== undefined && raw !== null && typeof raw === 'object') {
    return { error: `must be a scalar (string, number or boolean), got ${Array.isArray(raw) ? 'an array' : 'an object'}` };
  }
  let input: unknown = raw;
  let result = attribute.schema.safeParse(raw);
  if (!result.success && form && typeof raw === 'string') {
    const converted = fromFormString(raw);
    if (converted !== undefined) {
      result = attribute.schema.safeParse(converted);
      input = converted;
    }
  }
  if (!result.success) {
    if (raw === undefined) return { error: 'is required' };
    return { error: result.error.issues.map((i) => i.message).join('; ') || 'is invalid' };
  }
  const value: unknown = result.data;
  if (value === undefined || value === null) return { value: undefined };
  if (!isScalar(value)) return { error: 'must be a scalar (string, number or boolean)' };
  // What travels (the input) and what is kept (the schema's output, which a transform may have lengthened).
  const long = tooLong(attribute, [input, value], enforce);
  if (long !== undefined) return { error: long };
  return isScalar(input) ? { value, input } : { value };
}

function collect(
  attributes: readonly NormalizedAttribute[],
  read: (a: NormalizedAttribute) => unknown,
  form: boolean | ((a: NormalizedAttribute) => boolean),
  withPath: boolean,
  enforce: () => boolean = always,
): AttributeCheck {
  const out: Record<string, Scalar | undefined> = {};
  const inputs: Record<string, Scalar> = {};
  const errors: FieldError[] = [];
  for (const a of attributes) {
    const { value, input, error } = checkOne(a, read(a), typeof form === 'function' ? form(a) : form, enforce);
    if (error !== undefined) {
      const path = a.path.join('.');
      errors.push(withPath && path !== a.name ? { field: a.name, path, message: error } : { field: a.name, message: error });
    } else if (value !== undefined) {
      out[a.name] = value;
      if (input !== undefined) inputs[a.name] = input;
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, attributes: out, inputs };
}

/**
 * Reads the declared attributes out of a sender's payload (by each attribute's path) and validates them.
 * Everything not declared is dropped, so it never reaches workflow history.
 */
export function extractAttributes(
  attributes: readonly NormalizedAttribute[],
  payload: unknown,
  options: {
    readonly source: 'json' | 'form';
    /** The query string's parameters, for attributes read `from: 'query'` (strings, read like form fields). */
    readonly query?: Readonly<Record<string, string>>;
    /** The request's headers by lower-case name, for attributes read `from: 'header'`. */
    readonly header?: (name: string) => string | undefined;
  } = { source: 'json' },
): AttributeCheck {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return { ok: false, errors: [{ field: '(body)', message: 'must be a JSON object or a form' }] };
  }
  const form = options.source === 'form';
  const record = payload as Record<string, unknown>;
  const query = options.query ?? {};
  // Form fields are flat: a dotted path may be a field's whole name (`data.reference.id=…`).
  const read = (a: NormalizedAttribute): unknown => {
    const flat = a.path.join('.');
    if (a.from === 'query') return Object.prototype.hasOwnProperty.call(query, flat) ? query[flat] : undefined;
    if (a.from === 'header') return options.header?.(flat);
    if (form && Object.prototype.hasOwnProperty.call(record, flat)) return record[flat];
    return readPath(payload, a.path);
  };
  // Query parameters and headers are text, as form fields are: a typed attribute may read them as a number or boolean.
  return collect(attributes, read, (a) => form || a.from !== undefined, true);
}

/**
 * Validates attributes that are already keyed by name (a signal, an operator's completion), with the same checks as
 * {@link extractAttributes}, the length limits included.
 */
export function checkCapturedAttributes(attributes: readonly NormalizedAttribute[], captured: unknown, options: CapturedCheckOptions = {}): AttributeCheck {
  if (typeof captured !== 'object' || captured === null || Array.isArray(captured)) {
    return { ok: false, errors: [{ field: '(attributes)', message: 'must be an object' }] };
  }
  const record = captured as Record<string, unknown>;
  return collect(
    attributes,
    (a) => (Object.prototype.hasOwnProperty.call(record, a.name) ? record[a.name] : undefined),
    false,
    false,
    options.enforceMaxLength ?? always,
  );
}
