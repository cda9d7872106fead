import { definitionError } from '../helpers/definitions';
import { z } from 'zod';
import {
  type AttributeCheck,
  checkCapturedAttributes,
  DEFAULT_MAX_STRING_LENGTH,
  extractAttributes,
  MAX_ATTRIBUTES_PER_WAIT,
  MAX_SIGNAL_ATTRIBUTES_BYTES,
  MAX_STRING_LENGTH_LIMIT,
  normalizeAttributes,
} from '../../src/definitions/attributes';
import { UnsafeNumber } from '../../src/definitions/unsafe-number';

function ok(r: AttributeCheck): Record<string, unknown> {
  if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify(r.errors)}`);
  return r.attributes;
}
function errors(r: AttributeCheck) {
  if (r.ok) throw new Error(`expected errors, got ${JSON.stringify(r.attributes)}`);
  return r.errors;
}

describe('normalizeAttributes', () => {
  test('a list of names: string attributes read from the same-named field', () => {
    const a = normalizeAttributes(['status', 'reference'], 'waits.w.attributes');
    expect(a.map((x) => [x.name, x.path])).toEqual([
      ['status', ['status']],
      ['reference', ['reference']],
    ]);
    expect(a[0]?.schema.safeParse(1)).toMatchObject({ success: true, data: '1' });
  });

  test('a record: zod schemas, { schema, path } options and {} (string at its own name)', () => {
    const n = z.number();
    const a = normalizeAttributes({ score: n, ref: { path: 'data.reference.id' }, flag: { schema: z.boolean(), path: 'f' }, plain: {} }, 'f');
    expect(a).toEqual([
      { name: 'score', path: ['score'], schema: n, maxLength: 1024 },
      { name: 'ref', path: ['data', 'reference', 'id'], schema: expect.anything(), maxLength: 1024 },
      { name: 'flag', path: ['f'], schema: expect.anything(), maxLength: 1024 },
      { name: 'plain', path: ['plain'], schema: expect.anything(), maxLength: 1024 },
    ]);
  });

  test('none declared is refused', () => {
    expect(definitionError(() => normalizeAttributes([], 'waits.w.attributes')).field).toBe('waits.w.attributes');
    expect(definitionError(() => normalizeAttributes({}, 'waits.w.attributes')).message).toContain('at least one');
  });

  test('exactly 50 are accepted; 51 (list or record) are refused', () => {
    const names = (n: number) => Array.from({ length: n }, (_, i) => `a${i}`);
    expect(MAX_ATTRIBUTES_PER_WAIT).toBe(50);
    expect(normalizeAttributes(names(50), 'f')).toHaveLength(50);
    const e1 = definitionError(() => normalizeAttributes(names(51), 'waits.w.attributes'));
    expect(e1.field).toBe('waits.w.attributes');
    expect(e1.message).toContain('at most 50');
    const e2 = definitionError(() => normalizeAttributes(Object.fromEntries(names(200).map((n) => [n, {}])), 'waits.w.attributes'));
    expect(e2.message).toContain('got 200');
  });

  test.each(['1abc', 'has-dash', 'has space', 'a.b', '', 'é', 'a'.repeat(65), 'x$'])('attribute name %j is refused, naming it', (name) => {
    const err = definitionError(() => normalizeAttributes([name], 'waits.w.attributes'));
    expect(err.field).toBe(`waits.w.attributes.${name}`);
    expect(err.message).toContain('letters, digits or underscores');
  });

  test.each(['_private', 'A1', 'a'.repeat(64), 'snake_case'])('attribute name %j is accepted', (name) => {
    expect(normalizeAttributes([name], 'f')[0]?.name).toBe(name);
  });

  test('a name declared twice (list form) is refused', () => {
    const err = definitionError(() => normalizeAttributes(['a', 'b', 'a'], 'waits.w.attributes'));
    expect(err.field).toBe('waits.w.attributes.a');
    expect(err.message).toContain('declared twice');
  });

  test.each([
    '__proto__',
    'a.__proto__',
    'a.__proto__.b',
    'a..b',
    '.a',
    'a.',
    'a b',
    'a/b',
    'a[0]',
    'x'.repeat(129),
    Array.from({ length: 33 }, () => 'a').join('.'),
  ])('path %j is refused, naming the path field', (path) => {
    const err = definitionError(() => normalizeAttributes({ x: { path } }, 'waits.w.attributes'));
    expect(err.field).toBe('waits.w.attributes.x.path');
    expect(err.message).toContain(JSON.stringify(path));
  });

  test.each(['items.0.sku', 'data.reference.id', 'a-b.$c', Array.from({ length: 32 }, () => 'a').join('.'), 'constructor'])(
    'path %j is accepted',
    (path) => {
      expect(normalizeAttributes({ x: { path } }, 'f')[0]?.path).toEqual(path.split('.'));
    },
  );

  test('a declaration that is neither a zod schema nor options is refused', () => {
    expect(definitionError(() => normalizeAttributes({ x: 'string' as never }, 'f')).field).toBe('f.x');
    expect(definitionError(() => normalizeAttributes({ x: 5 as never }, 'f')).field).toBe('f.x');
    expect(definitionError(() => normalizeAttributes({ x: { schema: 'number' } as never }, 'f')).field).toBe('f.x.schema');
  });
});

describe('extractAttributes: JSON payloads', () => {
  test('string attributes (the default): strings kept, numbers and booleans turned into strings', () => {
    const a = normalizeAttributes(['s', 'n', 'b', 'f'], 't');
    expect(ok(extractAttributes(a, { s: 'x', n: 42, b: false, f: 1.5 }))).toEqual({ s: 'x', n: '42', b: 'false', f: '1.5' });
  });

  test('string attributes refuse null', () => {
    const a = normalizeAttributes(['s'], 't');
    expect(errors(extractAttributes(a, { s: null }))).toEqual([{ field: 's', message: 'must be a scalar string' }]);
  });

  test('zod typed numbers, booleans and enums keep their types', () => {
    const a = normalizeAttributes({ score: z.number(), passed: z.boolean(), status: z.enum(['ok', 'failed']), count: { schema: z.number().int() } }, 't');
    const out = ok(extractAttributes(a, { score: 0.5, passed: true, status: 'failed', count: 3 }));
    expect(out).toEqual({ score: 0.5, passed: true, status: 'failed', count: 3 });
    expect(typeof out.score).toBe('number');
    expect(typeof out.passed).toBe('boolean');
  });

  test('typed attributes in JSON get no string coercion', () => {
    const a = normalizeAttributes({ score: z.number(), passed: z.boolean() }, 't');
    const e = errors(extractAttributes(a, { score: '42', passed: 'true' }));
    expect(e.map((x) => x.field)).toEqual(['score', 'passed']);
  });

  test('an enum value outside the enum is an error naming the field', () => {
    const a = normalizeAttributes({ status: z.enum(['ok', 'failed']) }, 't');
    const [e] = errors(extractAttributes(a, { status: 'maybe' }));
    expect(e?.field).toBe('status');
    expect(e?.message).not.toBe('');
    expect(e?.message).not.toBe('is required');
  });

  test('nested path a.b.c and array index path items.0.sku', () => {
    const a = normalizeAttributes({ deep: { path: 'a.b.c' }, sku: { path: 'items.0.sku' }, second: { path: 'items.1.sku' } }, 't');
    const payload = { a: { b: { c: 'C' } }, items: [{ sku: 'S0' }, { sku: 'S1' }] };
    expect(ok(extractAttributes(a, payload))).toEqual({ deep: 'C', sku: 'S0', second: 'S1' });
  });

  test('an index into an array: out of range is missing; a non-index segment on an array is missing', () => {
    const a = normalizeAttributes({ sku: { path: 'items.5.sku' } }, 't');
    expect(errors(extractAttributes(a, { items: [{ sku: 'x' }] }))).toEqual([{ field: 'sku', path: 'items.5.sku', message: 'is required' }]);
    const b = normalizeAttributes({ len: { path: 'items.length', schema: z.number() } }, 't');
    expect(errors(extractAttributes(b, { items: [1, 2, 3] }))[0]?.message).toBe('is required');
  });

  test('a path through a scalar is missing', () => {
    const a = normalizeAttributes({ x: { path: 'name.length' } }, 't');
    expect(errors(extractAttributes(a, { name: 'abc' }))[0]?.message).toBe('is required');
  });

  test('fields not declared are dropped: the output has only declared keys', () => {
    const a = normalizeAttributes({ status: {}, ref: { path: 'data.id' } }, 't');
    const out = ok(extractAttributes(a, { status: 'ok', data: { id: 'r', secret: 's' }, password: 'p', extra: [1, 2] }));
    expect(Object.keys(out).sort()).toEqual(['ref', 'status']);
    expect(out).toEqual({ status: 'ok', ref: 'r' });
  });

  test('object and array values where a scalar is declared: an error naming the field (and the path)', () => {
    const a = normalizeAttributes({ obj: {}, arr: z.string(), nested: { path: 'd.v' } }, 't');
    const e = errors(extractAttributes(a, { obj: { a: 1 }, arr: ['x'], d: { v: { w: 1 } } }));
    expect(e).toEqual([
      { field: 'obj', message: expect.stringMatching(/must be a scalar.*got an object/) },
      { field: 'arr', message: expect.stringMatching(/must be a scalar.*got an array/) },
      { field: 'nested', path: 'd.v', message: expect.stringMatching(/got an object/) },
    ]);
  });

  test('a missing required field is "is required"; the path is given only when it differs from the name', () => {
    const a = normalizeAttributes({ status: {}, ref: { path: 'data.id' } }, 't');
    expect(errors(extractAttributes(a, {}))).toEqual([
      { field: 'status', message: 'is required' },
      { field: 'ref', path: 'data.id', message: 'is required' },
    ]);
  });

  test('errors for every bad field, not just the first; a partial success is not returned', () => {
    const a = normalizeAttributes({ a: {}, b: z.number(), c: {} }, 't');
    const r = extractAttributes(a, { a: 'fine', b: 'nope' });
    expect(r.ok).toBe(false);
    expect(errors(r).map((e) => e.field)).toEqual(['b', 'c']);
    expect(r).not.toHaveProperty('attributes');
  });

  test('optional attributes may be absent and are then left out', () => {
    const a = normalizeAttributes({ note: z.string().optional(), status: {} }, 't');
    const out = ok(extractAttributes(a, { status: 'ok' }));
    expect(out).toEqual({ status: 'ok' });
    expect(Object.prototype.hasOwnProperty.call(out, 'note')).toBe(false);
  });

  test('a schema whose output is not a scalar is refused', () => {
    const a = normalizeAttributes({ x: z.string().transform((s) => ({ s })) }, 't');
    expect(errors(extractAttributes(a, { x: 'v' }))[0]).toMatchObject({ field: 'x', message: expect.stringContaining('scalar') });
  });

  test('non-finite numbers are not scalars even if a schema lets them through', () => {
    const a = normalizeAttributes({ x: z.any().transform(() => Number.POSITIVE_INFINITY) }, 't');
    expect(errors(extractAttributes(a, { x: 1 }))[0]?.field).toBe('x');
  });

  test('numbers past 2^53 (UnsafeNumber): exact digits for strings, an error for numbers', () => {
    const a = normalizeAttributes({ id: {}, amount: z.number() }, 't');
    const big = new UnsafeNumber('12345678901234567890');
    const r = extractAttributes(a, { id: big, amount: big });
    const e = errors(r);
    expect(e).toEqual([{ field: 'amount', message: expect.stringContaining('12345678901234567890') }]);
    expect(ok(extractAttributes(a, { id: big, amount: 1 }))).toEqual({ id: '12345678901234567890', amount: 1 });
  });

  test.each([[[1, 2]], ['text'], [null], [undefined], [42]])('a payload that is not an object (%p) is refused as (body)', (payload) => {
    const a = normalizeAttributes(['x'], 't');
    expect(errors(extractAttributes(a, payload))).toEqual([{ field: '(body)', message: expect.any(String) }]);
  });

  test('flat dotted keys are not read from JSON payloads', () => {
    const a = normalizeAttributes({ id: { path: 'data.id' } }, 't');
    expect(errors(extractAttributes(a, { 'data.id': 'x' }))[0]?.message).toBe('is required');
  });
});

describe('extractAttributes: form payloads', () => {
  const form = { source: 'form' } as const;

  test('typed attributes coerce "42" and "true"/"false"', () => {
    const a = normalizeAttributes({ n: z.number(), t: z.boolean(), f: z.boolean(), neg: z.number() }, 't');
    expect(ok(extractAttributes(a, { n: '42', t: 'true', f: 'false', neg: '-3.25' }, form))).toEqual({ n: 42, t: true, f: false, neg: -3.25 });
  });

  test('string attributes keep the string as sent', () => {
    const a = normalizeAttributes({ s: {}, z: z.string() }, 't');
    expect(ok(extractAttributes(a, { s: '42', z: 'true' }, form))).toEqual({ s: '42', z: 'true' });
  });

  test('strings that are not numbers or booleans are still refused for typed attributes', () => {
    const a = normalizeAttributes({ n: z.number(), b: z.boolean(), blank: z.number() }, 't');
    const e = errors(extractAttributes(a, { n: 'forty-two', b: 'yes', blank: '  ' }, form));
    expect(e.map((x) => x.field)).toEqual(['n', 'b', 'blank']);
  });

  test('an enum of strings does not get a number', () => {
    const a = normalizeAttributes({ status: z.enum(['ok', 'failed']) }, 't');
    expect(ok(extractAttributes(a, { status: 'ok' }, form))).toEqual({ status: 'ok' });
    expect(errors(extractAttributes(a, { status: '1' }, form))[0]?.field).toBe('status');
  });

  test("flat dotted keys: {'data.id': 'x'} reaches path 'data.id'", () => {
    const a = normalizeAttributes({ id: { path: 'data.id' }, sku: { path: 'items.0.sku' } }, 't');
    expect(ok(extractAttributes(a, { 'data.id': 'x', 'items.0.sku': 'S' }, form))).toEqual({ id: 'x', sku: 'S' });
  });

  test('a flat key wins over a nested value in forms', () => {
    const a = normalizeAttributes({ id: { path: 'data.id' } }, 't');
    expect(ok(extractAttributes(a, { 'data.id': 'flat', data: { id: 'nested' } }, form))).toEqual({ id: 'flat' });
  });

  test('missing form fields are required', () => {
    const a = normalizeAttributes({ id: { path: 'data.id' } }, 't');
    expect(errors(extractAttributes(a, { other: 'x' }, form))).toEqual([{ field: 'id', path: 'data.id', message: 'is required' }]);
  });
});

describe('extractAttributes: prototype safety', () => {
  test('__proto__ in a JSON.parse payload does not pollute Object.prototype', () => {
    const a = normalizeAttributes({ x: {}, y: { path: 'polluted' } }, 't');
    const payload = JSON.parse('{"__proto__":{"polluted":1},"x":"v"}') as unknown;
    const r = extractAttributes(a, payload);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(errors(r)).toEqual([{ field: 'y', path: 'polluted', message: 'is required' }]);
  });

  test('constructor.prototype in a payload does not pollute', () => {
    const a = normalizeAttributes({ c: { path: 'constructor' }, p: { path: 'constructor.prototype.polluted' } }, 't');
    const payload = JSON.parse('{"constructor":{"prototype":{"polluted":"yes"}}}') as unknown;
    const r = extractAttributes(a, payload);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    // Own data is read as plain data, never the function Object.
    expect(errors(r)[0]).toMatchObject({ field: 'c', message: expect.stringContaining('object') });
  });

  test('inherited properties are not read: constructor, toString, hasOwnProperty on a plain payload', () => {
    const a = normalizeAttributes({ c: { path: 'constructor' }, t: { path: 'toString' }, h: { path: 'hasOwnProperty' } }, 't');
    expect(errors(extractAttributes(a, {})).map((e) => e.message)).toEqual(['is required', 'is required', 'is required']);
    expect(errors(extractAttributes(a, {}, { source: 'form' })).map((e) => e.message)).toEqual(['is required', 'is required', 'is required']);
  });

  test('an own "constructor" string field is read like any other', () => {
    const a = normalizeAttributes(['constructor'], 't');
    const out = ok(extractAttributes(a, JSON.parse('{"constructor":"c"}')));
    expect(out.constructor).toBe('c');
    expect(Object.keys(out)).toEqual(['constructor']);
  });

  test('form-style own __proto__ data is not read through a nested path and pollutes nothing', () => {
    const payload: Record<string, unknown> = {};
    Object.defineProperty(payload, '__proto__', { value: 'evil', enumerable: true, writable: true, configurable: true });
    const a = normalizeAttributes({ p: { path: 'polluted' } }, 't');
    expect(errors(extractAttributes(a, payload, { source: 'form' }))[0]?.message).toBe('is required');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('checkCapturedAttributes', () => {
  const a = normalizeAttributes({ status: z.enum(['ok', 'failed']), ref: { path: 'data.reference.id' }, score: z.number().optional() }, 't');

  test('attributes keyed by name (not by path) are validated and extras dropped', () => {
    expect(ok(checkCapturedAttributes(a, { status: 'ok', ref: 'r-1', score: 2, extra: 'x' }))).toEqual({ status: 'ok', ref: 'r-1', score: 2 });
  });

  test('a nested payload is not read by path', () => {
    const e = errors(checkCapturedAttributes(a, { status: 'ok', data: { reference: { id: 'r' } } }));
    expect(e).toEqual([{ field: 'ref', message: 'is required' }]);
  });

  test('errors carry no path', () => {
    const e = errors(checkCapturedAttributes(a, { status: 'nope', ref: { x: 1 } }));
    expect(e.map((x) => x.field)).toEqual(['status', 'ref']);
    for (const x of e) expect(x).not.toHaveProperty('path');
  });

  test('no form coercion: "2" is not a number here', () => {
    expect(errors(checkCapturedAttributes(a, { status: 'ok', ref: 'r', score: '2' }))[0]?.field).toBe('score');
  });

  test('numbers and booleans become strings for string attributes', () => {
    expect(ok(checkCapturedAttributes(normalizeAttributes(['x', 'y'], 't'), { x: 1, y: true }))).toEqual({ x: '1', y: 'true' });
  });

  test.each([[null], [[]], ['s'], [undefined]])('%p is refused as (attributes)', (captured) => {
    expect(errors(checkCapturedAttributes(a, captured))).toEqual([{ field: '(attributes)', message: 'must be an object' }]);
  });

  test('inherited names are not read; __proto__ in captured data pollutes nothing', () => {
    const b = normalizeAttributes(['toString'], 't');
    expect(errors(checkCapturedAttributes(b, {}))[0]?.message).toBe('is required');
    checkCapturedAttributes(a, JSON.parse('{"__proto__":{"polluted":1},"status":"ok","ref":"r"}'));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('string length limits', () => {
  const big = 'x'.repeat(256 * 1024);

  test('a string over 1 KiB is refused, naming the field (JSON, form, and in the workflow, by the same check)', () => {
    expect(DEFAULT_MAX_STRING_LENGTH).toBe(1024);
    const a = normalizeAttributes({ note: {}, ref: { path: 'data.ref' }, code: z.string() }, 't');
    expect(ok(extractAttributes(a, { note: 'x'.repeat(1024), data: { ref: 'r' }, code: 'c' }))).toMatchObject({ note: 'x'.repeat(1024) });
    expect(errors(extractAttributes(a, { note: big, data: { ref: 'x'.repeat(1025) }, code: big }))).toEqual([
      { field: 'note', message: `must be at most 1024 characters, got ${big.length}` },
      { field: 'ref', path: 'data.ref', message: 'must be at most 1024 characters, got 1025' },
      { field: 'code', message: `must be at most 1024 characters, got ${big.length}` },
    ]);
    expect(errors(extractAttributes(a, { note: big, 'data.ref': 'r', code: 'c' }, { source: 'form' }))).toEqual([{ field: 'note', message: `must be at most 1024 characters, got ${big.length}` }]);
    expect(errors(checkCapturedAttributes(a, { note: big, ref: 'r', code: 'c' }))).toEqual([{ field: 'note', message: `must be at most 1024 characters, got ${big.length}` }]);
  });

  test('a schema that lengthens a value is checked on what it keeps, too', () => {
    const a = normalizeAttributes({ s: z.string().transform((v) => v.repeat(100)) }, 't');
    expect(errors(extractAttributes(a, { s: 'abcdefghijk' }))).toEqual([{ field: 's', message: 'must be at most 1024 characters, got 1100' }]);
  });

  test('maxLength per attribute, or a zod .max(), sets the limit', () => {
    const a = normalizeAttributes({ long: { maxLength: 4096 }, short: { schema: z.string(), maxLength: 3 }, zmax: z.string().max(2000) }, 't');
    expect(a.map((x) => x.maxLength)).toEqual([4096, 3, 2000]);
    expect(ok(extractAttributes(a, { long: 'x'.repeat(4096), short: 'abc', zmax: 'x'.repeat(2000) }))).toMatchObject({ short: 'abc' });
    expect(errors(extractAttributes(a, { long: 'x'.repeat(4097), short: 'abcd', zmax: 'x'.repeat(2001) })).map((e) => e.field)).toEqual(['long', 'short', 'zmax']);
    expect(normalizeAttributes({ z: z.string().max(10 ** 7) }, 't')[0]?.maxLength).toBe(MAX_STRING_LENGTH_LIMIT);
  });

  test.each([
    ['.optional()', z.string().max(5000).optional()],
    ['.nullable()', z.string().max(5000).nullable()],
    [".default('x')", z.string().max(5000).default('x')],
    ['.transform(...)', z.string().max(5000).transform((v) => v.toUpperCase())],
    ['.catch(...).readonly()', z.string().max(5000).catch('x').readonly()],
    ['.pipe(z.string())', z.string().max(5000).pipe(z.string())],
    ['.optional().nullable().default(...)', z.string().max(5000).optional().nullable().default('x')],
  ])('a zod .max() under %s still sets the limit', (_, schema) => {
    const a = normalizeAttributes({ s: schema }, 't');
    expect(a[0]?.maxLength).toBe(5000);
    const value = 'x'.repeat(3000);
    expect(ok(extractAttributes(a, { s: value })).s).toHaveLength(3000);
    expect(ok(checkCapturedAttributes(a, { s: value })).s).toHaveLength(3000);
    expect(errors(extractAttributes(a, { s: 'x'.repeat(5001) }))[0]?.field).toBe('s');
  });

  test('a pipe takes the larger readable .max() of its two sides; an unreadable one falls back to the default', () => {
    expect(normalizeAttributes({ s: z.string().transform((v) => v.trim()).pipe(z.string().max(3000)) }, 't')[0]?.maxLength).toBe(3000);
    expect(normalizeAttributes({ s: z.string().max(100).transform((v) => v.repeat(30)).pipe(z.string().max(3000)) }, 't')[0]?.maxLength).toBe(3000);
    // A union's max is not read: declare maxLength on the attribute instead.
    expect(normalizeAttributes({ s: z.union([z.string().max(5000), z.number()]) }, 't')[0]?.maxLength).toBe(DEFAULT_MAX_STRING_LENGTH);
    expect(normalizeAttributes({ s: z.string().optional() }, 't')[0]?.maxLength).toBe(DEFAULT_MAX_STRING_LENGTH);
    expect(normalizeAttributes({ s: { schema: z.string().max(5000).optional(), maxLength: 10 } }, 't')[0]?.maxLength).toBe(10);
    expect(normalizeAttributes({ s: z.string().max(10 ** 7).optional() }, 't')[0]?.maxLength).toBe(MAX_STRING_LENGTH_LIMIT);
  });

  test.each([0, -1, 1.5, MAX_STRING_LENGTH_LIMIT + 1, '10' as never])('maxLength %p is a definition error', (maxLength) => {
    expect(definitionError(() => normalizeAttributes({ x: { maxLength } }, 'waits.w.attributes')).field).toBe('waits.w.attributes.x.maxLength');
  });

  describe('the size budget of one signal', () => {
    const many = (n: number, decl: () => object, prefix = 'a') => Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, decl()]));

    test('50 attributes of 65,536 characters on one path (a 19.6 MB signal) are a definition error naming the attributes', () => {
      const err = definitionError(() => normalizeAttributes(many(MAX_ATTRIBUTES_PER_WAIT, () => ({ path: 'note', maxLength: MAX_STRING_LENGTH_LIMIT })), 'waits.w.attributes'));
      expect(err.field).toBe('waits.w.attributes');
      const sum = MAX_ATTRIBUTES_PER_WAIT * (MAX_STRING_LENGTH_LIMIT * 6 + 128);
      expect(err.message).toContain(sum.toLocaleString('en-US'));
      expect(err.message).toContain(MAX_SIGNAL_ATTRIBUTES_BYTES.toLocaleString('en-US'));
    });

    test('the sum counts zod .max() and the default for strings, a small fixed size for numbers, booleans and enums', () => {
      // Three at the limit fit (1,180,032 bytes); a fourth does not (1,573,376).
      expect(normalizeAttributes(many(3, () => ({ maxLength: MAX_STRING_LENGTH_LIMIT })), 't')).toHaveLength(3);
      expect(definitionError(() => normalizeAttributes(many(4, () => ({ maxLength: MAX_STRING_LENGTH_LIMIT })), 't')).field).toBe('t');
      expect(definitionError(() => normalizeAttributes({ ...many(3, () => ({ maxLength: MAX_STRING_LENGTH_LIMIT })), z: z.string().max(65536).optional() }, 't')).field).toBe('t');
      // Defaults: 50 × (1,024 × 6 + 128) = 313,600 bytes.
      expect(normalizeAttributes(Array.from({ length: MAX_ATTRIBUTES_PER_WAIT }, (_, i) => `a${i}`), 't')).toHaveLength(50);
      const big = many(3, () => ({ maxLength: MAX_STRING_LENGTH_LIMIT }));
      const scalars = { ...many(15, () => z.number(), 'n'), ...many(15, () => z.boolean().optional(), 'b'), ...many(15, () => z.enum(['open', 'closed']), 'e'), ...many(2, () => z.literal('x'), 'l') };
      expect(Object.keys({ ...big, ...scalars })).toHaveLength(50);
      expect(normalizeAttributes({ ...big, ...scalars }, 't')).toHaveLength(50);
      // A string in the mix counts its maxLength: 3 × 65,536 + 47 × 1,024 characters still fit, 3 × 65,536 + 47 × 2,000 do not.
      expect(normalizeAttributes({ ...big, ...many(47, () => z.string(), 's') }, 't')).toHaveLength(50);
      expect(definitionError(() => normalizeAttributes({ ...big, ...many(47, () => z.string().max(2000), 's') }, 't')).field).toBe('t');
    });
  });

  test('the workflow asks whether to enforce only when a value is over the limit (its patch)', () => {
    const a = normalizeAttributes(['note'], 't');
    const asked: string[] = [];
    const gate = (answer: boolean) => () => (asked.push('asked'), answer);
    expect(ok(checkCapturedAttributes(a, { note: 'short' }, { enforceMaxLength: gate(true) }))).toEqual({ note: 'short' });
    expect(asked).toHaveLength(0);
    expect(errors(checkCapturedAttributes(a, { note: big }, { enforceMaxLength: gate(true) }))).toHaveLength(1);
    // A run that accepted such a value before the limit existed (no patch marker) replays as it ran.
    expect(ok(checkCapturedAttributes(a, { note: big }, { enforceMaxLength: gate(false) }))).toEqual({ note: big });
    expect(asked.length).toBeGreaterThan(0);
  });
});
