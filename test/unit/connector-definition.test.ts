import { definitionError } from '../helpers/definitions';
import { z } from 'zod';
import { type ConnectorDecl, normalizeConnector } from '../../src/definitions/connector';

const field = 'connectors.c';
const norm = (decl: Partial<ConnectorDecl>, name = 'c') => normalizeConnector(name, { url: 'https://api.example.test/x', ...decl } as ConnectorDecl, field);

describe('normalizeConnector', () => {
  test('defaults: POST, title = name, no headers, 10s timeout, 5 attempts from 1s to 30s', () => {
    const c = norm({});
    expect(c).toEqual({
      name: 'c',
      title: 'c',
      method: 'POST',
      url: 'https://api.example.test/x',
      headers: {},
      timeoutMs: 10_000,
      retry: { maximumAttempts: 5, initialIntervalMs: 1000, maximumIntervalMs: 30_000 },
    });
    expect(c).not.toHaveProperty('body');
    expect(c).not.toHaveProperty('response');
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
    });
    expect(c).toMatchObject({
      title: 'Create case',
      method: 'PATCH',
      headers: { authorization: 'Bearer {{env.TOKEN}}' },
      body: { id: '{{input.id}}', n: 1, list: [true, null] },
      timeoutMs: 2500,
      retry: { maximumAttempts: 3, initialIntervalMs: 200, maximumIntervalMs: 2000 },
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
});
