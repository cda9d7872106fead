import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import { z } from 'zod';
import {
  CONNECTOR_BAD_RESPONSE,
  CONNECTOR_MISCONFIGURED,
  CONNECTOR_REJECTED,
  CONNECTOR_UNAVAILABLE,
  callConnector,
  type ConnectorCallContext,
} from '../../src/activities/data-connector';
import { type ConnectorDecl, normalizeConnector } from '../../src/definitions/connector';
import { createLogger, silentLogger } from '../../src/logging/logger';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

let server: Server;
let base: string;
let seen: Seen[] = [];

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;
const json = (res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(value));
};
const routes: Record<string, Handler> = {
  '/ok': (_req, res) => json(res, 200, { id: 'case-1', status: 'open', internal: { secret: 'x' } }),
  '/created': (_req, res) => json(res, 201, { id: 'case-2', status: 'new' }),
  '/no-content': (_req, res) => {
    res.writeHead(204);
    res.end();
  },
  '/text': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('plain words');
  },
  '/bad-request': (_req, res) => json(res, 400, { error: 'missing customer' }),
  '/not-found': (_req, res) => json(res, 404, { error: 'no such case' }),
  '/unavailable': (_req, res) => json(res, 503, { error: 'maintenance' }, { 'retry-after': '2' }),
  '/server-error': (_req, res) => json(res, 500, { error: 'boom' }),
  '/busy': (_req, res) => json(res, 429, { error: 'slow down' }),
  '/busy-long': (_req, res) => json(res, 429, { error: 'slow down' }, { 'retry-after': '86400' }),
  '/redirect': (_req, res) => {
    res.writeHead(302, { location: '/ok' });
    res.end();
  },
  '/wrong-shape': (_req, res) => json(res, 200, { id: 5 }),
  '/slow': () => {
    /* never answers; the connector's timeout must end the call */
  },
  '/huge': (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(`"${'x'.repeat(1024 * 1024 + 10)}"`);
  },
};

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const path = (req.url ?? '/').split('?')[0] as string;
      const handler = routes[path] ?? (path.startsWith('/echo') ? (_q: IncomingMessage, r: ServerResponse) => json(r, 200, { path: req.url }) : undefined);
      if (handler) handler(req, res, body);
      else json(res, 404, { error: 'no route' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  seen = [];
});

const ctx = (env: Record<string, string | undefined> = {}, extra: Partial<ConnectorCallContext> = {}): ConnectorCallContext => ({
  fetch,
  env,
  logger: silentLogger,
  ...extra,
});
const point = (decl: Partial<ConnectorDecl> & { url: string }, name = 'crm') => normalizeConnector(name, decl as ConnectorDecl, `connectors.${name}`);
async function failure(p: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApplicationFailure) return err;
    throw new Error(`expected an ApplicationFailure, got ${String(err)}`);
  }
  throw new Error('expected the call to fail');
}

describe('successful calls', () => {
  test('2xx JSON is mapped through the zod response schema (undeclared fields dropped, transforms applied)', async () => {
    const response = z.object({ id: z.string(), status: z.enum(['open', 'closed']).transform((s) => s.toUpperCase()) });
    const result = await callConnector(point({ url: `${base}/ok`, response }), {}, ctx());
    expect(result).toEqual({ id: 'case-1', status: 'OPEN' });
    expect(seen).toHaveLength(1);
  });

  test('any 2xx is a success', async () => {
    expect(await callConnector(point({ url: `${base}/created`, response: z.object({ id: z.string() }) }), {}, ctx())).toEqual({ id: 'case-2' });
  });

  test('without a response schema the parsed JSON is returned as is', async () => {
    expect(await callConnector(point({ url: `${base}/ok` }), {}, ctx())).toEqual({ id: 'case-1', status: 'open', internal: { secret: 'x' } });
  });

  test('an empty body is null; a non-JSON body without a schema is its text', async () => {
    expect(await callConnector(point({ url: `${base}/no-content` }), {}, ctx())).toBeNull();
    expect(await callConnector(point({ url: `${base}/text` }), {}, ctx())).toBe('plain words');
  });

  test('an empty body is checked against the schema as null', async () => {
    expect(await callConnector(point({ url: `${base}/no-content`, response: z.null() }), {}, ctx())).toBeNull();
    const f = await failure(callConnector(point({ url: `${base}/no-content`, response: z.object({ id: z.string() }) }), {}, ctx()));
    expect(f.type).toBe(CONNECTOR_BAD_RESPONSE);
  });
});

