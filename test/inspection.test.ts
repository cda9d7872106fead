import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { callbackUrlsOf, ProcedureInputError, startProcedure } from '../src/client/start-procedure';
import { runCli } from '../src/cli/run-cli';
import { generateKeyringSpec } from '../src/security/callback-token';
import { HookwaitDeadline, HookwaitProcedure, HookwaitStatus, HookwaitWaitingFor } from '../src/workflows/search-attributes';
import { stockProcedure } from './fixtures/procedures';
import { approval, stockCheck } from './fixtures/workflows';
import { startHarness, type Harness } from './helpers/harness';
import { eventually, postCallback } from './helpers/http';
import { runState, uniqueId } from './helpers/runs';

let h: Harness;
let cliEnv: NodeJS.ProcessEnv;
beforeAll(async () => {
  h = await startHarness();
  await h.startWorker();
  cliEnv = {
    TEMPORAL_ADDRESS: h.env.address,
    TEMPORAL_TASK_QUEUE: h.taskQueue,
    HOOKWAIT_PROCEDURES_MODULE: require.resolve('./fixtures/procedures'),
    HOOKWAIT_WORKFLOWS_MODULE: require.resolve('./fixtures/workflows'),
    HOOKWAIT_OPERATOR: 'ops-ann',
  };
});
afterAll(async () => {
  await h?.teardown();
});

const id = uniqueId;
const state = runState;
async function waiting(handle: WorkflowHandle, wait: string): Promise<string> {
  return eventually(async () => {
    const s = await state(handle);
    return s.waits[wait]?.status === 'waiting' ? s.callbackUrls[wait] : undefined;
  });
}
async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, cliEnv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

describe('in the Web UI: search attributes, summaries, current details', () => {
  test('search attributes follow every transition; HookwaitStatus="waiting" finds exactly the waiting runs', async () => {
    const parked = await h.env.client.workflow.start(approval, { taskQueue: h.taskQueue, workflowId: id('sa-wait'), args: [{}] });
    const done = await h.env.client.workflow.start(approval, { taskQueue: h.taskQueue, workflowId: id('sa-done'), args: [{}] });
    await waiting(parked, 'approval');
    await postCallback(await waiting(done, 'approval'), { decision: 'approved', refund: { amount: 1 }, approver: { email: 'a@b.c' } });
    await done.result();

    const described = await parked.describe();
    expect(described.typedSearchAttributes.get(HookwaitStatus)).toBe('waiting');
    expect(described.typedSearchAttributes.get(HookwaitProcedure)).toBe('approval');
    expect(described.typedSearchAttributes.get(HookwaitWaitingFor)).toBe('approval');
    const deadline = described.typedSearchAttributes.get(HookwaitDeadline);
    expect(deadline).toBeInstanceOf(Date);
    expect(Math.abs((deadline as Date).getTime() - Date.now() - 3_600_000)).toBeLessThan(60_000);
    const finished = await done.describe();
    expect(finished.typedSearchAttributes.get(HookwaitStatus)).toBe('completed');
    expect(finished.typedSearchAttributes.get(HookwaitWaitingFor)).toBeUndefined();

    const ids = await eventually(async () => {
      const found: string[] = [];
      for await (const w of h.env.client.workflow.list({ query: 'HookwaitStatus="waiting"' })) found.push(w.workflowId);
      return found.includes(parked.workflowId) ? found : undefined;
    });
    expect(ids).toContain(parked.workflowId);
    expect(ids).not.toContain(done.workflowId);
    await parked.terminate('test done');
  });

  test('current details say what the run waits for, since and until when, with the token redacted; the timer has a summary', async () => {
    const handle = await h.env.client.workflow.start(approval, { taskQueue: h.taskQueue, workflowId: id('details'), args: [{}] });
    const url = await waiting(handle, 'approval');
    const token = url.slice(url.lastIndexOf('/') + 1);
    const metadata = (await handle.query('__temporal_workflow_metadata')) as { currentDetails?: string };
    const details = metadata.currentDetails ?? '';
    // The first line, the one the UI shows at a glance, says what the run waits for and until when.
    expect(details.split('\n')[0]).toMatch(/^\*\*Wait for refund approval\*\* \(approval\): waiting until \*\*\d{4}-\d\d-\d\dT.*\*\*, since \d{4}-/);
    expect(details).toContain(token.slice(0, 10));
    expect(details).not.toContain(token);

    const history = await handle.fetchHistory();
    const timer = history.events?.find((e) => e.timerStartedEventAttributes);
    const summary = timer?.userMetadata?.summary?.data;
    expect(summary && Buffer.from(summary).toString()).toBe('"Wait for refund approval (approval)"');
    await handle.terminate('test done');
  });
});

