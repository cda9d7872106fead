import { renderJson, renderString, renderUrl, TemplateError } from '../../src/activities/template';

const vars = {
  input: { id: 'a b/c?d=1&e#f', n: 42, ok: true, nothing: null, list: [{ sku: 'S0' }, { sku: 'S1' }], nested: { x: 1 }, unicode: 'ü€' },
  callbackUrls: { kyc: 'https://hooks.example.test/callbacks/hw1.k1.abc.def' },
  vars: { note: 'hello' },
  env: { BASE_URL: 'https://api.example.test/v1', TOKEN: 's3cr et/+' },
};

function templateError(fn: () => unknown): TemplateError {
  try {
    fn();
  } catch (err) {
    if (err instanceof TemplateError) return err;
    throw err;
  }
  throw new Error('expected a TemplateError');
}

describe('renderString', () => {
  test('fills placeholders, with or without inner spaces', () => {
    expect(renderString('id={{input.id}} note={{ vars.note }} n={{  input.n  }}', vars, 'w')).toBe('id=a b/c?d=1&e#f note=hello n=42');
  });

  test('non-strings are written as JSON', () => {
    expect(renderString('{{input.ok}}|{{input.nothing}}|{{input.nested}}|{{input.list.1}}', vars, 'w')).toBe('true|null|{"x":1}|{"sku":"S1"}');
  });

  test('array indexes in paths', () => {
    expect(renderString('{{input.list.0.sku}}', vars, 'w')).toBe('S0');
  });

  test('text without placeholders, and malformed braces, are left alone', () => {
    expect(renderString('plain {single} {{ }} {{has space}}', vars, 'w')).toBe('plain {single} {{ }} {{has space}}');
  });

  test('values are inserted raw', () => {
    expect(renderString('{{input.id}}', vars, 'w')).toBe('a b/c?d=1&e#f');
  });

  test('a missing variable throws a TemplateError naming the placeholder and where', () => {
    const err = templateError(() => renderString('x {{input.missing}} y', vars, 'connector c.url'));
    expect(err.name).toBe('TemplateError');
    expect(err.message).toContain('connector c.url');
    expect(err.message).toContain('{{input.missing}}');
    expect(err.message).toContain('input, callbackUrls, vars, env');
  });

  test('a missing top-level variable, and a path through a scalar, are errors', () => {
    expect(templateError(() => renderString('{{nope}}', vars, 'w')).message).toContain('{{nope}}');
    expect(templateError(() => renderString('{{input.id.length}}', vars, 'w')).message).toContain('{{input.id.length}}');
    expect(templateError(() => renderString('{{input.nothing.x}}', vars, 'w')).message).toContain('{{input.nothing.x}}');
  });

  test('an own property that is undefined is an error', () => {
    expect(templateError(() => renderString('{{a}}', { a: undefined }, 'w')).message).toMatch(/\{\{a\}\} is undefined/);
  });

  test('inherited properties are not variables', () => {
    for (const p of ['input.toString', 'input.constructor', '__proto__', 'input.__proto__', 'constructor.name']) {
      expect(() => renderString(`{{${p}}}`, vars, 'w')).toThrow(TemplateError);
    }
  });

  test('the message lists variable names but no values', () => {
    const err = templateError(() => renderString('{{missing}}', vars, 'w'));
    expect(err.message).not.toContain('s3cr');
    expect(err.message).not.toContain('api.example.test');
  });
});