describe('template variables reach the server', () => {
  test('the body is rendered JSON (typed whole placeholders) with a JSON content type', async () => {
    const p = point({
      url: `${base}/echo`,
      method: 'PUT',
      body: { customer: '{{input.customer}}', amount: '{{input.amount}}', note: 'Ref {{vars.ref}}', callback: '{{callbackUrls.kyc}}', flags: ['{{input.vip}}'] },
    });
    await callConnector(p, { input: { customer: 'c/1 ü', amount: 12.5, vip: true }, vars: { ref: 'R-9' }, callbackUrls: { kyc: 'https://h.test/callbacks/t' } }, ctx());
    expect(seen).toHaveLength(1);
    const req = seen[0] as Seen;
    expect(req.method).toBe('PUT');
    expect(req.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req.body)).toEqual({ customer: 'c/1 ü', amount: 12.5, note: 'Ref R-9', callback: 'https://h.test/callbacks/t', flags: [true] });
  });

  test('headers are rendered (not URL-encoded); a declared content type is kept', async () => {
    const p = point({
      url: `${base}/echo`,
      headers: { 'X-Customer': '{{input.customer}}', 'Content-Type': 'application/vnd.crm+json' },
      body: { a: 1 },
    });
    await callConnector(p, { input: { customer: 'a b/c' } }, ctx());
    const req = seen[0] as Seen;
    expect(req.headers['x-customer']).toBe('a b/c');
    expect(req.headers['content-type']).toBe('application/vnd.crm+json');
  });

  test('the URL path and query are URL-encoded', async () => {
    const p = point({ url: `${base}/echo/cases/{{input.id}}?q={{input.q}}`, method: 'GET' });
    const result = await callConnector(p, { input: { id: 'a b..c?#%', q: 'x&y=ü/../' } }, ctx());
    expect((seen[0] as Seen).url).toBe('/echo/cases/a%20b..c%3F%23%25?q=x%26y%3D%C3%BC%2F..%2F');
    expect(result).toEqual({ path: '/echo/cases/a%20b..c%3F%23%25?q=x%26y%3D%C3%BC%2F..%2F' });
  });

  test('the env variable comes from ctx.env: a base URL (not encoded) and a secret header', async () => {
    const p = point({ url: '{{env.CRM_BASE}}/echo/{{input.id}}', headers: { authorization: 'Bearer {{env.CRM_TOKEN}}' }, method: 'GET', env: ['CRM_BASE', 'CRM_TOKEN'] });
    await callConnector(p, { input: { id: 'x y' }, env: { CRM_BASE: 'http://wrong.invalid', CRM_TOKEN: 'caller-given' } }, ctx({ CRM_BASE: base, CRM_TOKEN: 'tok-123' }));
    const req = seen[0] as Seen;
    expect(req.url).toBe('/echo/x%20y');
    expect(req.headers.authorization).toBe('Bearer tok-123');
  });

  test('a GET sends no body and no content type', async () => {
    await callConnector(point({ url: `${base}/echo`, method: 'GET' }), {}, ctx());
    const req = seen[0] as Seen;
    expect(req.method).toBe('GET');
    expect(req.body).toBe('');
    expect(req.headers['content-type']).toBeUndefined();
  });

  test('DELETE with a body', async () => {
    await callConnector(point({ url: `${base}/echo`, method: 'DELETE', body: ['{{input.n}}'] }), { input: { n: 3 } }, ctx());
    expect(seen[0]).toMatchObject({ method: 'DELETE', body: '[3]' });
  });
});

