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
async function countedGateway(statusCheck: StatusCheck, extra: { readonly updateTimeoutMs?: number } = {}): Promise<{ readonly calls: string[]; readonly urlOf: (callbackUrl: string) => string }> {
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
    ...extra,
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

describe('describe: exact answers, repeats of a closed run answered from memory', () => {
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

describe('update (the default): one call per callback, and the run answers exactly', () => {
  test('an accepted callback is one update; the run resumes', async () => {
    const g = await countedGateway('update');
    const handle = await h.env.client.workflow.start(approval, { taskQueue: h.taskQueue, workflowId: uniqueId('update'), args: [{}] });
    const url = g.urlOf(await callbackUrlOf(handle, 'approval'));
    await untilWaitStatus(handle, 'approval', 'waiting');
    g.calls.length = 0;
    expect(await postCallback(url, approvalBody)).toMatchObject({ status: 202, body: { status: 'accepted', wait: 'approval' } });
    expect(g.calls).toEqual(['updateWorkflowExecution']);
    expect((await handle.result()).status).toBe('completed');
    const history = await handle.fetchHistory();
    expect(history.events?.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).length).toBe(1);

    // The run has closed: the update is refused, one describe tells the repeat (200) from another callback (410).
    g.calls.length = 0;
    expect((await postCallback(url, approvalBody)).status).toBe(200);
    expect(g.calls).toEqual(['updateWorkflowExecution', 'describeWorkflowExecution']);
    g.calls.length = 0;
    expect((await postCallback(url, { ...approvalBody, decision: 'rejected' })).status).toBe(410);
    expect(g.calls).toEqual([]);
  });

  test('an open run: a repeat is 200, a timed-out wait 410, a revoked wait 410, each with one call and on the ledger', async () => {
    const g = await countedGateway('update');
    // stock times out after 1 s and the run goes on to wait for confirm.
    const late = await h.env.client.workflow.start(stockCheck, { taskQueue: h.taskQueue, workflowId: uniqueId('update-late'), args: [{ waitTimeout: '1s' }] });
    const lateUrl = g.urlOf(await callbackUrlOf(late, 'stock'));
    await untilWaitStatus(late, 'stock', 'timed_out');
    g.calls.length = 0;
    expect((await postCallback(lateUrl, { in_stock: '1' })).body).toMatchObject({ status: 410, type: 'urn:hookwait:problem:gone', detail: 'this wait has already timed out' });
    expect(g.calls).toEqual(['updateWorkflowExecution']);

    const open = await h.env.client.workflow.start(stockCheck, { taskQueue: h.taskQueue, workflowId: uniqueId('update-repeat'), args: [{}] });
    const stockUrl = g.urlOf(await callbackUrlOf(open, 'stock'));
    expect((await postCallback(stockUrl, { in_stock: '1' })).status).toBe(202);
    g.calls.length = 0;
    expect(await postCallback(stockUrl, { in_stock: '2' })).toMatchObject({ status: 200, body: { status: 'duplicate', wait: 'stock' } });
    expect(g.calls).toEqual(['updateWorkflowExecution']);
    expect((await runState(open)).waits.stock?.attributes).toEqual({ in_stock: '1' });

    const revoked = await h.env.client.workflow.start(stockCheck, { taskQueue: h.taskQueue, workflowId: uniqueId('update-revoked'), args: [{}] });
    const revokedUrl = g.urlOf(await callbackUrlOf(revoked, 'stock'));
    await revoked.signal(revokeSignal, { wait: 'stock', at: new Date().toISOString(), source: { kind: 'operator', operator: 'test' } });
    await eventually(async () => ((await runState(revoked)).waits.stock?.revoked ? true : undefined));
    g.calls.length = 0;
    expect((await postCallback(revokedUrl, { in_stock: '1' })).body).toMatchObject({ status: 410, detail: 'this callback URL has been revoked' });
    expect(g.calls).toEqual(['updateWorkflowExecution']);
    const s = await runState(revoked);
    expect(s.ledger.filter((e) => e.source.kind === 'http').map((e) => e.outcome)).toEqual(['revoked']);
    expect(s.waits.stock?.status).toBe('waiting');
    for (const run of [late, open, revoked]) await run.terminate('test done');
  });

  test('no worker answers in time: the durable signal instead (202), applied once a worker runs', async () => {
    const g = await countedGateway('update', { updateTimeoutMs: 1_500 });
    const taskQueue = `${h.taskQueue}-update-fallback`;
    const stop = await h.startWorker({ taskQueue });
    const handle = await h.env.client.workflow.start(approval, { taskQueue, workflowId: uniqueId('update-no-worker'), args: [{}] });
    const url = g.urlOf(await callbackUrlOf(handle, 'approval'));
    await untilWaitStatus(handle, 'approval', 'waiting');
    await stop();

    g.calls.length = 0;
    expect(await postCallback(url, approvalBody)).toMatchObject({ status: 202, body: { status: 'accepted' } });
    expect(g.calls.filter((c) => c === 'signalWorkflowExecution')).toHaveLength(1);
    expect(g.calls[0]).toBe('updateWorkflowExecution');

    await h.startWorker({ taskQueue });
    expect(await handle.result()).toMatchObject({ status: 'completed' });
    const history = await handle.fetchHistory();
    expect(history.events?.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'hookwait.callback').length).toBe(1);
  });
});
