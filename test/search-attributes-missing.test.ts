import { TestWorkflowEnvironment } from '@temporalio/testing';
import { runCli } from '../src/cli/run-cli';
import { SearchAttributesNotRegisteredError, startProcedure } from '../src/client/start-procedure';
import { Worker } from '@temporalio/worker';
import { createLogger } from '../src/logging/logger';
import { hookwaitPlugin } from '../src/plugin';
import { generateKeyringSpec, parseKeyring } from '../src/security/callback-token';
import { testProcedures } from './fixtures/procedures';
import { RecordingChannel } from './helpers/recording-channel';
import { eventually } from './helpers/http';
import { callbackSignal, stateQuery } from '../src/workflows/messages';

const keyring = parseKeyring(generateKeyringSpec('sa'));

// A real dev server started without hookwait's search attributes, as a fresh namespace of a cluster is.
describe('a namespace without hookwait search attributes', () => {
  let env: TestWorkflowEnvironment;
  const stockCheck = testProcedures.find((p) => p.name === 'stockCheck');
  if (!stockCheck) throw new Error('fixture procedure stockCheck is missing');
  beforeAll(async () => {
    env = await TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path: process.env.TEMPORAL_CLI_PATH as string } } });
  });
  afterAll(async () => {
    await env?.teardown();
  });

  async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await runCli(
      argv,
      { TEMPORAL_ADDRESS: env.address, TEMPORAL_TASK_QUEUE: 'no-worker', HOOKWAIT_PROCEDURES_MODULE: require.resolve('./fixtures/procedures') },
      { out: (s) => (out += s), err: (s) => (err += s) },
    );
    return { code, out, err };
  }

  test('startProcedure throws SearchAttributesNotRegisteredError, which says to run hookwait setup; nothing starts', async () => {
    const err = (await startProcedure(env.client, stockCheck, {}, { taskQueue: 'no-worker', workflowId: 'sa-missing-1' }).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(SearchAttributesNotRegisteredError);
    // The server names the first attribute it misses; which of the two comes first is its own business.
    expect(err).toMatchObject({ name: 'SearchAttributesNotRegisteredError', namespace: 'default', attribute: expect.stringMatching(/^Hookwait(Procedure|Status)$/) });
    expect(err.message).toContain('npx hookwait setup');
    expect(err.message).toContain('searchAttributes: false');
    expect(err.cause).toBeInstanceOf(Error);
    await expect(env.client.workflow.getHandle('sa-missing-1').describe()).rejects.toThrow(/not found/i);
  });

  test('hookwait start says the same and exits 1', async () => {
    const r = await cli('start', 'stockCheck', '--input', '{}');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/namespace 'default' does not have hookwait's search attributes .*npx hookwait setup/);
  });

  test('with searchAttributes: false the run starts', async () => {
    const handle = await startProcedure(env.client, stockCheck, {}, { taskQueue: 'no-worker', workflowId: 'sa-off-1', searchAttributes: false });
    expect((await handle.describe()).status.name).toBe('RUNNING');
    await handle.terminate('test done');
  });

  test('a worker on this namespace does not leave runs stuck: it goes on without search attributes and says why', async () => {
    const lines: string[] = [];
    const taskQueue = 'sa-missing-worker';
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath: require.resolve('./fixtures/workflows'),
      plugins: [hookwaitPlugin({ procedures: testProcedures, keyring, publicBaseUrl: 'http://127.0.0.1:9', channel: new RecordingChannel(), logger: createLogger({ write: (l) => lines.push(l) }) })],
    });
    await worker.runUntil(async () => {
      const handle = await startProcedure(env.client, stockCheck, { waitTimeout: '1s' }, { taskQueue, workflowId: 'sa-missing-run', searchAttributes: false });
      // The first wait times out (its timer, upserts and all); the second is completed by a callback signal.
      await eventually(async () => ((await handle.query(stateQuery)).waits.confirm?.status === 'waiting' ? true : undefined));
      await handle.signal(callbackSignal, { wait: 'confirm', attributes: { ok: 'yes' }, receivedAt: new Date().toISOString(), source: { kind: 'client' } });
      expect(await handle.result()).toMatchObject({ status: 'completed', output: { stock: 'timeout', confirmed: 'yes' } });
    });
    expect(lines.join('\n')).toMatch(/lacks hookwait's search attributes .*npx hookwait setup/);
  }, 60_000);

  test('after hookwait setup, the run starts with its search attributes', async () => {
    expect(await cli('setup')).toMatchObject({ code: 0, out: expect.stringMatching(/^Registered: HookwaitProcedure/) });
    const handle = await startProcedure(env.client, stockCheck, {}, { taskQueue: 'no-worker', workflowId: 'sa-registered-1' });
    expect((await handle.describe()).status.name).toBe('RUNNING');
    await handle.terminate('test done');
  });
});
