import { randomUUID } from 'node:crypto';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { HookwaitClient, type StartedRun } from '../src/client/hookwait-client';
import { CallbackDataError, HookwaitArgumentError, HookwaitConflictError, HookwaitNotFoundError } from '../src/client/errors';
import { ProcedureInputError } from '../src/client/start-procedure';
import { stockProcedure, testProcedures } from './fixtures/procedures';
import { testWaits } from './fixtures/waits';
import { approval, approveLines, stockCheck, verifyCustomer } from './fixtures/workflows';
import { startHarness, type Harness } from './helpers/harness';
import { eventually, postCallback } from './helpers/http';
import { runState, uniqueId, untilWaitStatus } from './helpers/runs';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.teardown();
});

/** A task queue of its own, so that each test decides whether a worker serves it. */
const queue = (): string => `tq-${randomUUID()}`;
function hookwait(taskQueue: string, withKeyring = false): HookwaitClient {
  return new HookwaitClient({
    client: h.env.client,
    procedures: testProcedures,
    waits: testWaits,
    taskQueue,
    ...(withKeyring ? { keyring: h.keyring, publicBaseUrl: h.gatewayUrl } : {}),
  });
}
const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
const approvedData = { decision: 'approved', refund: { amount: 3 }, approver: { email: 'ops@x.y' } };

describe('start: the run and its callback URLs', () => {
  test('with a worker up, through update-with-start; the handle is typed by the workflow function; a second start of the id is a conflict', async () => {
    const taskQueue = queue();
    const stop = await h.startWorker({ taskQueue });
    try {
      const hw = hookwait(taskQueue);
      const run: StartedRun<typeof stockCheck> = await hw.start(stockCheck, {}, { workflowId: uniqueId('uws'), summary: 'order 7' });
      expect(run.urlsFrom).toBe('worker');
      expect(Object.keys(run.callbackUrls)).toEqual(['stock', 'confirm']);
      const state = await runState(run.handle);
      expect(state.runId).toBe(run.runId);
      expect(run.callbackUrls).toEqual(state.callbackUrls);
      const described = await run.handle.describe();
      expect(await described.staticSummary()).toBe('stockCheck: order 7');

      const again = await hw.start(stockCheck, {}, { workflowId: run.workflowId }).catch((e: unknown) => e);
      expect(again).toBeInstanceOf(HookwaitConflictError);
      expect(again).toMatchObject({ reason: 'already-started', workflowId: run.workflowId });

      expect((await postCallback(run.callbackUrls.stock as string, { in_stock: '4' })).status).toBe(202);
      expect((await postCallback(run.callbackUrls.confirm as string, { ok: 'yes' })).status).toBe(202);
      const result = await run.handle.result();
      // Typed from the workflow function: no cast needed to read the procedure's output.
      const stock: string | undefined = result.status === 'completed' ? result.output.stock : undefined;
      expect(stock).toBe('4');
    } finally {
      await stop();
    }
  });

  test('with the keyring and NO worker running: URLs minted here, at once; a worker started later completes the run through them', async () => {
    const taskQueue = queue();
    const hw = hookwait(taskQueue, true);
    const began = Date.now();
    const run = await hw.start(stockProcedure, {}, { workflowId: uniqueId('mint') });
    expect(Date.now() - began).toBeLessThan(3_000);
    expect(run.urlsFrom).toBe('client');
    expect(Object.keys(run.callbackUrls).sort()).toEqual(['confirm', 'stock']);
    expect((await run.handle.describe()).status.name).toBe('RUNNING');
    // The gateway takes a callback for it while no worker runs (a durable signal).
    expect((await postCallback(run.callbackUrls.stock as string, { in_stock: '12' })).status).toBe(202);

    const stop = await h.startWorker({ taskQueue });
    try {
      await untilWaitStatus(run.handle, 'confirm', 'waiting');
      // The run minted exactly the URLs the client did.
      expect((await runState(run.handle)).callbackUrls).toEqual(run.callbackUrls);
      expect((await postCallback(run.callbackUrls.confirm as string, { ok: 'y' })).status).toBe(202);
      expect(await run.handle.result()).toMatchObject({ status: 'completed', output: { stock: '12', confirmed: 'y', confirmUrl: run.callbackUrls.confirm } });
      // The same URL, one wait at a time, by workflow id and run id.
      expect(await hw.callbackUrl(run.workflowId, run.runId, 'stock')).toBe(run.callbackUrls.stock);
    } finally {
      await stop();
    }
  });

  test('with no keyring and no worker: urlsFrom "none" within the deadline, and the run is started all the same', async () => {
    const taskQueue = queue();
    const hw = hookwait(taskQueue);
    const began = Date.now();
    const run = await hw.start(approval, {}, { workflowId: uniqueId('none'), waitForUrlsMs: 1_500 });
    expect(Date.now() - began).toBeLessThan(6_000);
    expect(run).toMatchObject({ urlsFrom: 'none', callbackUrls: {} });
    const described = await run.handle.describe();
    expect(described.status.name).toBe('RUNNING');
    expect(described.runId).toBe(run.runId);
    expect(await hw.callbackUrls(run.workflowId, { timeoutMs: 1_000 })).toBeUndefined();

    const stop = await h.startWorker({ taskQueue });
    try {
      const urls = await hw.callbackUrls(run.workflowId);
      expect(Object.keys(urls ?? {})).toEqual(['approval']);
      expect((await runState(run.handle)).runId).toBe(run.runId);
      await run.handle.terminate('test done');
    } finally {
      await stop();
    }
  });

  test('what is refused before anything starts: bad input, an unknown procedure; callbackUrl without a keyring', async () => {
    const hw = hookwait(queue());
    const workflowId = uniqueId('bad-input');
    const bad = await hw.start(stockProcedure, { waitTimeout: 5 } as unknown as { waitTimeout: string }, { workflowId }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ProcedureInputError);
    expect((bad as ProcedureInputError).fields).toEqual(['waitTimeout']);
    await expect(h.env.client.workflow.getHandle(workflowId).describe()).rejects.toThrow(/not found/i);
    const unknown = await hw.start('nope', {}).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(HookwaitNotFoundError);
    expect(unknown).toMatchObject({ what: 'procedure', missing: 'nope', message: expect.stringMatching(/known: approval, stockCheck, connectorCall, secured/) });
    await expect(hw.callbackUrl('w', 'r', 'stock')).rejects.toBeInstanceOf(HookwaitArgumentError);
  });
});

