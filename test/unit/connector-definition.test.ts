import { definitionError } from '../helpers/definitions';
import { z } from 'zod';
import { type ConnectorDecl, normalizeConnector } from '../../src/definitions/connector';

const field = 'connectors.c';
const norm = (decl: Partial<ConnectorDecl>, name = 'c') => normalizeConnector(name, { url: 'https://api.example.test/x', ...decl } as ConnectorDecl, field);

describe('normalizeConnector', () => {
  test('defaults: POST, title = name, no headers, a JSON body, 10s timeout, 5 attempts from 1s to 30s', () => {
    const c = norm({});
    expect(c).toEqual({
      name: 'c',
      title: 'c',
      method: 'POST',
      url: 'https://api.example.test/x',
      headers: {},
      contentType: 'json',
      timeoutMs: 10_000,
      retry: { maximumAttempts: 5, initialIntervalMs: 1000, maximumIntervalMs: 30_000 },
      env: [],
    });
    expect(c).not.toHaveProperty('body');
    expect(c).not.toHaveProperty('response');
  });

  test('header names and values are checked as a webhook\'s are (at definition, not at the first call)', () => {
    expect(definitionError(() => norm({ headers: { 'x y': 'v' } }))).toMatchObject({ field: 'connectors.c.headers.x y', message: expect.stringMatching(/not a valid header name/) });
    expect(definitionError(() => norm({ headers: { 'x-n': 1 as unknown as string } }))).toMatchObject({ field: 'connectors.c.headers.x-n', message: expect.stringMatching(/must be a string/) });
    expect(definitionError(() => norm({ title: 7 as unknown as string }))).toMatchObject({ field: 'connectors.c.title' });
  });

  test('everything declared is kept; headers are copied, not shared', () => {
    const headers = { authorization: 'Bearer {{env.TOKEN}}' };
    const response = z.object({ id: z.string() });
    const c = norm({
      title: 'Create case',
      method: 'PATCH',
      headers,
      body: { id: '{{input.id}}', n: 1, list: [true, null] },
      response,
      timeout: '2500ms',
      retry: { maximumAttempts: 3, initialInterval: '200ms', maximumInterval: '2s' },
      env: ['TOKEN'],
    });
    expect(c).toMatchObject({
      title: 'Create case',
      method: 'PATCH',
      headers: { authorization: 'Bearer {{env.TOKEN}}' },
      body: { id: '{{input.id}}', n: 1, list: [true, null] },
      timeoutMs: 2500,
      retry: { maximumAttempts: 3, initialIntervalMs: 200, maximumIntervalMs: 2000 },
      env: ['TOKEN'],
    });
    expect(c.response).toBe(response);
    expect(c.headers).not.toBe(headers);
  });

  test('a falsy body other than undefined is kept (null, 0, empty string)', () => {
    expect(norm({ body: null }).body).toBeNull();
    expect(norm({ body: 0 }).body).toBe(0);
    expect(norm({ body: '' }).body).toBe('');
  });

  test.each(['', '1c', '-c', 'has space', 'a.b', 'a'.repeat(65)])('connector name %j is refused', (name) => {
    const err = definitionError(() => norm({}, name));
    expect(err.field).toBe(field);
  });

  test.each(['c', 'create-case', 'Create_case2', 'a'.repeat(64)])('connector name %j is accepted', (name) => {
    expect(norm({}, name).name).toBe(name);
  });

  test.each(['get', 'HEAD', 'OPTIONS', 'TRACE', 'CONNECT'])('method %j is refused', (method) => {
    const err = definitionError(() => norm({ method: method as never }));
    expect(err.field).toBe('connectors.c.method');
    expect(err.message).toContain('GET, POST, PUT, PATCH, DELETE');
  });

  test.each(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const)('method %s is accepted', (method) => {
    expect(norm({ method }).method).toBe(method);
  });

  test.each([undefined, '', '   ', 42])('url %p is refused', (url) => {
    expect(definitionError(() => normalizeConnector('c', { url } as never, field)).field).toBe('connectors.c.url');
  });

  test('a GET with a body is refused; a GET without one is fine', () => {
    expect(definitionError(() => norm({ method: 'GET', body: { a: 1 } })).field).toBe('connectors.c.body');
    expect(definitionError(() => norm({ method: 'GET', body: null })).field).toBe('connectors.c.body');
    expect(norm({ method: 'GET' }).method).toBe('GET');
  });

  test.each([0, -1, 1.5, 101, Number.NaN, '3' as never])('retry.maximumAttempts %p is refused', (maximumAttempts) => {
    expect(definitionError(() => norm({ retry: { maximumAttempts } })).field).toBe('connectors.c.retry.maximumAttempts');
  });

  test('retry.maximumAttempts 1 and 100 are the bounds', () => {
    expect(norm({ retry: { maximumAttempts: 1 } }).retry.maximumAttempts).toBe(1);
    expect(norm({ retry: { maximumAttempts: 100 } }).retry.maximumAttempts).toBe(100);
  });

  test('timeouts: malformed or zero refused, naming the field', () => {
    expect(definitionError(() => norm({ timeout: 'soon' as never })).field).toBe('connectors.c.timeout');
    expect(definitionError(() => norm({ timeout: 0 })).field).toBe('connectors.c.timeout');
    expect(definitionError(() => norm({ timeout: '0s' })).message).toContain('must be positive');
    expect(norm({ timeout: 1 }).timeoutMs).toBe(1);
  });

  test('retry intervals: malformed refused, naming the field', () => {
    expect(definitionError(() => norm({ retry: { initialInterval: 'x' as never } })).field).toBe('connectors.c.retry.initialInterval');
    expect(definitionError(() => norm({ retry: { maximumInterval: -5 } })).field).toBe('connectors.c.retry.maximumInterval');
  });

  describe('env: the variables of the worker a connector may read', () => {
    test('declared names and PREFIX* entries are kept; templates reading them are accepted', () => {
      const c = norm({
        url: '{{env.KYC_PROVIDER_URL}}/v1/{{input.id}}',
        headers: { authorization: 'Bearer {{ env.KYC_API_KEY }}', 'x-region': '{{env.ACME_REGION}}' },
        body: { a: ['{{env.ACME_TENANT}}'] },
        env: ['KYC_PROVIDER_URL', 'KYC_API_KEY', 'ACME_*'],
      });
      expect(c.env).toEqual(['KYC_PROVIDER_URL', 'KYC_API_KEY', 'ACME_*']);
    });

    test('a template reading an undeclared variable is refused, naming the variable and the field', () => {
      const url = definitionError(() => norm({ url: '{{env.API_BASE}}/x' }));
      expect(url.field).toBe('connectors.c.url');
      expect(url.message).toContain('{{env.API_BASE}}');
      expect(url.message).toContain("add 'API_BASE' to connectors.c.env");
      const header = definitionError(() => norm({ headers: { authorization: 'Bearer {{ env.KYC_API_KEY }}' }, env: ['KYC_PROVIDER_URL', 'KYC_API'] }));
      expect(header.field).toBe('connectors.c.headers.authorization');
      expect(header.message).toContain("'KYC_API_KEY'");
      const body = definitionError(() => norm({ body: { a: [1, { b: 'x {{env.SECRET}}' }] }, env: ['SECRE'] }));
      expect(body.field).toBe('connectors.c.body.a[1].b');
      expect(body.message).toContain('SECRET');
    });

    test.each([
      ['url', { url: '{{env}}' }, 'connectors.c.url'],
      ['a header', { headers: { 'x-all': '{{ env }}' }, env: ['A'] }, 'connectors.c.headers.x-all'],
      ['the body, as a whole value', { body: { dump: '{{env}}' }, env: ['A_*'] }, 'connectors.c.body.dump'],
    ] as const)('bare {{env}} in %s is refused, naming the field', (_where, decl, field) => {
      const err = definitionError(() => norm(decl as Partial<ConnectorDecl>));
      expect(err.field).toBe(field);
      expect(err.message).toContain('{{env}}');
    });

    test.each(['HOOKWAIT_TOKEN_KEYS', 'TEMPORAL_API_KEY', 'hookwait_token_keys'])('{{env.%s}} is always refused, whatever the allowlist says', (name) => {
      const err = definitionError(() => norm({ headers: { 'x-k': `{{env.${name}}}` }, env: ['H*', 'T*', 'h*'] }));
      expect(err.field).toBe('connectors.c.headers.x-k');
      expect(err.message).toContain("hookwait's own configuration");
    });

    test.each(['HOOKWAIT_TOKEN_KEYS', 'HOOKWAIT_*', 'TEMPORAL_*', 'TEMPORAL_TLS_KEY'])('declaring %j is refused', (entry) => {
      const err = definitionError(() => norm({ env: [entry] }));
      expect(err.field).toBe('connectors.c.env[0]');
    });

    test.each([['*'], [''], ['A-B'], ['A*B'], ['1A'], [42]])('env entry %p is refused', (entry) => {
      expect(definitionError(() => norm({ env: [entry as never] })).field).toBe('connectors.c.env[0]');
    });

    test('env must be a list', () => {
      expect(definitionError(() => norm({ env: 'KYC_API_KEY' as never })).field).toBe('connectors.c.env');
    });
  });
});
