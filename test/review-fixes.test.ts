/**
 * Review fixes that need the real gateway over HTTP (the rest are unit tests in test/unit/).
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { defineTrigger } from '../src/definitions/trigger';
import { createLogger } from '../src/logging/logger';
import { createTriggerService } from '../src/service/trigger-service';
import { HOOKWAIT_RUN_SEARCH_ATTRIBUTES, HookwaitProcedure, HookwaitTrigger } from '../src/workflows/search-attributes';
import { startHarness, type Harness } from './helpers/harness';
import { triggeredOrderProcedure, triggerProcedures } from './fixtures/trigger-procedures';

/** A trigger whose response header carries a value the sender chose. */
const echoHeader = defineTrigger({
  name: 'echoHeader',
  path: 'review/echo-header',
  procedure: triggeredOrderProcedure,
  input: { orderId: 'body.a' },
  response: { status: 201, headers: { 'x-a': '{{input.orderId}}' }, body: { id: '{{workflowId}}' } },
});

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ procedures: triggerProcedures, triggers: [echoHeader], workflowsPath: require.resolve('./fixtures/trigger-workflows') });
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
