import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { lazyClient } from '../src/app/temporal-connection';
import { createGatewayApp } from '../src/api/gateway-app';
import { silentLogger } from '../src/logging/logger';
import { generateKeyringSpec, mintCallbackToken, parseKeyring } from '../src/security/callback-token';
import { stateQuery } from '../src/workflows/messages';
import { approvalProcedure, testProcedures } from './fixtures/procedures';
import { approval } from './fixtures/workflows';
import { startHarness, TEST_SECRETS, type Harness } from './helpers/harness';
import { eventually, postCallback } from './helpers/http';

describe('a callback is durably accepted while no worker runs', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.teardown();
  });

  test('worker stopped while the procedure waits: 202, then applied when a worker starts', async () => {
    const stop = await h.startWorker();
    const handle = await h.env.client.workflow.start(approval, { taskQueue: h.taskQueue, workflowId: `nw-${randomUUID()}`, args: [{}] });
    const url = await eventually(async () => {
      const s = await handle.query(stateQuery);
      return s.waits.approval?.status === 'waiting' ? s.callbackUrls.approval : undefined;
    });
    await stop();

    const res = await postCallback(url, { decision: 'approved', refund: { amount: 5 }, approver: { email: 'x@example.com' } });
    expect(res.status).toBe(202);
    expect((await handle.describe()).status.name).toBe('RUNNING');

    await h.startWorker();
    const result = await handle.result();
    expect(result).toMatchObject({ status: 'completed', output: { decision: 'approved', amount: 5 } });
  });

  test('no worker has ever run the procedure: the callback is kept and the wait returns at once', async () => {
    const workflowId = `nw0-${randomUUID()}`;
    const later = `${h.taskQueue}-later`;
    // A wait of an hour: a run that completes within seconds used the early callback, not a timeout.
    const handle = await h.env.client.workflow.start(approval, { taskQueue: later, workflowId, args: [{ waitTimeout: '1h' }] });
    // The URL is deterministic for (namespace, workflow id, run id, wait): the worker will mint this same one.
    const token = mintCallbackToken(h.keyring, { namespace: 'default', procedure: 'approval', workflowId, runId: handle.firstExecutionRunId, wait: 'approval' });
    const res = await postCallback(`${h.gatewayUrl}/callbacks/${token}`, { decision: 'rejected', refund: { amount: 1 }, approver: { email: 'y@example.com' } });
    expect(res.status).toBe(202);
    expect((await handle.fetchHistory()).events?.some((e) => e.workflowTaskCompletedEventAttributes)).toBe(false); // no step has run yet

    const stop = await h.startWorker({ taskQueue: later });
    try {
      const result = await handle.result();
      expect(result).toMatchObject({ status: 'completed', output: { decision: 'rejected', amount: 1 }, attributes: { approval: { decision: 'rejected', amount: 1, approver: 'y@example.com' } } });
      const s = await handle.query(stateQuery);
      expect(s.callbackUrls.approval).toBe(`${h.gatewayUrl}/callbacks/${token}`);
      expect(s.ledger.map((e) => e.outcome)).toEqual(['accepted']);
    } finally {
      await stop();
    }
  });
});

describe('Temporal unreachable', () => {
  let server: Server;
  let url: string;
  const keyring = parseKeyring(generateKeyringSpec('t1'));
  beforeAll(async () => {
    // Nothing listens on this port: every call to Temporal fails.
    const client = lazyClient({ address: '127.0.0.1:1', namespace: 'default', taskQueue: 'x', callTimeoutMs: 1_000 });
    const app = createGatewayApp({ client, namespace: 'default', procedures: testProcedures, keyring, logger: silentLogger, temporalTimeoutMs: 1_000, secrets: TEST_SECRETS });
    server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  test('a valid callback gets 503 with Retry-After, never 500', async () => {
    const token = mintCallbackToken(keyring, { namespace: 'default', procedure: 'approval', workflowId: 'w', runId: randomUUID(), wait: approvalProcedure.waits.approval.name });
    const res = await postCallback(`${url}/callbacks/${token}`, { decision: 'approved' });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(res.body).toMatchObject({ type: 'urn:hookwait:problem:temporal-unavailable' });
  });
  test('readyz says not ready; healthz says alive', async () => {
    expect((await fetch(`${url}/readyz`)).status).toBe(503);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });
  test('a forged token is still a 404 (decided before any call to Temporal)', async () => {
    expect((await postCallback(`${url}/callbacks/hw1.t1.AAAAAAAAAA.${'A'.repeat(43)}`, {})).status).toBe(404);
  });
});
