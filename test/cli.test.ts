import { runCli } from '../src/cli/run-cli';
import { startHarness, type Harness } from './helpers/harness';
import { postCallback } from './helpers/http';

describe('hookwait CLI against a real server', () => {
  let h: Harness;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    h = await startHarness();
    await h.startWorker();
    env = {
      TEMPORAL_ADDRESS: h.env.address,
      TEMPORAL_TASK_QUEUE: h.taskQueue,
      HOOKWAIT_PROCEDURES_MODULE: require.resolve('./fixtures/procedures'),
      HOOKWAIT_WORKFLOWS_MODULE: require.resolve('./fixtures/workflows'),
    };
  });
  afterAll(async () => {
    await h?.teardown();
  });

  async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await runCli(argv, env, { out: (s) => (out += s), err: (s) => (err += s) });
    return { code, out, err };
  }

  test('start --json prints ids and callback URLs; show reports waits and captured attributes', async () => {
    const started = await cli('start', 'stockCheck', '--input', '{}', '--json');
    expect(started.err).toBe('');
    expect(started.code).toBe(0);
    const { workflowId, runId, callbackUrls } = JSON.parse(started.out) as { workflowId: string; runId: string; callbackUrls: Record<string, string> };
    expect(workflowId).toMatch(/^stockCheck-/);
    expect(runId).toBeTruthy();
    expect(Object.keys(callbackUrls).sort()).toEqual(['confirm', 'stock']);

    expect((await postCallback(callbackUrls.stock as string, { in_stock: '12' })).status).toBe(202);
    const shown = await cli('show', workflowId, '--json');
    expect(shown.code).toBe(0);
    const s = JSON.parse(shown.out) as { status: string; waits: Record<string, { status: string; attributes?: unknown }> };
    expect(s.waits.stock).toMatchObject({ status: 'received', attributes: { in_stock: '12' } });

    const human = await cli('show', workflowId);
    expect(human.out).toMatch(/wait stock: received/);
    expect(human.out).toMatch(/in_stock = 12/);
    await h.env.client.workflow.getHandle(workflowId).terminate('test done');
  });

  test('clear errors and meaningful exit codes', async () => {
    expect(await cli('start', 'nope')).toMatchObject({ code: 3, err: expect.stringMatching(/unknown procedure 'nope' \(known: approval, stockCheck, connectorCall, secured, refundLines\)/) });
    expect(await cli('start', 'connectorCall', '--input', '{bad')).toMatchObject({ code: 2, err: expect.stringMatching(/--input is not valid JSON/) });
    expect(await cli('start', 'connectorCall', '--input', '{"path":"x"}')).toMatchObject({ code: 2, err: expect.stringMatching(/input\.customerId/) });
    expect(await cli('show', 'no-such-workflow')).toMatchObject({ code: 3, err: expect.stringMatching(/no workflow 'no-such-workflow'/) });
    expect(await cli('frobnicate')).toMatchObject({ code: 2, err: expect.stringMatching(/unknown command/) });
    expect((await cli()).code).toBe(2);
  });
});
