import { connectorSequence, createSimulator, hookwaitMatchers, SimulationError } from 'hookwait/testing';
import { runCli } from '../src/cli/run-cli';
import { callbackOrPoll, polling, progressing, sleeping } from './fixtures/async-workflows';
import { resolveHookwaitToSources } from './helpers/workflow-bundle';

if (!process.env.TEMPORAL_TEST_SERVER_PATH) throw new Error('TEMPORAL_TEST_SERVER_PATH is not set: point it at the temporal-test-server binary (test/global-setup.ts sets it)');
jest.setTimeout(120_000);
expect.extend(hookwaitMatchers);

const sim = createSimulator();
afterAll(() => sim.teardown());
const fixtures = { workflowsPath: require.resolve('./fixtures/async-workflows'), webpackConfigHook: resolveHookwaitToSources };

describe('simulate: async integration patterns on the time-skipping server', () => {
  test('run.sleep(1h) appears in the path and advances the workflow clock by an hour', async () => {
    const run = await sim.simulate(sleeping, { ...fixtures, input: {} });
    expect(run).toHaveTakenPath(['message', 'sleep:1h', 'message', 'completed']);
    expect(run.clock.elapsedMs).toBeGreaterThanOrEqual(60 * 60_000);
    expect(run.messages.map((m) => m.text)).toEqual(['Before', 'After']);
  });

  test('run.poll with a connector sequence: pending, pending, done: three checks in the path', async () => {
    const run = await sim.simulate(polling, {
      ...fixtures,
      input: { job: 'j1', timeout: '1h' },
      connectors: { status: connectorSequence({ state: 'pending' }, { state: 'pending' }, { state: 'done', reference: 'r-9' }) },
    });
    expect(run).toHaveTakenPath(['poll:status', 'poll:status', 'poll:status', 'completed']);
    expect(run.result).toMatchObject({ status: 'completed', output: { ok: true, checks: 3, response: { state: 'done', reference: 'r-9' } } });
    expect(run.clock.elapsedMs).toBeGreaterThanOrEqual(2_000);
  });

  test('a sequence with a retryable error in it: the error is retried within the same check', async () => {
    const run = await sim.simulate(polling, {
      ...fixtures,
      input: { job: 'j2', timeout: '1h' },
      connectors: { status: connectorSequence(new Error('ECONNRESET'), { state: 'done' }) },
    });
    expect(run.path).toEqual(['poll:status', 'completed']);
    expect(run.connectorCalls.map((c) => c.attempt)).toEqual([1, 2]);
  });

  test('callback or poll: the poll completes the wait; the path says so', async () => {
    const run = await sim.simulate(callbackOrPoll, {
      ...fixtures,
      input: { job: 'j3' },
      connectors: { status: connectorSequence({ state: 'pending' }, { state: 'done', reference: 'r-1' }) },
    });
    expect(run).toHaveTakenPath(['wait:kyc', 'poll:status', 'poll:status', 'poll:kyc:accepted', 'completed']);
    expect(run.state.waits.kyc).toMatchObject({ completedBy: 'poll', attributes: { state: 'done', reference: 'r-1' } });
  });

  test('callback or poll: a mock callback after the poll completed the wait is sent as a late sender would (gone)', async () => {
    const run = await sim.simulate(callbackOrPoll, {
      ...fixtures,
      input: { job: 'j5' },
      connectors: { status: { state: 'done', reference: 'r-5' } },
      callbacks: { kyc: { after: '1m', body: { state: 'done', reference: 'late' } } },
    });
    expect(run.path).toEqual(['wait:kyc', 'poll:status', 'poll:kyc:accepted', 'completed']);
    expect(run.answers).toEqual([{ wait: 'kyc', status: 410, outcome: 'gone' }]);
    expect(run.state.waits.kyc?.attributes).toEqual({ state: 'done', reference: 'r-5' });
  });

  test('callback or poll: the callback comes first (after 1.5 s, between two checks)', async () => {
    const run = await sim.simulate(callbackOrPoll, {
      ...fixtures,
      input: { job: 'j4' },
      connectors: { status: { state: 'pending' } },
      callbacks: { kyc: { after: '1500ms', body: { state: 'done', reference: 'cb' } } },
    });
    // A check at once, then one a second; how many before the callback depends on the activities' own time.
    expect(run.path.slice(0, 2)).toEqual(['wait:kyc', 'poll:status']);
    expect(run.path.slice(-2)).toEqual(['callback:kyc:accepted', 'completed']);
    expect(run.path.slice(2, -2).every((step) => step === 'poll:status')).toBe(true);
    expect(run.result).toMatchObject({ output: { ok: true, completedBy: 'callback' } });
  });

  test('progress messages appear in the path, then the timeout', async () => {
    const run = await sim.simulate(progressing, { ...fixtures, input: {}, callbacks: { slow: 'timeout' } });
    expect(run).toHaveTakenPath(['wait:slow', 'progress:slow:1', 'progress:slow:2', 'timeout:slow', 'completed']);
    expect(run.messages.map((m) => m.text)).toEqual(['Still checking (1 of 2, 2s so far)', 'Still checking (2 of 2, 4s so far)']);
  });

  test('now: the run starts at the given time on the workflow clock; a time before the server clock is refused', async () => {
    const own = createSimulator();
    try {
      const now = new Date(Date.now() + 3 * 86_400_000);
      const run = await own.simulate(sleeping, { ...fixtures, input: {}, now });
      expect(Date.parse(run.clock.startedAt)).toBeGreaterThanOrEqual(now.getTime());
      expect(Date.parse((run.result as { output: string }).output)).toBeGreaterThanOrEqual(now.getTime() + 3_600_000);
      await expect(own.simulate(sleeping, { ...fixtures, input: {}, now: '2020-01-01T00:00:00Z' })).rejects.toThrow(SimulationError);
    } finally {
      await own.teardown();
    }
  });

  test('the matchers fail with the first difference', async () => {
    const run = await sim.simulate(sleeping, { ...fixtures, input: {} });
    expect(() => expect(run).toHaveTakenPath(['message', 'sleep:2h', 'message', 'completed'])).toThrow(/first difference at step 2: expected sleep:2h, got sleep:1h/);
    expect(run).not.toHaveTakenPath(['completed']);
    expect(run).toHaveEnded('completed');
    expect(() => expect(run).toHaveEnded('escalated')).toThrow(/it ended completed/);
  });
});