describe('failures', () => {
  test('400: not retryable, type HookwaitConnectorRejected, the status in the message', async () => {
    const f = await failure(callConnector(point({ url: `${base}/bad-request` }), {}, ctx()));
    expect(f).toBeInstanceOf(ApplicationFailure);
    expect(f.nonRetryable).toBe(true);
    expect(f.type).toBe(CONNECTOR_REJECTED);
    expect(CONNECTOR_REJECTED).toBe('HookwaitConnectorRejected');
    expect(f.message).toContain('400');
    expect(f.message).toContain('missing customer');
    expect(f.message).toContain('connector crm');
  });

  test('404 is rejected too', async () => {
    const f = await failure(callConnector(point({ url: `${base}/not-found` }), {}, ctx()));
    expect(f).toMatchObject({ type: CONNECTOR_REJECTED, nonRetryable: true });
    expect(f.message).toContain('404');
  });

  test('503 with Retry-After: 2 is retryable with nextRetryDelay 2000 ms', async () => {
    const f = await failure(callConnector(point({ url: `${base}/unavailable` }), {}, ctx()));
    expect(f.nonRetryable).toBe(false);
    expect(f.type).toBe(CONNECTOR_UNAVAILABLE);
    expect(f.nextRetryDelay).toBe(2000);
    expect(msToNumber(f.nextRetryDelay as number)).toBe(2000);
    expect(f.message).toContain('503');
  });

  test('500 is retryable with the policy’s own backoff (no nextRetryDelay)', async () => {
    const f = await failure(callConnector(point({ url: `${base}/server-error` }), {}, ctx()));
    expect(f).toMatchObject({ type: CONNECTOR_UNAVAILABLE, nonRetryable: false });
    expect(f.nextRetryDelay).toBeUndefined();
  });

  test('429 is retryable; a long Retry-After is capped at 5 minutes', async () => {
    const f = await failure(callConnector(point({ url: `${base}/busy` }), {}, ctx()));
    expect(f).toMatchObject({ type: CONNECTOR_UNAVAILABLE, nonRetryable: false });
    expect(f.message).toContain('429');
    expect(f.nextRetryDelay).toBeUndefined();
    const g = await failure(callConnector(point({ url: `${base}/busy-long` }), {}, ctx()));
    expect(g.nextRetryDelay).toBe(300_000);
  });

  test('a 302 is not followed and not retried', async () => {
    const f = await failure(callConnector(point({ url: `${base}/redirect` }), {}, ctx()));
    expect(f).toMatchObject({ type: CONNECTOR_REJECTED, nonRetryable: true });
    expect(f.message).toContain('302');
    expect(f.message).toMatch(/redirect/);
    expect(seen.map((s) => s.url)).toEqual(['/redirect']);
  });

  test('a response that does not fit the schema: HookwaitConnectorBadResponse, not retried, naming the field', async () => {
    const f = await failure(callConnector(point({ url: `${base}/wrong-shape`, response: z.object({ id: z.string() }) }), {}, ctx()));
    expect(f).toMatchObject({ type: CONNECTOR_BAD_RESPONSE, nonRetryable: true });
    expect(CONNECTOR_BAD_RESPONSE).toBe('HookwaitConnectorBadResponse');
    expect(f.message).toContain('response.id');
  });

  test('a body that is not JSON when a schema is declared is a bad response', async () => {
    const f = await failure(callConnector(point({ url: `${base}/text`, response: z.string() }), {}, ctx()));
    expect(f).toMatchObject({ type: CONNECTOR_BAD_RESPONSE, nonRetryable: true });
    expect(f.message).toContain('not JSON');
  });

  test('a timeout is a retryable failure, and it comes after about the declared time', async () => {
    const started = Date.now();
    const f = await failure(callConnector(point({ url: `${base}/slow`, timeout: 300 }), {}, ctx()));
    const elapsed = Date.now() - started;
    expect(f).toMatchObject({ type: CONNECTOR_UNAVAILABLE, nonRetryable: false });
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(5000);
  });

  test('cancellation through ctx.signal ends the call', async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 100);
    const f = await failure(callConnector(point({ url: `${base}/slow`, timeout: '30s' }), {}, ctx({}, { signal: controller.signal })));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(f.type).toBe(CONNECTOR_UNAVAILABLE);
  });

  test('connection refused is retryable', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const f = await failure(callConnector(point({ url: `http://127.0.0.1:${port}/x` }), {}, ctx()));
    expect(f).toMatchObject({ type: CONNECTOR_UNAVAILABLE, nonRetryable: false });
  });

  test('a response over 1 MiB is refused, and not retried (it would be as large again)', async () => {
    const f = await failure(callConnector(point({ url: `${base}/huge` }), {}, ctx()));
    expect(f.type).toBe(CONNECTOR_BAD_RESPONSE);
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toContain('1048576');
  });

  test('a missing template variable: misconfigured, not retried, and nothing is sent', async () => {
    const f = await failure(callConnector(point({ url: `${base}/echo`, body: { a: '{{input.nope}}' } }), { input: {} }, ctx()));
    expect(f).toMatchObject({ type: CONNECTOR_MISCONFIGURED, nonRetryable: true });
    expect(f.message).toContain('{{input.nope}}');
    expect(f.message).toContain('connector crm.body');
    const g = await failure(callConnector(point({ url: `${base}/echo`, headers: { 'x-k': '{{env.MISSING}}' }, env: ['MISSING'] }), {}, ctx()));
    expect(g).toMatchObject({ type: CONNECTOR_MISCONFIGURED, nonRetryable: true });
    expect(g.message).toContain('connector crm.headers.x-k');
    expect(seen).toHaveLength(0);
  });

  test('a URL that is not a URL, or not http(s): misconfigured', async () => {
    const f = await failure(callConnector(point({ url: '{{env.BASE}}/x', env: ['BASE'] }), {}, ctx({ BASE: 'not a url' })));
    expect(f).toMatchObject({ type: CONNECTOR_MISCONFIGURED, nonRetryable: true });
    expect(f.message).toContain("'{{env.BASE}}/x' is not a URL");
    const g = await failure(callConnector(point({ url: 'file:///etc/passwd' }), {}, ctx()));
    expect(g).toMatchObject({ type: CONNECTOR_MISCONFIGURED, nonRetryable: true });
    expect(g.message).toContain('file:');
  });

  test('the query string (which may hold keys) is kept out of failure messages and logs', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', write: (l) => lines.push(l) });
    const f = await failure(callConnector(point({ url: `${base}/bad-request?api_key={{env.KEY}}`, env: ['KEY'] }), {}, ctx({ KEY: 'sekrit-123' }, { logger })));
    expect((seen[0] as Seen).url).toBe('/bad-request?api_key=sekrit-123');
    expect(f.message).not.toContain('sekrit-123');
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l).not.toContain('sekrit-123');
  });
});