describe('summaries on every step', () => {
  test('every activity (the local one that mints URLs included) and every timer carries a summary', async () => {
    const handle = await h.env.client.workflow.start(approval, { taskQueue: h.taskQueue, workflowId: id('summaries'), args: [{}] });
    const url = await waiting(handle, 'approval');
    expect((await postCallback(url, { decision: 'approved', refund: { amount: 4 }, approver: { email: 'a@b.c' } })).status).toBe(202);
    await handle.result();
    const events = (await handle.fetchHistory()).events ?? [];
    const summaryOf = (e: (typeof events)[number]): string | undefined => {
      const data = e.userMetadata?.summary?.data;
      return data ? (JSON.parse(Buffer.from(data).toString()) as string) : undefined;
    };
    const activities = events.filter((e) => e.activityTaskScheduledEventAttributes);
    const localActivities = events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity');
    const timers = events.filter((e) => e.timerStartedEventAttributes);
    expect(localActivities.length).toBeGreaterThanOrEqual(1); // minting the callback URLs
    expect(activities.length).toBeGreaterThanOrEqual(1); // the message after approval
    expect(timers.length).toBeGreaterThanOrEqual(1);
    const summaries = [...activities, ...localActivities, ...timers].map(summaryOf);
    expect(summaries.every((x) => typeof x === 'string' && x.length > 0)).toBe(true);
    expect(summaries).toEqual(expect.arrayContaining(['Wait for refund approval (approval)', expect.stringMatching(/message/i)]));
  });
});

describe('startProcedure: how code outside the CLI starts a run that reads well', () => {
  test('a static summary from the procedure title, the search attributes from the first moment, the callback URLs', async () => {
    const handle = await startProcedure(h.env.client, stockProcedure, { waitTimeout: '1h' }, { taskQueue: h.taskQueue, workflowId: id('start-api'), summary: 'order 42' });
    const description = await handle.describe();
    expect(await description.staticSummary()).toBe(`${stockProcedure.title}: order 42`);
    expect(description.typedSearchAttributes.get(HookwaitProcedure)).toBe('stockCheck');
    const urls = await callbackUrlsOf(handle);
    expect(Object.keys(urls ?? {})).toEqual(['stock', 'confirm']);
    expect((await postCallback(urls?.stock as string, { in_stock: 'yes' })).status).toBe(202);
    await handle.terminate('test done');
  });

  test('input that does not fit the procedure is a typed error naming the field, and nothing starts', async () => {
    const workflowId = id('start-bad');
    const err = await startProcedure(h.env.client, stockProcedure, { waitTimeout: 5 } as unknown as { waitTimeout: string }, { taskQueue: h.taskQueue, workflowId }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProcedureInputError);
    expect((err as ProcedureInputError).fields).toEqual(['waitTimeout']);
    expect((err as Error).message).toMatch(/^invalid input for stockCheck: input.waitTimeout: /);
    await expect(h.env.client.workflow.getHandle(workflowId).describe()).rejects.toThrow(/not found/i);
  });
});

