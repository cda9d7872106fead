import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { createGatewayApp } from '../src/api/gateway-app';
import { generateKeyringSpec, mintCallbackToken, parseKeyring } from '../src/security/callback-token';
import { testProcedures } from './fixtures/procedures';
import { testWaits } from './fixtures/waits';
import { TEST_SECRETS } from './helpers/harness';

// Early refusals are decided before Temporal is called, so this gateway's client points at a port nothing listens on.
const keyring = parseKeyring(generateKeyringSpec('ka'));
let server: http.Server;
let base: string;
let client: Client;

beforeAll(async () => {
  client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }), namespace: 'default' });
  const app = createGatewayApp({
    client,
    namespace: 'default',
    procedures: testProcedures,
    waits: testWaits,
    keyring,
    secrets: TEST_SECRETS,
    bodyLimitBytes: 64 * 1024,
    rateLimits: { perIp: 1_000_000, perToken: 1, windowMs: 60_000 },
  });
  server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await client.connection.close().catch(() => undefined);
});

interface Reply {
  readonly status: number;
  readonly body: string;
  readonly connection: string | undefined;
}

function send(agent: http.Agent, method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), connection: res.headers.connection }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body) {
      // Sent in pieces, as a slow sender would: the answer may come before the body is all there.
      let i = 0;
      const next = (): void => {
        if (i >= body.length) return void req.end();
        const piece = body.subarray(i, i + 16 * 1024);
        i += piece.length;
        if (req.write(piece)) setImmediate(next);
        else req.once('drain', next);
      };
      req.on('error', () => undefined);
      next();
    } else req.end();
  });
}

let n = 0;
/** A fresh valid token each time, so the per-URL rate limit meets only the test that wants it. */
const token = (wait: string, procedure = 'approval') => mintCallbackToken(keyring, { namespace: 'default', procedure, workflowId: `wf-${n++}`, runId: 'run', wait });
const big = Buffer.from(JSON.stringify({ pad: 'x'.repeat(512 * 1024) }));
const small = Buffer.from(JSON.stringify({ decision: 'approved' }));

const earlyRefusals: { readonly name: string; readonly status: number; readonly method: string; readonly path: () => string; readonly headers: Record<string, string>; readonly body: Buffer }[] = [
  { name: '405 DELETE with a body', status: 405, method: 'DELETE', path: () => `/callbacks/${token('approval')}`, headers: { 'content-type': 'application/json' }, body: big },
  { name: '405 PATCH with a body', status: 405, method: 'PATCH', path: () => `/callbacks/${token('approval')}`, headers: { 'content-type': 'application/json' }, body: big },
  { name: '404 forged token with a body', status: 404, method: 'POST', path: () => `/callbacks/hw1.ka.${'A'.repeat(20)}.${'B'.repeat(43)}`, headers: { 'content-type': 'application/json' }, body: big },
  { name: '415 wrong content type with a body', status: 415, method: 'POST', path: () => `/callbacks/${token('approval')}`, headers: { 'content-type': 'text/plain' }, body: big },
  { name: '413 declared length over the limit', status: 413, method: 'POST', path: () => `/callbacks/${token('approval')}`, headers: { 'content-type': 'application/json' }, body: big },
  { name: '404 unknown route with a body', status: 404, method: 'POST', path: () => '/nowhere', headers: { 'content-type': 'application/json' }, body: big },
];

describe('keep-alive senders after an early refusal', () => {
  test.each(earlyRefusals)('$name: the answer is problem+json and the next request on the same agent succeeds', async (r) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await send(agent, r.method, r.path(), { ...r.headers, 'content-length': String(r.body.length) }, r.body);
      expect(first.status).toBe(r.status);
      expect(JSON.parse(first.body)).toMatchObject({ status: r.status, type: expect.stringMatching(/^urn:hookwait:problem:/) });
      // Its body was not read: the connection is not offered for reuse, whatever the client does with unread bytes.
      // (The 413 is answered by the body reader once it has drained the body: that connection stays usable.)
      expect(first.connection).toBe(r.status === 413 ? 'keep-alive' : 'close');
      // The next request goes through the same agent (one socket at most): it must not meet a reset or leftover bytes.
      for (let i = 0; i < 3; i++) {
        const next = await send(agent, 'GET', '/healthz', {});
        expect(next.status).toBe(200);
        expect(JSON.parse(next.body)).toEqual({ status: 'ok' });
      }
    } finally {
      agent.destroy();
    }
  });

  test.each(earlyRefusals)('$name: fetch (undici keep-alive) gets the answer and its next request succeeds', async (r) => {
    const first = await fetch(`${base}${r.path()}`, { method: r.method, headers: r.headers, body: r.body });
    expect(first.status).toBe(r.status);
    expect(await first.json()).toMatchObject({ status: r.status });
    for (let i = 0; i < 3; i++) expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  test('429 over the per-URL rate: the next request on the same agent succeeds too', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const path = `/callbacks/${token('stock', 'stockCheck')}`;
      // The first passes the limiter and fails at Temporal (nothing listens): 503. The second is over the limit: 429.
      const first = await send(agent, 'POST', path, { 'content-type': 'application/json', 'content-length': String(small.length) }, small);
      expect([503]).toContain(first.status);
      const second = await send(agent, 'POST', path, { 'content-type': 'application/json', 'content-length': String(big.length) }, big);
      expect(second.status).toBe(429);
      const next = await send(agent, 'GET', '/healthz', {});
      expect(next.status).toBe(200);
    } finally {
      agent.destroy();
    }
  }, 30_000);
});