describe('connector declarations that could leak or inject', () => {
  test('credentials in the URL are refused without showing them, and not retried', async () => {
    const { normalizeConnector } = await import('../../src/definitions/connector');
    const { callConnector } = await import('../../src/activities/data-connector');
    const { silentLogger } = await import('../../src/logging/logger');
    const p = normalizeConnector('c', { url: 'http://{{env.U}}:{{env.P}}@127.0.0.1:1/x', env: ['U', 'P'] }, 'c');
    const err = (await callConnector(p, {}, { fetch, env: { U: 'user', P: 'sekrit' }, logger: silentLogger }).catch((e: unknown) => e)) as {
      type: string;
      nonRetryable: boolean;
      message: string;
    };
    expect(err).toMatchObject({ type: 'HookwaitConnectorMisconfigured', nonRetryable: true });
    expect(err.message).not.toContain('sekrit');
  });
  test('a header value with a line break is refused, not retried', async () => {
    const { normalizeConnector } = await import('../../src/definitions/connector');
    const { callConnector } = await import('../../src/activities/data-connector');
    const { silentLogger } = await import('../../src/logging/logger');
    const p = normalizeConnector('c', { url: 'http://127.0.0.1:1/x', headers: { 'x-a': '{{input.h}}' } }, 'c');
    const err = (await callConnector(p, { input: { h: 'a\r\nInjected: 1' } }, { fetch, env: {}, logger: silentLogger }).catch((e: unknown) => e)) as {
      type: string;
      nonRetryable: boolean;
      message: string;
    };
    expect(err).toMatchObject({ type: 'HookwaitConnectorMisconfigured', nonRetryable: true });
    expect(err.message).not.toContain('Injected');
  });
});

