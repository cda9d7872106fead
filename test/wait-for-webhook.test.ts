import { createHmac, randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { mintCallbackToken } from '../src/security/callback-token';
import { customerMessageSignal } from '../src/workflows/messages';
import { approval, stockCheck } from './fixtures/workflows';
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

const id = uniqueId;
const state = runState;
const callbackUrl = callbackUrlOf;
const waitStatus = untilWaitStatus;
const approvalBody = { decision: 'approved', refund: { amount: 42.5 }, approver: { email: 'ann@example.com' } };

describe('Wait for Webhook through the gateway', () => {
  test('happy path: nested and typed attributes captured, the procedure resumes; a later callback gets 410, the same one again 200', async () => {
    const handle = await h.env.client.workflow.start(approval, { taskQueue: h.taskQueue, workflowId: id('ap'), args: [{}] });
    const url = await callbackUrl(handle, 'approval');
    expect(url.startsWith(`${h.gatewayUrl}/callbacks/hw2.t1.`)).toBe(true);
    await waitStatus(handle, 'approval', 'waiting');

    const res = await postCallback(url, approvalBody);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'accepted', wait: 'approval' });
    expect(res.headers.get('x-request-id')).toBeTruthy();

    const result = await handle.result();
    expect(result).toEqual({
      status: 'completed',
      output: { decision: 'approved', amount: 42.5, approver: 'ann@example.com' },
      attributes: { approval: { decision: 'approved', amount: 42.5, approver: 'ann@example.com' } },
    });

    // The sender retries after its 202 was lost, once the run has finished: the same callback is still a duplicate.
    const again = await postCallback(url, approvalBody);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ status: 'duplicate', wait: 'approval' });
    const after = await postCallback(url, { ...approvalBody, decision: 'rejected' });
    expect(after.status).toBe(410);
    expect(after.headers.get('content-type')).toContain('application/problem+json');
    expect(after.body).toMatchObject({ status: 410, type: 'urn:hookwait:problem:gone' });
  });

  test('a form-encoded callback is captured like JSON (dotted field names reach nested paths)', async () => {
    const handle = await h.env.client.workflow.start(approval, { taskQueue: h.taskQueue, workflowId: id('ap-form'), args: [{}] });
    const url = await callbackUrl(handle, 'approval');
    const res = await postCallback(url, { decision: 'rejected', 'refund.amount': '10', 'approver.email': 'bo@example.com' }, {
      contentType: 'application/x-www-form-urlencoded',
      method: 'PUT',
    });
    expect(res.status).toBe(202);
    const result = await handle.result();
    expect(result.status === 'completed' && result.output).toEqual({ decision: 'rejected', amount: 10, approver: 'bo@example.com' });
  });

  test('a callback that arrives before its wait is kept, and the wait returns at once', async () => {
    const handle = await h.env.client.workflow.start(stockCheck, { taskQueue: h.taskQueue, workflowId: id('early'), args: [{}] });
    const confirmUrl = await callbackUrl(handle, 'confirm');
    await waitStatus(handle, 'stock', 'waiting');
    const early = await postCallback(confirmUrl, { ok: 'yes' });
    expect(early.status).toBe(202);
    await waitStatus(handle, 'confirm', 'received');
    expect((await state(handle)).waits.stock?.status).toBe('waiting');

    expect((await postCallback(await callbackUrl(handle, 'stock'), { in_stock: '3' })).status).toBe(202);
    const result = await handle.result();
    // The workflow read run.callbackUrl('confirm') on its first line: the very URL the sender used.
    expect(result).toMatchObject({ status: 'completed', output: { stock: '3', confirmed: 'yes', confirmUrl } });
  });

  test('the same wait called twice: 2xx both times, applied once (first wins), recorded on the run', async () => {
    const handle = await h.env.client.workflow.start(stockCheck, { taskQueue: h.taskQueue, workflowId: id('dup'), args: [{}] });
    const stockUrl = await callbackUrl(handle, 'stock');
    await waitStatus(handle, 'stock', 'waiting');
    expect((await postCallback(stockUrl, { in_stock: 'first' })).status).toBe(202);
    await waitStatus(handle, 'confirm', 'waiting');
    const second = await postCallback(stockUrl, { in_stock: 'second' });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ status: 'duplicate', wait: 'stock' });

    await eventually(async () => ((await state(handle)).ledger.some((e) => e.outcome === 'duplicate') ? true : undefined));
    const s = await state(handle);
    expect(s.ledger.filter((e) => e.wait === 'stock').map((e) => e.outcome)).toEqual(['accepted', 'duplicate']);
    expect(s.waits.stock?.attributes).toEqual({ in_stock: 'first' });
    expect(s.ledger[0]?.source).toMatchObject({ kind: 'http', ip: expect.any(String) });

    await postCallback(await callbackUrl(handle, 'confirm'), { ok: 'y' });
    expect(await handle.result()).toMatchObject({ output: { stock: 'first', confirmed: 'y' } });
  });

  test('timeout with escalation: message and assignee delivered once (despite a retried activity), the procedure does not continue', async () => {
    h.channel.failAssigns = 1;
    const workflowId = id('esc');
    const handle = await h.env.client.workflow.start(approval, {
      taskQueue: h.taskQueue,
      workflowId,
      args: [{ waitTimeout: '2s', conversationId: `conv-${workflowId}` }],
    });
    const url = await callbackUrl(handle, 'approval');
    const result = await handle.result();
    expect(result).toEqual({ status: 'escalated', wait: 'approval', attributes: {}, escalation: { messageDelivered: true, assigned: true } });

    const messages = h.channel.messages.filter((m) => m.conversationId === `conv-${workflowId}`);
    const assignments = h.channel.assignments.filter((a) => a.conversationId === `conv-${workflowId}`);
    expect(messages.map((m) => m.text)).toEqual(['Sorry for the wait: a teammate will take it from here.']);
    expect(assignments.map((a) => a.assignee)).toEqual([{ team: 'billing' }]);
    expect(h.channel.failAssigns).toBe(0); // the first assign attempt failed and was retried

    const late = await postCallback(url, approvalBody);
    expect(late.status).toBe(410);
  });

  test('escalation whose helpdesk answers are lost after delivery: retried with the same idempotency keys, so delivered once', async () => {
    h.channel.loseAnswers = { message: 1, assign: 1 };
    const workflowId = id('esc-lost');
    const conversationId = `conv-${workflowId}`;
    const handle = await h.env.client.workflow.start(approval, { taskQueue: h.taskQueue, workflowId, args: [{ waitTimeout: '1s', conversationId }] });
    expect(await handle.result()).toEqual({ status: 'escalated', wait: 'approval', attributes: {}, escalation: { messageDelivered: true, assigned: true } });
    const attempts = h.channel.attempts.filter((a) => a.conversationId === conversationId);
    for (const kind of ['message', 'assign'] as const) {
      const mine = attempts.filter((a) => a.kind === kind);
      expect([kind, mine.length]).toEqual([kind, 2]); // the first answer was lost, so the activity ran again
      expect(new Set(mine.map((a) => a.key)).size).toBe(1);
    }
    expect(h.channel.messages.filter((m) => m.conversationId === conversationId)).toHaveLength(1);
    expect(h.channel.assignments.filter((a) => a.conversationId === conversationId)).toHaveLength(1);
    expect(h.channel.loseAnswers).toEqual({ message: 0, assign: 0 });
    // The procedure did not continue past the escalation: nothing else reached the customer.
    expect((await runState(handle)).status).toBe('escalated');
  });

  test('timeout with branch: the wait returns { ok: false }, the procedure goes on; a late callback gets 410 and is recorded', async () => {
    const handle = await h.env.client.workflow.start(stockCheck, { taskQueue: h.taskQueue, workflowId: id('branch'), args: [{ waitTimeout: '1s' }] });
    const stockUrl = await callbackUrl(handle, 'stock');
    await waitStatus(handle, 'stock', 'timed_out');
    await waitStatus(handle, 'confirm', 'waiting');

    const late = await postCallback(stockUrl, { in_stock: '9' });
    expect(late.status).toBe(410);
    expect(late.body).toMatchObject({ detail: 'this wait has already timed out' });
    await eventually(async () => ((await state(handle)).ledger.some((e) => e.outcome === 'late') ? true : undefined));

    await postCallback(await callbackUrl(handle, 'confirm'), { ok: 'fine' });
    expect(await handle.result()).toMatchObject({ status: 'completed', output: { stock: 'timeout', confirmed: 'fine' } });
  });

  test('payloads that do not fit get 422 naming each field; nothing reaches the run', async () => {
    const handle = await h.env.client.workflow.start(approval, { taskQueue: h.taskQueue, workflowId: id('422'), args: [{}] });
    const url = await callbackUrl(handle, 'approval');
    const res = await postCallback(url, { decision: ['approved'], refund: { amount: 'lots' } });
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const errors = res.body.errors as { field: string; message: string; path?: string }[];
    expect(errors.map((e) => e.field).sort()).toEqual(['amount', 'approver', 'decision']);
    expect(errors.find((e) => e.field === 'decision')?.message).toMatch(/scalar/);
    expect(errors.find((e) => e.field === 'approver')).toMatchObject({ path: 'approver.email', message: 'is required' });
    expect((await state(handle)).ledger).toEqual([]);
    await handle.terminate('test done');
  });

  test('extra payload fields are dropped: they never reach workflow history', async () => {
    const handle = await h.env.client.workflow.start(approval, { taskQueue: h.taskQueue, workflowId: id('extra'), args: [{}] });
    const url = await callbackUrl(handle, 'approval');
    const secret = `do-not-store-${randomUUID()}`;
    expect((await postCallback(url, { ...approvalBody, card_number: secret, nested: { deep: secret } })).status).toBe(202);
    await handle.result();
    const history = await handle.fetchHistory();
    // Payload bytes come out as base64 in the JSON form: decode every `data` field to search the text.
    const text = JSON.stringify(history, (k, v: unknown) =>
      v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : k === 'data' && typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : v,
    );
    expect(text).toContain('ann@example.com'); // the history is readable here…
    expect(text).not.toContain(secret); // …and the undeclared fields are not in it
  });

  test('customer messages while waiting get no reply and are recorded', async () => {
    const workflowId = id('msg');
    const handle = await h.env.client.workflow.start(approval, { taskQueue: h.taskQueue, workflowId, args: [{}] });
    await waitStatus(handle, 'approval', 'waiting');
    await handle.signal(customerMessageSignal, { text: 'hello? any news?' });
    await eventually(async () => ((await state(handle)).customerMessages.length === 1 ? true : undefined));
    expect(h.channel.messages.filter((m) => m.conversationId === workflowId)).toEqual([]);
    await handle.terminate('test done');
  });

  test('tokens: forged, truncated, tampered and unknown ones get the same 404; an old run\'s URL never resumes a new run with the same id', async () => {
    const workflowId = id('runs');
    const first = await h.env.client.workflow.start(approval, { taskQueue: h.taskQueue, workflowId, args: [{}] });
    const oldUrl = await callbackUrl(first, 'approval');
    await first.terminate('replaced');
    const second = await h.env.client.workflow.start(approval, { taskQueue: h.taskQueue, workflowId, args: [{}] });
    const newUrl = await callbackUrl(second, 'approval');
    expect(newUrl).not.toBe(oldUrl);
    await waitStatus(second, 'approval', 'waiting');

    const oldRes = await postCallback(oldUrl, approvalBody);
    expect(oldRes.status).toBe(410);

    const token = newUrl.slice(newUrl.lastIndexOf('/') + 1);
    const [v, kid, payload, mac] = token.split('.') as [string, string, string, string];
    // The claims are sealed: the sender cannot read them (nor the workflow id).
    expect(Buffer.from(payload, 'base64url').toString('latin1')).not.toContain(workflowId);
    const otherRunPayload = mintCallbackToken(h.keyring, { namespace: 'default', procedure: 'approval', workflowId, runId: first.firstExecutionRunId, wait: 'approval' }).split('.')[2];
    const flipped = mac.slice(0, 10) + (mac[10] === 'A' ? 'B' : 'A') + mac.slice(11);
    const bad = [
      `${v}.${kid}.${payload}.${flipped}`, // forged MAC
      token.slice(0, -5), // truncated
      `${v}.${kid}.${otherRunPayload}.${mac}`, // claims another run, same MAC
      `${v}.nokey.${payload}.${mac}`, // unknown key id
      'hello',
    ];
    const answers = await Promise.all(bad.map((t) => postCallback(`${h.gatewayUrl}/callbacks/${t}`, approvalBody)));
    for (const a of answers) {
      expect(a.status).toBe(404);
      expect(a.body).toMatchObject({ type: 'urn:hookwait:problem:not-found', detail: 'no such callback URL' });
    }
    expect((await state(second)).waits.approval?.status).toBe('waiting');
    expect((await state(second)).ledger).toEqual([]);

    // A URL handed out by an earlier version (hw1: readable claims) still completes its wait.
    const secret = h.keyring.keys.get(h.keyring.signingKeyId) as Buffer;
    const hw1 = `hw1.${h.keyring.signingKeyId}.${Buffer.from(JSON.stringify(['default', 'approval', workflowId, second.firstExecutionRunId, 'approval'])).toString('base64url')}`;
    const legacy = await postCallback(`${h.gatewayUrl}/callbacks/${hw1}.${createHmac('sha256', secret).update(hw1).digest('base64url')}`, approvalBody);
    expect(legacy.status).toBe(202);
    // The run goes on to completion at once (it may finish before a status poll sees 'received').
    expect(await second.result()).toMatchObject({ status: 'completed', attributes: { approval: { decision: 'approved' } } });
  });

  test('a string attribute over its limit (1,024 characters) is a 422 naming the field, and never reaches the run', async () => {
    const handle = await h.env.client.workflow.start(approval, { taskQueue: h.taskQueue, workflowId: id('long'), args: [{}] });
    const url = await callbackUrl(handle, 'approval');
    await waitStatus(handle, 'approval', 'waiting');
    const res = await postCallback(url, { ...approvalBody, approver: { email: 'x'.repeat(200 * 1024) } });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ errors: [{ field: 'approver', path: 'approver.email', message: `must be at most 1024 characters, got ${200 * 1024}` }] });
    expect((await state(handle)).ledger).toEqual([]);
    expect((await postCallback(url, approvalBody)).status).toBe(202);
    // The run completes at once after the callback: its result, not a status poll.
    expect(await handle.result()).toMatchObject({ status: 'completed' });
  });
});

