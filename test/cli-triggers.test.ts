import { runCli } from '../src/cli/run-cli';
import { HookwaitTrigger } from '../src/workflows/search-attributes';
import { triggerProcedures, testTriggers } from './fixtures/trigger-procedures';
import { startHarness, type Harness } from './helpers/harness';
import { eventually } from './helpers/http';

describe('hookwait triggers and hookwait trigger test', () => {
  let h: Harness;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    h = await startHarness({ procedures: triggerProcedures, workflowsPath: require.resolve('./fixtures/trigger-workflows') });
    await h.startWorker();
    env = {
      TEMPORAL_ADDRESS: h.env.address,
      TEMPORAL_TASK_QUEUE: h.taskQueue,
      HOOKWAIT_PUBLIC_BASE_URL: 'https://hooks.example.test',
      HOOKWAIT_PROCEDURES_MODULE: require.resolve('./fixtures/trigger-procedures'),
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

  test('triggers lists each trigger with its full URL, methods and auth', async () => {
    const text = await cli('triggers');
    expect(text.code).toBe(0);
    expect(text.out).toContain('POST https://hooks.example.test/hooks/orders/created');
    expect(text.out).toContain('POST, PUT https://hooks.example.test/hooks/orders/secured');
    expect(text.out).toContain('auth apiKey in x-api-key (TEST_API_KEYS)');
    const json = await cli('triggers', '--json');
    const rows = JSON.parse(json.out) as { name: string; url: string; methods: string[]; auth: unknown }[];
    expect(rows.map((r) => r.name)).toEqual(testTriggers.map((t) => t.name));
    expect(rows.find((r) => r.name === 'orderLookup')).toMatchObject({ methods: ['GET'], auth: null, url: 'https://hooks.example.test/hooks/orders/lookup' });
  });

  test('trigger test sends a sample through the checks, starts the run and prints the answer', async () => {
    const r = await cli('trigger', 'test', 'securedOrder', '--data', '{"order":{"id":"cli-1"}}', '--header', 'x-source=cli', '--query', 'channel=shop', '--json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const printed = JSON.parse(r.out) as { status: number; body: { workflowId: string }; run: { workflowId: string; runId: string } };
    expect(printed).toMatchObject({ status: 201, body: { status: 'started', trigger: 'securedOrder' }, run: { workflowId: expect.any(String), runId: expect.any(String) } });
    const handle = h.env.client.workflow.getHandle(printed.run.workflowId);
    const described = await handle.describe();
    expect(described.typedSearchAttributes.get(HookwaitTrigger)).toBe('securedOrder');
    const listed = await eventually(async () => {
      const l = await cli('list', '--trigger', 'securedOrder', '--json');
      const rows = JSON.parse(l.out) as { workflowId: string; trigger?: string }[];
      return rows.find((row) => row.workflowId === printed.run.workflowId);
    });
    expect(listed.trigger).toBe('securedOrder');
    expect((await cli('list', '--trigger', 'bad name')).code).toBe(2);
    const shown = await cli('show', printed.run.workflowId);
    expect(shown.out).toContain('trigger      securedOrder');
    await handle.terminate();
  });

  test('a sample that does not pass: exit 2 and the fields; an unknown trigger: exit 3; bad flags: exit 2', async () => {
    const bad = await cli('trigger', 'test', 'orderCreated', '--data', '{"order":{}}');
    expect(bad.code).toBe(2);
    expect(bad.out).toContain('answer  422 (invalid-request)');
    expect(bad.out).toContain('body.order.id');
    expect((await cli('trigger', 'test', 'nope', '--data', '{}')).code).toBe(3);
    expect((await cli('trigger', 'test', 'orderCreated', '--data', '{oops')).code).toBe(2);
    expect((await cli('trigger', 'test', 'orderCreated', '--header', 'novalue')).code).toBe(2);
    expect((await cli('trigger', 'run', 'orderCreated')).code).toBe(2);
  });

  test('--help of both commands', async () => {
    expect((await cli('triggers', '--help')).out).toContain('Usage: hookwait triggers');
    const help = await cli('trigger', '--help');
    expect(help.out).toContain('Usage: hookwait trigger test <name>');
    expect(help.out).toContain('Exit codes');
  });
});
