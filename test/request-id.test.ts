import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { createGatewayApps } from '../src/api/gateway-app';
import { createLogger } from '../src/logging/logger';
import { generateKeyringSpec, parseKeyring } from '../src/security/callback-token';
import { testProcedures } from './fixtures/procedures';
import { testWaits } from './fixtures/waits';
import { TEST_SECRETS } from './helpers/harness';

// Request ids and refusal logging at the edge. Every answer here is decided before Temporal (nothing listens on port 1).
const keyring = parseKeyring(generateKeyringSpec('r1'));
const client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }), namespace: 'default' });
const log: string[] = [];
let server: Server;
let admin: Server;
let base: string;
let adminBase: string;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const lines = () => log.map((l) => JSON.parse(l) as Record<string, unknown>);

beforeAll(async () => {
  const apps = createGatewayApps({
    client,
    namespace: 'default',
    procedures: testProcedures,
    waits: testWaits,
    keyring,
    secrets: TEST_SECRETS,
    logger: createLogger({ level: 'debug', write: (line) => log.push(line) }),
    rateLimits: { perIp: 1_000_000, perToken: 1, windowMs: 60_000 },
  });
  const listen = (app: typeof apps.app): Promise<Server> => new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  server = await listen(apps.app);
  admin = await listen(apps.admin);
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  adminBase = `http://127.0.0.1:${(admin.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await new Promise((r) => admin.close(r));
  await client.connection.close().catch(() => undefined);
});

const forged = `/callbacks/hw1.r1.${'A'.repeat(20)}.${'B'.repeat(43)}`;

test("a sender's x-request-id is never taken as ours: the answer carries our id, theirs is logged as clientRequestId", async () => {
  const res = await fetch(`${base}${forged}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'spoofed-id-1' }, body: '{}' });
  expect(res.status).toBe(404);
  const ours = res.headers.get('x-request-id') ?? '';
  expect(ours).toMatch(UUID);
  expect(await res.json()).toMatchObject({ requestId: ours });
  expect(lines()).toContainEqual(expect.objectContaining({ msg: 'callback refused', outcome: 'not-found', requestId: ours, clientRequestId: 'spoofed-id-1' }));
  expect(lines().some((l) => l.requestId === 'spoofed-id-1')).toBe(false);
});

test('an insane x-request-id is dropped, not logged', async () => {
  const res = await fetch(`${base}${forged}`, { method: 'DELETE', headers: { 'x-request-id': 'bad id {"x":1}' } });
  expect(res.status).toBe(405);
  expect(res.headers.get('x-request-id')).toMatch(UUID);
  expect(log.join('\n')).not.toContain('bad id');
});

test('a flood of refusals logs about one line per outcome per second, with a count; the metrics count every one', async () => {
  await new Promise((r) => setTimeout(r, 1_100)); // a fresh second for each outcome
  const before = lines().filter((l) => l.msg === 'callback refused').length;
  const started = Date.now();
  for (let i = 0; i < 200; i++) {
    const res = await fetch(`${base}${forged}`, { method: i % 2 ? 'POST' : 'PATCH', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect([404, 405]).toContain(res.status);
  }
  const seconds = Math.ceil((Date.now() - started) / 1_000);
  const refused = lines().filter((l) => l.msg === 'callback refused').slice(before);
  expect(refused.length).toBeGreaterThanOrEqual(2);
  expect(refused.length).toBeLessThanOrEqual(2 * (seconds + 1));
  // Once a second has passed, the next line says how many went unlogged.
  await new Promise((r) => setTimeout(r, 1_100));
  await fetch(`${base}${forged}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  const last = lines().filter((l) => l.msg === 'callback refused' && l.outcome === 'not-found').pop();
  expect(last).toMatchObject({ suppressed: expect.any(Number) });
  expect(Number(last?.suppressed)).toBeGreaterThan(0);
  const metrics = await (await fetch(`${adminBase}/metrics`)).text();
  const count = (outcome: string): number => Number(new RegExp(`hookwait_callbacks_total\\{outcome="${outcome}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
  expect(count('not-found') + count('method-not-allowed')).toBeGreaterThanOrEqual(202);
}, 30_000);
