/**
 * Captures real workflow histories of every procedure path (and of the plain `createCallback` workflows) from the
 * current code, for test/replay.test.ts.
 *
 *   npm run histories:capture        (builds with tsc, then runs lib/test/histories/capture.js)
 *
 * Not a jest test: it starts a Temporal dev server (the test harness: createLocal with the existing CLI), a gateway
 * and workers with the hookwait plugin, drives each run to its end through real HTTP callbacks and the signals the
 * CLI sends, and writes each run's history to test/histories/<workflowType>--<path>.json.
 *
 * An existing file is never overwritten: histories are added, never rewritten (see README.md here). To add the
 * histories of a new version of the runtime next to the old ones, give a tag; to capture only some paths, name them:
 *
 *   npm run histories:capture -- --tag v2                      (writes <workflowType>--<path>--v2.json)
 *   npm run histories:capture -- approval--callback            (only that path, if its file does not exist yet)
 */
import { createHmac } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { WithStartWorkflowOperation, type WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { Webhook } from 'standardwebhooks';
import { procedures as demoProcedures } from '../../examples/identity-verification/procedures';
import { identityVerification } from '../../examples/identity-verification/workflows';
import { startMockKycServer, type MockKycServer } from '../../examples/mock-kyc/mock-kyc-server';
import type { ConversationChannel } from '../../src/activities/conversation-channel';
import { callbackUrl } from '../../src/activities/create-activities';
import { extractAttributes } from '../../src/definitions/attributes';
import { findWait, type AnyProcedure } from '../../src/definitions/procedure';
import type { Assignee } from '../../src/definitions/wait-point';
import { findTemporalCli } from '../../src/dev/temporal-cli';
import { silentLogger } from '../../src/logging/logger';
import { mintCallbackToken } from '../../src/security/callback-token';
import {
  callbackSignal,
  callbackUrlsUpdate,
  customerMessageSignal,
  expireSignal,
  type HookwaitMemo,
  MEMO_KEY,
  revokeSignal,
  syncUpdate,
} from '../../src/workflows/messages';
import { HookwaitClient } from '../../src/client/hookwait-client';
import { approvalProcedure, stockProcedure, testProcedures } from '../fixtures/procedures';
import { testWaits } from '../fixtures/waits';
import { approval, approveLines, connectorCall, declareLate, escalatePlain, goSignal, refundLines, secured, stockCheck, verifyCustomer } from '../fixtures/workflows';
import { asyncProcedures, definedStatus } from '../fixtures/async-procedures';
import { callbackOrPoll, limited, plainCallbackOrPoll, polling, progressing, sleeping } from '../fixtures/async-workflows';
import { startHarness, TEST_SECRETS, type Harness } from '../helpers/harness';
import { eventually, postCallback } from '../helpers/http';
import type { RecordingChannel } from '../helpers/recording-channel';
import { callbackUrlOf, runState, untilWaitStatus } from '../helpers/runs';
import { historyToJson } from './history-json';
import { outboundProcedure } from '../fixtures/outbound-procedures';
import { outbound } from '../fixtures/outbound-workflows';
import { oauthLink } from '../fixtures/trigger-workflows';
import { testTriggers, triggerProcedures } from '../fixtures/trigger-procedures';
import { triggerWorkflowId } from '../../src/service/trigger-service';

/** Client and worker identity recorded in the histories (instead of pid@hostname). */
const IDENTITY = 'hookwait-replay-capture';
/** The operator the CLI would name (HOOKWAIT_OPERATOR); fixed, so no login name ends up in a history. */
const OPERATOR = 'ops@example.com';

/** The repository root: the nearest folder up from here with a package.json (works from test/ and lib/test/). */
function repoRoot(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${__dirname}`);
  }
}
const OUT_DIR = join(repoRoot(), 'test', 'histories');

function check(ok: boolean, what: string, actual?: unknown): void {
  if (!ok) throw new Error(`capture: ${what}${actual === undefined ? '' : ` (got ${JSON.stringify(actual)})`}`);
}
async function expectStatus(res: Promise<{ status: number; body: Record<string, unknown> }>, status: number, what: string): Promise<void> {
  const r = await res;
  check(r.status === status, `${what}: expected HTTP ${status}`, { status: r.status, body: r.body });
}
async function expectResult(handle: WorkflowHandle, expected: Record<string, unknown>): Promise<void> {
  const result = (await handle.result()) as Record<string, unknown>;
  for (const [k, v] of Object.entries(expected)) check(JSON.stringify(result[k]) === JSON.stringify(v), `${handle.workflowId}: result.${k} should be ${JSON.stringify(v)}`, result);
}
async function memoOf(handle: WorkflowHandle): Promise<HookwaitMemo | undefined> {
  return (await handle.describe()).memo?.[MEMO_KEY] as HookwaitMemo | undefined;
}
/** Polls the run's memo, as the gateway reads it, until `ok` holds. */
async function untilMemo(handle: WorkflowHandle, ok: (memo: HookwaitMemo) => boolean): Promise<void> {
  await eventually(async () => {
    const memo = await memoOf(handle);
    return memo && ok(memo) ? true : undefined;
  });
}

/** The callback signal `hookwait complete <id> <wait> --data <json>` sends (src/cli/commands/complete.ts). */
function operatorCompletion(procedure: AnyProcedure, wait: string, payload: unknown) {
  const point = findWait(procedure, wait);
  if (!point) throw new Error(`no wait ${wait}`);
  const extracted = extractAttributes(point.attributes, payload);
  if (!extracted.ok) throw new Error(`operator data does not fit ${wait}: ${JSON.stringify(extracted.errors)}`);
  return { wait, attributes: extracted.inputs, receivedAt: new Date().toISOString(), source: { kind: 'operator' as const, operator: OPERATOR } };
}
const operatorSource = () => ({ at: new Date().toISOString(), source: { kind: 'operator' as const, operator: OPERATOR } });

/** A channel whose customer messages wait for `release()`: keeps a run open after its callback was accepted. */
class GatedChannel implements ConversationChannel {
  private open!: () => void;
  private readonly gate = new Promise<void>((r) => (this.open = r));
  constructor(private readonly inner: RecordingChannel) {}
  release(): void {
    this.open();
  }
  async sendMessage(conversationId: string, text: string, options: { readonly idempotencyKey: string }): Promise<void> {
    await this.gate;
    await this.inner.sendMessage(conversationId, text, options);
  }
  async assign(conversationId: string, assignee: Assignee, options: { readonly idempotencyKey: string; readonly reason?: string }): Promise<void> {
    await this.inner.assign(conversationId, assignee, options);
  }
}

/** The decoded `data` of every payload (`{ metadata, data }`) in a history's JSON. */
function decodedPayloads(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) decodedPayloads(v, out);
  else if (typeof value === 'object' && value !== null) {
    const o = value as Record<string, unknown>;
    if (typeof o.data === 'string' && typeof o.metadata === 'object') out.push(Buffer.from(o.data, 'base64').toString('utf8'));
    for (const v of Object.values(o)) decodedPayloads(v, out);
  }
  return out;
}

interface Capture {
  readonly workflowType: string;
  readonly path: string;
  /** Starts the run (with the given workflow id) and drives it to its end. */
  readonly drive: (workflowId: string) => Promise<WorkflowHandle>;
}

interface Selection {
  /** Appended to each file name (`--<tag>`) and workflow id. */
  readonly tag: string | undefined;
  /** Capture only these `<workflowType>--<path>` (all when empty). */
  readonly only: ReadonlySet<string>;
}

async function captureAll(captures: readonly Capture[], h: Harness, selection: Selection): Promise<string[]> {
  const written: string[] = [];
  for (const c of captures) {
    const base = `${c.workflowType}--${c.path}`;
    const name = selection.tag ? `${base}--${selection.tag}` : base;
    const file = join(OUT_DIR, `${name}.json`);
    if (selection.only.size > 0 && !selection.only.has(base)) continue;
    if (existsSync(file)) {
      process.stdout.write(`keep   ${name}.json (exists: histories are never rewritten)\n`);
      continue;
    }
    const handle = await c.drive(`replay-${c.workflowType}-${c.path}${selection.tag ? `-${selection.tag}` : ''}`);
    const description = await handle.describe();
    check(description.status.name === 'COMPLETED', `${name}: run should be COMPLETED`, description.status.name);
    check(description.type === c.workflowType, `${name}: workflow type`, description.type);
    const json = historyToJson(await handle.fetchHistory());
    // Payloads are base64 in the JSON: look at them decoded too.
    const text = `${json}\n${decodedPayloads(JSON.parse(json)).join('\n')}`;
    for (const leak of [homedir(), process.cwd(), '/work/', '/root', '/home/']) check(!text.includes(leak), `${name}: history names ${leak}`);
    check(/http:\/\/127\.0\.0\.1:\d+\/callbacks\//.test(text) && !/https?:\/\/localhost/.test(text), `${name}: callback URLs should point at the gateway on 127.0.0.1`);
    writeFileSync(file, `${json}\n`);
    written.push(file);
    process.stdout.write(`wrote  ${name}.json (${Math.round(json.length / 1024)} KB; gateway ${h.gatewayUrl})\n`);
  }
  return written;
}

function demoCaptures(h: Harness): Capture[] {
  const start = (workflowId: string, input: unknown) =>
    h.env.client.workflow.start(identityVerification, { taskQueue: h.taskQueue, workflowId, args: [input as never] });
  return [
    {
      workflowType: 'identityVerification',
      path: 'callback-verified',
      // The mock provider itself POSTs the callback (with undeclared fields) through the gateway.
      drive: async (id) => {
        const handle = await start(id, { customerId: 'c-verified', kyc: { mode: 'auto', delayMs: 1000, outcome: 'verified' } });
        await expectResult(handle, { status: 'completed' });
        const result = (await handle.result()) as { output: { verified: boolean } };
        check(result.output.verified === true, 'verified path should end verified', result);
        return handle;
      },
    },
    {
      workflowType: 'identityVerification',
      path: 'callback-rejected',
      drive: async (id) => {
        const handle = await start(id, { customerId: 'c-rejected', kyc: { mode: 'manual' } });
        await untilWaitStatus(handle, 'idVerification', 'waiting');
        const url = await callbackUrlOf(handle, 'idVerification');
        await expectStatus(postCallback(url, { verification_status: 'rejected', reference_id: 'ref_rejected', note: 'dropped' }), 202, 'rejected callback');
        const result = (await handle.result()) as { status: string; output: { verified: boolean; referenceId: string } };
        check(result.status === 'completed' && !result.output.verified && result.output.referenceId === 'ref_rejected', 'rejected path', result);
        return handle;
      },
    },
    {
      workflowType: 'identityVerification',
      path: 'timeout-escalation',
      drive: async (id) => {
        const handle = await start(id, { customerId: 'c-never', kyc: { mode: 'never' }, waitTimeout: '2s' });
        await expectResult(handle, { status: 'escalated', wait: 'idVerification' });
        return handle;
      },
    },
  ];
}

const APPROVED = { decision: 'approved', refund: { amount: 42 }, approver: { email: 'manager@example.com' }, comment: 'dropped at the edge' };

function fixtureCaptures(h: Harness, gated: { taskQueue: string; channel: GatedChannel }): Capture[] {
  const startApproval = (workflowId: string, input: { waitTimeout?: string } = {}, taskQueue = h.taskQueue) =>
    h.env.client.workflow.start(approval, { taskQueue, workflowId, args: [input] });
  const waiting = async (handle: WorkflowHandle, wait: string): Promise<string> => {
    await untilWaitStatus(handle, wait, 'waiting');
    return callbackUrlOf(handle, wait);
  };
  const approved = { status: 'completed', output: { decision: 'approved', amount: 42, approver: 'manager@example.com' } };
  const escalated = { status: 'escalated', wait: 'approval' };

  return [
    {
      workflowType: 'approval',
      path: 'callback',
      drive: async (id) => {
        const handle = await startApproval(id);
        await expectStatus(postCallback(await waiting(handle, 'approval'), APPROVED), 202, 'callback');
        await expectResult(handle, approved);
        return handle;
      },
    },
    {
      workflowType: 'approval',
      path: 'duplicate-callback',
      // The customer message after acceptance is held (GatedChannel), so the second POST meets a run still open.
      drive: async (id) => {
        const handle = await startApproval(id, {}, gated.taskQueue);
        const url = await waiting(handle, 'approval');
        await expectStatus(postCallback(url, APPROVED), 202, 'first callback');
        await untilMemo(handle, (m) => m.waits.approval === 'received');
        await expectStatus(postCallback(url, { ...APPROVED, decision: 'rejected' }), 200, 'duplicate callback');
        await eventually(async () => ((await runState(handle)).ledger.some((e) => e.outcome === 'duplicate') ? true : undefined));
        check((await handle.describe()).status.name === 'RUNNING', 'run should still be open when the duplicate lands');
        gated.channel.release();
        await expectResult(handle, approved);
        return handle;
      },
    },
    {
      workflowType: 'approval',
      path: 'timeout-escalation',
      drive: async (id) => {
        const handle = await startApproval(id, { waitTimeout: '2s' });
        await expectResult(handle, escalated);
        return handle;
      },
    },
    {
      workflowType: 'approval',
      path: 'operator-complete',
      drive: async (id) => {
        const handle = await startApproval(id);
        await waiting(handle, 'approval');
        await handle.signal(callbackSignal, operatorCompletion(approvalProcedure, 'approval', { decision: 'rejected', refund: { amount: 7 }, approver: { email: OPERATOR } }));
        await expectResult(handle, { status: 'completed', output: { decision: 'rejected', amount: 7, approver: OPERATOR } });
        return handle;
      },
    },
    {
      workflowType: 'approval',
      path: 'operator-expire',
      drive: async (id) => {
        const handle = await startApproval(id);
        await waiting(handle, 'approval');
        await handle.signal(expireSignal, { wait: 'approval', ...operatorSource() });
        await expectResult(handle, escalated);
        return handle;
      },
    },
    {
      workflowType: 'approval',
      path: 'revoke-callback-expire',
      drive: async (id) => {
        const handle = await startApproval(id);
        const url = await waiting(handle, 'approval');
        // `hookwait revoke <id>`: every wait of the run; applied once the memo lists it.
        await handle.signal(revokeSignal, operatorSource());
        await untilMemo(handle, (m) => m.revoked?.includes('approval') === true);
        await expectStatus(postCallback(url, APPROVED), 410, 'callback on a revoked URL');
        await eventually(async () => ((await runState(handle)).ledger.filter((e) => e.outcome === 'revoked').length >= 2 ? true : undefined));
        await handle.signal(expireSignal, { wait: 'approval', ...operatorSource() });
        await expectResult(handle, escalated);
        return handle;
      },
    },
    {
      workflowType: 'approval',
      path: 'customer-message-then-callback',
      drive: async (id) => {
        const handle = await startApproval(id);
        const url = await waiting(handle, 'approval');
        await handle.signal(customerMessageSignal, { text: 'Any news on my refund?', at: new Date().toISOString() });
        await eventually(async () => ((await runState(handle)).customerMessages.length === 1 ? true : undefined));
        await expectStatus(postCallback(url, APPROVED), 202, 'callback');
        await expectResult(handle, approved);
        return handle;
      },
    },
    {
      workflowType: 'approval',
      path: 'revoke-sync-expire',
      // The `hookwait.sync` update answers once every earlier signal is applied: the revoke is in its state.
      drive: async (id) => {
        const handle = await startApproval(id);
        await waiting(handle, 'approval');
        await handle.signal(revokeSignal, operatorSource());
        const state = await handle.executeUpdate(syncUpdate);
        check(state.waits.approval?.revoked === true && state.waits.approval.status === 'waiting', 'sync: approval should be revoked and still waiting', state.waits);
        check(state.ledger.map((e) => e.outcome).join() === 'revoked', 'sync: the ledger should hold the revocation', state.ledger);
        await handle.signal(expireSignal, { wait: 'approval', ...operatorSource() });
        await expectResult(handle, escalated);
        return handle;
      },
    },
    {
      workflowType: 'approval',
      path: 'update-with-start-callback',
      // The client gets the fresh run's callback URLs in the same round trip as the start (`hookwait.callbackUrls`).
      drive: async (id) => {
        const startWorkflowOperation = new WithStartWorkflowOperation(approval, { workflowId: id, taskQueue: h.taskQueue, args: [{}], workflowIdConflictPolicy: 'FAIL' });
        const urls = await h.env.client.workflow.executeUpdateWithStart(callbackUrlsUpdate, { startWorkflowOperation });
        const handle = await startWorkflowOperation.workflowHandle();
        check(typeof urls.approval === 'string', 'update-with-start should answer the approval URL', urls);
        check(urls.approval === (await runState(handle)).callbackUrls.approval, 'the URL from the update is the run\'s');
        await expectStatus(postCallback(urls.approval as string, APPROVED), 202, 'callback');
        await expectResult(handle, approved);
        return handle;
      },
    },
    {
      workflowType: 'stockCheck',
      path: 'branch-timeout-late-then-callback',
      drive: async (id) => {
        const handle = await h.env.client.workflow.start(stockCheck, { taskQueue: h.taskQueue, workflowId: id, args: [{ waitTimeout: '2s' }] });
        const stockUrl = await callbackUrlOf(handle, 'stock');
        const confirmUrl = await waiting(handle, 'confirm');
        check((await runState(handle)).waits.stock?.status === 'timed_out', 'stock should have timed out');
        await untilMemo(handle, (m) => m.waits.stock === 'timed_out');
        await expectStatus(postCallback(stockUrl, { in_stock: 'yes' }), 410, 'late callback on the timed-out wait');
        await eventually(async () => ((await runState(handle)).ledger.some((e) => e.outcome === 'late') ? true : undefined));
        await expectStatus(postCallback(confirmUrl, { ok: 'yes' }), 202, 'confirm callback');
        await expectResult(handle, { status: 'completed', output: { stock: 'timeout', confirmed: 'yes', confirmUrl } });
        return handle;
      },
    },
    {
      workflowType: 'stockCheck',
      path: 'early-callback',
      // The second wait's callback arrives while the run still waits on the first; the second wait returns at once.
      drive: async (id) => {
        const handle = await h.env.client.workflow.start(stockCheck, { taskQueue: h.taskQueue, workflowId: id, args: [{}] });
        const stockUrl = await waiting(handle, 'stock');
        const confirmUrl = await callbackUrlOf(handle, 'confirm');
        await expectStatus(postCallback(confirmUrl, { ok: 'early' }), 202, 'early confirm callback');
        await untilWaitStatus(handle, 'confirm', 'received');
        await expectStatus(postCallback(stockUrl, { in_stock: 'yes' }), 202, 'stock callback');
        await expectResult(handle, { status: 'completed', output: { stock: 'yes', confirmed: 'early', confirmUrl } });
        return handle;
      },
    },
    {
      workflowType: 'stockCheck',
      path: 'signals-before-worker',
      // Sent while no worker runs the workflow (URLs minted by the client): a revocation, then a callback on the
      // revoked URL (202: the gateway cannot know yet), then an operator's completion. Applied in the order sent once
      // a worker starts: the callback is recorded as revoked, never applied.
      drive: async (id) => {
        const taskQueue = `${h.taskQueue}-late`;
        const hookwait = new HookwaitClient({ client: h.env.client, procedures: testProcedures, taskQueue, keyring: h.keyring, publicBaseUrl: h.gatewayUrl });
        const run = await hookwait.start(stockProcedure, {}, { workflowId: id });
        check((await hookwait.revoke(id, { wait: 'stock', operator: OPERATOR, timeoutMs: 500 })).applied === false, 'revoke should not be applied without a worker');
        await expectStatus(postCallback(run.callbackUrls.stock as string, { in_stock: 'after-revoke' }), 202, 'callback on the revoked URL, before any worker');
        check((await hookwait.complete(id, 'confirm', { ok: 'yes' }, { operator: OPERATOR, timeoutMs: 500 })).applied === false, 'completion should not be applied without a worker');
        await h.startWorker({ taskQueue });
        await untilWaitStatus(run.handle, 'stock', 'waiting');
        check((await hookwait.expire(id, 'stock', { operator: OPERATOR })).outcome === 'expired', 'expire once a worker runs');
        await expectResult(run.handle, { status: 'completed', output: { stock: 'timeout', confirmed: 'yes', confirmUrl: run.callbackUrls.confirm } });
        const outcomes = (await runState(run.handle)).ledger.map((e) => `${e.wait}:${e.outcome}`);
        check(JSON.stringify(outcomes) === JSON.stringify(['stock:revoked', 'stock:revoked', 'confirm:accepted', 'stock:expired']), 'ledger in the order sent', outcomes);
        return run.handle;
      },
    },
    {
      workflowType: 'approveLines',
      path: 'urls-by-update',
      // A plain workflow minting two keyed URLs at once, started with update-with-start (HookwaitClient.start): the
      // update completes once both mints are done.
      drive: async (id) => {
        const hookwait = new HookwaitClient({ client: h.env.client, procedures: testProcedures, waits: testWaits, taskQueue: h.taskQueue });
        const run = await hookwait.start(approveLines, { items: ['a', 'b'] }, { workflowId: id });
        check(run.urlsFrom === 'worker' && Object.keys(run.callbackUrls).length === 2, 'both URLs from the worker', run.callbackUrls);
        await untilWaitStatus(run.handle, 'lineApproved:b', 'waiting');
        await expectStatus(postCallback(run.callbackUrls['lineApproved:b'] as string, { approved: false }), 202, 'callback for b');
        await expectStatus(postCallback(run.callbackUrls['lineApproved:a'] as string, { approved: true, by: 'manager@example.com' }), 202, 'callback for a');
        await expectResult(run.handle, { a: true, b: false });
        return run.handle;
      },
    },
    {
      workflowType: 'connectorCall',
      path: 'success',
      drive: async (id) => {
        const handle = await h.env.client.workflow.start(connectorCall, { taskQueue: h.taskQueue, workflowId: id, args: [{ path: 'replay', customerId: 'c-42' }] });
        await expectResult(handle, { status: 'completed', output: 'ok-/replay' });
        return handle;
      },
    },
    {
      workflowType: 'secured',
      path: 'three-auth-kinds',
      drive: async (id) => {
        const handle = await h.env.client.workflow.start(secured, { taskQueue: h.taskQueue, workflowId: id, args: [{}] });
        await expectStatus(postCallback(await waiting(handle, 'byKey'), { v: 'k' }, { headers: { 'x-api-key': TEST_SECRETS.TEST_API_KEYS.split(',')[1] as string } }), 202, 'apiKey callback');
        const signedBody = '{"v":"signed"}';
        const at = new Date();
        const msgId = 'msg_replay_capture';
        const headers = {
          'webhook-id': msgId,
          'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
          'webhook-signature': new Webhook(TEST_SECRETS.TEST_WHSEC).sign(msgId, at, signedBody),
        };
        await expectStatus(postCallback(await waiting(handle, 'bySignature'), signedBody, { headers }), 202, 'Standard Webhooks callback');
        const hmacBody = '{"v":"h","big":12,"ids":{"big":"9007199254740993"}}';
        const signature = `sha256=${createHmac('sha256', TEST_SECRETS.TEST_HMAC_SECRET).update(hmacBody).digest('hex')}`;
        await expectStatus(postCallback(await waiting(handle, 'byHmac'), hmacBody, { headers: { 'x-hub-signature-256': signature } }), 202, 'HMAC callback');
        await expectResult(handle, { status: 'completed', output: [{ v: 'k' }, { v: 'signed' }, { v: 'h', big: 12, id: '9007199254740993' }] });
        return handle;
      },
    },
  ];
}

const LINES = ['sku-1', 'sku-2', 'sku-3'];

/** Plain workflows with `createCallback` (test/fixtures/plain-workflows.ts) and keyed waits, in a procedure too. */
function callbackCaptures(h: Harness): Capture[] {
  const start = <A extends unknown[]>(workflow: (...args: A) => Promise<unknown>, workflowId: string, args: A) =>
    h.env.client.workflow.start(workflow, { taskQueue: h.taskQueue, workflowId, args });
  /** The callback URLs of the given wait ids, once every one of them is waiting. */
  const allWaiting = (handle: WorkflowHandle, ids: readonly string[]): Promise<string[]> =>
    eventually(async () => {
      const s = await runState(handle);
      const urls = ids.map((id) => s.callbackUrls[id]);
      return urls.every((u) => u !== undefined) && ids.every((id) => s.waits[id]?.status === 'waiting') ? (urls as string[]) : undefined;
    });
  const outcomes = async (handle: WorkflowHandle): Promise<string> => (await runState(handle)).ledger.map((e) => `${e.wait}=${e.outcome}`).join(' ');
  const verified = { status: 'verified', data: { reference: { id: 'ref-1' } }, extra: 'dropped at the edge' };

  return [
    {
      workflowType: 'verifyCustomer',
      path: 'callback',
      drive: async (id) => {
        const handle = await start(verifyCustomer, id, [{}]);
        const [url] = await allWaiting(handle, ['idVerified']);
        await expectStatus(postCallback(url as string, verified), 202, 'callback');
        await expectResult(handle, { status: 'verified', reference: 'ref-1', url });
        return handle;
      },
    },
    {
      workflowType: 'verifyCustomer',
      path: 'branch-timeout',
      drive: async (id) => {
        const handle = await start(verifyCustomer, id, [{ timeout: '1s' }]);
        const result: unknown = await handle.result();
        check(result === 'timeout', 'verifyCustomer should branch on its timeout', result);
        return handle;
      },
    },
    {
      workflowType: 'verifyCustomer',
      path: 'invalid-then-callback',
      // The 422 is answered at the edge: it never reaches the run, so the ledger holds only the accepted callback.
      drive: async (id) => {
        const handle = await start(verifyCustomer, id, [{}]);
        const [url] = await allWaiting(handle, ['idVerified']);
        await expectStatus(postCallback(url as string, { status: 'maybe' }), 422, 'invalid callback');
        await expectStatus(postCallback(url as string, { ...verified, status: 'rejected' }), 202, 'valid callback');
        await expectResult(handle, { status: 'rejected', reference: 'ref-1', url });
        check((await outcomes(handle)) === 'idVerified=accepted', 'ledger', await outcomes(handle));
        return handle;
      },
    },
    {
      workflowType: 'approveLines',
      path: 'shuffled-callbacks',
      drive: async (id) => {
        const handle = await start(approveLines, id, [{ items: LINES }]);
        const urls = await allWaiting(handle, LINES.map((k) => `lineApproved:${k}`));
        for (const i of [2, 0, 1]) {
          await expectStatus(postCallback(urls[i] as string, { approved: i !== 1, by: `approver-${i}` }), 202, `callback for ${LINES[i]}`);
        }
        await expectResult(handle, { 'sku-1': true, 'sku-2': false, 'sku-3': true });
        check((await outcomes(handle)) === 'lineApproved:sku-3=accepted lineApproved:sku-1=accepted lineApproved:sku-2=accepted', 'ledger', await outcomes(handle));
        return handle;
      },
    },
    {
      workflowType: 'approveLines',
      path: 'duplicate-before-last',
      // sku-2's callback again (a duplicate, 200) while the run still waits for sku-1's.
      drive: async (id) => {
        const handle = await start(approveLines, id, [{ items: LINES }]);
        const urls = await allWaiting(handle, LINES.map((k) => `lineApproved:${k}`));
        for (const i of [1, 2]) {
          await expectStatus(postCallback(urls[i] as string, { approved: true, by: `approver-${i}` }), 202, `callback for ${LINES[i]}`);
        }
        await untilWaitStatus(handle, 'lineApproved:sku-3', 'received');
        await expectStatus(postCallback(urls[1] as string, { approved: false, by: 'approver-1' }), 200, 'duplicate callback for sku-2');
        await eventually(async () => ((await outcomes(handle)).includes('lineApproved:sku-2=duplicate') ? true : undefined));
        check((await handle.describe()).status.name === 'RUNNING', 'run should still be open when the duplicate lands');
        await expectStatus(postCallback(urls[0] as string, { approved: false, by: 'approver-0' }), 202, 'last callback (sku-1)');
        await expectResult(handle, { 'sku-1': false, 'sku-2': true, 'sku-3': true });
        const ledger = 'lineApproved:sku-2=accepted lineApproved:sku-3=accepted lineApproved:sku-2=duplicate lineApproved:sku-1=accepted';
        check((await outcomes(handle)) === ledger, 'ledger', await outcomes(handle));
        return handle;
      },
    },
    {
      workflowType: 'declareLate',
      path: 'callback-before-go',
      // The URL is minted client-side (tokens are deterministic); the callback is kept until the run declares its wait.
      drive: async (id) => {
        const handle = await start(declareLate, id, []);
        const { runId } = await handle.describe();
        const url = callbackUrl(h.gatewayUrl, mintCallbackToken(h.keyring, { namespace: 'default', procedure: 'declareLate', workflowId: id, runId, wait: 'idVerified' }));
        await expectStatus(postCallback(url, { status: 'rejected', data: { reference: { id: 'r-early' } } }), 202, 'early callback');
        // No hookwait handler (nor state query) exists before `go`: the signal waits in the history, unhandled.
        const signalsNow = async () => (await handle.fetchHistory()).events?.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === callbackSignal.name) ?? [];
        const signals = await eventually(async () => ((await signalsNow()).length === 1 ? signalsNow() : undefined)).catch(() => signalsNow());
        check(signals.length === 1, 'the callback signal should be in the history before go', signals.length);
        await handle.signal(goSignal);
        const result: unknown = await handle.result();
        check(result === 'rejected', 'declareLate should apply the early callback', result);
        check((await runState(handle)).callbackUrls.idVerified === url, 'the run minted the URL the client did');
        return handle;
      },
    },
    {
      workflowType: 'escalatePlain',
      path: 'timeout-escalation',
      drive: async (id) => {
        const assigned = h.channel.assignments.length;
        const handle = await start(escalatePlain, id, [{ timeout: '1s' }]);
        const result: unknown = await handle.result();
        check(result === 'escalated:managerOk', 'escalatePlain should catch WaitEscalated', result);
        check(h.channel.assignments.length === assigned + 1, 'one assignment', h.channel.assignments.length - assigned);
        // A plain workflow's run stays open to its other waits: the escalation is recorded, the status is not terminal.
        check((await runState(handle)).escalatedAt?.wait === 'managerOk', 'the escalation should be recorded');
        return handle;
      },
    },
    {
      workflowType: 'refundLines',
      path: 'keyed-callbacks',
      drive: async (id) => {
        const handle = await start(refundLines, id, [{ items: LINES }]);
        const urls = await allWaiting(handle, LINES.map((k) => `lineOk:${k}`));
        for (const i of [1, 2, 0]) await expectStatus(postCallback(urls[i] as string, { ok: `ok-${i}` }), 202, `callback for ${LINES[i]}`);
        await expectResult(handle, { status: 'completed', output: { 'sku-1': 'ok-0', 'sku-2': 'ok-1', 'sku-3': 'ok-2' } });
        check((await outcomes(handle)) === 'lineOk:sku-2=accepted lineOk:sku-3=accepted lineOk:sku-1=accepted', 'ledger', await outcomes(handle));
        return handle;
      },
    },
  ];
}

/** Outbound webhooks (test/fixtures/outbound-workflows.ts): a send that succeeds, and one that fails 3 times and branches. */
function outboundCaptures(h: Harness): Capture[] {
  const start = (workflowId: string, hook: string, path: string) =>
    h.env.client.workflow.start(outbound, { taskQueue: h.taskQueue, workflowId, args: [{ hook, path, customer: 'c-1' }] });
  return [
    {
      workflowType: 'outbound',
      path: 'webhook-sent',
      drive: async (id) => {
        const handle = await start(id, 'formHook', 'ok');
        await expectResult(handle, { status: 'completed', output: { branch: 'sent', sent: { ok: true, status: 200, attempts: 1 } } });
        return handle;
      },
    },
    {
      workflowType: 'outbound',
      path: 'webhook-failed-branch',
      drive: async (id) => {
        const handle = await start(id, 'jsonHook', 'down');
        await expectResult(handle, { status: 'completed', output: { branch: 'failed', sent: { ok: false, status: 500, attempts: 3, error: 'webhook jsonHook: POST {{env.RECEIVER_URL}}/down answered 500' } } });
        return handle;
      },
    },
  ];
}

/** Async integration patterns (test/fixtures/async-workflows): poll, callback or poll, progress, a limited connector. */
function asyncCaptures(h: Harness, checks: Map<string, number>): Capture[] {
  const start = <A extends unknown[]>(wf: (...args: A) => Promise<unknown>, workflowId: string, args: A) => h.env.client.workflow.start(wf, { taskQueue: h.taskQueue, workflowId, args });
  return [
    {
      workflowType: 'polling',
      path: 'third-check',
      drive: async (id) => {
        const handle = await start(polling, id, [{ job: `third-${id}`, timeout: '30s' }]);
        const result = (await handle.result()) as { output: { ok: boolean; checks: number } };
        check(result.output.ok && result.output.checks === 3, 'poll should complete on the third check', result);
        return handle;
      },
    },
    {
      workflowType: 'callbackOrPoll',
      path: 'poll-first',
      drive: async (id) => {
        const handle = await start(callbackOrPoll, id, [{ job: `third-${id}`, defined: false }]);
        const result = (await handle.result()) as { output: { completedBy?: string } };
        check(result.output.completedBy === 'poll', 'the poll should complete the wait', result);
        return handle;
      },
    },
    {
      workflowType: 'callbackOrPoll',
      path: 'callback-first',
      drive: async (id) => {
        const job = `never-${id}`;
        const handle = await start(callbackOrPoll, id, [{ job, defined: false }]);
        await untilMemo(handle, (m) => m.waits.kyc === 'waiting');
        await eventually(async () => ((checks.get(job) ?? 0) >= 2 ? true : undefined));
        const url = await callbackUrlOf(handle, 'kyc');
        await expectStatus(postCallback(url, { state: 'done', reference: 'from-callback' }), 202, 'callback');
        const result = (await handle.result()) as { output: { completedBy?: string } };
        check(result.output.completedBy === 'callback', 'the callback should complete the wait', result);
        return handle;
      },
    },
    {
      workflowType: 'callbackOrPoll',
      path: 'defined-connector-poll',
      drive: async (id) => {
        const handle = await start(callbackOrPoll, id, [{ job: `third-${id}`, defined: true }]);
        const result = (await handle.result()) as { output: { completedBy?: string } };
        check(result.output.completedBy === 'poll', 'the poll should complete the wait', result);
        return handle;
      },
    },
    {
      workflowType: 'progressing',
      path: 'progress-then-timeout',
      drive: async (id) => {
        const handle = await start(progressing, id, [{}]);
        await expectResult(handle, { status: 'completed' });
        check((await runState(handle)).waits.slow?.progressSent === 2, 'two progress messages', (await runState(handle)).waits.slow);
        return handle;
      },
    },
    {
      workflowType: 'limited',
      path: 'limited-connector',
      drive: async (id) => {
        const handle = await start(limited, id, [{ n: 1 }]);
        await expectResult(handle, { status: 'completed', output: { ok: true } });
        return handle;
      },
    },
    {
      workflowType: 'sleeping',
      path: 'sleep',
      drive: async (id) => {
        const handle = await start(sleeping, id, [{ sleep: '1s' }]);
        await expectResult(handle, { status: 'completed' });
        return handle;
      },
    },
    {
      workflowType: 'plainCallbackOrPoll',
      path: 'poll',
      drive: async (id) => {
        const handle = await start(plainCallbackOrPoll, id, [`third-${id}`]);
        const result = (await handle.result()) as { completedBy?: string };
        check(result.completedBy === 'poll', 'the poll should complete the wait', result);
        return handle;
      },
    },
  ];
}

/** The async fixtures' provider: `/status/<job>` (done on the third check for `third-*`, else pending) and `/slow`. */
async function startAsyncPeer(checks: Map<string, number>): Promise<{ url: string; server: Server }> {
  const server = createServer(async (req, res) => {
    for await (const chunk of req) void chunk;
    const url = req.url ?? '';
    const json = (body: unknown): void => void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (url.startsWith('/status/')) {
      const job = decodeURIComponent(url.slice('/status/'.length));
      const n = (checks.get(job) ?? 0) + 1;
      checks.set(job, n);
      return json(job.startsWith('third-') && n >= 3 ? { state: 'done', reference: `ref-${n}` } : { state: 'pending' });
    }
    return json({ ok: true });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

async function startPeer(): Promise<{ url: string; server: Server }> {
  const server = createServer(async (req, res) => {
    for await (const chunk of req) void chunk;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: `ok-${req.url}`, ignored: true }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** Webhook triggers (v4-triggers): a procedure answering its trigger (`run.respond`), the HTTP contract of waits. */
function triggerCaptures(h: Harness): Capture[] {
  return [
    {
      workflowType: 'triggeredOrder',
      path: 'trigger-start-callback',
      drive: async (workflowId) => {
        const res = await postCallback(`${h.gatewayUrl}/hooks/orders/created?channel=web`, { order: { id: 'o-1' } }, { headers: { 'webhook-id': workflowId, 'x-source': 'crm' } });
        check(res.status === 201, 'triggeredOrder: the trigger started the run', res);
        const handle = h.env.client.workflow.getHandle(res.body.workflowId as string);
        await expectStatus(postCallback(await callbackUrlOf(handle, 'approval'), { decision: 'yes' }), 202, 'approval callback');
        await handle.result();
        return handle;
      },
    },
    {
      workflowType: 'quote',
      path: 'trigger-respond',
      drive: async (workflowId) => {
        // The trigger derives the workflow id from the delivery id: the capture's id is the key.
        const res = await postCallback(`${h.gatewayUrl}/hooks/quotes`, { requestId: workflowId, item: 'lamp' });
        check(res.status === 200 && res.body.price === 42, 'quote: the procedure answered the trigger', res);
        const again = await postCallback(`${h.gatewayUrl}/hooks/quotes`, { requestId: workflowId, item: 'lamp' });
        check(again.status === 200 && again.body.price === 42, 'quote: a repeated delivery gets the same answer', again);
        const handle = h.env.client.workflow.getHandle(triggerWorkflowId('quoteRequested', workflowId));
        await handle.result();
        return handle;
      },
    },
    {
      workflowType: 'oauthLink',
      path: 'get-redirect-header-query',
      drive: async (workflowId) => {
        const handle = await h.env.client.workflow.start(oauthLink, { taskQueue: h.taskQueue, workflowId, args: [{}] });
        const authorized = await callbackUrlOf(handle, 'authorized');
        const res = await fetch(`${authorized}?code=c-1&state=s-1`, { redirect: 'manual' });
        check(res.status === 303, 'oauthLink: the GET callback is answered with the redirect', res.status);
        const paid = await fetch(`${await callbackUrlOf(handle, 'paid')}?tenant=t1`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-pay-key': TEST_SECRETS.TEST_API_KEYS.split(',')[0] as string, 'x-event-type': 'invoice.paid' },
          body: JSON.stringify({ amount: 3 }),
        });
        check(paid.status === 200, 'oauthLink: header and query capture', paid.status);
        await expectStatus(postCallback(await callbackUrlOf(handle, 'created'), { id: 'c-1' }), 201, 'declared 201');
        await expectStatus(postCallback(await callbackUrlOf(handle, 'quiet'), { ok: 'yes' }), 204, 'declared 204');
        await handle.result();
        return handle;
      },
    },
  ];
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { tag: { type: 'string' } } });
  if (values.tag !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(values.tag)) throw new Error('--tag: letters, digits, . _ - only');
  const selection: Selection = { tag: values.tag, only: new Set(positionals.map((a) => a.replace(/\.json$/, ''))) };
  Runtime.install({ logger: new DefaultLogger('WARN') });
  process.env.TEMPORAL_CLI_PATH = await findTemporalCli();
  const written: string[] = [];

  // The demo procedure, with the mock KYC provider as its connector's peer.
  let kyc: MockKycServer | undefined;
  let demo: Harness | undefined;
  try {
    kyc = await startMockKycServer({ logger: silentLogger });
    demo = await startHarness({
      procedures: demoProcedures,
      workflowsPath: require.resolve('../../examples/identity-verification/workflows'),
      identity: IDENTITY,
    });
    await demo.startWorker({ env: { KYC_PROVIDER_URL: kyc.url } });
    written.push(...(await captureAll(demoCaptures(demo), demo, selection)));
  } finally {
    await demo?.teardown();
    await kyc?.stop();
  }

  // The test fixtures; a second worker on its own task queue holds customer messages until released.
  let peer: { url: string; server: Server } | undefined;
  let fixtures: Harness | undefined;
  try {
    peer = await startPeer();
    fixtures = await startHarness({ identity: IDENTITY });
    const workerEnv = { TEST_PEER_URL: peer.url, TEST_PEER_KEY: 'peer-secret' };
    await fixtures.startWorker({ env: workerEnv });
    const gated = { taskQueue: `${fixtures.taskQueue}-gated`, channel: new GatedChannel(fixtures.channel) };
    await fixtures.startWorker({ env: workerEnv, taskQueue: gated.taskQueue, channel: gated.channel });
    written.push(...(await captureAll(fixtureCaptures(fixtures, gated), fixtures, selection)));
    written.push(...(await captureAll(callbackCaptures(fixtures), fixtures, selection)));
  } finally {
    await fixtures?.teardown();
    peer?.server.closeAllConnections();
    await new Promise((r) => (peer ? peer.server.close(r) : r(undefined)));
  }

  // Outbound webhooks, to a receiver that answers 500 on /down.
  let receiver: Server | undefined;
  let outboundHarness: Harness | undefined;
  try {
    const server = createServer(async (req, res) => {
      for await (const chunk of req) void chunk;
      res.writeHead(req.url === '/down' ? 500 : 200).end();
    });
    receiver = server;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const receiverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    outboundHarness = await startHarness({ procedures: [outboundProcedure], workflowsPath: require.resolve('../fixtures/outbound-workflows'), identity: IDENTITY });
    await outboundHarness.startWorker({ env: { RECEIVER_URL: receiverUrl, RECEIVER_TOKEN: 'receiver-token', RECEIVER_PORT: '1' } });
    written.push(...(await captureAll(outboundCaptures(outboundHarness), outboundHarness, selection)));
  } finally {
    await outboundHarness?.teardown();
    receiver?.closeAllConnections();
    await new Promise((r) => (receiver ? receiver.close(r) : r(undefined)));
  }
  let triggered: Harness | undefined;
  try {
    triggered = await startHarness({ procedures: triggerProcedures, triggers: testTriggers, workflowsPath: require.resolve('../fixtures/trigger-workflows'), identity: IDENTITY });
    await triggered.startWorker();
    written.push(...(await captureAll(triggerCaptures(triggered), triggered, selection)));
  } finally {
    await triggered?.teardown();
  }
  // The async integration patterns, with their provider.
  let asyncPeer: { url: string; server: Server } | undefined;
  let asyncHarness: Harness | undefined;
  try {
    const checks = new Map<string, number>();
    asyncPeer = await startAsyncPeer(checks);
    asyncHarness = await startHarness({ procedures: asyncProcedures, workflowsPath: require.resolve('../fixtures/async-workflows'), identity: IDENTITY });
    await asyncHarness.startWorker({ env: { TEST_PEER_URL: asyncPeer.url }, connectors: [definedStatus] });
    written.push(...(await captureAll(asyncCaptures(asyncHarness, checks), asyncHarness, selection)));
  } finally {
    await asyncHarness?.teardown();
    asyncPeer?.server.closeAllConnections();
    await new Promise((r) => (asyncPeer ? asyncPeer.server.close(r) : r(undefined)));
  }
  process.stdout.write(`${written.length} histories written to test/histories/\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
