import { randomUUID } from 'node:crypto';
import { HookwaitTrigger } from '../src/workflows/search-attributes';
import { TRIGGER_RESPONSE_MEMO_KEY } from '../src/core/run-state';
import { renderCurrentDetails } from '../src/workflows/current-details';
import { startHarness, TEST_SECRETS, type Harness } from './helpers/harness';
import { eventually, postCallback } from './helpers/http';
import { callbackUrlOf, runState } from './helpers/runs';
import { testTriggers, triggerProcedures } from './fixtures/trigger-procedures';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ procedures: triggerProcedures, triggers: testTriggers, workflowsPath: require.resolve('./fixtures/trigger-workflows') });
  await h.startWorker();
});
afterAll(async () => {
  await h?.teardown();
});

const hook = (path: string): string => `${h.gatewayUrl}/hooks/${path}`;
const order = (id: string) => ({ order: { id } });

describe('webhook triggers', () => {
  test('a trigger starts a run and answers 201 with its ids; the run shows its trigger and delivery', async () => {
    const deliveryId = `msg_${randomUUID()}`;
    const res = await postCallback(`${hook('orders/created')}?channel=web`, order('o-1'), { headers: { 'webhook-id': deliveryId, 'x-source': 'crm' } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'started', trigger: 'orderCreated' });
    const { workflowId, runId } = res.body as { workflowId: string; runId: string };
    expect(workflowId).toMatch(/^orderCreated-msg_[A-Za-z0-9_-]+-[A-Za-z0-9_-]{16}$/);
    const handle = h.env.client.workflow.getHandle(workflowId);
    const described = await handle.describe();
    expect(described.runId).toBe(runId);
    expect(described.type).toBe('triggeredOrder');
    expect(described.typedSearchAttributes.get(HookwaitTrigger)).toBe('orderCreated');
    expect(await described.staticSummary()).toBe(`Triggered order: trigger orderCreated, delivery ${deliveryId.replace(/_/g, '\\_')}`);
    expect(await described.staticDetails()).toBe(`Started by webhook trigger **orderCreated** (/hooks/orders/created), delivery \`${deliveryId}\``);
    // Header and query capture through the input mapping.
    const state = await eventually(async () => {
      const s = await runState(handle);
      return s.trigger ? s : undefined;
    });
    expect(state.trigger).toEqual({ name: 'orderCreated', deliveryId });
    expect(renderCurrentDetails(state)).toContain('Started by trigger **orderCreated**');
    const url = await callbackUrlOf(handle, 'approval');
    expect((await postCallback(url, { decision: 'yes' })).status).toBe(202);
    expect(await handle.result()).toMatchObject({ status: 'completed', output: { input: { orderId: 'o-1', source: 'crm', channel: 'web' }, decision: 'yes' } });
  });

  test('rateLimit: deliveries past the trigger\'s limit get 429 with Retry-After; refused requests do not count', async () => {
    // Two refused requests (422: no order id) first: they use none of the budget.
    for (let i = 0; i < 2; i++) expect((await postCallback(hook('orders/limited'), { order: {} })).status).toBe(422);
    const started = [await postCallback(hook('orders/limited'), order('l-1')), await postCallback(hook('orders/limited'), order('l-2'))];
    expect(started.map((r) => r.status)).toEqual([201, 201]);
    const third = await postCallback(hook('orders/limited'), order('l-3'));
    expect(third.status).toBe(429);
    expect(third.body).toMatchObject({ type: 'urn:hookwait:problem:too-many-requests', detail: 'too many deliveries to this trigger; retry later' });
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
    for (const r of started) await h.env.client.workflow.getHandle((r.body as { workflowId: string }).workflowId).terminate('test done');
  });

  test('the same webhook-id twice starts one run and gets the same answer, also after the run ended', async () => {
    const deliveryId = `msg_${randomUUID()}`;
    const first = await postCallback(hook('orders/created'), order('o-2'), { headers: { 'webhook-id': deliveryId } });
    const second = await postCallback(hook('orders/created'), order('o-2'), { headers: { 'webhook-id': deliveryId } });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    const { workflowId } = first.body as { workflowId: string };
    const runs = [];
    for await (const w of h.env.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push(w.runId);
    expect(runs).toHaveLength(1);
    const handle = h.env.client.workflow.getHandle(workflowId);
    await postCallback(await callbackUrlOf(handle, 'approval'), { decision: 'no' });
    await handle.result();
    const third = await postCallback(hook('orders/created'), order('o-2'), { headers: { 'webhook-id': deliveryId } });
    expect(third.status).toBe(201);
    expect(third.body).toEqual(first.body);
  });

  test.each([200, 202, 204])('a declared %i response', async (status) => {
    const res = await fetch(hook(`status/${status}`), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: `o-${status}` }) });
    expect(res.status).toBe(status);
    const text = await res.text();
    if (status === 204) {
      expect(text).toBe('');
      return;
    }
    const body = JSON.parse(text) as { id: string };
    expect(body).toMatchObject({ accepted: true, order: `o-${status}` });
    expect(res.headers.get('x-workflow-id')).toBe(body.id);
    expect((await h.env.client.workflow.getHandle(body.id).describe()).type).toBe('triggeredOrder');
  });

  test('a GET trigger reads its input from the query string and answers HTML with the values escaped', async () => {
    const res = await fetch(`${hook('orders/lookup')}?id=${encodeURIComponent('<b>x</b>')}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toBe('<p>Started &lt;b&gt;x&lt;/b&gt;</p>');
  });

  test('fromProcedure: the sender gets what the workflow computed; a repeated delivery the same; a second respond is a typed error', async () => {
    const requestId = randomUUID();
    const res = await postCallback(hook('quotes'), { requestId, item: 'lamp' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ item: 'lamp', price: 42 });
    expect(res.headers.get('x-quote')).toBe('q-1');
    const again = await postCallback(hook('quotes'), { requestId, item: 'lamp' });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ item: 'lamp', price: 42 });
    const workflows = [];
    for await (const w of h.env.client.workflow.list({ query: `HookwaitTrigger = 'quoteRequested' AND WorkflowId STARTS_WITH 'quoteRequested-${requestId.slice(0, 8)}'` })) workflows.push(w);
    const handle = h.env.client.workflow.getHandle((workflows[0] ?? { workflowId: '' }).workflowId);
    expect(await handle.result()).toMatchObject({ status: 'completed', output: { waiting: true, second: 'HookwaitAlreadyResponded' } });
    expect((await handle.describe()).memo?.[TRIGGER_RESPONSE_MEMO_KEY]).toMatchObject({ status: 200 });
    // After the run ended: the recorded answer.
    const late = await postCallback(hook('quotes'), { requestId, item: 'lamp' });
    expect(late).toMatchObject({ status: 200, body: { item: 'lamp', price: 42 } });
  });

  test('fromProcedure: a 4xx override is passed on', async () => {
    const res = await postCallback(hook('quotes'), { requestId: randomUUID(), item: 'gone', status: 409 });
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ item: 'gone', price: 42 });
  });

  test('fromProcedure: slower than its timeout, the sender gets the fallback and the run still completes', async () => {
    const res = await postCallback(hook('quotes'), { requestId: randomUUID(), item: 'slow', delayMs: 6_000 });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'pending' });
    const { workflowId, runId } = res.body as { workflowId: string; runId: string };
    expect(runId).toEqual(expect.any(String));
    const result = await h.env.client.workflow.getHandle(workflowId).result();
    expect(result).toMatchObject({ status: 'completed', output: { waiting: true } });
  });
});

describe('trigger refusals, as on callbacks', () => {
  test('405 with Allow for another method', async () => {
    const res = await fetch(hook('orders/created'), { method: 'DELETE' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect(res.headers.get('content-type')).toMatch(/problem\+json/);
  });

  test('404 for an unknown trigger path', async () => {
    expect((await postCallback(hook('nope'), {})).status).toBe(404);
  });

  test('401 without the API key, before any run starts', async () => {
    const before = await countRuns('securedOrder');
    const res = await postCallback(hook('orders/secured'), order('s-1'), { headers: { 'x-api-key': 'wrong-key-wrong-key-wrong-key' } });
    expect(res.status).toBe(401);
    expect(await countRuns('securedOrder')).toBe(before);
    const ok = await postCallback(hook('orders/secured'), order('s-1'), { headers: { 'x-api-key': TEST_SECRETS.TEST_API_KEYS.split(',')[0] as string } });
    expect(ok.status).toBe(201);
  });

  test('415 for a content type that is not JSON or a form', async () => {
    const res = await postCallback(hook('orders/created'), '<order/>', { contentType: 'application/xml', headers: { 'webhook-id': 'x' } });
    expect(res.status).toBe(415);
  });

  test('422 naming each field of the body, the query and the mapped input', async () => {
    const res = await postCallback(`${hook('orders/created')}?channel=fax`, { order: {} }, { headers: { 'webhook-id': 'y' } });
    expect(res.status).toBe(422);
    expect((res.body.errors as { field: string }[]).map((e) => e.field).sort()).toEqual(['body.order.id', 'query.channel']);
    const noKey = await postCallback(hook('orders/created'), order('o-9'));
    expect(noKey.status).toBe(422);
    expect(noKey.body).toMatchObject({ errors: [{ field: 'headers.webhook-id' }] });
    const input = await postCallback(hook('status/200'), { id: '' });
    expect(input.status).toBe(422);
    expect(input.body).toMatchObject({ errors: [{ field: 'input.orderId' }] });
  });

  test('413 for a body over the limit', async () => {
    const res = await postCallback(hook('orders/created'), { order: { id: 'x'.repeat(300 * 1024) } }, { headers: { 'webhook-id': 'z' } });
    expect(res.status).toBe(413);
  });
});

async function countRuns(trigger: string): Promise<number> {
  let n = 0;
  for await (const _ of h.env.client.workflow.list({ query: `HookwaitTrigger = '${trigger}'` })) n++;
  return n;
}
