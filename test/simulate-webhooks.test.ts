import { createSimulator } from 'hookwait/testing';
import { runCli } from '../src/cli/run-cli';
import { outbound } from './fixtures/outbound-workflows';
import { resolveHookwaitToSources } from './helpers/workflow-bundle';

if (!process.env.TEMPORAL_TEST_SERVER_PATH) throw new Error('TEMPORAL_TEST_SERVER_PATH is not set: point it at the temporal-test-server binary (test/global-setup.ts sets it)');

const sim = createSimulator();
afterAll(() => sim.teardown());
jest.setTimeout(120_000);

const fixtures = { workflowsPath: require.resolve('./fixtures/outbound-workflows'), webpackConfigHook: resolveHookwaitToSources };

describe('simulate: outbound webhook mocks', () => {
  test('a body answers 200: sent; webhookCalls records the rendered request with secrets redacted', async () => {
    const run = await sim.simulate(outbound, { ...fixtures, input: { hook: 'formHook', path: 'p1', customer: 'c-5' }, webhooks: { formHook: { received: true } } });
    expect(run.path).toEqual(['webhook:formHook:sent', 'completed']);
    expect(run.result).toMatchObject({ status: 'completed', output: { branch: 'sent', sent: { ok: true, status: 200, attempts: 1 } } });
    expect(run.webhookCalls).toEqual([
      {
        webhook: 'formHook',
        attempt: 1,
        status: 200,
        request: {
          method: 'PUT',
          url: '[env.RECEIVER_URL]/p1',
          headers: { authorization: '[redacted]', 'content-type': 'application/x-www-form-urlencoded', 'webhook-signature': '[redacted]' },
          body: 'customer=c-5&n=7&note=a+b%26c%3Dp1',
        },
      },
    ]);
  });

  test('a function mock: 500, 500, then 200 is sent on the third attempt', async () => {
    const run = await sim.simulate(outbound, {
      ...fixtures,
      input: { hook: 'jsonHook', path: 'p2' },
      webhooks: { jsonHook: ({ attempt }) => (attempt < 3 ? { status: 500 } : { status: 204 }) },
    });
    expect(run.result).toMatchObject({ output: { sent: { ok: true, status: 204, attempts: 3 } } });
    expect(run.webhookCalls.map((c) => c.status)).toEqual([500, 500, 204]);
    expect(run.path).toEqual(['webhook:jsonHook:sent', 'completed']);
  });

  test('{ status: 500 } every time: failed after 3 attempts, and the procedure branches', async () => {
    const run = await sim.simulate(outbound, { ...fixtures, input: { hook: 'jsonHook', path: 'p3' }, webhooks: { jsonHook: { status: 500, body: 'down' } } });
    expect(run.result).toMatchObject({ output: { branch: 'failed', sent: { ok: false, status: 500, attempts: 3 } } });
    expect(run.path).toEqual(['webhook:jsonHook:failed', 'message', 'completed']);
    expect(run.webhookCalls).toHaveLength(3);
  });

  test('an Error mock is a network failure; a required webhook then fails the run', async () => {
    const run = await sim.simulate(outbound, { ...fixtures, input: { hook: 'requiredHook', path: 'p4' }, webhooks: { requiredHook: new Error('connection reset') } });
    expect(run.failure).toMatchObject({ type: 'HookwaitWebhookFailed', message: expect.stringMatching(/required webhook 'requiredHook' failed after 3 attempts: .*connection reset/) });
    expect(run.path).toEqual(['webhook:requiredHook:failed', 'failed']);
    expect(run.webhookCalls.map((c) => c.status)).toEqual([null, null, null]);
  });

  test('a webhook without a mock fails the simulation saying which', async () => {
    const run = await sim.simulate(outbound, { ...fixtures, input: { hook: 'jsonHook', path: 'p5' } });
    expect(run.failure?.message).toMatch(/no mock for webhook 'jsonHook' \(webhooks\.jsonHook\)/);
  });
});

describe('hookwait simulate --webhook', () => {
  const env: NodeJS.ProcessEnv = {
    TEMPORAL_TEST_SERVER_PATH: process.env.TEMPORAL_TEST_SERVER_PATH,
    HOOKWAIT_PROCEDURES_MODULE: require.resolve('./fixtures/outbound-procedures'),
    HOOKWAIT_WORKFLOWS_MODULE: require.resolve('./fixtures/outbound-workflows'),
  };
  async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await runCli(argv, env, { out: (s) => (out += s), err: (s) => (err += s) });
    return { code, out, err };
  }

  test('a receiver answering 500 takes the failed branch: exit 0 as expected; an unknown webhook is bad usage', async () => {
    const r = await cli('simulate', 'outbound', '--input', '{"hook":"jsonHook","path":"x"}', '--webhook', 'jsonHook={"status":500}', '--expect', 'completed', '--expect-path', 'webhook:jsonHook:failed,message,completed');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const bad = await cli('simulate', 'outbound', '--input', '{"hook":"jsonHook","path":"x"}', '--webhook', 'nope={}');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--webhook for unknown webhook 'nope'/);
  });
});
