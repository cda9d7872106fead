import { createSimulator, SimulationError } from 'hookwait/testing';
import { identityVerification } from '../examples/identity-verification/workflows';
import { connectorCall, refundLines } from './fixtures/workflows';
import { oauthLink } from './fixtures/trigger-workflows';
import { resolveHookwaitToSources } from './helpers/workflow-bundle';

if (!process.env.TEMPORAL_TEST_SERVER_PATH) throw new Error('TEMPORAL_TEST_SERVER_PATH is not set: point it at the temporal-test-server binary (test/global-setup.ts sets it)');

const sim = createSimulator();
afterAll(() => sim.teardown());
jest.setTimeout(Number(process.env.SIM_TEST_TIMEOUT ?? 120_000));

const demo = { workflowsPath: require.resolve('../examples/identity-verification/workflows'), webpackConfigHook: resolveHookwaitToSources };
const fixtures = { workflowsPath: require.resolve('./fixtures/workflows'), webpackConfigHook: resolveHookwaitToSources };
const kyc = { startVerification: { verification_id: 'v-1' } };

describe('simulate: the identity verification demo', () => {
  test('verified callback after 3 minutes completes', async () => {
    const run = await sim.simulate(identityVerification, {
      ...demo,
      input: { customerId: 'c1' },
      connectors: kyc,
      callbacks: { idVerification: { after: '3m', body: { verification_status: 'verified', reference_id: 'ref-1' } } },
    });
    expect(run.path).toEqual(['message', 'connector:startVerification', 'wait:idVerification', 'callback:idVerification:accepted', 'message', 'completed']);
    expect(run.result).toEqual({ status: 'completed', output: { verified: true, verificationId: 'v-1', referenceId: 'ref-1' }, attributes: { idVerification: { verification_status: 'verified', reference_id: 'ref-1' } } });
    expect(run.messages).toHaveLength(2);
    expect(run.connectorCalls).toEqual([expect.objectContaining({ connector: 'startVerification', attempt: 1 })]);
    expect(run.clock.elapsedMs).toBeGreaterThanOrEqual(3 * 60_000);
    expect(run.clock.elapsedMs).toBeLessThan(10 * 60_000);
    expect(run.ledger).toEqual([expect.objectContaining({ wait: 'idVerification', outcome: 'accepted' })]);
  });

  test('rejected callback completes unverified', async () => {
    const run = await sim.simulate(identityVerification, {
      ...demo,
      input: { customerId: 'c2' },
      connectors: kyc,
      callbacks: { idVerification: { body: { verification_status: 'rejected', reference_id: 'ref-2' } } },
    });
    expect(run.path).toEqual(['message', 'connector:startVerification', 'wait:idVerification', 'callback:idVerification:accepted', 'message', 'completed']);
    expect(run.result?.status === 'completed' && run.result.output.verified).toBe(false);
    expect(run.messages[1]?.text).toMatch(/couldn't verify/);
  });

  test('no callback: the declared 10-minute timeout escalates, on the workflow clock', async () => {
    const run = await sim.simulate(identityVerification, { ...demo, input: { customerId: 'c3' }, connectors: kyc, callbacks: { idVerification: 'timeout' } });
    expect(run.path).toEqual(['message', 'connector:startVerification', 'wait:idVerification', 'timeout:idVerification', 'message', 'assigned:team kyc-review', 'escalated']);
    expect(run.result).toEqual({ status: 'escalated', wait: 'idVerification', attributes: {}, escalation: { messageDelivered: true, assigned: true } });
    expect(run.assignments).toEqual([{ conversationId: run.workflowId, assignee: { team: 'kyc-review' }, reason: 'timeout at idVerification' }]);
    expect(run.clock.elapsedMs).toBeGreaterThanOrEqual(10 * 60_000);
  });

  test('an escalation whose message the helpdesk refuses still assigns the conversation, and says the customer was not told', async () => {
    const run = await sim.simulate(identityVerification, {
      ...demo,
      input: { customerId: 'c3b' },
      connectors: kyc,
      callbacks: { idVerification: 'timeout' },
      channel: { failMessage: (text) => text.includes('teammate') },
    });
    expect(run.result).toEqual({ status: 'escalated', wait: 'idVerification', attributes: {}, escalation: { messageDelivered: false, assigned: true } });
    expect(run.assignments).toEqual([{ conversationId: run.workflowId, assignee: { team: 'kyc-review' }, reason: 'timeout at idVerification' }]);
    expect(run.messages.map((m) => m.text)).not.toContainEqual(expect.stringContaining('teammate'));
    expect(run.path.slice(-3)).toEqual(['message', 'assigned:team kyc-review', 'escalated']);
    expect(run.state?.escalatedAt).toMatchObject({ wait: 'idVerification', messageDelivered: false, assigned: true });
  });

  test('a mock payload with a wrong attribute type fails the simulation, naming the field', async () => {
    const attempt = sim.simulate(identityVerification, {
      ...demo,
      input: { customerId: 'c4' },
      connectors: kyc,
      callbacks: { idVerification: { body: { verification_status: 42, reference_id: 'ref-4' } } },
    });
    await expect(attempt).rejects.toThrow(SimulationError);
    await expect(attempt).rejects.toMatchObject({ reason: 'invalid-attributes', status: 422, fields: ['verification_status'] });
    await expect(attempt).rejects.toThrow(/verification_status/);
  });
});

describe('simulate: fixtures', () => {
  test('a keyed wait with three callbacks in random order', async () => {
    const items = ['A', 'B', 'C'];
    const order = [...items].sort(() => Math.random() - 0.5);
    const run = await sim.simulate(refundLines, {
      ...fixtures,
      input: { items },
      callbacks: { lineOk: order.map((key) => ({ key, body: { ok: `yes-${key}` } })) },
    });
    expect(run.result).toEqual({ status: 'completed', output: { A: 'yes-A', B: 'yes-B', C: 'yes-C' }, attributes: { 'lineOk:A': { ok: 'yes-A' }, 'lineOk:B': { ok: 'yes-B' }, 'lineOk:C': { ok: 'yes-C' } } });
    expect(run.path.filter((s) => s.startsWith('wait:')).sort()).toEqual(['wait:lineOk:A', 'wait:lineOk:B', 'wait:lineOk:C']);
    expect(run.path.filter((s) => s.startsWith('callback:'))).toEqual(order.map((key) => `callback:lineOk:${key}:accepted`));
    expect(run.path[run.path.length - 1]).toBe('completed');
  });

  test('a connector that throws a retryable error twice, then answers', async () => {
    let calls = 0;
    const run = await sim.simulate(connectorCall, {
      ...fixtures,
      input: { path: 'p1', customerId: 'c9' },
      connectors: {
        peer: ({ attempt }) => {
          calls++;
          if (attempt <= 2) throw new Error(`connection reset (${attempt})`);
          return { id: 'answered' };
        },
      },
    });
    expect(calls).toBe(3);
    expect(run.connectorCalls.map((c) => c.attempt)).toEqual([1, 2, 3]);
    expect(run.path).toEqual(['connector:peer', 'completed']);
    expect(run.result).toEqual({ status: 'completed', output: 'answered', attributes: {} });
  });

  test('a connector answering 404 fails the run as the real connector does', async () => {
    const run = await sim.simulate(connectorCall, { ...fixtures, input: { path: 'p1', customerId: 'c9' }, connectors: { peer: { status: 404, body: { error: 'nope' } } } });
    expect(run.path).toEqual(['connector:peer', 'failed']);
    expect(run.result).toBeUndefined();
    expect(run.failure).toEqual({ type: 'HookwaitConnectorRejected', message: expect.stringMatching(/answered 404/) });
  });
});

describe('simulate: the HTTP contract of waits', () => {
  const triggers = { workflowsPath: require.resolve('./fixtures/trigger-workflows'), webpackConfigHook: resolveHookwaitToSources, secrets: { TEST_API_KEYS: 'sim-api-key-0123456789-abcdef' } };

  test('a GET callback with its attributes in the query string (an OAuth-style redirect back)', async () => {
    const run = await sim.simulate(oauthLink, {
      ...triggers,
      input: {},
      callbacks: { authorized: { method: 'GET', query: { code: 'c-1', state: 's-1' } }, paid: 'timeout', created: 'timeout', quiet: 'timeout' },
    });
    expect(run.path.slice(0, 2)).toEqual(['wait:authorized', 'callback:authorized:accepted']);
    expect(run.answers[0]).toEqual({ wait: 'authorized', status: 303, outcome: 'accepted' });
    expect(run.result).toMatchObject({ status: 'completed', output: [{ code: 'c-1', state: 's-1' }, null, null, null] });
  });

  test('a GET mock whose query lacks an attribute is refused, naming it', async () => {
    await expect(
      sim.simulate(oauthLink, { ...triggers, input: {}, callbacks: { authorized: { method: 'GET', query: { code: 'c-1' } }, paid: 'timeout', created: 'timeout', quiet: 'timeout' } }),
    ).rejects.toThrow(/authorized.*state/);
  });
});