describe('the callback ledger and operators', () => {
  test('accepted, duplicate, late and operator entries, with time, address, user agent and request id', async () => {
    const handle = await h.env.client.workflow.start(stockCheck, { taskQueue: h.taskQueue, workflowId: id('ledger'), args: [{}] });
    const stockUrl = await waiting(handle, 'stock');
    const first = await postCallback(stockUrl, { in_stock: '1' }, { headers: { 'user-agent': 'warehouse/2.0', 'x-request-id': 'req-abc-123' } });
    expect(first.status).toBe(202);
    // The answer carries the gateway's own id; the sender's is kept as clientRequestId.
    const ours = first.headers.get('x-request-id');
    expect(ours).toMatch(/^[0-9a-f-]{36}$/);
    await waiting(handle, 'confirm');
    expect((await postCallback(stockUrl, { in_stock: '2' })).status).toBe(200);

    const expired = await cli('expire', handle.workflowId, 'confirm');
    expect(expired).toMatchObject({ code: 0, out: expect.stringMatching(/Expired wait 'confirm'/) });
    const result = await handle.result();
    expect(result).toMatchObject({ status: 'completed', output: { stock: '1', confirmed: 'timeout' } });

    const s = await state(handle);
    expect(s.ledger.map((e) => [e.wait, e.outcome, e.source.kind])).toEqual([
      ['stock', 'accepted', 'http'],
      ['stock', 'duplicate', 'http'],
      ['confirm', 'expired', 'operator'],
    ]);
    expect(s.ledger[0]?.source).toMatchObject({ ip: expect.stringMatching(/127\.0\.0\.1/), userAgent: 'warehouse/2.0', requestId: ours, clientRequestId: 'req-abc-123' });
    expect(s.ledger[2]?.source.operator).toBe('ops-ann');
    expect(Date.parse(s.ledger[0]?.at ?? '')).toBeGreaterThan(Date.now() - 60_000);

    // The same request ids are in the gateway's log line for that callback.
    const line = h.gatewayLog.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.requestId === ours);
    expect(line).toMatchObject({ msg: 'callback accepted', workflowId: handle.workflowId, wait: 'stock', clientRequestId: 'req-abc-123' });
    // Logs never carry a whole token.
    const token = stockUrl.slice(stockUrl.lastIndexOf('/') + 1);
    expect(h.gatewayLog.join('\n')).not.toContain(token);
  });

  test('hookwait complete: an operator completes a wait with checked data; list --status waiting; clear errors', async () => {
    const handle = await h.env.client.workflow.start(approval, { taskQueue: h.taskQueue, workflowId: id('complete'), args: [{}] });
    await waiting(handle, 'approval');

    const listed = await eventually(async () => {
      const r = await cli('list', '--status', 'waiting', '--procedure', 'approval', '--json');
      const rows = JSON.parse(r.out) as { workflowId: string; waitingFor?: string; deadline?: string }[];
      return rows.find((x) => x.workflowId === handle.workflowId);
    });
    expect(listed).toMatchObject({ waitingFor: 'approval', deadline: expect.any(String) });

    expect(await cli('complete', handle.workflowId, 'approval', '--data', '{"decision":"maybe"}')).toMatchObject({
      code: 2,
      err: expect.stringMatching(/decision: .*; amount: is required; approver: is required/),
    });
    expect(await cli('complete', handle.workflowId, 'nope', '--data', '{}')).toMatchObject({ code: 3, err: expect.stringMatching(/no wait 'nope' \(waits: approval\)/) });
    expect(await cli('complete', 'no-such-run', 'approval', '--data', '{}')).toMatchObject({ code: 3 });

    const done = await cli('complete', handle.workflowId, 'approval', '--data', '{"decision":"approved","refund":{"amount":3},"approver":{"email":"ops@x.y"}}');
    expect(done).toMatchObject({ code: 0, out: expect.stringMatching(/Completed wait 'approval'/) });
    expect(await handle.result()).toMatchObject({ status: 'completed', output: { decision: 'approved', amount: 3 } });
    expect((await state(handle)).ledger).toEqual([expect.objectContaining({ outcome: 'accepted', source: expect.objectContaining({ kind: 'operator', operator: 'ops-ann' }) })]);

    expect(await cli('expire', handle.workflowId, 'approval')).toMatchObject({ code: 4, err: expect.stringMatching(/has finished/) });
    const shown = await cli('show', handle.workflowId);
    expect(shown.out).toMatch(/callback .* approval accepted \(operator ops-ann\)/);
  });
});

