import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { createGatewayApp } from '../src/api/gateway-app';
import { DRAIN_TIMEOUT_MS, startGateway } from '../src/api/start-gateway';
import { lazyClient } from '../src/app/temporal-connection';
import { loadConfig } from '../src/config';
import { type DevServer, startDevServer } from '../src/dev/dev-server';
import { createLogger, silentLogger } from '../src/logging/logger';
import { hookwaitPlugin } from '../src/plugin';
import { generateKeyringSpec, parseKeyring } from '../src/security/callback-token';
import { type LedgerEntry, stateQuery } from '../src/workflows/messages';
import { approvalProcedure, testProcedures } from './fixtures/procedures';
import type { approval } from './fixtures/workflows';
import {
  callbackRequestHead,
  type GatewayProcess,
  postOnNewConnection,
  RawExchange,
  sleep,
  spawnNode,
  tokenOf,
  within,
} from './helpers/fault-processes';
import { freePort } from './helpers/free-port';
import { postCallback } from './helpers/http';
import { TEST_SECRETS } from './helpers/harness';
import { RecordingChannel } from './helpers/recording-channel';

// Faults against real processes: a standalone worker (`node lib/src/worker/main.js`) killed under a waiting
// procedure, a Temporal dev server on a SQLite file that is stopped and restarted under one, and the standalone
// gateway (`node lib/src/api/main.js`) stopped with SIGTERM mid-burst.
// One dev server and one worker serve the whole file; the worker is never replaced (test 1 checks it survives).

const LIB = resolve(__dirname, '../lib');
const GATEWAY_MAIN = join(LIB, 'src/api/main.js');
const LIB_PROCEDURES = join(LIB, 'test/fixtures/procedures.js');
const LIB_WORKFLOWS = join(LIB, 'test/fixtures/workflows.js');
const WORKER_MAIN = join(LIB, 'src/worker/main.js');
const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
const body = (n: number) => ({ decision: 'approved', refund: { amount: n }, approver: { email: `a${n}@example.com` } });
const expected = (n: number) => ({ decision: 'approved', amount: n, approver: `a${n}@example.com` });

type ApprovalHandle = WorkflowHandle<typeof approval>;