describe('a value in the URL path cannot climb it (dot segments)', () => {
  const auth = { authorization: 'Bearer {{env.CRM_TOKEN}}' };
  const env = { CRM_BASE: '', CRM_TOKEN: 'tok-sekrit' };
  beforeEach(() => {
    env.CRM_BASE = `${base}/echo/api/v1`;
  });

  test.each(['..', '.', ''])('GET …/customers/{{input.customerId}}/profile with %j: refused, not retried, nothing sent', async (customerId) => {
    const p = point({ method: 'GET', url: '{{env.CRM_BASE}}/customers/{{input.customerId}}/profile', headers: auth, env: ['CRM_BASE', 'CRM_TOKEN'] });
    const f = await failure(callConnector(p, { input: { customerId } }, ctx(env)));
    expect(f).toMatchObject({ type: CONNECTOR_MISCONFIGURED, nonRetryable: true });
    expect(f.message).toContain('connector crm.url');
    expect(f.message).toContain('{{input.customerId}}');
    expect(f.message).not.toContain('tok-sekrit');
    expect(f.message).not.toContain(base);
    expect(seen).toEqual([]);
  });

  // Sent encoded ('..%2Fadmin'), these reach '/api/v1/admin/profile' on a server that decodes before routing.
  test.each(['../admin', '..\\admin', 'a/../b', '%2e%2e%2fadmin', '/', '42/delete', '%5C'])(
    'GET …/customers/{{input.customerId}}/profile with %j (a dot segment or a separator, maybe encoded): refused, nothing sent',
    async (customerId) => {
      const p = point({ method: 'GET', url: '{{env.CRM_BASE}}/customers/{{input.customerId}}/profile', headers: auth, env: ['CRM_BASE', 'CRM_TOKEN'] });
      const f = await failure(callConnector(p, { input: { customerId } }, ctx(env)));
      expect(f).toMatchObject({ type: CONNECTOR_MISCONFIGURED, nonRetryable: true });
      expect(f.message).toContain('{{input.customerId}}');
      expect(f.message).not.toContain('tok-sekrit');
      expect(f.message).not.toContain(base);
      expect(seen).toEqual([]);
    },
  );

  test('DELETE …/orders/{id}/items/{id} with two ".." (from callback attributes): refused, nothing sent', async () => {
    const p = point({ method: 'DELETE', url: '{{env.CRM_BASE}}/orders/{{attributes.order.id}}/items/{{attributes.order.item}}', headers: auth, env: ['CRM_BASE', 'CRM_TOKEN'] });
    const f = await failure(callConnector(p, { attributes: { order: { id: '..', item: '..' } } }, ctx(env)));
    expect(f).toMatchObject({ type: CONNECTOR_MISCONFIGURED, nonRetryable: true });
    expect(f.message).toContain('{{attributes.order.id}}');
    expect(seen).toEqual([]);
  });

  test('ordinary values still reach the path encoded, and "../admin" in the query string is plain data', async () => {
    const p = point({ method: 'GET', url: '{{env.CRM_BASE}}/customers/{{input.customerId}}/profile?q={{input.q}}&e={{input.e}}', env: ['CRM_BASE'] });
    await callConnector(p, { input: { customerId: '...', q: '../admin', e: '' } }, ctx(env));
    expect(seen.map((r) => r.url)).toEqual(['/echo/api/v1/customers/.../profile?q=..%2Fadmin&e=']);
  });
});

