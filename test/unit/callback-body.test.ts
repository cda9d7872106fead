import { CallbackBodyError, callbackBodyType, MAX_FORM_FIELDS, parseCallbackBody } from '../../src/api/callback-body';
import { UnsafeNumber } from '../../src/definitions/unsafe-number';

function bodyError(fn: () => unknown): CallbackBodyError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CallbackBodyError) return err;
    throw err;
  }
  throw new Error('expected a CallbackBodyError');
}
const json = (text: string) => parseCallbackBody(Buffer.from(text, 'utf8'), 'json');
const form = (text: string) => parseCallbackBody(Buffer.from(text, 'utf8'), 'form');

describe('callbackBodyType', () => {
  test.each([
    ['application/json', 'json'],
    ['Application/JSON', 'json'],
    ['application/json; charset=utf-8', 'json'],
    ['application/json;charset=UTF-8', 'json'],
    ['application/json; charset="utf-8"', 'json'],
    ['application/json; charset=utf8', 'json'],
    ['application/cloudevents+json', 'json'],
    ['application/vnd.partner.v2+json; charset=utf-8', 'json'],
    ['  application/json  ', 'json'],
    ['application/x-www-form-urlencoded', 'form'],
    ['application/x-www-form-urlencoded; charset=UTF-8', 'form'],
  ])('%j is %s', (contentType, type) => {
    expect(callbackBodyType(contentType)).toBe(type);
  });

  test.each([undefined, ''])('a missing Content-Type (%p) is 415', (contentType) => {
    const err = bodyError(() => callbackBodyType(contentType));
    expect(err.status).toBe(415);
    expect(err.message).toContain('Content-Type is required');
  });

  test.each(['text/plain', 'text/json', 'multipart/form-data; boundary=x', 'application/xml', 'application/jsonx', 'json', ';charset=utf-8', 'text/plain+json'])(
    '%j is 415',
    (contentType) => {
      const err = bodyError(() => callbackBodyType(contentType));
      expect(err.status).toBe(415);
      expect(err.message).toContain('is not accepted');
    },
  );

  test.each([
    'application/json; charset=latin1',
    'application/json; charset=ISO-8859-1',
    'application/json; charset=utf-16',
    'application/x-www-form-urlencoded; charset=windows-1252',
    'application/json; charset="latin1"',
  ])('%j (not UTF-8) is 415 naming the charset', (contentType) => {
    const err = bodyError(() => callbackBodyType(contentType));
    expect(err.status).toBe(415);
    expect(err.message).toMatch(/charset .* is not supported/);
  });

  test('other parameters are ignored', () => {
    expect(callbackBodyType('application/json; profile=x; charset=utf-8')).toBe('json');
  });
});

