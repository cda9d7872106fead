/**
 * The edge under a flood of forged tokens: each is refused (404) before its body is read, with no call to Temporal.
 * A small declared body is drained and the keep-alive connection kept (one connection serves many refusals); a large,
 * chunked or undeclared one is never read and its connection is closed. Behaviour only: no timing.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { createGatewayApp } from '../src/api/gateway-app';
import { EARLY_REFUSAL_DRAIN_BYTES } from '../src/api/callback-route';
import { generateKeyringSpec, mintCallbackToken, parseKeyring } from '../src/security/callback-token';
import { testProcedures } from './fixtures/procedures';
import { testWaits } from './fixtures/waits';
import { TEST_SECRETS } from './helpers/harness';

const keyring = parseKeyring(generateKeyringSpec('edge'));
let server: http.Server;
let base: string;
let calls = 0;
let connections = 0;

beforeAll(async () => {
  // Nothing listens on this port: any call to Temporal would fail, and it is counted.
  const connection = Connection.lazy({ address: '127.0.0.1:1' });
  const service = new Proxy(connection.workflowService, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (...args: unknown[]) => ((calls++), (value as (...a: unknown[]) => unknown).apply(target, args)) : value;
    },
  });
  const client = new Client({ connection: Object.create(connection, { workflowService: { value: service } }) as Connection, namespace: 'default' });
  const app = createGatewayApp({ client, namespace: 'default', procedures: testProcedures, waits: testWaits, keyring, secrets: TEST_SECRETS, rateLimits: false, statusCheck: 'signal-first' });
  server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  server.on('connection', () => connections++);
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function post(agent: http.Agent, path: string, body: Buffer, headers: Record<string, string>): Promise<{ status: number; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method: 'POST', agent, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const real = mintCallbackToken(keyring, { namespace: 'default', procedure: 'approval', workflowId: 'wf', runId: 'run', wait: 'approval' });
const forged = `${real.slice(0, -6)}${real.slice(-6) === 'AAAAAA' ? 'BBBBBB' : 'AAAAAA'}`;

test('forged tokens with small bodies: 404, no Temporal call, one keep-alive connection for all of them', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const before = connections;
  calls = 0;
  const body = Buffer.from('{"decision":"approved"}');
  for (let i = 0; i < 50; i++) {
    const r = await post(agent, `/callbacks/${forged}`, body, { 'content-length': String(body.length) });
    expect(r).toEqual({ status: 404, connection: 'keep-alive' });
  }
  expect(connections - before).toBe(1);
  expect(calls).toBe(0);
  agent.destroy();
});

test('a forged token with a body over the drain limit, or chunked: 404 and the connection is closed, the body never read', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const big = Buffer.alloc(EARLY_REFUSAL_DRAIN_BYTES + 1, 0x20);
  expect(await post(agent, `/callbacks/${forged}`, big, { 'content-length': String(big.length) })).toEqual({ status: 404, connection: 'close' });
  expect(await post(agent, `/callbacks/${forged}`, Buffer.from('{}'), { 'transfer-encoding': 'chunked' })).toEqual({ status: 404, connection: 'close' });
  expect(calls).toBe(0);
  agent.destroy();
});
