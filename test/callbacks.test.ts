import { WorkflowFailedError } from '@temporalio/client';
import { callbackUrl } from '../src/activities/create-activities';
import { mintCallbackToken } from '../src/security/callback-token';
import { approveLines, declareLate, escalatePlain, goSignal, verifyCustomer } from './fixtures/plain-workflows';
import { refundLines } from './fixtures/workflows';
import { startHarness, type Harness } from './helpers/harness';
import { eventually, postCallback } from './helpers/http';
import { callbackUrlOf, runState, uniqueId, untilWaitStatus } from './helpers/runs';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  await h.startWorker();
});
afterAll(async () => {
  await h?.teardown();
});

describe('createCallback in a plain Temporal workflow', () => {
  test('one callback: URL minted in the run, payload checked at the edge, typed result', async () => {
    const handle = await h.env.client.workflow.start(verifyCustomer, { taskQueue: h.taskQueue, workflowId: uniqueId('plain'), args: [{}] });
    const url = await callbackUrlOf(handle, 'idVerified');
    await untilWaitStatus(handle, 'idVerified', 'waiting');

    const bad = await postCallback(url, { status: 'maybe' });
    expect(bad.status).toBe(422);
    expect(bad.body).toMatchObject({ errors: [{ field: 'status' }, { field: 'reference', path: 'data.reference.id', message: 'is required' }] });

    const res = await postCallback(url, { status: 'verified', data: { reference: { id: 'ref-1' } }, extra: 'dropped' });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'accepted', wait: 'idVerified' });
    expect(await handle.result()).toEqual({ status: 'verified', reference: 'ref-1', url });
    const state = await runState(handle);
    expect(state.procedure).toBe('verifyCustomer');
    expect(state.ledger.map((e) => e.outcome)).toEqual(['accepted']);
    expect(JSON.stringify(state)).not.toContain('dropped');
  });

  test('branch on timeout', async () => {
    const handle = await h.env.client.workflow.start(verifyCustomer, { taskQueue: h.taskQueue, workflowId: uniqueId('plain-to'), args: [{ timeout: '1s' }] });
    expect(await handle.result()).toBe('timeout');
    const late = await postCallback((await runState(handle)).callbackUrls.idVerified as string, { status: 'verified', data: { reference: { id: 'r' } } });
    expect(late.status).toBe(410);
  });

  test('a callback sent before the workflow declared its wait is kept and applied when it does', async () => {
    const workflowId = uniqueId('late-declare');
    const handle = await h.env.client.workflow.start(declareLate, { taskQueue: h.taskQueue, workflowId });
    const { runId } = await handle.describe();
    // Tokens are deterministic: whoever holds the signing key can mint the URL the run will mint.
    const url = callbackUrl(h.gatewayUrl, mintCallbackToken(h.keyring, { namespace: 'default', procedure: 'declareLate', workflowId, runId, wait: 'idVerified' }));
    expect((await postCallback(url, { status: 'rejected', data: { reference: { id: 'r' } } })).status).toBe(202);
    await handle.signal(goSignal);
    expect(await handle.result()).toBe('rejected');
    expect((await runState(handle)).callbackUrls.idVerified).toBe(url);
  });

  test('an escalating wait escalates (message, assignment) and throws WaitEscalated, which the workflow may catch', async () => {
    const before = h.channel.assignments.length;
    const handle = await h.env.client.workflow.start(escalatePlain, { taskQueue: h.taskQueue, workflowId: uniqueId('esc'), args: [{ timeout: '1s' }] });
    expect(await handle.result()).toBe('escalated:managerOk');
    expect(h.channel.assignments.length).toBe(before + 1);
    // The run itself stays open to callbacks for its other waits: only the escalation is recorded.
    expect((await runState(handle)).escalatedAt).toMatchObject({ wait: 'managerOk' });
  });
});

describe('keyed waits', () => {
  test('one URL per key in a loop; callbacks in random order, each captured once; a repeat is a duplicate', async () => {
    const items = ['sku-1', 'sku-2', 'sku-3'];
    const handle = await h.env.client.workflow.start(approveLines, { taskQueue: h.taskQueue, workflowId: uniqueId('keyed'), args: [{ items }] });
    const urls = await eventually(async () => {
      const s = await runState(handle);
      const all = items.map((k) => s.callbackUrls[`lineApproved:${k}`]);
      return all.every((u) => u !== undefined) && items.every((k) => s.waits[`lineApproved:${k}`]?.status === 'waiting') ? (all as string[]) : undefined;
    });
    expect(new Set(urls).size).toBe(3);

    const order = [2, 0, 1];
    for (const i of order) {
      const res = await postCallback(urls[i] as string, { approved: i !== 1, by: `approver-${i}` });
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ status: 'accepted', wait: `lineApproved:${items[i]}` });
    }
    expect(await handle.result()).toEqual({ 'sku-1': true, 'sku-2': false, 'sku-3': true });

    const state = await runState(handle);
    for (const [i, sku] of items.entries()) {
      expect(state.waits[`lineApproved:${sku}`]).toMatchObject({ status: 'received', wait: 'lineApproved', key: sku, attributes: { approved: i !== 1, by: `approver-${i}` } });
      expect(state.ledger.filter((e) => e.wait === `lineApproved:${sku}`).map((e) => e.outcome)).toEqual(['accepted']);
    }
    // The same callback again after the run finished: the duplicate answer, not 410.
    const repeat = await postCallback(urls[0] as string, { approved: true, by: 'approver-0' });
    expect(repeat.status).toBe(200);
  });

  test('a keyed token cannot complete another key', async () => {
    const handle = await h.env.client.workflow.start(approveLines, { taskQueue: h.taskQueue, workflowId: uniqueId('keyed2'), args: [{ items: ['a', 'b'] }] });
    const urlA = await callbackUrlOf(handle, 'lineApproved:a');
    await untilWaitStatus(handle, 'lineApproved:a', 'waiting');
    expect((await postCallback(urlA, { approved: true })).status).toBe(202);
    await untilWaitStatus(handle, 'lineApproved:a', 'received');
    expect((await runState(handle)).waits['lineApproved:b']?.status).toBe('waiting');
    // A second callback on a's URL is a duplicate of a; it never reaches b.
    expect((await postCallback(urlA, { approved: false })).status).toBe(200);
    expect((await runState(handle)).waits['lineApproved:b']?.status).toBe('waiting');
    await handle.terminate('test done');
  });

  test('more waits than a run may hold (200, keys included) fail the run with a clear error', async () => {
    const items = Array.from({ length: 201 }, (_, i) => `item-${i}`);
    const handle = await h.env.client.workflow.start(approveLines, { taskQueue: h.taskQueue, workflowId: uniqueId('too-many'), args: [{ items }] });
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(String((err as WorkflowFailedError).cause?.message)).toMatch(/at most 200 waits \(keys included\); 'lineApproved:item-200' would be one more/);
  });

  test('an invalid key fails the run with a clear error', async () => {
    const handle = await h.env.client.workflow.start(approveLines, { taskQueue: h.taskQueue, workflowId: uniqueId('badkey'), args: [{ items: ['has space'] }] });
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(String((err as WorkflowFailedError).cause?.message)).toMatch(/key of wait 'lineApproved' must be/);
  });
});