describe('renderUrl', () => {
  test('values are URL-encoded, env.* values are not', () => {
    expect(renderUrl('{{env.BASE_URL}}/cases/{{input.id}}?u={{input.unicode}}', { ...vars, input: { ...vars.input, id: 'a b?d=1&e#f%' } }, 'w')).toBe(
      'https://api.example.test/v1/cases/a%20b%3Fd%3D1%26e%23f%25?u=%C3%BC%E2%82%AC',
    );
    expect(renderUrl('{{env.BASE_URL}}/cases?id={{input.id}}', vars, 'w')).toBe('https://api.example.test/v1/cases?id=a%20b%2Fc%3Fd%3D1%26e%23f');
    expect(renderUrl('{{env.TOKEN}}', vars, 'w')).toBe('s3cr et/+');
  });

  test('a path that merely starts with "env" but is not env.* is encoded', () => {
    expect(renderUrl('{{environment.x}}', { environment: { x: 'a?b' } }, 'w')).toBe('a%3Fb');
    expect(() => renderUrl('{{environment.x}}', { environment: { x: '..' } }, 'w')).toThrow(TemplateError);
  });

  test.each(['..', '.', ''])('a path value %j is refused, naming where and the placeholder', (id) => {
    const err = templateError(() => renderUrl('{{env.BASE_URL}}/customers/{{input.id}}/profile', { ...vars, input: { id } }, 'connector crm.url'));
    expect(err.message).toMatch(/^connector crm\.url: \{\{input\.id\}\} is /);
    expect(err.message).toContain('refused in a URL path');
    expect(err.message).not.toContain('api.example.test');
  });

  test('two dot values in one DELETE path are refused (the first one found)', () => {
    const err = templateError(() =>
      renderUrl('{{env.BASE_URL}}/orders/{{attributes.o.id}}/items/{{attributes.i.id}}', { ...vars, attributes: { o: { id: '..' }, i: { id: '..' } } }, 'w'),
    );
    expect(err.message).toContain('{{attributes.o.id}}');
  });

  test('dots that make a dot segment only together are refused too; numbers, "..." and dots beside text are fine', () => {
    expect(() => renderUrl('http://h/a/{{input.x}}{{input.y}}/b', { input: { x: '.', y: '.' } }, 'w')).toThrow(TemplateError);
    expect(() => renderUrl('http://h/a/.{{input.x}}/b', { input: { x: '.' } }, 'w')).toThrow(TemplateError);
    expect(renderUrl('http://h/a/{{input.x}}/{{input.n}}/{{input.y}}.json', { input: { x: '...', n: 0, y: 'v1.2' } }, 'w')).toBe('http://h/a/.../0/v1.2.json');
    expect(renderUrl('http://h/a/{{input.x}}', { input: { x: '%2e%2e.x' } }, 'w')).toBe('http://h/a/%252e%252e.x');
    expect(renderUrl('http://h/a/{{input.x}}', { input: { x: '%252e%252e' } }, 'w')).toBe('http://h/a/%25252e%25252e');
    expect(renderUrl('http://h/a/{{input.x}}', { input: { x: '100%' } }, 'w')).toBe('http://h/a/100%25');
  });

  // Servers that decode before routing (nginx proxy_pass with a URI part; IIS for '\') turn '..%2Fadmin' into
  // '../admin'; a value that decodes to a dot segment or a separator is refused too.
  test.each(['../admin', '..\\admin', 'a/../b', '%2e%2e%2fadmin', '/', '\\', 'a/b', '42/delete', 'a\\b', '%2e%2e', '%2E', '%2f', '%5C', 'x%2Fy', '..%5cadmin', 'a/', '/a'])(
    'a path value %j is refused (a dot segment or a separator, also percent-encoded)',
    (id) => {
      const err = templateError(() => renderUrl('{{env.BASE_URL}}/customers/{{input.id}}/profile', { ...vars, input: { id } }, 'connector crm.url'));
      expect(err.message).toMatch(/^connector crm\.url: \{\{input\.id\}\} is /);
      expect(err.message).toContain('refused in a URL path');
      expect(err.message).not.toContain('api.example.test');
    },
  );

  test('the same values in the query string are data', () => {
    expect(renderUrl('http://h/p/{{input.ok}}?a={{input.a}}&b={{input.b}}&c={{input.c}}#{{input.d}}', { input: { ok: 'x', a: '../admin', b: '%2e%2e%2fadmin', c: '/', d: '..\\admin' } }, 'w')).toBe(
      'http://h/p/x?a=..%2Fadmin&b=%252e%252e%252fadmin&c=%2F#..%5Cadmin',
    );
  });

  test('in the query string (and the fragment) such values are data and pass through', () => {
    expect(renderUrl('http://h/search?q={{input.q}}&p={{input.p}}#{{input.f}}', { input: { q: '..', p: '', f: '.' } }, 'w')).toBe('http://h/search?q=..&p=#.');
  });

  test('env.* values are trusted configuration: not checked, not encoded', () => {
    expect(renderUrl('{{env.BASE}}/{{env.SUB}}/x', { env: { BASE: 'http://h/a', SUB: '..' } }, 'w')).toBe('http://h/a/../x');
  });

  test('keepEnv leaves env.* placeholders as written (for messages and logs) and fills the rest', () => {
    expect(renderUrl('{{ env.BASE_URL }}/cases/{{input.n}}?k={{env.TOKEN}}', vars, 'w', { keepEnv: true })).toBe('{{env.BASE_URL}}/cases/42?k={{env.TOKEN}}');
  });
});

describe('renderJson', () => {
  test('a string that is exactly one placeholder keeps the value’s type', () => {
    expect(renderJson('{{input.n}}', vars, 'b')).toBe(42);
    expect(renderJson('{{ input.ok }}', vars, 'b')).toBe(true);
    expect(renderJson('{{input.nothing}}', vars, 'b')).toBeNull();
    expect(renderJson('{{input.nested}}', vars, 'b')).toEqual({ x: 1 });
    expect(renderJson('{{input.list}}', vars, 'b')).toEqual(vars.input.list);
  });

  test('a placeholder inside other text makes a string', () => {
    expect(renderJson('n={{input.n}}', vars, 'b')).toBe('n=42');
    expect(renderJson('{{input.n}}{{input.n}}', vars, 'b')).toBe('4242');
    expect(renderJson(' {{input.n}}', vars, 'b')).toBe(' 42');
  });

  test('objects and arrays are rendered deeply; keys are not templates; other values pass through', () => {
    const out = renderJson(
      { id: '{{input.id}}', '{{input.n}}': 'k', list: ['{{input.n}}', 'x-{{vars.note}}', 1, false, null], deep: { url: '{{callbackUrls.kyc}}' } },
      vars,
      'b',
    );
    expect(out).toEqual({
      id: 'a b/c?d=1&e#f',
      '{{input.n}}': 'k',
      list: [42, 'x-hello', 1, false, null],
      deep: { url: 'https://hooks.example.test/callbacks/hw1.k1.abc.def' },
    });
  });

  test('JSON values are never URL-encoded', () => {
    expect(renderJson({ a: 'x {{input.id}}' }, vars, 'b')).toEqual({ a: 'x a b/c?d=1&e#f' });
  });

  test('errors name where in the template, with array indexes and keys', () => {
    expect(templateError(() => renderJson({ a: [1, { b: '{{input.nope}}' }] }, vars, 'connector c.body')).message).toMatch(
      /^connector c\.body\.a\[1\]\.b: \{\{input\.nope\}\}/,
    );
    expect(templateError(() => renderJson({ a: 'x{{nope}}' }, vars, 'body')).message).toMatch(/^body\.a: /);
  });

  test('the template itself is not modified', () => {
    const t = { a: '{{input.n}}', l: ['{{vars.note}}'] };
    const copy = JSON.parse(JSON.stringify(t));
    renderJson(t, vars, 'b');
    expect(t).toEqual(copy);
  });
});
