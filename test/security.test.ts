import { createHmac, randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import type { Client, WorkflowHandle } from '@temporalio/client';
import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import express from 'express';
import { createCallbackRouter } from '../src/api/callback-route';
import { createGatewayApp } from '../src/api/gateway-app';
import { runCli } from '../src/cli/run-cli';
import { silentLogger } from '../src/logging/logger';
import { testProcedures } from './fixtures/procedures';
import { callbackSignal, type HookwaitMemo, MAX_RECORDED_REPEATS, MEMO_KEY } from '../src/workflows/messages';
import { approval, secured, stockCheck } from './fixtures/workflows';
import { boundProcedure } from './fixtures/bound-procedures';
import { boundCustomer } from './fixtures/bound-workflows';
import { startHarness, TEST_SECRETS, type Harness } from './helpers/harness';
import { eventually, postCallback } from './helpers/http';
import { runState, uniqueId } from './helpers/runs';

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
async function urls(handle: WorkflowHandle): Promise<Record<string, string>> {
  return eventually(async () => {
    const s = await state(handle);
    return Object.keys(s.callbackUrls).length > 0 && Object.values(s.waits).some((w) => w.status === 'waiting') ? s.callbackUrls : undefined;
  });
}
async function startSecured(): Promise<{ handle: WorkflowHandle; url: Record<string, string> }> {
  const handle = await h.env.client.workflow.start(secured, { taskQueue: h.taskQueue, workflowId: id('sec'), args: [{}] });
  return { handle, url: await urls(handle) };
}
const hmac = (body: string, secret = TEST_SECRETS.TEST_HMAC_SECRET): string => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
function swHeaders(body: string, at: Date = new Date(), secret = TEST_SECRETS.TEST_WHSEC, msgId = `msg_${randomUUID()}`): Record<string, string> {
  const signature = new Webhook(secret).sign(msgId, at, body);
  return { 'webhook-id': msgId, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': signature };
}
const unauthorized = { status: 401, body: expect.objectContaining({ type: 'urn:hookwait:problem:unauthorized', detail: 'the request could not be authenticated' }) };

describe('sender authentication, decided before any call to Temporal', () => {
  test('API key in a header: missing or wrong is 401 with no hint; either key of a rotation passes', async () => {
    const { handle, url } = await startSecured();
    const body = { v: 'k' };
    expect(await postCallback(url.byKey as string, body)).toMatchObject(unauthorized);
    expect(await postCallback(url.byKey as string, body, { headers: { 'x-api-key': 'old-api-key-0123456789-abcde' } })).toMatchObject(unauthorized);
    expect((await postCallback(url.byKey as string, body, { headers: { 'x-api-key': 'old-api-key-0123456789-abcdef' } })).status).toBe(202);
    // The second is a duplicate: 200 once the run has recorded the first, 202 if it arrives before that; never applied twice.
    expect([200, 202]).toContain((await postCallback(url.byKey as string, body, { headers: { 'x-api-key': 'new-api-key-9876543210-fedcba' } })).status);
    // Refused requests never reached the run: only the two authenticated ones are on its ledger.
    await eventually(async () => ((await state(handle)).ledger.length === 2 ? true : undefined));
    expect((await state(handle)).ledger.map((e) => e.outcome)).toEqual(['accepted', 'duplicate']);
    await handle.terminate('test done');
  });

  test('Standard Webhooks: verified over the raw bytes, ±5 minutes, several signatures (rotation)', async () => {
    const { handle, url } = await startSecured();
    const target = url.bySignature as string;
    const raw = '{"v":"signed",  "extra": [1, 2]}';
    const headers = swHeaders(raw);
    // Re-serialized (same JSON, other bytes) with the original bytes' signature: refused.
    expect(await postCallback(target, JSON.stringify(JSON.parse(raw)), { headers })).toMatchObject(unauthorized);
    expect(await postCallback(target, raw, { headers: swHeaders(raw, new Date(Date.now() - 301_000)) })).toMatchObject(unauthorized);
    expect(await postCallback(target, raw, { headers: swHeaders(raw, new Date(Date.now() + 301_000)) })).toMatchObject(unauthorized);
    expect(await postCallback(target, raw, { headers: swHeaders(raw, new Date(), 'whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA') })).toMatchObject(unauthorized);
    expect(await postCallback(target, raw, { headers: { ...headers, 'webhook-signature': 'v1,' } })).toMatchObject(unauthorized);
    expect(await postCallback(target, raw, { headers: { 'webhook-id': 'x' } })).toMatchObject(unauthorized);
    // A rotation: a stale signature first, the valid one second.
    const rotated = { ...headers, 'webhook-signature': `v1,${Buffer.alloc(32, 7).toString('base64')} ${headers['webhook-signature']}` };
    expect((await postCallback(target, raw, { headers: rotated })).status).toBe(202);
    expect((await postCallback(await eventually(async () => (await state(handle)).callbackUrls.byKey), { v: 'k' }, { headers: { 'x-api-key': 'new-api-key-9876543210-fedcba' } })).status).toBe(202);
    await eventually(async () => ((await state(handle)).waits.bySignature?.attributes?.v === 'signed' ? true : undefined));
    await handle.terminate('test done');
  });

  test('generic HMAC (sha256=<hex> of the raw body); numbers past 2^53 are exact as strings and refused as numbers', async () => {
    const { handle, url } = await startSecured();
    const target = url.byHmac as string;
    const bigAsNumber = '{"v":"h","big":12345678901234567890,"ids":{"big":12345678901234567890}}';
    expect(await postCallback(target, bigAsNumber, { headers: { 'x-hub-signature-256': hmac(bigAsNumber, 'wrong') } })).toMatchObject(unauthorized);
    expect(await postCallback(target, bigAsNumber, { headers: { 'x-hub-signature-256': 'sha256=abc' } })).toMatchObject(unauthorized);
    const tooBig = await postCallback(target, bigAsNumber, { headers: { 'x-hub-signature-256': hmac(bigAsNumber) } });
    expect(tooBig.status).toBe(422);
    expect(tooBig.body.errors).toEqual([expect.objectContaining({ field: 'big', message: expect.stringMatching(/beyond ±2\^53/) })]);
    const exact = '{"v":"h","ids":{"big":12345678901234567890}}';
    expect((await postCallback(target, exact, { headers: { 'x-hub-signature-256': hmac(exact).toUpperCase().replace('SHA256=', 'sha256=') } })).status).toBe(202);
    await eventually(async () => ((await state(handle)).waits.byHmac?.status === 'received' ? true : undefined));
    expect((await state(handle)).waits.byHmac?.attributes).toEqual({ v: 'h', id: '12345678901234567890' });
    await handle.terminate('test done');
  });

  // The spec's known-answer vector runs through the same verifier in test/unit/sender-auth-verifier.test.ts.
  test('Standard Webhooks signs bytes, not JSON: a signed form body is accepted, a signed malformed body is 400', async () => {
    const { handle, url } = await startSecured();
    const target = url.bySignature as string;
    const malformed = '{"v": "signed",';
    const bad = await postCallback(target, malformed, { headers: swHeaders(malformed) });
    expect(bad).toMatchObject({ status: 400, body: expect.objectContaining({ type: 'urn:hookwait:problem:bad-request' }) });
    const form = 'v=form-signed&ignored=1';
    expect((await postCallback(target, form, { contentType: 'application/x-www-form-urlencoded', headers: swHeaders(form) })).status).toBe(202);
    await eventually(async () => ((await state(handle)).waits.bySignature?.attributes?.v === 'form-signed' ? true : undefined));
    await handle.terminate('test done');
  });

  test('Standard Webhooks replay: a message one run accepted is refused (401) for another run of the wait; its own run answers 200', async () => {
    const one = await startSecured();
    const two = await startSecured();
    const raw = '{"v":"once"}';
    const headers = swHeaders(raw);
    expect((await postCallback(one.url.bySignature as string, raw, { headers })).status).toBe(202);
    expect(await postCallback(two.url.bySignature as string, raw, { headers })).toMatchObject(unauthorized);
    // The first run's own retry (its 202 lost) is the duplicate it is.
    await eventually(async () => ((await state(one.handle)).waits.bySignature?.status === 'received' ? true : undefined));
    expect((await postCallback(one.url.bySignature as string, raw, { headers })).status).toBe(200);
    expect(h.gatewayLog.some((l) => l.includes('"reason":"replayed"'))).toBe(true);
    expect((await state(two.handle)).ledger).toEqual([]);
    await one.handle.terminate('test done');
    await two.handle.terminate('test done');
  });

  test('Standard Webhooks: a webhook-timestamp with trailing junk is 401, even correctly signed', async () => {
    const { handle, url } = await startSecured();
    const raw = '{"v":"junk"}';
    const msgId = `msg_${randomUUID()}`;
    const at = new Date();
    const signed = swHeaders(raw, at, TEST_SECRETS.TEST_WHSEC, msgId);
    // The library reads the timestamp with parseInt, so the signature over "<ts>" still matches "<ts>junk".
    expect(await postCallback(url.bySignature as string, raw, { headers: { ...signed, 'webhook-timestamp': `${signed['webhook-timestamp']}junk` } })).toMatchObject(unauthorized);
    expect((await postCallback(url.bySignature as string, raw, { headers: signed })).status).toBe(202);
    await handle.terminate('test done');
  });

  test.each([
    ['TEST_WHSEC', 'whsec_AQ=='],
    ['TEST_HMAC_SECRET', 'fifteen-bytes!!'],
    ['TEST_API_KEYS', `${TEST_SECRETS.TEST_API_KEYS},short-key`],
  ])('a weak sender-auth secret (%s) stops the gateway at start-up, naming the variable', (name, value) => {
    expect(() =>
      createGatewayApp({ client: h.env.client, namespace: 'default', procedures: testProcedures, keyring: h.keyring, logger: silentLogger, secrets: { ...TEST_SECRETS, [name]: value } }),
    ).toThrow(new RegExp(`${name}: too weak for secured\\.by\\w+ .*at least (16 bytes|24 characters)`));
  });

  test('a missing sender-auth secret stops the gateway at start-up, naming the variable', () => {
    expect(() =>
      createGatewayApp({ client: h.env.client, namespace: 'default', procedures: testProcedures, keyring: h.keyring, logger: silentLogger, secrets: { TEST_API_KEYS: 'k' } }),
    ).toThrow(/TEST_WHSEC: required by secured\.bySignature.*TEST_HMAC_SECRET: required by secured\.byHmac/);
  });
});

describe('revocation', () => {
  test('hookwait revoke makes the run\'s callback URLs answer 410, recorded on the ledger', async () => {
    const handle = await h.env.client.workflow.start(stockCheck, { taskQueue: h.taskQueue, workflowId: id('revoke'), args: [{}] });
    const url = await urls(handle);
    const env = { TEMPORAL_ADDRESS: h.env.address, HOOKWAIT_PROCEDURES_MODULE: require.resolve('./fixtures/procedures'), HOOKWAIT_OPERATOR: 'sec-ops' };
    let out = '';
    const io = { out: (s: string) => (out += s), err: (s: string) => (out += s) };
    expect(await runCli(['revoke', handle.workflowId, 'stock'], env, io)).toBe(0);
    expect(out).toMatch(/Revoked the callback URL of wait 'stock' of .*: it answers 410 from now on/);
    // The command returns once a worker has applied it: the very next callback is refused.
    const res = await postCallback(url.stock as string, { in_stock: '1' }, { headers: { 'user-agent': 'late-sender/1' } });
    expect(res).toMatchObject({ status: 410, body: expect.objectContaining({ detail: 'this callback URL has been revoked' }) });
    expect((await postCallback(url.confirm as string, { ok: 'y' })).status).toBe(202); // the other wait is untouched
    const ledger = await eventually(async () => {
      const l = (await state(handle)).ledger;
      return l.some((e) => e.source.kind === 'http' && e.outcome === 'revoked') ? l : undefined;
    });
    expect(ledger.filter((e) => e.wait === 'stock').map((e) => [e.outcome, e.source.kind, e.source.operator ?? e.source.userAgent])).toEqual([
      ['revoked', 'operator', 'sec-ops'],
      ['revoked', 'http', 'late-sender/1'],
    ]);
    expect((await state(handle)).waits.stock?.status).toBe('waiting'); // never applied
    expect(await runCli(['revoke', 'no-such-run'], env, io)).toBe(3);
    await handle.terminate('test done');
  });

  test('hookwait revoke <workflowId> revokes every wait of the run; --json says it was applied', async () => {
    const handle = await h.env.client.workflow.start(stockCheck, { taskQueue: h.taskQueue, workflowId: id('revoke-all'), args: [{}] });
    const url = await urls(handle);
    const env = { TEMPORAL_ADDRESS: h.env.address, HOOKWAIT_PROCEDURES_MODULE: require.resolve('./fixtures/procedures') };
    let out = '';
    const io = { out: (s: string) => (out += s), err: (s: string) => (out += s) };
    expect(await runCli(['revoke', handle.workflowId, '--json'], env, io)).toBe(0);
    expect(JSON.parse(out)).toEqual({ workflowId: handle.workflowId, revoked: 'all', applied: true });
    expect((await postCallback(url.stock as string, { in_stock: '1' })).status).toBe(410);
    expect((await postCallback(url.confirm as string, { ok: 'y' })).status).toBe(410);
    expect((await state(handle)).waits.confirm?.status).not.toBe('received');
    await handle.terminate('test done');
  });
});

describe('hostile input: each a clear 4xx, never a 5xx', () => {
  let url: string;
  let handle: WorkflowHandle;
  beforeAll(async () => {
    handle = await h.env.client.workflow.start(approval, { taskQueue: h.taskQueue, workflowId: id('hostile'), args: [{}] });
    url = (await urls(handle)).approval as string;
  });
  afterAll(async () => {
    await handle.terminate('test done');
  });

  const raw = (method: string, headers: Record<string, string>, chunks: Buffer[]): Promise<number> =>
    new Promise((resolve, reject) => {
      const req = httpRequest(url, { method, headers }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      for (const c of chunks) req.write(c);
      req.end();
    });

  test('over the limit by Content-Length, by chunked streaming, and as a gzip bomb: 413', async () => {
    expect(await raw('POST', { 'content-type': 'application/json', 'content-length': String(300 * 1024) }, [Buffer.alloc(300 * 1024, 0x20)])).toBe(413);
    expect(await raw('POST', { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, Array.from({ length: 40 }, () => Buffer.alloc(8 * 1024, 0x20)))).toBe(413);
    const bomb = gzipSync(Buffer.from(`{"decision":"approved","pad":"${'a'.repeat(20 * 1024 * 1024)}"}`));
    expect(bomb.length).toBeLessThan(100 * 1024);
    expect(await raw('POST', { 'content-type': 'application/json', 'content-encoding': 'gzip' }, [bomb])).toBe(413);
    expect(await raw('POST', { 'content-type': 'application/json', 'content-encoding': 'compress' }, [Buffer.from('{}')])).toBe(415);
  });

  // Each case asserts the problem's detail too, so that a case refused for some other reason fails.
  test.each<[string, string, number, RegExp]>([
    ['text/xml', '<a/>', 415, /text\/xml is not accepted/],
    ['multipart/form-data; boundary=x', '--x--', 415, /multipart\/form-data is not accepted/],
    ['application/json; charset=latin1', '{}', 415, /charset latin1 is not supported/],
    ['application/json', '{"decision": ', 400, /malformed JSON: unexpected end of input/],
    ['application/json', '[{"decision":"approved"}]', 400, /must be an object, got an array/],
    ['application/json', '"approved"', 400, /must be an object, got string/],
    ['application/json', '42', 400, /must be an object, got number/],
    ['application/json', '{"a":1,"a":2}', 400, /duplicate key "a"/],
    ['application/json', `${'{"a":'.repeat(1000)}1${'}'.repeat(1000)}`, 400, /nested deeper than 32 levels/],
    ['application/json', `{"decision":"appr\\u0000oved"}`, 400, /NUL character in a string/],
    ['application/json', '', 400, /the request body is empty/],
    ['application/x-www-form-urlencoded', 'decision=a&decision=b', 400, /form field "decision" appears more than once/],
    ['application/x-www-form-urlencoded', 'decision=a%00b', 400, /NUL character in a form field/],
    ['application/x-www-form-urlencoded', Array.from({ length: 1001 }, (_, i) => `f${i}=x`).join('&'), 413, /more than 1000 form fields/],
  ])('%s, case %#: answered with the expected 4xx', async (contentType, body, status, detail) => {
    const res = await postCallback(url, body, { contentType });
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body.detail).toMatch(detail);
  });

  test('invalid UTF-8 and raw NUL bytes: 400', async () => {
    // Valid JSON but for one byte, so that only the UTF-8 check can refuse it.
    const notUtf8 = Buffer.concat([Buffer.from('{"decision":"'), Buffer.from([0xff]), Buffer.from('"}')]);
    const res = await postCallback(url, new Uint8Array(notUtf8));
    expect(res).toMatchObject({ status: 400, body: expect.objectContaining({ detail: 'the request body is not valid UTF-8' }) });
    const nul = await postCallback(url, '{"decision":"a\0b"}');
    expect(nul).toMatchObject({ status: 400, body: expect.objectContaining({ detail: expect.stringMatching(/control character|NUL/) }) });
  });

  test('__proto__ and constructor keys pollute nothing; arrays or objects where a scalar is declared: 422', async () => {
    const res = await postCallback(url, '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"decision":{"x":1},"refund":{"amount":[1]},"approver":{"email":"a"}}');
    expect(res.status).toBe(422);
    expect((res.body.errors as { field: string }[]).map((e) => e.field)).toEqual(['decision', 'amount']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // A value hidden under __proto__ is not an attribute: were the key turned into a prototype, decision would be found.
    const hidden = await postCallback(url, '{"__proto__":{"decision":"approved"},"refund":{"amount":5},"approver":{"email":"a@x"}}');
    expect(hidden.status).toBe(422);
    expect(hidden.body.errors).toEqual([expect.objectContaining({ field: 'decision', message: 'is required' })]);
  });

  test('truncated, over-long and re-encoded tokens: 404; a wrong method: 405 with Allow', async () => {
    const token = url.slice(url.lastIndexOf('/') + 1);
    const base = url.slice(0, url.lastIndexOf('/') + 1);
    // Re-encoded: the same bytes in standard base64 (+ and /, percent-encoded in the path), or with padding.
    const standard = encodeURIComponent(token.replace(/-/g, '+').replace(/_/g, '/'));
    for (const bad of [token.slice(0, -1), `${token}${'A'.repeat(5000)}`, `${token}=`, standard === token ? `${token}%3D` : standard]) {
      expect((await postCallback(base + bad, { decision: 'approved' })).status).toBe(404);
    }
    for (const method of ['GET', 'DELETE', 'PATCH']) {
      const res = await fetch(url, { method });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('POST, PUT');
    }
  });

  test('the router mounted in a host app answers body errors itself (problem+json 4xx), never through the host\'s handler', async () => {
    const host = express();
    host.use(createCallbackRouter({ client: h.env.client, namespace: 'default', procedures: testProcedures, keyring: h.keyring, logger: silentLogger, secrets: TEST_SECRETS }));
    // A careless host error handler: were a sender's mistake to reach it, the answer would be a 500.
    host.use((_err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(500).send('host error');
    });
    const server = await new Promise<import('node:http').Server>((r) => {
      const s = host.listen(0, '127.0.0.1', () => r(s));
    });
    try {
      const local = `http://127.0.0.1:${(server.address() as { port: number }).port}${new URL(url).pathname}`;
      const cases: [Record<string, string>, Buffer, number][] = [
        [{ 'content-type': 'application/json' }, Buffer.alloc(300 * 1024, 0x20), 413],
        [{ 'content-type': 'application/json', 'content-encoding': 'gzip' }, Buffer.from('not gzip at all'), 400],
        [{ 'content-type': 'application/json', 'content-encoding': 'compress' }, Buffer.from('{}'), 415],
      ];
      for (const [headers, payload, status] of cases) {
        const res = await fetch(local, { method: 'POST', headers, body: payload });
        expect([status, res.status, res.headers.get('content-type')]).toEqual([status, status, expect.stringContaining('application/problem+json')]);
        await res.arrayBuffer();
      }
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  test('none of it reached the run', async () => {
    expect((await state(handle)).ledger).toEqual([]);
  });
});

describe('abuse', () => {
  /** A client that counts every call the gateway makes to Temporal. */
  function countingClient(client: Client): { client: Client; calls: () => number } {
    let calls = 0;
    const workflow = new Proxy(client.workflow, {
      get(target, prop, receiver) {
        if (prop === 'getHandle') return (...args: Parameters<Client['workflow']['getHandle']>) => (calls++, target.getHandle(...args));
        return Reflect.get(target, prop, receiver) as unknown;
      },
    });
    return { client: new Proxy(client, { get: (t, p, r) => (p === 'workflow' ? workflow : (Reflect.get(t, p, r) as unknown)) }), calls: () => calls };
  }

  test('1,000 forged requests never reach Temporal; per-address and per-token limits answer 429 with Retry-After', async () => {
    const counting = countingClient(h.env.client);
    const app = createGatewayApp({
      client: counting.client,
      namespace: 'default',
      procedures: testProcedures,
      keyring: h.keyring,
      logger: silentLogger,
      secrets: TEST_SECRETS,
      rateLimits: { perIp: 1_000_000, perToken: 3, windowMs: 60_000 },
    });
    const server = await new Promise<import('node:http').Server>((r) => {
      const s = app.listen(0, '127.0.0.1', () => r(s));
    });
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const forged = await fc.sample(fc.string({ minLength: 1, maxLength: 200 }), { numRuns: 1000, seed: 42 });
      for (let i = 0; i < forged.length; i += 50) {
        const statuses = await Promise.all(forged.slice(i, i + 50).map(async (t) => (await postCallback(`${base}/callbacks/hw1.t1.${encodeURIComponent(t)}.${'A'.repeat(43)}`, {})).status));
        expect(statuses.every((s) => s === 404)).toBe(true);
      }
      expect(counting.calls()).toBe(0);

      // A valid URL without the sender's proof: 401, also decided without calling Temporal.
      const securedRun = await startSecured();
      const before = counting.calls();
      for (const wait of ['byKey', 'bySignature', 'byHmac']) {
        const local = `${base}${new URL(securedRun.url[wait] as string).pathname}`;
        expect((await postCallback(local, { v: 'x' }, { headers: { 'x-api-key': 'nope', 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` } })).status).toBe(401);
      }
      expect(counting.calls()).toBe(before);
      // Positive control: the counter does see the calls of a request that passes the edge.
      const good = `${base}${new URL(securedRun.url.byKey as string).pathname}`;
      expect((await postCallback(good, { v: 'x' }, { headers: { 'x-api-key': 'new-api-key-9876543210-fedcba' } })).status).toBe(202);
      expect(counting.calls()).toBeGreaterThan(before);
      await securedRun.handle.terminate('test done');

      const handle = await h.env.client.workflow.start(stockCheck, { taskQueue: h.taskQueue, workflowId: id('rate'), args: [{}] });
      const target = (await urls(handle)).stock as string;
      const local = `${base}${new URL(target).pathname}`;
      const answers = [];
      for (let i = 0; i < 5; i++) answers.push(await postCallback(local, 'not json', { contentType: 'application/json' }));
      expect(answers.map((a) => a.status)).toEqual([400, 400, 400, 429, 429]);
      expect(Number(answers[3]?.headers.get('retry-after'))).toBeGreaterThan(0);
      await handle.terminate('test done');
    } finally {
      await new Promise((r) => server.close(r));
    }
    const perIp = createGatewayApp({ client: h.env.client, namespace: 'default', procedures: testProcedures, keyring: h.keyring, secrets: TEST_SECRETS, rateLimits: { perIp: 2, perToken: 100, windowMs: 60_000 } });
    const s2 = await new Promise<import('node:http').Server>((r) => {
      const s = perIp.listen(0, '127.0.0.1', () => r(s));
    });
    try {
      const b = `http://127.0.0.1:${(s2.address() as { port: number }).port}/callbacks/x`;
      const three = [await postCallback(b, {}), await postCallback(b, {}), await postCallback(b, {})];
      expect(three.map((r) => r.status)).toEqual([404, 404, 429]);
      expect(Number(three[2]?.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(three[2]?.body).toMatchObject({ type: 'urn:hookwait:problem:too-many-requests' });
    } finally {
      await new Promise((r) => s2.close(r));
    }
  });

  test('fuzzing the callback route (5,000 cases): no 5xx, no crash, every accepted callback captured exactly once', async () => {
    const runs: { handle: WorkflowHandle; url: string; wait: string }[] = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const handle: WorkflowHandle = await h.env.client.workflow.start(stockCheck, { taskQueue: h.taskQueue, workflowId: id('fuzz'), args: [{}] });
        return { handle, url: (await urls(handle)).stock as string, wait: 'stock' };
      }),
    );
    // A run whose wait wants an API key: the fuzzer sometimes sends the right one.
    const securedRun = await startSecured();
    runs.push({ handle: securedRun.handle, url: securedRun.url.byKey as string, wait: 'byKey' });
    const tokenOf = (u: string) => u.slice(u.lastIndexOf('/') + 1);
    const accepted = new Map<string, number>();
    const token = fc.oneof(
      fc.constantFrom(...runs.map((r) => tokenOf(r.url))),
      fc.string({ maxLength: 300 }).map((s) => encodeURIComponent(s) || 'x'),
      fc.tuple(fc.constantFrom(...runs.map((r) => tokenOf(r.url))), fc.nat(300), fc.string({ minLength: 1, maxLength: 1 })).map(([t, i, c]) => encodeURIComponent(t.slice(0, i % t.length) + c + t.slice((i % t.length) + 1))),
    );
    const body = fc.oneof(
      fc.record({ in_stock: fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string())) }).map((o) => JSON.stringify(o)),
      fc.record({ v: fc.oneof(fc.string(), fc.integer()) }).map((o) => JSON.stringify(o)),
      fc.json(),
      fc.string(),
      fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')),
    );
    const method = fc.constantFrom('POST', 'PUT', 'POST', 'PUT', 'GET', 'DELETE', 'PATCH');
    const contentType = fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain', 'application/json; charset=utf-8', 'application/vnd.api+json', 'application/json; charset=latin1', '');
    const printable = fc.stringMatching(/^[\x21-\x7e]{0,60}$/);
    const headers = fc.record(
      {
        'x-api-key': fc.oneof(fc.constant('new-api-key-9876543210-fedcba'), fc.constant('old-api-key-0123456789-abcdef'), printable),
        'content-encoding': fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'compress', 'gzip, br'),
        'x-request-id': printable,
        'x-forwarded-for': fc.oneof(fc.ipV4(), printable),
        'webhook-id': printable,
        'webhook-timestamp': fc.oneof(fc.integer().map(String), printable),
        'webhook-signature': printable,
        'x-hub-signature-256': printable,
        'user-agent': printable,
        'accept': fc.constantFrom('*/*', 'application/json', 'text/html', ''),
      },
      { requiredKeys: [] },
    );
    const extra = fc.dictionary(fc.stringMatching(/^x-[a-z0-9-]{1,20}$/), printable, { maxKeys: 5 });
    const base = h.gatewayUrl;
    await fc.assert(
      fc.asyncProperty(method, token, body, contentType, headers, extra, async (m, t, b, ct, hs, more) => {
        const res = await fetch(`${base}/callbacks/${t}`, {
          method: m,
          headers: { ...more, ...hs, ...(ct ? { 'content-type': ct } : {}) },
          ...(m === 'GET' ? {} : { body: b }),
        });
        await res.arrayBuffer();
        if (res.status >= 500) return false;
        if (res.status === 202) accepted.set(t, (accepted.get(t) ?? 0) + 1);
        return true;
      }),
      { numRuns: 5000, seed: 20261123 },
    );
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    for (const r of runs) {
      const s = await state(r.handle);
      const captured = s.ledger.filter((e) => e.wait === r.wait && e.outcome === 'accepted').length;
      expect([r.wait, captured]).toEqual([r.wait, accepted.get(tokenOf(r.url)) ?? 0]);
      expect(captured).toBeLessThanOrEqual(1);
      await r.handle.terminate('fuzz done');
    }
    expect([...accepted.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(1);
  }, 180_000);

  test('the same callback sent 20 times concurrently: every reply 2xx, captured once', async () => {
    const handle = await h.env.client.workflow.start(stockCheck, { taskQueue: h.taskQueue, workflowId: id('burst'), args: [{}] });
    const target = (await urls(handle)).stock as string;
    const replies = await Promise.all(Array.from({ length: 20 }, () => postCallback(target, { in_stock: 'yes' })));
    expect(replies.every((r) => r.status === 200 || r.status === 202)).toBe(true);
    await eventually(async () => ((await state(handle)).ledger.filter((e) => e.wait === 'stock').length === 20 ? true : undefined));
    const s = await state(handle);
    expect(s.ledger.filter((e) => e.wait === 'stock' && e.outcome === 'accepted')).toHaveLength(1);
    expect(s.waits.stock?.attributes?.in_stock).toBe('yes');
    await handle.terminate('test done');
  });

  test('a sender stuck retrying: its repeats are recorded on the run up to a quota, then only answered', async () => {
    const handle = await h.env.client.workflow.start(stockCheck, { taskQueue: h.taskQueue, workflowId: id('repeats'), args: [{}] });
    const target = (await urls(handle)).stock as string;
    expect((await postCallback(target, { in_stock: 'yes' })).status).toBe(202);
    await eventually(async () => ((await state(handle)).waits.stock?.status === 'received' ? true : undefined));
    const statuses: number[] = [];
    for (let i = 0; i < MAX_RECORDED_REPEATS + 15; i++) {
      statuses.push((await postCallback(target, { in_stock: 'yes' })).status);
      // Sequential, and each repeat applied before the next, so the gateway sees the memo as it stands.
      if (i < MAX_RECORDED_REPEATS) await eventually(async () => ((await state(handle)).ledger.length === i + 2 ? true : undefined));
    }
    expect(new Set(statuses)).toEqual(new Set([200]));
    const memo = (await handle.describe()).memo?.[MEMO_KEY] as HookwaitMemo;
    expect(memo.quiet).toEqual(['stock']);
    const s = await state(handle);
    expect(s.ledger.map((e) => e.outcome)).toEqual(['accepted', ...Array.from({ length: MAX_RECORDED_REPEATS }, () => 'duplicate')]);
    // Each callback reached the history once (the default gateway sends updates), up to the quota; none after it.
    const delivered = ((await handle.fetchHistory()).events ?? []).filter(
      (e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'hookwait.callback' || e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'hookwait.deliver',
    );
    expect(delivered).toHaveLength(MAX_RECORDED_REPEATS + 1);
    await handle.terminate('test done');
  });

  test('tokens and secrets never appear in the gateway\'s logs', () => {
    const log = h.gatewayLog.join('\n');
    expect(log.length).toBeGreaterThan(0);
    for (const v of Object.values(TEST_SECRETS).flatMap((s) => s.split(','))) expect(log).not.toContain(v);
    expect(log).not.toMatch(/hw[12]\.t1\.[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{43}/);
  });
});

describe('timestamped signatures and the run binding (a harness of their own: test/fixtures/bound-*.ts)', () => {
  let b: Harness;
  beforeAll(async () => {
    b = await startHarness({ procedures: [boundProcedure], workflowsPath: require.resolve('./fixtures/bound-workflows') });
    await b.startWorker();
  });
  afterAll(async () => {
    await b?.teardown();
  });
  const start = async (customerId: string): Promise<{ handle: WorkflowHandle; url: Record<string, string> }> => {
    const handle = await b.env.client.workflow.start(boundCustomer, { taskQueue: b.taskQueue, workflowId: id('bound'), args: [{ customerId }] });
    return { handle, url: await urls(handle) };
  };
  const stamped = (body: string, t = Math.floor(Date.now() / 1000)) => ({
    'x-hookwait-signature': `t=${t},v1=${createHmac('sha256', TEST_SECRETS.TEST_HMAC_SECRET).update(`${t}.${body}`).digest('hex')}`,
  });

  test('timestamped HMAC: accepted within 5 minutes, refused outside; a captured request is 401 for another run, 200 for its own', async () => {
    const one = await start('cus_1');
    const two = await start('cus_1');
    const raw = '{"v":"stamped"}';
    expect(await postCallback(one.url.signed as string, raw, { headers: stamped(raw, Math.floor(Date.now() / 1000) - 301) })).toMatchObject(unauthorized);
    expect(await postCallback(one.url.signed as string, raw, { headers: { ...stamped(raw), 'x-hookwait-signature': `${stamped(raw)['x-hookwait-signature']}junk` } })).toMatchObject(unauthorized);
    const headers = stamped(raw);
    expect((await postCallback(one.url.signed as string, raw, { headers })).status).toBe(202);
    expect(await postCallback(two.url.signed as string, raw, { headers })).toMatchObject(unauthorized);
    await eventually(async () => ((await state(one.handle)).waits.signed?.status === 'received' ? true : undefined));
    expect((await postCallback(one.url.signed as string, raw, { headers })).status).toBe(200);
    expect((await state(two.handle)).ledger).toEqual([]);
    await one.handle.terminate('test done');
    await two.handle.terminate('test done');
  });

  test("run binding: a callback naming another customer is 422 at the gateway; one that slips past it is recorded as rejected, never applied", async () => {
    const mine = await start('cus_mine');
    const body = { status: 'verified', customer_id: 'cus_other' };
    const refused = await postCallback(mine.url.result as string, body);
    expect(refused).toMatchObject({ status: 422, body: expect.objectContaining({ errors: [{ field: 'customer_id', message: 'does not match this run' }] }) });
    // A gateway that cannot tell (the run had not published yet, or an older gateway) lets it through: the run refuses it.
    await mine.handle.signal(callbackSignal, { wait: 'result', attributes: body, receivedAt: new Date().toISOString(), source: { kind: 'http', requestId: 'slipped' } });
    const ledger = await eventually(async () => {
      const l = (await state(mine.handle)).ledger;
      return l.length > 0 ? l : undefined;
    });
    expect(ledger).toEqual([expect.objectContaining({ outcome: 'rejected', errors: [{ field: 'customer_id', message: 'does not match this run' }] })]);
    expect((await state(mine.handle)).waits.result?.status).toBe('waiting');
    // The run's own customer: accepted.
    expect((await postCallback(mine.url.result as string, { status: 'verified', customer_id: 'cus_mine' })).status).toBe(202);
    await eventually(async () => ((await state(mine.handle)).waits.result?.attributes?.customer_id === 'cus_mine' ? true : undefined));
    const memo = (await mine.handle.describe()).memo?.[MEMO_KEY] as HookwaitMemo;
    expect(Object.keys(memo.bound ?? {})).toEqual(['result']);
    expect(JSON.stringify(memo)).not.toContain('cus_mine');
    await mine.handle.terminate('test done');
  });

  test('a run whose input lacks the bound value fails at once, naming it', async () => {
    const handle = await b.env.client.workflow.start(boundCustomer, { taskQueue: b.taskQueue, workflowId: id('unbound'), args: [{}] });
    await expect(handle.result()).rejects.toMatchObject({ cause: expect.objectContaining({ type: 'InvalidProcedureInput', message: expect.stringMatching(/input\.customerId .*wait 'result' is bound to it/) }) });
  });
});