describe('gateway edge answers', () => {
  let url: string;
  let handle: WorkflowHandle;
  beforeAll(async () => {
    handle = await h.env.client.workflow.start(approval, { taskQueue: h.taskQueue, workflowId: id('edge'), args: [{}] });
    url = await callbackUrl(handle, 'approval');
  });
  afterAll(async () => {
    await handle.terminate('test done');
  });

  test('wrong content type: 415', async () => {
    const res = await postCallback(url, 'decision=approved', { contentType: 'text/plain' });
    expect(res.status).toBe(415);
    expect(res.body).toMatchObject({ type: 'urn:hookwait:problem:unsupported-media-type' });
  });
  test('malformed JSON: 400', async () => {
    const res = await postCallback(url, '{"decision": ', { contentType: 'application/json' });
    expect(res.status).toBe(400);
    expect(String(res.body.detail)).toMatch(/malformed JSON/);
  });
  test('a JSON array body: 400', async () => {
    expect((await postCallback(url, '[1,2]')).status).toBe(400);
  });
  test('body over the limit: 413', async () => {
    const res = await postCallback(url, { decision: 'approved', pad: 'x'.repeat(300 * 1024) });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });
  test('wrong method: 405 with Allow', async () => {
    const res = await postCallback(url, undefined, { method: 'GET' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST, PUT');
  });
  test('unknown route: 404 problem; healthz and readyz answer', async () => {
    expect((await postCallback(`${h.gatewayUrl}/nope`, {})).status).toBe(404);
    expect((await fetch(`${h.gatewayUrl}/healthz`)).status).toBe(200);
    const ready = await fetch(`${h.gatewayUrl}/readyz`);
    expect(ready.status).toBe(200);
  });
  test('none of the rejected callbacks reached the run', async () => {
    expect((await state(handle)).ledger).toEqual([]);
    expect((await state(handle)).waits.approval?.status).toBe('waiting');
  });
});
