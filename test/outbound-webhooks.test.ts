import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkflowFailedError } from '@temporalio/client';
import { Webhook } from 'standardwebhooks';
import { createOutboundMetrics } from '../src/activities/outbound-metrics';
import { runCli } from '../src/cli/run-cli';
import { outboundStats } from '../src/client/outbound-stats';
import { outbound, plainSender } from './fixtures/outbound-workflows';
import { outboundProcedure } from './fixtures/outbound-procedures';
import { startHarness, type Harness } from './helpers/harness';

interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

const SECRET = `whsec_${Buffer.from('outbound-webhook-test-secret-0123456789').toString('base64')}`;

describe('outbound webhooks against a local receiver and a real Temporal dev server', () => {
  let h: Harness;
  let receiver: Server;
  let receiverUrl: string;
  let port: number;
  const received: Received[] = [];
  const flaky = new Map<string, number>();
  const metrics = createOutboundMetrics();
  const refusedQueue = `tq-refused-${randomUUID()}`;
  const unsignedQueue = `tq-unsigned-${randomUUID()}`;
  const env = () => ({ RECEIVER_URL: receiverUrl, RECEIVER_TOKEN: 'receiver-token-1234', RECEIVER_PORT: String(port) });
  const at = (path: string) => received.filter((r) => r.path === `/${path}`);

  beforeAll(async () => {
    receiver = createServer(async (req, res) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      const path = req.url ?? '';
      received.push({ method: req.method ?? '', path, headers: req.headers, body });
      if (path.startsWith('/flaky')) {
        const n = (flaky.get(path) ?? 0) + 1;
        flaky.set(path, n);
        res.writeHead(n < 3 ? 500 : 200).end(n < 3 ? 'not yet' : 'ok');
      } else if (path.startsWith('/down')) res.writeHead(500).end('down');
      else if (path.startsWith('/moved')) res.writeHead(302, { location: 'http://169.254.169.254/' }).end();
      else if (path.startsWith('/form-connector')) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'conn-1' }));
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}');
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    port = (receiver.address() as AddressInfo).port;
    receiverUrl = `http://127.0.0.1:${port}`;
    h = await startHarness({ procedures: [outboundProcedure], workflowsPath: require.resolve('./fixtures/outbound-workflows') });
    await h.startWorker({ env: env(), webhookSigningSecret: SECRET, metrics });
    // A worker without the allow-list: loopback targets are refused.
    await h.startWorker({ env: env(), taskQueue: refusedQueue, outboundAllow: '' });
    // A worker without a signing secret.
    await h.startWorker({ env: env(), taskQueue: unsignedQueue });
  });
  afterAll(async () => {
    await h?.teardown();
    receiver?.closeAllConnections();
    await new Promise((r) => receiver?.close(r));
  });

  const run = (hook: string, path: string, taskQueue = h.taskQueue) =>
    h.env.client.workflow.execute(outbound, { taskQueue, workflowId: `out-${hook}-${randomUUID()}`, args: [{ hook, path, customer: 'c-1' }] });

  test('a form webhook arrives form-encoded, exactly as declared (method, header, pairs)', async () => {
    const result = await run('formHook', 'form-1');
    expect(result).toMatchObject({ status: 'completed', output: { branch: 'sent', sent: { ok: true, status: 200, attempts: 1 } } });
    const [got] = at('form-1');
    expect(got?.method).toBe('PUT');
    expect(got?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(got?.headers.authorization).toBe('Bearer receiver-token-1234');
    expect(Object.fromEntries(new URLSearchParams(got?.body))).toEqual({ customer: 'c-1', n: '7', note: 'a b&c=form-1' });
  });

  test('500, 500, 200 succeeds on the third attempt; every attempt carries the same webhook-id', async () => {
    const result = await run('jsonHook', 'flaky-1');
    expect(result).toMatchObject({ output: { branch: 'sent', sent: { ok: true, status: 200, attempts: 3 } } });
    const attempts = at('flaky-1');
    expect(attempts).toHaveLength(3);
    expect(new Set(attempts.map((a) => a.headers['webhook-id'])).size).toBe(1);
    expect(attempts[0]?.headers['webhook-id']).toMatch(/^msg_/);
    expect(JSON.parse(attempts[2]!.body)).toEqual({ customer: 'c-1', n: 7, nested: { ok: true } });
  });

  test('500 ×3: the send resolves to { ok: false } and the procedure branches (3 attempts, no more)', async () => {
    const result = await run('jsonHook', 'down-1');
    expect(result).toMatchObject({ status: 'completed', output: { branch: 'failed', sent: { ok: false, status: 500, attempts: 3, error: expect.stringMatching(/answered 500/) } } });
    expect(at('down-1')).toHaveLength(3);
    expect(h.channel.messages.some((m) => /could not reach the CRM/.test(m.text))).toBe(true);
  });

  test('a redirect is a failed attempt, never followed', async () => {
    const result = await run('jsonHook', 'moved-1');
    expect(result).toMatchObject({ output: { sent: { ok: false, status: 302, error: expect.stringMatching(/redirects are not followed/) } } });
    expect(received.some((r) => r.path === '/' || r.path.includes('meta-data'))).toBe(false);
  });

  test('a required webhook fails the run when every attempt failed', async () => {
    const err = await run('requiredHook', 'down-2').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause as { type?: string; message: string };
    expect(cause.type).toBe('HookwaitWebhookFailed');
    expect(cause.message).toMatch(/required webhook 'requiredHook' failed after 3 attempts: .*answered 500/);
    expect(at('down-2')).toHaveLength(3);
  });

  test("the receiver verifies the Standard Webhooks signature with the standardwebhooks package", async () => {
    await run('jsonHook', 'signed-1');
    const [got] = at('signed-1');
    const headers = { 'webhook-id': String(got?.headers['webhook-id']), 'webhook-timestamp': String(got?.headers['webhook-timestamp']), 'webhook-signature': String(got?.headers['webhook-signature']) };
    expect(new Webhook(SECRET).verify(got!.body, headers)).toEqual({ customer: 'c-1', n: 7, nested: { ok: true } });
    // Tampered: refused.
    expect(() => new Webhook(SECRET).verify(got!.body.replace('c-1', 'c-2'), headers)).toThrow();
  });

  test('without a signing secret the send is unsigned, but still carries its webhook-id', async () => {
    await run('formHook', 'unsigned-1', unsignedQueue);
    const [got] = at('unsigned-1');
    expect(got?.headers['webhook-id']).toMatch(/^msg_/);
    expect(got?.headers['webhook-signature']).toBeUndefined();
    expect(got?.headers['webhook-timestamp']).toBeUndefined();
  });

  test('a webhook to 127.0.0.1 without the allow-list is refused with a clear error, and the receiver got nothing', async () => {
    const before = received.length;
    const result = await run('loopbackHook', 'refused-1', refusedQueue);
    expect(result).toMatchObject({
      output: {
        branch: 'failed',
        sent: { ok: false, status: null, attempts: 1, error: expect.stringMatching(/refused to connect to 127\.0\.0\.1: a loopback address; .*HOOKWAIT_OUTBOUND_ALLOW/) },
      },
    });
    expect(received.length).toBe(before);
  });

  test('a data connector declared with a form body sends it form-encoded (it used to go as JSON)', async () => {
    const result = await run('formConnector', 'form-connector');
    expect(result).toMatchObject({ output: { connector: { id: 'conn-1' } } });
    const [got] = at('form-connector');
    expect(got?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(got?.body))).toEqual({ customer: 'c-1', amount: '12.5' });
  });

  test('a plain workflow sends a defineWebhook webhook with sendWebhook', async () => {
    const result = await h.env.client.workflow.execute(plainSender, { taskQueue: h.taskQueue, workflowId: `plain-${randomUUID()}`, args: ['o-9'] });
    expect(result).toEqual({ ok: true, status: 200, attempts: 1 });
    expect(JSON.parse(at('plain').at(-1)!.body)).toEqual({ order: 'o-9' });
  });

  test('stats: Sent / Failed per webhook and connector, from run history; metrics count the same', async () => {
    const stats = await outboundStats(h.env.client, { procedure: 'outbound', since: new Date(Date.now() - 3600_000) });
    const row = (kind: string, name: string) => stats.rows.find((r) => r.kind === kind && r.name === name);
    expect(row('webhook', 'formHook')).toMatchObject({ sent: 2, failed: 0 });
    expect(row('webhook', 'jsonHook')).toMatchObject({ sent: 2, failed: 2 }); // flaky + signed sent; down + moved failed
    expect(row('webhook', 'requiredHook')).toMatchObject({ sent: 0, failed: 1 });
    expect(row('webhook', 'loopbackHook')).toMatchObject({ sent: 0, failed: 1 });
    expect(row('connector', 'formConnector')).toMatchObject({ sent: 1, failed: 0 });

    let out = '';
    const code = await runCli(['stats', '--procedure', 'outbound', '--since', '1h'], { TEMPORAL_ADDRESS: h.env.address, HOOKWAIT_PROCEDURES_MODULE: require.resolve('./fixtures/outbound-procedures') }, { out: (s) => (out += s), err: (s) => (out += s) });
    expect(code).toBe(0);
    expect(out).toMatch(/KIND\s+PROCEDURE\s+NAME\s+SENT\s+FAILED/);
    expect(out).toMatch(/webhook\s+outbound\s+jsonHook\s+2\s+2/);
    expect(out).toMatch(/connector\s+outbound\s+formConnector\s+1\s+0/);

    const text = await metrics.registry.metrics();
    expect(text).toMatch(/hookwait_outbound_total\{procedure="outbound",name="jsonHook",kind="webhook",outcome="sent"\} 2/);
    expect(text).toMatch(/hookwait_outbound_total\{procedure="outbound",name="jsonHook",kind="webhook",outcome="failed"\} 2/);
    expect(text).toMatch(/hookwait_outbound_total\{procedure="outbound",name="jsonHook",kind="webhook",outcome="retried"\} 6/);
    expect(text).toMatch(/hookwait_outbound_duration_seconds_count\{procedure="outbound",name="jsonHook",kind="webhook"\} \d+/);
  });
});