describe('hookwait simulate: connector sequences', () => {
  const env: NodeJS.ProcessEnv = {
    TEMPORAL_TEST_SERVER_PATH: process.env.TEMPORAL_TEST_SERVER_PATH,
    HOOKWAIT_PROCEDURES_MODULE: require.resolve('../examples/identity-verification/procedures'),
    HOOKWAIT_WORKFLOWS_MODULE: require.resolve('../examples/identity-verification/workflows'),
  };
  async function cli(e: NodeJS.ProcessEnv, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await runCli(argv, e, { out: (s) => (out += s), err: (s) => (err += s) });
    return { code, out, err };
  }

  test('--connector name=error,error,<json>: retried twice, then answers', async () => {
    const r = await cli(env, 'simulate', 'identityVerification', '--input', '{"customerId":"c1"}', '--connector', 'startVerification=error,error,{"verification_id":"v-3"}', '--callback', 'idVerification=timeout', '--json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ ok: true, path: expect.arrayContaining(['connector:startVerification', 'escalated']) });
  });

  test('repeated --connector flags append to the sequence; poll checks take them in turn', async () => {
    const asyncEnv = { ...env, HOOKWAIT_PROCEDURES_MODULE: require.resolve('./fixtures/async-procedures'), HOOKWAIT_WORKFLOWS_MODULE: require.resolve('./fixtures/async-workflows') };
    const r = await cli(asyncEnv, 'simulate', 'polling', '--input', '{"job":"j","timeout":"1h"}', '--connector', 'status={"state":"pending"}', '--connector', 'status={"state":"pending"},{"state":"done","reference":"r,1"}', '--expect-path', 'poll:status,poll:status,poll:status,completed', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ ok: true, result: { output: { ok: true, checks: 3, response: { reference: 'r,1' } } } });
  });

  test('an empty answer in a sequence is bad usage (exit 2)', async () => {
    const r = await cli(env, 'simulate', 'identityVerification', '--input', '{"customerId":"c1"}', '--connector', 'startVerification=error,,{}');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/empty answer/);
  });
});