describe('operator actions report whether a worker applied them', () => {
  test('with a worker: complete, expire and revoke are applied, with their ledger outcomes; the checks name what is wrong', async () => {
    const taskQueue = queue();
    const stop = await h.startWorker({ taskQueue });
    try {
      const hw = hookwait(taskQueue);
      const a = await hw.start(approval, {}, { workflowId: uniqueId('complete') });
      const bad = await hw.complete(a.workflowId, 'approval', { decision: 'maybe' }, { operator: 'ann' }).catch((e: unknown) => e);
      expect(bad).toBeInstanceOf(CallbackDataError);
      expect((bad as CallbackDataError).fields).toEqual(['decision', 'amount', 'approver']);
      expect((bad as Error).message).toMatch(/decision: .*; amount: is required; approver: is required/);
      await expect(hw.complete(a.workflowId, 'nope', {}, { operator: 'ann' })).rejects.toMatchObject({ what: 'wait', message: expect.stringMatching(/no wait 'nope' \(waits: approval\)/) });
      await expect(hw.complete('no-such-run', 'approval', {}, { operator: 'ann' })).rejects.toMatchObject({ name: 'HookwaitNotFoundError', what: 'workflow' });

      const done = await hw.complete(a.workflowId, 'approval', approvedData, { operator: 'ann' });
      expect(done).toEqual({ workflowId: a.workflowId, runId: a.runId, wait: 'approval', attributes: { decision: 'approved', amount: 3, approver: 'ops@x.y' }, applied: true, outcome: 'accepted' });
      expect(await a.handle.result()).toMatchObject({ status: 'completed', output: { decision: 'approved', amount: 3 } });
      const finished = await hw.expire(a.workflowId, 'approval', { operator: 'ann' }).catch((e: unknown) => e);
      expect(finished).toBeInstanceOf(HookwaitConflictError);
      expect(finished).toMatchObject({ reason: 'finished', status: 'COMPLETED' });

      const s = await hw.start(stockCheck, {}, { workflowId: uniqueId('expire') });
      const expired = await hw.expire(s.workflowId, 'stock', { operator: 'bob' });
      expect(expired).toMatchObject({ wait: 'stock', onTimeout: 'branch', applied: true, outcome: 'expired' });
      await untilWaitStatus(s.handle, 'confirm', 'waiting');
      await expect(hw.expire(s.workflowId, 'stock', { operator: 'bob' })).rejects.toMatchObject({ reason: 'wait-closed', wait: 'stock', status: 'timed_out' });
      const revoked = await hw.revoke(s.workflowId, { wait: 'confirm', operator: 'sec' });
      expect(revoked).toEqual({ workflowId: s.workflowId, runId: s.runId, revoked: 'confirm', applied: true, outcomes: ['revoked'] });
      // Applied means the gateway knows: the very next callback is refused.
      expect((await postCallback(s.callbackUrls.confirm as string, { ok: 'y' })).status).toBe(410);
      expect(await hw.revoke(s.workflowId, { operator: 'sec' })).toMatchObject({ revoked: 'all', applied: true, outcomes: ['revoked', 'revoked'] });
      const ledger = (await runState(s.handle)).ledger.map((e) => [e.wait, e.outcome, e.source.kind, e.source.operator ?? null]);
      expect(ledger).toEqual([
        ['stock', 'expired', 'operator', 'bob'],
        ['confirm', 'revoked', 'operator', 'sec'],
        ['confirm', 'revoked', 'http', null],
        ['stock', 'revoked', 'operator', 'sec'],
        ['confirm', 'revoked', 'operator', 'sec'],
      ]);
      await s.handle.terminate('test done');
    } finally {
      await stop();
    }
  });

  test('with no worker: applied false, yet durable; once a worker starts, the revocation holds and the rest applies', async () => {
    const taskQueue = queue();
    const hw = hookwait(taskQueue, true);
    const s = await hw.start(stockProcedure, {}, { workflowId: uniqueId('offline') });
    const revoked = await hw.revoke(s.workflowId, { wait: 'stock', operator: 'sec', timeoutMs: 1_000 });
    expect(revoked).toMatchObject({ revoked: 'stock', applied: false, outcomes: [] });
    // Until a worker applies it the gateway cannot know, and takes the callback...
    expect((await postCallback(s.callbackUrls.stock as string, { in_stock: '5' }, { headers: { 'user-agent': 'after-revoke/1' } })).status).toBe(202);
    const completed = await hw.complete(s.workflowId, 'confirm', { ok: 'y' }, { operator: 'ann', timeoutMs: 1_000 });
    expect(completed).toMatchObject({ wait: 'confirm', applied: false, attributes: { ok: 'y' } });
    expect(completed.outcome).toBeUndefined();
    const a = await hw.start(approval, {}, { workflowId: uniqueId('offline-expire') });
    expect(await hw.expire(a.workflowId, 'approval', { operator: 'ann', timeoutMs: 1_000 })).toMatchObject({ applied: false, onTimeout: 'escalate' });

    const assignments = h.channel.assignments.length;
    const stop = await h.startWorker({ taskQueue });
    try {
      // ...but never applies it: it reached Temporal after the revocation.
      await untilWaitStatus(s.handle, 'stock', 'waiting');
      const state = await runState(s.handle);
      expect(state.waits.stock).toMatchObject({ status: 'waiting', revoked: true });
      expect(state.waits.confirm).toMatchObject({ status: 'received', attributes: { ok: 'y' } });
      expect((await postCallback(s.callbackUrls.stock as string, { in_stock: '6' })).status).toBe(410);
      expect(await hw.expire(s.workflowId, 'stock', { operator: 'ann' })).toMatchObject({ applied: true, outcome: 'expired' });
      expect(await s.handle.result()).toMatchObject({ status: 'completed', output: { stock: 'timeout', confirmed: 'y' } });
      expect((await runState(s.handle)).ledger.map((e) => [e.wait, e.outcome, e.source.kind])).toEqual([
        ['stock', 'revoked', 'operator'],
        ['stock', 'revoked', 'http'],
        ['confirm', 'accepted', 'operator'],
        ['stock', 'revoked', 'http'],
        ['stock', 'expired', 'operator'],
      ]);
      // The expiry sent while no worker ran takes the escalation path as soon as one does.
      expect(await a.handle.result()).toMatchObject({ status: 'escalated', wait: 'approval' });
      expect(h.channel.assignments.length).toBe(assignments + 1);
    } finally {
      await stop();
    }
  });
});