describe('faults', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hookwait-faults-'));
  const keyringSpec = generateKeyringSpec('f1');
  const keyring = parseKeyring(keyringSpec);
  const taskQueue = `faults-${randomUUID()}`;
  const gatewayLog: string[] = [];
  let serverOptions: Parameters<typeof startDevServer>[0];
  let server: DevServer | undefined;
  /** A start in progress, so afterAll can stop it even if a test gave up waiting. */
  let starting: Promise<DevServer> | undefined;
  let client: Client | undefined;
  let nativeConnection: NativeConnection | undefined;
  let worker: Worker | undefined;
  let workerRun: Promise<void> | undefined;
  let workerFailure: unknown;
  let gatewayClient: Client | undefined;
  let gateway: Server | undefined;
  let gatewayUrl = '';
  let standalone: GatewayProcess | undefined;

  const startServer = (): Promise<DevServer> => {
    starting = startDevServer(serverOptions);
    return starting.then((s) => (server = s));
  };
  const stopServer = async (): Promise<void> => {
    const s = server;
    server = undefined;
    await s?.stop();
  };

  /** Starts a run of `approval` and waits (bounded) until it is parked at its wait; returns its callback token. */
  const park = async (prefix: string, queue = taskQueue): Promise<{ handle: ApprovalHandle; token: string }> => {
    const handle: ApprovalHandle = await client!.workflow.start<typeof approval>('approval', { taskQueue: queue, workflowId: `${prefix}-${randomUUID()}`, args: [{}] });
    for (let i = 0; i < 200; i++) {
      const s = await handle.query(stateQuery).catch(() => undefined);
      const url = s?.waits.approval?.status === 'waiting' ? s.callbackUrls.approval : undefined;
      if (url) return { handle, token: tokenOf(url) };
      await sleep(50);
    }
    throw new Error(`${handle.workflowId} never reached its wait`);
  };
  const ledgerOf = async (handle: ApprovalHandle): Promise<readonly LedgerEntry[]> => (await handle.query(stateQuery)).ledger;

  beforeAll(async () => {
    const cli = process.env.TEMPORAL_CLI_PATH;
    if (!cli) throw new Error('TEMPORAL_CLI_PATH is not set: run through jest (test/global-setup.ts)');
    const bundle = bundleWorkflowCode({ workflowsPath: require.resolve('./fixtures/workflows'), logger: quiet });
    // Free ports can be taken by another process between the check and the bind: a few tries with fresh ones.
    for (let attempt = 1; ; attempt++) {
      serverOptions = { cli, dbFile: join(dir, 't.db'), port: await freePort(), uiPort: await freePort(), log: () => undefined };
      try {
        await startServer();
        break;
      } catch (err) {
        if (attempt >= 3 || !/address already in use/.test(String(err))) throw err;
      }
    }
    client = new Client({ connection: await Connection.connect({ address: server!.address }) });
    nativeConnection = await NativeConnection.connect({ address: server!.address });

    // The in-process gateway of tests 1 and 2: a lazy client, so it starts and keeps answering while Temporal is away.
    gatewayClient = lazyClient({ address: server!.address, namespace: 'default', taskQueue, callTimeoutMs: 2_000 });
    const app = createGatewayApp({
      client: gatewayClient,
      namespace: 'default',
      procedures: testProcedures,
      keyring,
      temporalTimeoutMs: 2_000,
      secrets: TEST_SECRETS,
      logger: createLogger({ level: 'debug', write: (line) => gatewayLog.push(line) }),
    });
    gateway = await new Promise<Server>((res) => {
      const s = app.listen(0, '127.0.0.1', () => res(s));
    });
    gatewayUrl = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;

    worker = await Worker.create({
      connection: nativeConnection,
      namespace: 'default',
      taskQueue,
      workflowBundle: await bundle,
      // Tests post each token to the gateway they exercise, so the public base URL is never used.
      plugins: [hookwaitPlugin({ procedures: testProcedures, keyring, publicBaseUrl: 'http://127.0.0.1:1', channel: new RecordingChannel(), logger: silentLogger })],
    });
    workerRun = worker.run().catch((err: unknown) => {
      workerFailure = err;
    });
  }, 60_000);

  afterAll(async () => {
    const step = async (what: string, fn: () => Promise<unknown> | unknown, ms = 15_000): Promise<void> => {
      try {
        await within(ms, what, Promise.resolve().then(fn));
      } catch (err) {
        process.stderr.write(`faults cleanup: ${what}: ${String(err)}\n`);
      }
    };
    if (standalone && standalone.child.exitCode === null && standalone.child.signalCode === null) standalone.child.kill('SIGKILL');
    await step('gateway', async () => {
      gateway?.closeAllConnections();
      await new Promise((r) => (gateway ? gateway.close(r) : r(undefined)));
    });
    await step('gateway client', () => gatewayClient?.connection.close());
    // A start that a failed test left behind.
    await step('dev server start', async () => {
      const s = await starting?.catch(() => undefined);
      if (s && s !== server) await s.stop();
    }, 65_000);
    await step('worker', async () => {
      if (worker?.getState() === 'RUNNING') worker.shutdown();
      await workerRun;
    });
    await step('native connection', () => nativeConnection?.close());
    await step('client', () => client?.connection.close());
    await step('dev server', () => stopServer());
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  test('the worker process is killed (SIGKILL) while the procedure waits; the callback arrives; a new worker process resumes it with the payload', async () => {
    // A standalone worker (`node lib/src/worker/main.js`) on a task queue of its own, so the shared worker stays out.
    const queue = `${taskQueue}-killed`;
    const env = {
      TEMPORAL_ADDRESS: server!.address,
      TEMPORAL_TASK_QUEUE: queue,
      HOOKWAIT_TOKEN_KEYS: keyringSpec,
      HOOKWAIT_PROCEDURES_MODULE: LIB_PROCEDURES,
      HOOKWAIT_WORKFLOWS_MODULE: LIB_WORKFLOWS,
      HOOKWAIT_PUBLIC_BASE_URL: gatewayUrl,
      LOG_LEVEL: 'info',
    };
    const workers = [spawnNode(WORKER_MAIN, env)];
    try {
      await workers[0]!.waitForLog('worker running', 60_000);
      const { handle, token } = await park('killed', queue);
      workers[0]!.child.kill('SIGKILL');
      expect((await workers[0]!.exited).signal).toBe('SIGKILL');

      // No worker runs: the gateway still accepts the callback durably (a signal in the run's history).
      expect((await postCallback(`${gatewayUrl}/callbacks/${token}`, body(11))).status).toBe(202);
      const events = (await handle.fetchHistory()).events ?? [];
      expect(events.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'hookwait.callback')).toHaveLength(1);
      expect((await handle.describe()).status.name).toBe('RUNNING');

      workers.push(spawnNode(WORKER_MAIN, env));
      const result = await within(60_000, 'the run to complete on the new worker process', handle.result());
      expect(result).toEqual({ status: 'completed', output: expected(11), attributes: { approval: expected(11) } });
      expect((await ledgerOf(handle)).map((e) => e.outcome)).toEqual(['accepted']);
    } finally {
      for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    }
  }, 120_000);

  test('Temporal dev server restarted on the same SQLite file mid-wait: the procedure survives and completes, on the same worker', async () => {
    const { handle, token } = await park('restart');
    await stopServer();

    await startServer();
    // The run came back from the SQLite file, still waiting.
    expect((await handle.describe()).status.name).toBe('RUNNING');

    // The gateway's lazy connection recovers by itself; it may answer 503 for a moment while it reconnects.
    const statuses: number[] = [];
    let res = await postCallback(`${gatewayUrl}/callbacks/${token}`, body(7));
    statuses.push(res.status);
    for (let i = 0; i < 60 && res.status === 503; i++) {
      await sleep(300);
      res = await postCallback(`${gatewayUrl}/callbacks/${token}`, body(7));
      statuses.push(res.status);
    }
    expect(res.status).toBe(202);
    expect(statuses.every((s) => s === 503 || s === 202)).toBe(true);

    // The worker created before the restart picks the run up again: no new worker.
    const result = await within(40_000, 'the run to complete after the restart', handle.result());
    expect(result).toEqual({ status: 'completed', output: expected(7), attributes: { approval: expected(7) } });
    expect(worker!.getState()).toBe('RUNNING');
    expect(workerFailure).toBeUndefined();
  }, 60_000);

  test('Temporal down: 503 with Retry-After; when it is back the sender’s retry is accepted (202) and captured exactly once', async () => {
    const { handle, token } = await park('down');
    const url = `${gatewayUrl}/callbacks/${token}`;
    const requestId = `down-${randomUUID()}`;
    await stopServer();

    const down = await postCallback(url, body(3), { headers: { 'x-request-id': requestId } });
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('5');
    // The answer's id is the gateway's own; the sender's is logged (and kept on the ledger) as clientRequestId.
    const downId = down.headers.get('x-request-id');
    expect(downId).not.toBe(requestId);
    expect(down.body).toMatchObject({ type: 'urn:hookwait:problem:temporal-unavailable', requestId: downId });
    expect((await fetch(`${gatewayUrl}/readyz`)).status).toBe(503);
    expect(gatewayLog.map((l) => JSON.parse(l) as Record<string, unknown>)).toContainEqual(
      // The update (the default) cannot reach Temporal (or, cut short by its deadline, nor can the signal after it).
      expect.objectContaining({ msg: 'temporal unavailable', outcome: 'unavailable', operation: expect.stringMatching(/^(update|signal)$/), requestId: downId, clientRequestId: requestId }),
    );

    // Temporal comes back while the sender keeps retrying the same delivery (Retry-After honoured, capped at 1 s
    // so the test stays short).
    const back = startServer();
    const attempts: { status: number; retryAfter: string | null }[] = [];
    let res = down;
    for (let i = 0; i < 60 && res.status === 503; i++) {
      await sleep(Math.min(Number(res.headers.get('retry-after') ?? 1) * 1_000, 1_000));
      res = await postCallback(url, body(3), { headers: { 'x-request-id': requestId } });
      attempts.push({ status: res.status, retryAfter: res.headers.get('retry-after') });
    }
    await back;
    expect(res.status).toBe(202);
    const acceptedId = res.headers.get('x-request-id');
    expect(res.body).toMatchObject({ status: 'accepted', wait: 'approval', requestId: acceptedId });
    // Every refusal on the way said when to retry; nothing but 503 came before the 202.
    expect(attempts.slice(0, -1).every((a) => a.status === 503 && a.retryAfter === '5')).toBe(true);

    const result = await within(40_000, 'the run to complete', handle.result());
    expect(result).toEqual({ status: 'completed', output: expected(3), attributes: { approval: expected(3) } });
    const accepted = (await ledgerOf(handle)).filter((e) => e.outcome === 'accepted');
    expect(accepted).toHaveLength(1);
    expect(accepted[0]).toMatchObject({ wait: 'approval', source: { kind: 'http', requestId: acceptedId, clientRequestId: requestId } });
  }, 60_000);

  test('the standalone gateway gets SIGTERM with callbacks in flight: no 2xx is lost, new requests are refused, exit 0 within 30 s', async () => {
    for (const [lib, src] of [
      [GATEWAY_MAIN, 'src/api/main.ts'],
      [join(LIB, 'src/api/start-gateway.js'), 'src/api/start-gateway.ts'],
    ] as const) {
      const built = statSync(lib, { throwIfNoEntry: false });
      if (!built || built.mtimeMs < statSync(resolve(__dirname, '..', src)).mtimeMs) throw new Error(`${lib} is missing or older than ${src}: run \`npx tsc -p .\` first`);
    }
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    standalone = spawnNode(GATEWAY_MAIN, {
      TEMPORAL_ADDRESS: server!.address,
      TEMPORAL_NAMESPACE: 'default',
      HOOKWAIT_TOKEN_KEYS: keyringSpec,
      PORT: String(port),
      HOST: '127.0.0.1',
      HOOKWAIT_ADMIN_PORT: '0', // any free port: other gateways may run on this machine
      HOOKWAIT_PROCEDURES_MODULE: LIB_PROCEDURES,
      HOOKWAIT_PUBLIC_BASE_URL: url,
      LOG_LEVEL: 'info',
      // The fixture module also declares waits with sender auth: the gateway refuses to start without their secrets.
      ...TEST_SECRETS,
    });
    const gw = standalone;
    await gw.waitForLog('gateway listening');

    const runs = await Promise.all(Array.from({ length: 30 }, (_, i) => park(`sigterm${i}`)));
    // 0, 1: headers and half the body sent before SIGTERM (in flight for certain), the rest after.
    // 2: request headers not finished before SIGTERM: the request arrives on an open connection during the drain.
    // 3: sent on a new connection once the drain began.
    // 4..29: a concurrent burst, SIGTERM landing in the middle of it.
    const rid = runs.map((_, i) => `sigterm-${i}-${randomUUID()}`);
    const payload = runs.map((_, i) => JSON.stringify(body(i)));

    const slow = [0, 1].map((i) => {
      const x = new RawExchange(port);
      const p = payload[i]!;
      const half = Math.floor(p.length / 2);
      return { i, x, sent: x.write(callbackRequestHead(port, runs[i]!.token, p, rid[i]!) + p.slice(0, half)), rest: p.slice(half) };
    });
    const late = new RawExchange(port);
    const lateHead = callbackRequestHead(port, runs[2]!.token, payload[2]!, rid[2]!);
    const lateSplit = lateHead.indexOf('Content-Type');
    await late.write(lateHead.slice(0, lateSplit));
    await Promise.all(slow.map((s) => s.sent));

    const burst = runs.slice(4).map((run, k) => {
      const i = k + 4;
      return postCallback(`${url}/callbacks/${run.token}`, body(i), { headers: { 'x-request-id': rid[i]! } }).then(
        (r) => ({ i, status: r.status as number | undefined, error: undefined as string | undefined }),
        (err: Error & { cause?: { code?: string } }) => ({ i, status: undefined, error: err.cause?.code ?? err.message }),
      );
    });
    // SIGTERM once the burst is being answered (bounded wait), so part of it is still in flight.
    for (let i = 0; i < 250 && gw.logged('callback accepted').length === 0; i++) await sleep(10);
    const sigtermAt = Date.now();
    gw.child.kill('SIGTERM');
    const shuttingDown = await gw.waitForLog('shutting down', 5_000);
    // The two half-sent requests were being handled when the drain began.
    expect(shuttingDown.inFlight).toBeGreaterThanOrEqual(2);

    // A request started after SIGTERM, on a new connection: refused (nothing listens any more) or 503.
    const fresh = await postOnNewConnection(`${url}/callbacks/${runs[3]!.token}`, payload[3]!, rid[3]!);
    expect(fresh.error === 'ECONNREFUSED' || fresh.status === 503 ? true : fresh).toBe(true);

    // A request arriving on a connection that was already open: 503, Retry-After, Connection: close.
    await late.write(lateHead.slice(lateSplit) + payload[2]!);
    const lateRes = await late.response();
    expect(lateRes.status).toBe(503);
    expect(lateRes.headers['retry-after']).toBe('5');
    expect(lateRes.headers.connection).toBe('close');
    expect(JSON.parse(lateRes.body)).toMatchObject({ status: 503, requestId: lateRes.headers['x-request-id'] });
    expect(lateRes.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(lateRes.closed).toBe(true);

    // The requests in flight finish: accepted, and their connection closed after the answer.
    for (const s of slow) await s.x.write(s.rest);
    const slowRes = await Promise.all(slow.map((s) => s.x.response()));
    for (const r of slowRes) {
      expect(r.status).toBe(202);
      expect(r.headers.connection).toBe('close');
      expect(r.closed).toBe(true);
    }

    const burstRes = await within(30_000, 'the burst', Promise.all(burst));
    const exit = await within(30_000, 'the gateway to exit after SIGTERM', gw.exited);
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.at - sigtermAt).toBeLessThan(30_000);
    expect(gw.logged('stopped')).toEqual([expect.objectContaining({ level: 'info', signal: 'SIGTERM', forced: false })]);

    // Never a lost 2xx: every request answered 2xx is in Temporal (accepted on its run's ledger, the run completed
    // with its attributes). Every other request failed visibly (a network error or a non-2xx), so its sender retries.
    const outcomes = [...slowRes.map((r, k) => ({ i: k, status: r.status as number | undefined, error: undefined as string | undefined })), ...burstRes];
    const ok = outcomes.filter((o) => o.status !== undefined && o.status >= 200 && o.status < 300);
    for (const o of outcomes) if (!ok.includes(o)) expect(o.error !== undefined || (o.status !== undefined && o.status >= 500)).toBe(true);
    for (const o of ok) expect(o.status).toBe(202);
    await Promise.all(
      ok.map(async ({ i }) => {
        const { handle } = runs[i]!;
        expect(await within(30_000, `${handle.workflowId} to complete`, handle.result())).toEqual({ status: 'completed', output: expected(i), attributes: { approval: expected(i) } });
        const accepted = (await ledgerOf(handle)).filter((e) => e.outcome === 'accepted');
        expect(accepted).toEqual([expect.objectContaining({ wait: 'approval', source: expect.objectContaining({ requestId: expect.stringMatching(/^[0-9a-f-]{36}$/), clientRequestId: rid[i] }) })]);
      }),
    );
    // The refused requests never reached their runs.
    for (const i of [2, 3]) {
      const { handle } = runs[i]!;
      expect(await ledgerOf(handle)).toEqual([]);
      expect((await handle.describe()).status.name).toBe('RUNNING');
      await handle.terminate('test done');
    }
    process.stdout.write(
      `faults: SIGTERM with ${String(shuttingDown.inFlight)} requests in flight; ${ok.length}/${outcomes.length} answered 2xx, ` +
        `${outcomes.filter((o) => o.status !== undefined && o.status >= 500).length} 5xx, ${outcomes.filter((o) => o.error).length} network errors ` +
        `(${[...new Set(outcomes.flatMap((o) => (o.error ? [o.error] : [])))].join(', ')}); exit ${exit.code} after ${exit.at - sigtermAt} ms\n`,
    );
    // Runs whose callback was refused in the burst are still waiting: end them so the dev server stops quickly.
    await Promise.all(
      burstRes.filter((o) => !ok.includes(o)).map((o) => runs[o.i]!.handle.terminate('test done').catch(() => undefined)),
    );
  }, 80_000);

  test('drain timeout: a request that never finishes is cut off and stop() still resolves', async () => {
    expect(DRAIN_TIMEOUT_MS).toBe(25_000);
    const { handle, token } = await park('stuck');
    const lines: string[] = [];
    const config = loadConfig({ HOOKWAIT_TOKEN_KEYS: keyringSpec, TEMPORAL_ADDRESS: server!.address });
    const stuckClient = lazyClient(config.temporal);
    try {
      const gw = await startGateway(config, stuckClient, [approvalProcedure], createLogger({ write: (l) => lines.push(l) }), { port: 0, host: '127.0.0.1' });
      const port = (gw.server.address() as AddressInfo).port;
      // Headers and half the body, then silence: a sender that stalls mid-upload.
      const stuck = new RawExchange(port);
      const p = JSON.stringify(body(1));
      await stuck.write(callbackRequestHead(port, token, p, `stuck-${randomUUID()}`) + p.slice(0, 10));
      for (let i = 0; i < 100 && gw.inFlight() === 0; i++) await sleep(10);
      expect(gw.inFlight()).toBe(1);

      const started = Date.now();
      await within(5_000, 'stop() with a short drain timeout', gw.stop({ drainTimeoutMs: 300 }));
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      expect(gw.forced()).toBe(true);
      await expect(stuck.response(2_000)).rejects.toThrow(/closed without a complete answer/);
      expect(lines.map((l) => JSON.parse(l) as { msg: string; remaining?: number })).toContainEqual(
        expect.objectContaining({ msg: 'drain timeout: closing the remaining connections', remaining: 1 }),
      );
      // The cut-off request never reached its run.
      expect(await ledgerOf(handle)).toEqual([]);
    } finally {
      await stuckClient.connection.close();
      await handle.terminate('test done').catch(() => undefined);
    }
  }, 30_000);
});
