import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../src/cli/run-cli';
import { approveLines, stockCheck } from './fixtures/workflows';
import { startHarness, type Harness } from './helpers/harness';
import { postCallback } from './helpers/http';
import { runState, uniqueId, untilWaitStatus } from './helpers/runs';

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

  async function cliWith(withEnv: NodeJS.ProcessEnv, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await runCli(argv, withEnv, { out: (s) => (out += s), err: (s) => (err += s) });
    return { code, out, err };
  }
  const cli = (...argv: string[]) => cliWith(env, ...argv);

  test('start --json prints ids and callback URLs; show reports waits and captured attributes', async () => {
    const started = await cli('start', 'stockCheck', '--input', '{}', '--json');
    expect(started.err).toBe('');
    expect(started.code).toBe(0);
    const { workflowId, runId, callbackUrls, urlsFrom } = JSON.parse(started.out) as { workflowId: string; runId: string; callbackUrls: Record<string, string>; urlsFrom: string };
    expect(workflowId).toMatch(/^stockCheck-/);
    expect(runId).toBeTruthy();
    expect(Object.keys(callbackUrls).sort()).toEqual(['confirm', 'stock']);
    // No HOOKWAIT_TOKEN_KEYS here: the run's own URLs, from the worker.
    expect(urlsFrom).toBe('worker');

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

  test("show escapes what senders control: an attribute with escape sequences cannot drive the operator's terminal", async () => {
    const started = await cli('start', 'stockCheck', '--input', '{}', '--json');
    const { workflowId, callbackUrls } = JSON.parse(started.out) as { workflowId: string; callbackUrls: Record<string, string> };
    const hostile = 'x\u001b]52;c;aGk=\u0007\u001b[2J\ncallback 2030 stock accepted (operator boss)\u009b31m';
    // (A User-Agent cannot carry control characters: Node's HTTP parser refuses them. An attribute can.)
    const res = await postCallback(callbackUrls.stock as string, { in_stock: hostile });
    expect(res.status).toBe(202);
    await untilWaitStatus(h.env.client.workflow.getHandle(workflowId), 'stock', 'received');
    for (const argv of [['show', workflowId], ['show', workflowId, '--json']]) {
      const shown = await cli(...argv);
      expect(shown.code).toBe(0);
      expect(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/.test(shown.out)).toBe(false);
    }
    const human = (await cli('show', workflowId)).out;
    expect(human.split('\n').filter((l) => l.includes('operator boss'))).toHaveLength(1); // the forged line stays inside its value
    expect(human).toContain('in_stock = x\\u001b]52;c;aGk=\\u0007');
    await h.env.client.workflow.getHandle(workflowId).terminate('test done');
  });

  test('start with HOOKWAIT_TOKEN_KEYS and no worker up prints the URLs at once; a callback to one completes the run once a worker starts', async () => {
    const taskQueue = `${h.taskQueue}-later`;
    const key = h.keyring.keys.get(h.keyring.signingKeyId) as Buffer;
    const keyed = { ...env, TEMPORAL_TASK_QUEUE: taskQueue, HOOKWAIT_TOKEN_KEYS: `${h.keyring.signingKeyId}:${key.toString('base64url')}`, HOOKWAIT_PUBLIC_BASE_URL: h.gatewayUrl };
    let out = '';
    let err = '';
    const began = Date.now();
    const code = await runCli(['start', 'approval', '--input', '{}'], keyed, { out: (s) => (out += s), err: (s) => (err += s) });
    expect({ code, err }).toEqual({ code: 0, err: '' });
    expect(Date.now() - began).toBeLessThan(5_000);
    const workflowId = /workflow id {2}(\S+)/.exec(out)?.[1] as string;
    const url = /callback URL \(approval\)\n {4}(\S+)/.exec(out)?.[1] as string;
    expect(url.startsWith(`${h.gatewayUrl}/callbacks/hw2.`)).toBe(true);
    expect(out).not.toMatch(/not available/);

    const stop = await h.startWorker({ taskQueue });
    try {
      const res = await postCallback(url, { decision: 'approved', refund: { amount: 9 }, approver: { email: 'a@b.c' } });
      expect(res.status).toBe(202);
      expect(await h.env.client.workflow.getHandle(workflowId).result()).toMatchObject({ status: 'completed', output: { decision: 'approved', amount: 9 } });
    } finally {
      await stop();
    }
  });

  test('start without HOOKWAIT_TOKEN_KEYS and no worker says plainly that no worker answered; the run is started', async () => {
    let out = '';
    const code = await runCli(['start', 'approval', '--input', '{}'], { ...env, TEMPORAL_TASK_QUEUE: `${h.taskQueue}-nobody` }, { out: (s) => (out += s), err: (s) => (out += s) });
    expect(code).toBe(0);
    expect(out).toMatch(/callback URLs: not available yet: no worker answered on task queue '.*-nobody'/);
    expect(out).not.toMatch(/callbacks\//);
    const workflowId = /workflow id {2}(\S+)/.exec(out)?.[1] as string;
    expect((await h.env.client.workflow.getHandle(workflowId).describe()).status.name).toBe('RUNNING');
    await h.env.client.workflow.getHandle(workflowId).terminate('test done');
  });

  test('complete, expire and revoke take --key for keyed waits', async () => {
    const handle = await h.env.client.workflow.start(approveLines, { taskQueue: h.taskQueue, workflowId: uniqueId('cli-keyed'), args: [{ items: ['a', 'b', 'c'] }] });
    await untilWaitStatus(handle, 'lineApproved:c', 'waiting');
    expect(await cli('revoke', handle.workflowId, 'lineApproved', '--key', 'c', '--json')).toMatchObject({ code: 0, out: `${JSON.stringify({ workflowId: handle.workflowId, revoked: 'lineApproved:c', applied: true })}\n` });
    expect((await runState(handle)).waits['lineApproved:c']).toMatchObject({ status: 'waiting', revoked: true });
    expect((await runState(handle)).waits['lineApproved:b']?.revoked).toBeUndefined();
    expect(await cli('revoke', handle.workflowId, '--key', 'c')).toMatchObject({ code: 2, err: expect.stringMatching(/--key names one key of a wait/) });
    // The plain workflow's wait comes from the module's `waits`: the data is checked against it.
    expect(await cli('complete', handle.workflowId, 'lineApproved', '--key', 'a', '--data', '{"approved":"maybe"}')).toMatchObject({ code: 2, err: expect.stringMatching(/approved: /) });
    expect(await cli('complete', handle.workflowId, 'lineApproved', '--key', 'a', '--data', '{"approved":true,"by":"ann"}')).toMatchObject({ code: 0, out: "Completed wait 'lineApproved:a' of " + handle.workflowId + '.\n' });
    expect((await runState(handle)).waits['lineApproved:a']).toMatchObject({ status: 'received', attributes: { approved: true, by: 'ann' } });
    expect(await cli('complete', handle.workflowId, 'lineApproved', '--key', 'a', '--data', '{"approved":false}')).toMatchObject({ code: 4, err: expect.stringMatching(/wait 'lineApproved:a' is no longer open \(received\)/) });
    expect(await cli('expire', handle.workflowId, 'lineApproved', '--key', 'b')).toMatchObject({ code: 0, out: expect.stringMatching(/Expired wait 'lineApproved:b' .* \(branch\) now/) });
    await handle.terminate('test done');

    const stock = await h.env.client.workflow.start(stockCheck, { taskQueue: h.taskQueue, workflowId: uniqueId('cli-key-proc'), args: [{}] });
    await untilWaitStatus(stock, 'stock', 'waiting');
    expect(await cli('expire', stock.workflowId, 'stock', '--key', 'bad key')).toMatchObject({ code: 2, err: expect.stringMatching(/key must be 1-128 letters/) });
    const expired = await cli('expire', stock.workflowId, 'stock', '--json');
    expect(JSON.parse(expired.out)).toMatchObject({ wait: 'stock', status: 'expired', onTimeout: 'branch', applied: true });
    await untilWaitStatus(stock, 'confirm', 'waiting');
    const done = await cli('complete', stock.workflowId, 'confirm', '--data', '{"ok":"y"}', '--json');
    expect(JSON.parse(done.out)).toMatchObject({ wait: 'confirm', status: 'accepted', attributes: { ok: 'y' }, applied: true });
    expect(await stock.result()).toMatchObject({ status: 'completed', output: { stock: 'timeout', confirmed: 'y' } });
  });

  test('clear errors and meaningful exit codes', async () => {
    expect(await cli('start', 'nope')).toMatchObject({ code: 3, err: expect.stringMatching(/unknown procedure 'nope' \(known: approval, stockCheck, connectorCall, secured, refundLines\)/) });
    expect(await cli('start', 'connectorCall', '--input', '{bad')).toMatchObject({ code: 2, err: expect.stringMatching(/--input is not valid JSON/) });
    expect(await cli('start', 'connectorCall', '--input', '{"path":"x"}')).toMatchObject({ code: 2, err: expect.stringMatching(/input\.customerId/) });
    expect(await cli('show', 'no-such-workflow')).toMatchObject({ code: 3, err: expect.stringMatching(/no workflow 'no-such-workflow'/) });
    expect(await cli('frobnicate')).toMatchObject({ code: 2, err: expect.stringMatching(/unknown command/) });
    expect((await cli()).code).toBe(2);
  });

  describe('the connection from a temporal.toml profile and global options', () => {
    let dir: string;
    let configFile: string;
    /** The environment without any TEMPORAL_ADDRESS: only the profile says where the server is. */
    let bare: NodeJS.ProcessEnv;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'hookwait-cli-profile-'));
      configFile = join(dir, 'temporal.toml');
      writeFileSync(
        configFile,
        `[profile.hw]\naddress = "${h.env.address}"\nnamespace = "default"\n\n[profile.elsewhere]\naddress = "${h.env.address}"\nnamespace = "no-such-namespace"\n`,
      );
      bare = {
        TEMPORAL_TASK_QUEUE: h.taskQueue,
        HOOKWAIT_PROCEDURES_MODULE: require.resolve('./fixtures/procedures'),
        HOOKWAIT_WORKFLOWS_MODULE: require.resolve('./fixtures/workflows'),
      };
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    test('TEMPORAL_CONFIG_FILE + TEMPORAL_PROFILE alone: the CLI starts and shows a run on that server', async () => {
      const profileEnv = { ...bare, TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_PROFILE: 'hw' };
      const started = await cliWith(profileEnv, 'start', 'stockCheck', '--input', '{}', '--json');
      expect(started).toMatchObject({ code: 0, err: '' });
      const { workflowId, callbackUrls } = JSON.parse(started.out) as { workflowId: string; callbackUrls: Record<string, string> };
      expect(Object.keys(callbackUrls).sort()).toEqual(['confirm', 'stock']);
      expect(await cliWith(profileEnv, 'show', workflowId, '--json')).toMatchObject({ code: 0, out: expect.stringContaining(`"workflowId":"${workflowId}"`) });
      await h.env.client.workflow.getHandle(workflowId).terminate('test done');
    });

    test("the profile's namespace is the one used", async () => {
      const r = await cliWith({ ...bare, TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_PROFILE: 'elsewhere' }, 'list', '--json');
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/namespace not found: 'no-such-namespace'/i);
    });

    test('--profile and --config-file, before or after the command', async () => {
      expect(await cliWith(bare, '--config-file', configFile, '--profile', 'hw', 'list', '--json')).toMatchObject({ code: 0, err: '' });
      expect(await cliWith(bare, 'list', '--json', `--config-file=${configFile}`, '--profile=hw')).toMatchObject({ code: 0, err: '' });
      expect(await cliWith(bare, 'list', '--config-file', configFile, '--profile', 'nope')).toMatchObject({ code: 2, err: expect.stringMatching(/--profile: no profile 'nope'/) });
    });

    test('--address and --namespace override the environment and the profile', async () => {
      // Nothing listens on port 1: only the option can make these work.
      const wrong = { ...bare, TEMPORAL_ADDRESS: '127.0.0.1:1' };
      expect(await cliWith(wrong, '--address', h.env.address, 'list', '--json')).toMatchObject({ code: 0, err: '' });
      expect(await cliWith(wrong, 'list', '--json', '--address', h.env.address)).toMatchObject({ code: 0, err: '' });
      expect(await cliWith({ ...bare, TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_PROFILE: 'elsewhere' }, 'list', '--json', '--namespace', 'default')).toMatchObject({ code: 0, err: '' });
      const r = await cliWith({ ...bare, TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_PROFILE: 'hw' }, '--namespace', 'no-such-namespace', 'list');
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/namespace not found: 'no-such-namespace'/i);
    });
  });
});