describe('handlers and the Web UI', () => {
  test("hookwait's handlers carry descriptions (served by the workflow metadata query the Web UI reads)", async () => {
    const handle = await h.env.client.workflow.start(verifyCustomer, { taskQueue: h.taskQueue, workflowId: uniqueId('meta'), args: [{}] });
    await callbackUrlOf(handle, 'idVerified');
    const meta = (await handle.query('__temporal_workflow_metadata')) as {
      definition?: { signalDefinitions?: { name: string; description?: string }[]; queryDefinitions?: { name: string; description?: string }[]; updateDefinitions?: { name: string; description?: string }[] };
      currentDetails?: string;
    };
    const described = (list: { name: string; description?: string }[] = []) => Object.fromEntries(list.map((d) => [d.name, d.description ?? '']));
    expect(described(meta.definition?.signalDefinitions)).toMatchObject({
      'hookwait.callback': expect.stringMatching(/callback/),
      'hookwait.expire': expect.stringMatching(/timeout path/),
      'hookwait.revoke': expect.stringMatching(/Revoke/),
    });
    expect(described(meta.definition?.queryDefinitions)['hookwait.state']).toMatch(/ledger/);
    expect(described(meta.definition?.updateDefinitions)).toMatchObject({ 'hookwait.callbackUrls': expect.any(String), 'hookwait.sync': expect.any(String) });
    expect(meta.currentDetails).toMatch(/Wait for the KYC provider/);
    await handle.terminate('test done');
  });
});

describe('keyed waits in a procedure (run.createCallback)', () => {
  test('one URL per key of a declared wait; callbacks in random order, each captured once', async () => {
    const items = ['line-1', 'line-2', 'line-3', 'line-4'];
    const handle = await h.env.client.workflow.start(refundLines, { taskQueue: h.taskQueue, workflowId: uniqueId('refund-lines'), args: [{ items }] });
    const urls = await eventually(async () => {
      const s = await runState(handle);
      const all = items.map((k) => s.callbackUrls[`lineOk:${k}`]);
      return all.every((u) => u !== undefined) && items.every((k) => s.waits[`lineOk:${k}`]?.status === 'waiting') ? (all as string[]) : undefined;
    });
    expect(new Set(urls).size).toBe(items.length);
    // The declared wait's own URL (minted at the start) is none of the keyed ones.
    expect(urls).not.toContain((await runState(handle)).callbackUrls.lineOk);

    // A fresh random order each run (Fisher-Yates); a failure shows it, as it is part of the compared object.
    const order = items.map((_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [order[i], order[j]] = [order[j] as number, order[i] as number];
    }
    for (const i of order) {
      const res = await postCallback(urls[i] as string, { ok: `ok-${i}`, extra: 'dropped' });
      expect({ order, i, status: res.status, body: res.body }).toMatchObject({ status: 202, body: { status: 'accepted', wait: `lineOk:${items[i]}` } });
    }

    const expected = Object.fromEntries(items.map((k, i) => [k, `ok-${i}`]));
    expect(await handle.result()).toEqual({
      status: 'completed',
      output: expected,
      attributes: Object.fromEntries(items.map((k, i) => [`lineOk:${k}`, { ok: `ok-${i}` }])),
    });
    const state = await runState(handle);
    expect(state.procedure).toBe('refundLines');
    for (const [i, key] of items.entries()) {
      expect(state.waits[`lineOk:${key}`]).toMatchObject({ status: 'received', wait: 'lineOk', key, attributes: { ok: `ok-${i}` } });
      expect(state.ledger.filter((e) => e.wait === `lineOk:${key}`).map((e) => e.outcome)).toEqual(['accepted']);
    }
    expect(state.ledger.map((e) => e.outcome)).toEqual(items.map(() => 'accepted'));
    expect(JSON.stringify(state)).not.toContain('dropped');
  });
});