describe('metrics', () => {
  test('the gateway counts callbacks by outcome and Temporal errors, with an edge latency histogram', async () => {
    await postCallback(`${h.gatewayUrl}/callbacks/forged`, {});
    // Only on the admin listener: the public one answers 404.
    expect((await fetch(`${h.gatewayUrl}/metrics`)).status).toBe(404);
    const text = await (await fetch(`${h.adminUrl}/metrics`)).text();
    expect(text).toMatch(/hookwait_callbacks_total\{outcome="not-found"\} [1-9]/);
    expect(text).toMatch(/hookwait_callbacks_total\{outcome="accepted"\} [1-9]/);
    expect(text).toMatch(/hookwait_callback_duration_seconds_bucket\{le="0.005",outcome="not-found"\}/);
    expect(text).toContain('# TYPE hookwait_temporal_errors_total counter');
    // A rejection at the edge is logged too, with its outcome and request id, never the token in full.
    const refused = h.gatewayLog.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'callback refused' && l.outcome === 'not-found');
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]).toMatchObject({ requestId: expect.any(String) });
  });

  test("the standalone worker serves the Temporal SDK's metrics on HOOKWAIT_WORKER_METRICS_PORT", async () => {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const child = spawn(process.execPath, [resolve(__dirname, '../lib/src/worker/main.js')], {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: h.env.address,
        TEMPORAL_TASK_QUEUE: `${h.taskQueue}-metrics`,
        HOOKWAIT_TOKEN_KEYS: generateKeyringSpec('m1'),
        // Compiled by `npm run build`: the standalone worker serves no procedures unless told which.
        HOOKWAIT_PROCEDURES_MODULE: resolve(__dirname, '../lib/test/fixtures/procedures.js'),
        HOOKWAIT_WORKFLOWS_MODULE: resolve(__dirname, '../lib/test/fixtures/workflows.js'),
        HOOKWAIT_WORKER_METRICS_PORT: String(port),
        LOG_LEVEL: 'warn',
      },
      stdio: 'ignore',
    });
    try {
      const text = await eventually(async () => {
        const res = await fetch(`http://127.0.0.1:${port}/metrics`);
        const body = await res.text();
        return /temporal_/.test(body) ? body : undefined;
      }, 30_000, 250);
      expect(text).toMatch(/temporal_\w+/);
    } finally {
      child.kill('SIGTERM');
    }
  });
});

describe('hookwait setup on a namespace without the search attributes', () => {
  test('registers the five attributes once, then says they are there', async () => {
    const { TestWorkflowEnvironment } = await import('@temporalio/testing');
    const bare = await TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path: process.env.TEMPORAL_CLI_PATH as string } } });
    try {
      const env = { TEMPORAL_ADDRESS: bare.address };
      let out = '';
      const io = { out: (s: string) => (out += s), err: (s: string) => (out += s) };
      expect(await runCli(['setup'], env, io)).toBe(0);
      expect(out).toMatch(/Registered: HookwaitProcedure, HookwaitStatus, HookwaitWaitingFor, HookwaitDeadline, HookwaitTrigger/);
      const listed = await bare.client.connection.operatorService.listSearchAttributes({ namespace: 'default' });
      expect(Object.keys(listed.customAttributes ?? {})).toEqual(
        expect.arrayContaining(['HookwaitProcedure', 'HookwaitStatus', 'HookwaitWaitingFor', 'HookwaitDeadline']),
      );
      out = '';
      expect(await runCli(['setup'], env, io)).toBe(0);
      expect(out).toMatch(/already registered/);
    } finally {
      await bare.teardown();
    }
  });
});
