import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { oauthLink } from './fixtures/trigger-workflows';
import { triggerProcedures } from './fixtures/trigger-procedures';
import { startHarness, TEST_SECRETS, type Harness } from './helpers/harness';
import { postCallback } from './helpers/http';
import { callbackUrlOf, runState, untilWaitStatus } from './helpers/runs';

let h: Harness;
const payKey = TEST_SECRETS.TEST_API_KEYS.split(',')[0] as string;

beforeAll(async () => {
  h = await startHarness({ procedures: triggerProcedures, workflowsPath: require.resolve('./fixtures/trigger-workflows') });
  await h.startWorker();
});
afterAll(async () => {
  await h?.teardown();
});

const start = (input: Record<string, unknown> = {}) =>
  h.env.client.workflow.start(oauthLink, { taskQueue: h.taskQueue, workflowId: `oauth-${randomUUID()}`, args: [input as never] });

describe('the HTTP contract of callback waits', () => {
  test('GET ?code&state completes an OAuth-style wait and answers the 303 redirect; the query never reaches the log', async () => {
    const handle = await start();
    const url = await callbackUrlOf(handle, 'authorized');
    await untilWaitStatus(handle, 'authorized', 'waiting');
    const post = await postCallback(url, { code: 'x', state: 'y' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET');
    const missing = await fetch(`${url}?code=only`, { redirect: 'manual' });
    expect(missing.status).toBe(422);
    const res = await fetch(`${url}?code=secret-oauth-code&state=${encodeURIComponent('s 1&x')}`, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('https://app.example.test/linked?state=s%201%26x');
    await untilWaitStatus(handle, 'authorized', 'received');
    expect((await runState(handle)).waits.authorized?.attributes).toEqual({ code: 'secret-oauth-code', state: 's 1&x' });
    // The browser reloads: the same redirect, as a repeat.
    const again = await fetch(`${url}?code=secret-oauth-code&state=${encodeURIComponent('s 1&x')}`, { redirect: 'manual' });
    expect(again.status).toBe(303);
    expect(again.headers.get('location')).toBe('https://app.example.test/linked?state=s%201%26x');
    expect(h.gatewayLog.join('\n')).not.toContain('secret-oauth-code');
    await handle.terminate();
  });

  test('header and query capture, behind the wait own API key, answered with its HTML body (values escaped)', async () => {
    const handle = await start();
    const url = await callbackUrlOf(handle, 'paid');
    const unauthorized = await postCallback(`${url}?tenant=t1`, { amount: 5 }, { headers: { 'x-event-type': 'paid' } });
    expect(unauthorized.status).toBe(401);
    const bad = await postCallback(`${url}?tenant=t1`, { amount: 'five' }, { headers: { 'x-pay-key': payKey } });
    expect(bad.status).toBe(422);
    expect((bad.body.errors as { field: string }[]).map((e) => e.field).sort()).toEqual(['amount', 'event']);
    const res = await fetch(`${url}?tenant=${encodeURIComponent('<i>acme</i>')}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-pay-key': payKey, 'X-Event-Type': 'invoice.paid' },
      body: JSON.stringify({ amount: 12.5 }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toBe('<h1>Thanks, &lt;i&gt;acme&lt;/i&gt;</h1>');
    await untilWaitStatus(handle, 'paid', 'received');
    expect((await runState(handle)).waits.paid?.attributes).toEqual({ event: 'invoice.paid', tenant: '<i>acme</i>', amount: 12.5 });
    await handle.terminate();
  });

  test('declared 201 and 204 answers', async () => {
    const handle = await start();
    const created = await postCallback(await callbackUrlOf(handle, 'created'), { id: 'c-7' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ created: 'c-7' });
    expect(created.headers.get('x-created')).toBe('c-7');
    const quiet = await fetch(await callbackUrlOf(handle, 'quiet'), { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"ok":"yes"}' });
    expect(quiet.status).toBe(204);
    expect(await quiet.text()).toBe('');
    // A wait without a declared answer: the defaults.
    const authorized = await callbackUrlOf(handle, 'authorized');
    expect((await fetch(`${authorized}?code=c&state=s`, { redirect: 'manual' })).status).toBe(303);
    await handle.terminate();
  });

  test("a run's wait timeout over HOOKWAIT_MAX_WAIT_TIMEOUT (30 days) fails the run with a typed error naming the field", async () => {
    const handle = await start({ waitTimeout: '31d' });
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause as { type?: string; message?: string };
    expect(cause.type).toBe('InvalidWaitTimeout');
    expect(cause.message).toContain('wait(authorized).timeout: must be at most 30d');
  });
});
