import { randomUUID } from 'node:crypto';
import { procedures, triggers } from '../examples/identity-verification/procedures';
import { identityVerification } from '../examples/identity-verification/workflows';
import { startMockKycServer, type MockKycServer } from '../examples/mock-kyc/mock-kyc-server';
import { silentLogger } from '../src/logging/logger';
import { stateQuery } from '../src/workflows/messages';
import { startHarness, type Harness } from './helpers/harness';
import { eventually, postCallback } from './helpers/http';

describe('demo: identity verification with the mock KYC provider', () => {
  let h: Harness;
  let kyc: MockKycServer;
  beforeAll(async () => {
    kyc = await startMockKycServer({ logger: silentLogger });
    h = await startHarness({ procedures, triggers, workflowsPath: require.resolve('../examples/identity-verification/workflows') });
    await h.startWorker({ env: { KYC_PROVIDER_URL: kyc.url } });
  });
  afterAll(async () => {
    await h?.teardown();
    await kyc?.stop();
  });
  const start = (input: unknown) =>
    h.env.client.workflow.start(identityVerification, { taskQueue: h.taskQueue, workflowId: `kyc-${randomUUID()}`, args: [input as never] });

  test('auto: the provider calls back, the procedure tells the customer and completes', async () => {
    const handle = await start({ customerId: 'c1', kyc: { mode: 'auto', delayMs: 300 } });
    const result = await handle.result();
    expect(result).toMatchObject({ status: 'completed', output: { verified: true, referenceId: expect.stringMatching(/^ref_/) } });
    const texts = h.channel.messages.filter((m) => m.conversationId === handle.workflowId).map((m) => m.text);
    expect(texts).toEqual([expect.stringMatching(/verifying your identity/), expect.stringMatching(/identity is verified/)]);
    const v = [...kyc.verifications.values()].find((x) => x.callbackUrl.includes('/callbacks/hw2.'));
    expect(v?.callback).toMatchObject({ status: 202 });
    // The provider sent undeclared fields (document, customer_id); only the declared attributes were kept.
    expect(result.attributes.idVerification).toEqual({ verification_status: 'verified', reference_id: expect.any(String) });
  });

  test('never + waitTimeout 2s: the wait times out and escalates to kyc-review', async () => {
    const handle = await start({ customerId: 'c2', kyc: { mode: 'never' }, waitTimeout: '2s' });
    expect(await handle.result()).toMatchObject({ status: 'escalated', wait: 'idVerification' });
    expect(h.channel.assignments.filter((a) => a.conversationId === handle.workflowId).map((a) => a.assignee)).toEqual([{ team: 'kyc-review' }]);
  });

  test('manual: a person posts the callback; a rejected status takes the other branch', async () => {
    const handle = await start({ customerId: 'c3', kyc: { mode: 'manual' } });
    const url = await eventually(async () => {
      const s = await handle.query(stateQuery);
      return s.waits.idVerification?.status === 'waiting' ? s.callbackUrls.idVerification : undefined;
    });
    const bad = await postCallback(url, { verification_status: 'maybe', reference_id: 'r1' });
    expect(bad.status).toBe(422);
    expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'verification_status' })]);
    expect((await postCallback(url, { verification_status: 'rejected', reference_id: 'r1' })).status).toBe(202);
    expect(await handle.result()).toMatchObject({ status: 'completed', output: { verified: false, referenceId: 'r1' } });
  });

  test('POST /hooks/kyc/start with a customerId starts a verification (the README curl line)', async () => {
    const res = await postCallback(`${h.gatewayUrl}/hooks/kyc/start`, { customerId: 'c4' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'started', workflowId: expect.stringMatching(/^kycStart-/), runId: expect.any(String) });
    const handle = h.env.client.workflow.getHandle(res.body.workflowId as string);
    const result = await handle.result();
    expect(result).toMatchObject({ status: 'completed', output: { verified: true } });
    const missing = await postCallback(`${h.gatewayUrl}/hooks/kyc/start`, {});
    expect(missing.status).toBe(422);
    expect(missing.body).toMatchObject({ errors: [{ field: 'body.customerId' }] });
  });
});