describe('parseCallbackBody: JSON', () => {
  test('an object is returned', () => {
    expect(json('{"status":"ok","n":1,"nested":{"a":[1,true,null]}}')).toEqual({ status: 'ok', n: 1, nested: { a: [1, true, null] } });
  });

  test('a UTF-8 byte order mark and non-ASCII text are fine', () => {
    expect(parseCallbackBody(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"name":"Zoë €"}')]), 'json')).toEqual({ name: 'Zoë €' });
  });

  test.each([
    ['[1,2]', 'an array'],
    ['[]', 'an array'],
    ['"text"', 'string'],
    ['42', 'number'],
    ['true', 'boolean'],
    ['null', 'null'],
  ])('%s is 400: the body must be an object (%s)', (text, what) => {
    const err = bodyError(() => json(text));
    expect(err.status).toBe(400);
    expect(err.message).toBe(`the JSON body must be an object, got ${what}`);
  });

  test.each(['{', '{"a":1,}', "{'a':1}", '{"a":1} x', '{"a":1}{"b":2}', 'nope', '{"a":01}', '{"a":NaN}', '{a:1}'])('malformed %j is 400', (text) => {
    const err = bodyError(() => json(text));
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/^malformed JSON: /);
  });

  test('duplicate keys, NUL characters and deep nesting are 400', () => {
    expect(bodyError(() => json('{"a":1,"a":2}')).message).toContain('duplicate key');
    expect(bodyError(() => json('{"a":"x\\u0000y"}')).message).toContain('NUL');
    expect(bodyError(() => json(`${'{"a":'.repeat(40)}1${'}'.repeat(40)}`)).message).toContain('nested deeper');
  });

  test.each([
    [[0xff], 'a lone 0xff'],
    [[0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x22, 0x7d], 'a truncated 2-byte sequence'],
    [[0x7b, 0xed, 0xa0, 0x80, 0x7d], 'an encoded surrogate'],
    [[0x7b, 0xc0, 0xaf, 0x7d], 'an overlong encoding'],
  ])('invalid UTF-8 bytes (%j, %s) are 400', (bytes) => {
    for (const type of ['json', 'form'] as const) {
      const err = bodyError(() => parseCallbackBody(Buffer.from(bytes), type));
      expect(err.status).toBe(400);
      expect(err.message).toContain('not valid UTF-8');
    }
  });

  test('an empty body is 400 (JSON and form)', () => {
    for (const type of ['json', 'form'] as const) {
      const err = bodyError(() => parseCallbackBody(Buffer.alloc(0), type));
      expect(err.status).toBe(400);
      expect(err.message).toContain('empty');
    }
  });

  test('whitespace only is malformed JSON', () => {
    expect(bodyError(() => json('   ')).status).toBe(400);
  });

  test('__proto__ and constructor keys are own data and pollute nothing', () => {
    const v = json('{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":2}}}');
    expect(Object.prototype.hasOwnProperty.call(v, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(v.__proto__).toEqual({ polluted: 1 });
  });

  test('integers past 2^53 are kept as their exact digits', () => {
    const v = json('{"id":12345678901234567890,"ok":9007199254740991}');
    expect(v.id).toBeInstanceOf(UnsafeNumber);
    expect((v.id as UnsafeNumber).text).toBe('12345678901234567890');
    expect(v.ok).toBe(9007199254740991);
  });
});

describe('parseCallbackBody: forms', () => {
  test('fields are decoded (percent escapes and +) into strings', () => {
    expect(form('status=ok&note=hello+world&ref=a%2Fb%20c&empty=&name=Zo%C3%AB')).toEqual({
      status: 'ok',
      note: 'hello world',
      ref: 'a/b c',
      empty: '',
      name: 'Zoë',
    });
  });

  test('dotted keys stay flat', () => {
    expect(form('data.reference.id=r-1&items.0.sku=S')).toEqual({ 'data.reference.id': 'r-1', 'items.0.sku': 'S' });
  });

  test(`${MAX_FORM_FIELDS} fields are accepted; more than ${MAX_FORM_FIELDS} is 413`, () => {
    expect(MAX_FORM_FIELDS).toBe(1000);
    const fields = (n: number) => Array.from({ length: n }, (_, i) => `f${i}=v`).join('&');
    expect(Object.keys(form(fields(1000)))).toHaveLength(1000);
    const err = bodyError(() => form(fields(1001)));
    expect(err.status).toBe(413);
    expect(err.message).toContain('more than 1000 form fields');
    expect(bodyError(() => form(fields(50_000))).status).toBe(413);
  });

  test('a field sent twice is refused (400), naming it; the first value is never silently replaced', () => {
    const err = bodyError(() => form('status=ok&status=failed'));
    expect(err.status).toBe(400);
    expect(err.message).toContain('"status"');
    expect(err.message).toContain('more than once');
    expect(bodyError(() => form('a=1&b=2&a=1')).status).toBe(400);
  });

  test('a __proto__ form key stays an own property and changes no prototype', () => {
    const v = form('__proto__=evil&constructor=c&toString=t');
    expect(Object.prototype.hasOwnProperty.call(v, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(v, '__proto__')?.value).toBe('evil');
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v)).toEqual(['__proto__', 'constructor', 'toString']);
    expect(v.constructor).toBe('c');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test('__proto__ sent twice is a duplicate', () => {
    expect(bodyError(() => form('__proto__=a&__proto__=b')).status).toBe(400);
  });

  test('a NUL character in a key or value is 400', () => {
    expect(bodyError(() => form('a=x%00y')).message).toContain('NUL');
    expect(bodyError(() => form('a%00b=x')).status).toBe(400);
  });
});

test('CallbackBodyError carries its status and message', () => {
  const e = new CallbackBodyError(413, 'too big');
  expect(e).toBeInstanceOf(Error);
  expect(e.status).toBe(413);
  expect(e.message).toBe('too big');
});