describe('env: only what the connector declares, and never in a failure message or log line', () => {
  test('a connector point that skipped the definition checks still sees only its declared variables', async () => {
    const p = { ...point({ url: `${base}/echo` }), headers: { 'x-k': '{{env.OTHER_SECRET}}' } };
    const f = await failure(callConnector(p, {}, ctx({ OTHER_SECRET: 'sekrit-other' })));
    expect(f).toMatchObject({ type: CONNECTOR_MISCONFIGURED, nonRetryable: true });
    expect(f.message).toContain('{{env.OTHER_SECRET}}');
    expect(f.message).not.toContain('sekrit-other');
    const all = { ...point({ url: `${base}/echo`, body: { a: 1 } }), body: { dump: '{{env}}' } };
    await callConnector(all, {}, ctx({ OTHER_SECRET: 'sekrit-other', HOOKWAIT_TOKEN_KEYS: 'k1:sekrit-key' }));
    expect((seen[0] as Seen).body).toBe('{"dump":{}}');
  });

  test('HOOKWAIT_* and TEMPORAL_* stay out of reach even under a broad prefix', async () => {
    const p = { ...point({ url: `${base}/echo`, env: ['H*', 'T*'] }), headers: { 'x-k': '{{env.HOOKWAIT_TOKEN_KEYS}}' } };
    const f = await failure(callConnector(p, {}, ctx({ HOOKWAIT_TOKEN_KEYS: 'k1:sekrit-key' })));
    expect(f.type).toBe(CONNECTOR_MISCONFIGURED);
    expect(seen).toEqual([]);
  });

  test('failing calls of every kind name the URL as its template: no env value in any message or log line', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedBase = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', write: (l) => lines.push(l) });
    const secrets = { API_BASE: base, API_QUERY_KEY: 'querykey-sekrit', API_TOKEN: 'tok-sekrit' };
    const cases: [string, Partial<ConnectorDecl>, Record<string, string>, string][] = [
      ['rejected', {}, { API_PATH: 'bad-request' }, CONNECTOR_REJECTED],
      ['a secret in the path', {}, { API_PATH: 'tenant-sekrit/nowhere' }, CONNECTOR_REJECTED],
      ['unavailable', { retry: { maximumAttempts: 1 } }, { API_PATH: 'unavailable' }, CONNECTOR_UNAVAILABLE],
      ['redirect', {}, { API_PATH: 'redirect' }, CONNECTOR_REJECTED],
      ['wrong shape', { response: z.object({ id: z.string() }) }, { API_PATH: 'wrong-shape' }, CONNECTOR_BAD_RESPONSE],
      ['timeout', { timeout: 200 }, { API_PATH: 'slow' }, CONNECTOR_UNAVAILABLE],
      ['refused', {}, { API_PATH: 'x', API_BASE: closedBase }, CONNECTOR_UNAVAILABLE],
    ];
    for (const [label, decl, extra, type] of cases) {
      const env: Record<string, string> = { ...secrets, ...extra };
      const p = point({
        url: '{{env.API_BASE}}/{{env.API_PATH}}?k={{env.API_QUERY_KEY}}',
        headers: { authorization: 'Bearer {{env.API_TOKEN}}' },
        env: ['API_BASE', 'API_PATH', 'API_QUERY_KEY', 'API_TOKEN'],
        ...decl,
      });
      const f = await failure(callConnector(p, {}, ctx(env, { logger })));
      expect([label, f.type]).toEqual([label, type]);
      // (A response that does not fit its schema names the field, not the call.)
      if (label !== 'wrong shape') expect(f.message).toContain(`${p.method} {{env.API_BASE}}/{{env.API_PATH}}`);
      for (const value of [env.API_BASE, `/${env.API_PATH}`, env.API_QUERY_KEY, env.API_TOKEN] as string[]) expect([label, f.message.includes(value)]).toEqual([label, false]);
    }
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line).toContain('{{env.API_BASE}}');
      for (const value of [base, closedBase, 'tenant-sekrit', 'querykey-sekrit', 'tok-sekrit', '/bad-request', '/unavailable', '/slow']) expect([line, line.includes(value)]).toEqual([line, false]);
    }
  });
});