describe('plain workflows', () => {
  test('keyed waits: complete one key with { key }; the other stays open; a second completion of the key is a conflict', async () => {
    const taskQueue = queue();
    const stop = await h.startWorker({ taskQueue });
    try {
      const hw = hookwait(taskQueue, true);
      const run = await hw.start(approveLines, { items: ['a', 'b'] }, { workflowId: uniqueId('keyed') });
      expect(run.urlsFrom).toBe('worker');
      await untilWaitStatus(run.handle, 'lineApproved:a', 'waiting');
      await untilWaitStatus(run.handle, 'lineApproved:b', 'waiting');
      const urlA = await hw.callbackUrl(run.workflowId, run.runId, 'lineApproved', 'a');
      expect(urlA).toBe((await runState(run.handle)).callbackUrls['lineApproved:a']);

      const a = await hw.complete(run.workflowId, 'lineApproved', { approved: true, by: 'ann' }, { key: 'a', operator: 'ann' });
      expect(a).toMatchObject({ wait: 'lineApproved:a', applied: true, outcome: 'accepted', attributes: { approved: true, by: 'ann' } });
      const state = await runState(run.handle);
      expect(state.waits['lineApproved:a']).toMatchObject({ status: 'received', key: 'a' });
      expect(state.waits['lineApproved:b']?.status).toBe('waiting');
      await expect(hw.complete(run.workflowId, 'lineApproved', { approved: false }, { key: 'a', operator: 'ann' })).rejects.toMatchObject({
        name: 'HookwaitConflictError',
        reason: 'wait-closed',
        wait: 'lineApproved:a',
      });
      await expect(hw.complete(run.workflowId, 'lineApproved', { approved: false }, { key: 'has space', operator: 'ann' })).rejects.toBeInstanceOf(HookwaitArgumentError);
      expect((await postCallback(urlA, { approved: true })).status).toBe(200); // the same wait again: a duplicate
      expect(await hw.complete(run.workflowId, 'lineApproved', { approved: false }, { key: 'b', operator: 'ann' })).toMatchObject({ applied: true, outcome: 'accepted' });
      expect(await run.handle.result()).toEqual({ a: true, b: false });
      // Its history (URLs asked by update-with-start while two keys were minted at once) replays without a
      // determinism error: the update completes after every mint in flight, on first run and on replay alike.
      await Worker.runReplayHistory({ workflowBundle: await bundleWorkflowCode({ workflowsPath: require.resolve('./fixtures/workflows'), logger: quiet }) }, await run.handle.fetchHistory(), run.workflowId);
    } finally {
      await stop();
    }
  });

  test('show: the state from a worker, keyed by wait id; with no worker, the wait statuses from the memo', async () => {
    const taskQueue = queue();
    const stop = await h.startWorker({ taskQueue });
    const hw = hookwait(taskQueue);
    const run = await hw.start(verifyCustomer, {}, { workflowId: uniqueId('show') });
    await untilWaitStatus(run.handle, 'idVerified', 'waiting');
    const shown = await hw.show(run.workflowId);
    expect(shown).toMatchObject({
      workflowId: run.workflowId,
      runId: run.runId,
      procedure: 'verifyCustomer',
      temporalStatus: 'RUNNING',
      status: 'waiting',
      stateFrom: 'worker',
      customerMessages: 0,
      ledger: [],
      waits: { idVerified: { title: 'Wait for the KYC provider', status: 'waiting', deadline: expect.any(String) } },
    });
    await stop();
    const offline = await eventually(async () => {
      const s = await hw.show(run.workflowId, { timeoutMs: 1_000 });
      return s.stateFrom === 'memo' ? s : undefined;
    });
    expect(offline).toMatchObject({ status: 'waiting', waits: { idVerified: { title: 'Wait for the KYC provider', status: 'waiting' } }, ledger: [] });
    await expect(hw.show('no-such-run')).rejects.toMatchObject({ name: 'HookwaitNotFoundError', message: "no workflow 'no-such-run'" });
    await run.handle.terminate('test done');
  });
});
