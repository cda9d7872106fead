/**
 * Review fixes that need the real gateway over HTTP (the rest are unit tests in test/unit/).
 */
import { createHmac, randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Webhook } from 'standardwebhooks';
import { defineTrigger } from '../src/definitions/trigger';
import { createLogger } from '../src/logging/logger';
import { createTriggerService } from '../src/service/trigger-service';
import { HOOKWAIT_RUN_SEARCH_ATTRIBUTES, HookwaitProcedure, HookwaitTrigger } from '../src/workflows/search-attributes';
import { startHarness, TEST_SECRETS, type Harness } from './helpers/harness';
import { triggeredOrderProcedure, triggerProcedures } from './fixtures/trigger-procedures';

/** A trigger whose response header carries a value the sender chose. */
const echoHeader = defineTrigger({
  name: 'echoHeader',
  path: 'review/echo-header',
  procedure: triggeredOrderProcedure,
  input: { orderId: 'body.a' },
  response: { status: 201, headers: { 'x-a': '{{input.orderId}}' }, body: { id: '{{workflowId}}' } },
});

/** Signed triggers without an idempotency key: a replayed request must not start a second run. */
const signedSw = defineTrigger({ name: 'signedSw', path: 'review/signed-sw', procedure: triggeredOrderProcedure, auth: { type: 'standardWebhooks', secret: 'TEST_WHSEC' }, input: { orderId: 'body.id' } });
const signedTs = defineTrigger({ name: 'signedTs', path: 'review/signed-ts', procedure: triggeredOrderProcedure, auth: { type: 'hmacSha256Timestamped', secret: 'TEST_HMAC_SECRET' }, input: { orderId: 'body.id' } });

/** A keyed trigger whose answer shows its input. */
const keyedEcho = defineTrigger({
  name: 'keyedEcho',
  path: 'review/keyed-echo',
  procedure: triggeredOrderProcedure,
  idempotencyKey: 'body.key',
  input: { orderId: 'body.id' },
  response: { status: 201, body: { order: '{{input.orderId}}', id: '{{workflowId}}' } },
});

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ procedures: triggerProcedures, triggers: [echoHeader, signedSw, signedTs, keyedEcho], workflowsPath: require.resolve('./fixtures/trigger-workflows') });
  await h.startWorker();
});
afterAll(async () => {
  await h?.teardown();
});

describe('review fixes through real HTTP', () => {
  test('a sender value outside printable ASCII in a declared response header: the run starts and the 201 is sent, encoded (finding 1)', async () => {
    const res = await fetch(`${h.gatewayUrl}/hooks/review/echo-header`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ a: '€\u0001' }) });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-a')).toBe('%E2%82%AC%01');
    const { id } = (await res.json()) as { id: string };
    expect((await h.env.client.workflow.getHandle(id).describe()).type).toBe('triggeredOrder');
    // The gateway is still up.
    const again = await fetch(`${h.gatewayUrl}/hooks/review/echo-header`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ a: 'plain' }) });
    expect(again.status).toBe(201);
    expect(again.headers.get('x-a')).toBe('plain');
  });

  test("a repeated delivery is answered with the first delivery's input and logged as a repeat (finding 6)", async () => {
    const key = `k-${randomUUID()}`;
    const post = (id: string) => fetch(`${h.gatewayUrl}/hooks/review/keyed-echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key, id }) });
    const first = await post('first');
    const repeat = await post('someone-else');
    expect([first.status, repeat.status]).toEqual([201, 201]);
    const a = (await first.json()) as { order: string; id: string };
    expect(a.order).toBe('first');
    expect(await repeat.json()).toEqual(a);
    const outcomes = h.gatewayLog.map((l) => JSON.parse(l) as { workflowId?: string; outcome?: string }).filter((l) => l.workflowId === a.id && l.outcome);
    expect(outcomes.map((l) => l.outcome)).toEqual(['trigger-started', 'trigger-repeat']);
  });

  async function runsOf(workflowId: string): Promise<number> {
    let n = 0;
    for await (const _w of h.env.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) n++;
    return n;
  }

  test.each([
    [
      'standardWebhooks',
      'review/signed-sw',
      (body: string): Record<string, string> => {
        const id = `msg_${randomUUID()}`;
        const at = new Date();
        return { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new Webhook(TEST_SECRETS.TEST_WHSEC).sign(id, at, body) };
      },
    ],
    [
      'hmacSha256Timestamped',
      'review/signed-ts',
      (body: string): Record<string, string> => {
        const t = String(Math.floor(Date.now() / 1000));
        return { 'x-hookwait-signature': `t=${t},v1=${createHmac('sha256', TEST_SECRETS.TEST_HMAC_SECRET).update(`${t}.${body}`).digest('hex')}` };
      },
    ],
  ])('%s without an idempotency key: the same signed request again is the same delivery, one run (finding 4)', async (_type, path, sign) => {
    const body = JSON.stringify({ id: `o-${randomUUID()}` });
    const headers = { 'content-type': 'application/json', ...sign(body) };
    const send = () => fetch(`${h.gatewayUrl}/hooks/${path}`, { method: 'POST', headers, body });
    const first = await send();
    const replay = await send();
    expect([first.status, replay.status]).toEqual([201, 201]);
    const a = (await first.json()) as { workflowId: string; runId: string };
    const b = (await replay.json()) as { workflowId: string; runId: string };
    expect(b).toEqual(a);
    expect(await runsOf(a.workflowId)).toBe(1);
    // Another signed message with the same body is another delivery.
    const other = await fetch(`${h.gatewayUrl}/hooks/${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...sign(body.replace('"}', ' "}')) }, body: body.replace('"}', ' "}') });
    expect(other.status).toBe(201);
    expect(((await other.json()) as { workflowId: string }).workflowId).not.toBe(a.workflowId);
  });
});

// A real dev server set up before HookwaitTrigger existed: the run attributes, not the trigger's.
describe('a namespace without HookwaitTrigger (finding 5)', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await TestWorkflowEnvironment.createLocal({
      server: { executable: { type: 'existing-path', path: process.env.TEMPORAL_CLI_PATH as string }, searchAttributes: [...HOOKWAIT_RUN_SEARCH_ATTRIBUTES] },
    });
  });
  afterAll(async () => {
    await env?.teardown();
  });

  test('trigger runs start without HookwaitTrigger (one error logged), not 503 forever', async () => {
    const lines: string[] = [];
    const service = createTriggerService({
      client: env.client,
      namespace: 'default',
      taskQueue: 'no-worker',
      triggers: [echoHeader],
      rateLimits: false,
      logger: createLogger({ level: 'debug', write: (line) => lines.push(line) }),
    });
    const post = () =>
      service.deliverTrigger({ method: 'POST', path: 'review/echo-header', requestId: 'r', contentType: 'application/json', body: Buffer.from('{"a":"x"}'), headers: {}, query: [] });
    const first = await post();
    const second = await post();
    expect([first.status, second.status]).toEqual([201, 201]);
    for (const a of [first, second]) {
      const d = await env.client.workflow.getHandle(a.run?.workflowId as string).describe();
      expect(d.typedSearchAttributes.get(HookwaitProcedure)).toBe('triggeredOrder');
      expect(d.typedSearchAttributes.get(HookwaitTrigger)).toBeUndefined();
    }
    expect(lines.filter((l) => l.includes('does not have the HookwaitTrigger search attribute'))).toHaveLength(1);
  });
});
