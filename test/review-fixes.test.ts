/**
 * Review fixes that need the real gateway over HTTP (the rest are unit tests in test/unit/).
 */
import { defineTrigger } from '../src/definitions/trigger';
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
