/**
 * How many calls the gateway makes to Temporal per callback: counted on the gateway's own client (every method of
 * its WorkflowService), for both status checks. Behaviour only: no timing.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Client } from '@temporalio/client';
import { createGatewayApp } from '../src/api/gateway-app';
import { silentLogger } from '../src/logging/logger';
import type { StatusCheck } from '../src/service/callback-service';
import { revokeSignal } from '../src/workflows/messages';
import { testProcedures } from './fixtures/procedures';
import { testWaits } from './fixtures/waits';
import { approval, stockCheck } from './fixtures/workflows';
import { startHarness, TEST_SECRETS, type Harness } from './helpers/harness';
import { eventually, postCallback } from './helpers/http';
import { callbackUrlOf, runState, uniqueId, untilWaitStatus } from './helpers/runs';

let h: Harness;
const servers: Server[] = [];

beforeAll(async () => {
  h = await startHarness();
  await h.startWorker();
});
afterAll(async () => {
  for (const s of servers) await new Promise((resolve) => s.close(resolve));
  await h?.teardown();
});

/** A gateway of its own whose client counts every call it makes to Temporal's WorkflowService. */
async function countedGateway(statusCheck: StatusCheck): Promise<{ readonly calls: string[]; readonly urlOf: (callbackUrl: string) => string }> {
  const calls: string[] = [];
  const connection = h.env.connection;
  const service = new Proxy(connection.workflowService, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(prop));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  const counted = Object.create(connection, { workflowService: { value: service } }) as typeof connection;
  const client = new Client({ connection: counted, namespace: h.env.namespace ?? 'default' });
  const app = createGatewayApp({
    client,
    namespace: h.env.namespace ?? 'default',
    procedures: testProcedures,
    waits: testWaits,
    keyring: h.keyring,
    logger: silentLogger,
    secrets: TEST_SECRETS,
    rateLimits: false,
    statusCheck,
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  servers.push(server);
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // The worker mints URLs on the harness's gateway; the same token works on any gateway with the same keys.
  return { calls, urlOf: (callbackUrl) => `${base}/callbacks/${callbackUrl.slice(callbackUrl.lastIndexOf('/') + 1)}` };
}

const approvalBody = { decision: 'approved', refund: { amount: 42.5 }, approver: { email: 'ann@example.com' } };

describe('signal-first: one Temporal call per accepted callback', () => {
  test('an accepted callback is one signal; a forged token makes no call at all', async () => {
    const g = await countedGateway('signal-first');
    const handle = await h.env.client.workflow.start(approval, { taskQueue: h.taskQueue, workflowId: uniqueId('one-call'), args: [{}] });
    const url = g.urlOf(await callbackUrlOf(handle, 'approval'));
    await untilWaitStatus(handle, 'approval', 'waiting');

    g.calls.length = 0;
    const res = await postCallback(url, approvalBody);
    expect(res).toMatchObject({ status: 202, body: { status: 'accepted', wait: 'approval' } });
    expect(g.calls).toEqual(['signalWorkflowExecution']);
    expect((await handle.result()).status).toBe('completed');

    g.calls.length = 0;
    const token = url.slice(url.lastIndexOf('/') + 1);
    const forged = `${token.slice(0, -4)}${token.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
    for (const t of [forged, 'hw2.t1.not-a-token', 'x'.repeat(300)]) {
      expect((await postCallback(url.replace(token, t), approvalBody)).status).toBe(404);
    }
    expect(g.calls).toEqual([]);
  });

  test('after the run finished: the same callback again is 200, another 410; this gateway then answers both with no call', async () => {
    const g = await countedGateway('signal-first');
    const handle = await h.env.client.workflow.start(approval, { taskQueue: h.taskQueue, workflowId: uniqueId('one-call-done'), args: [{}] });
    const url = g.urlOf(await callbackUrlOf(handle, 'approval'));
    expect((await postCallback(url, approvalBody)).status).toBe(202);
    await handle.result();

    g.calls.length = 0;
    const again = await postCallback(url, approvalBody);
    expect(again).toMatchObject({ status: 200, body: { status: 'duplicate', wait: 'approval' } });
    // Its first repeat takes the exact path on this replica (it accepted the first): describe, answered from the memo.
    expect(g.calls).toEqual(['describeWorkflowExecution']);

    g.calls.length = 0;
    expect((await postCallback(url, { ...approvalBody, decision: 'rejected' })).body).toMatchObject({ status: 410, type: 'urn:hookwait:problem:gone' });
    expect((await postCallback(url, approvalBody)).status).toBe(200);
    expect(g.calls).toEqual([]);
  });

  test('a closed run this gateway never saw: the signal is refused, one describe tells 200 from 410', async () => {
    const g = await countedGateway('signal-first');
    const handle = await h.env.client.workflow.start(approval, { taskQueue: h.taskQueue, workflowId: uniqueId('one-call-cold'), args: [{}] });
    const minted = await callbackUrlOf(handle, 'approval');
    expect((await postCallback(minted, approvalBody)).status).toBe(202);
    await handle.result();

    g.calls.length = 0;
    expect((await postCallback(g.urlOf(minted), approvalBody)).status).toBe(200);
    expect(g.calls).toEqual(['signalWorkflowExecution', 'describeWorkflowExecution']);
    g.calls.length = 0;
    expect((await postCallback(g.urlOf(minted), { ...approvalBody, decision: 'rejected' })).status).toBe(410);
    expect(g.calls).toEqual([]);
  });

  test('a revoked wait of an open run: answered 202 (approximate), recorded as revoked on the ledger, never applied', async () => {
    const g = await countedGateway('signal-first');
    const handle = await h.env.client.workflow.start(stockCheck, { taskQueue: h.taskQueue, workflowId: uniqueId('one-call-revoked'), args: [{}] });
    const url = g.urlOf(await callbackUrlOf(handle, 'stock'));
    await untilWaitStatus(handle, 'stock', 'waiting');
    await handle.signal(revokeSignal, { wait: 'stock', at: new Date().toISOString(), source: { kind: 'operator', operator: 'test' } });
    await eventually(async () => ((await runState(handle)).waits.stock?.revoked ? true : undefined));

    g.calls.length = 0;
    expect((await postCallback(url, { in_stock: '1' })).status).toBe(202);
    expect(g.calls).toEqual(['signalWorkflowExecution']);
    const s = await eventually(async () => {
      const st = await runState(handle);
      return st.ledger.some((e) => e.source.kind === 'http') ? st : undefined;
    });
    expect(s.ledger.filter((e) => e.source.kind === 'http').map((e) => e.outcome)).toEqual(['revoked']);
    expect(s.waits.stock?.status).toBe('waiting');
    await handle.terminate('test done');
  });
});

describe('describe (the default): exact answers, repeats of a closed run answered from memory', () => {
  test('an accepted callback is describe + signal; after the run finished, the repeat is described once, then remembered', async () => {
    const g = await countedGateway('describe');
    const handle = await h.env.client.workflow.start(approval, { taskQueue: h.taskQueue, workflowId: uniqueId('describe'), args: [{}] });
    const url = g.urlOf(await callbackUrlOf(handle, 'approval'));
    await untilWaitStatus(handle, 'approval', 'waiting');
    g.calls.length = 0;
    expect((await postCallback(url, approvalBody)).status).toBe(202);
    expect(g.calls).toEqual(['describeWorkflowExecution', 'signalWorkflowExecution']);
    await handle.result();

    g.calls.length = 0;
    expect((await postCallback(url, approvalBody)).status).toBe(200);
    expect(g.calls).toEqual(['describeWorkflowExecution']);
    g.calls.length = 0;
    expect((await postCallback(url, approvalBody)).status).toBe(200);
    expect((await postCallback(url, { ...approvalBody, decision: 'rejected' })).status).toBe(410);
    expect(g.calls).toEqual([]);
  });
});
