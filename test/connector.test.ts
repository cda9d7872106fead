import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ActivityFailure, ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { connectorCall } from './fixtures/workflows';
import { startHarness, type Harness } from './helpers/harness';
import { verifyCallbackToken } from '../src/security/callback-token';

interface Seen {
  path: string;
  apiKey: string | undefined;
  body: unknown;
}

describe('data connectors against a real HTTP peer', () => {
  let h: Harness;
  let peer: Server;
  const seen: Seen[] = [];
  let flakyFailures = 2;

  beforeAll(async () => {
    peer = createServer(async (req: IncomingMessage, res) => {
      let raw = '';
      for await (const chunk of req) raw += chunk;
      seen.push({ path: req.url ?? '', apiKey: req.headers['x-api-key'] as string | undefined, body: JSON.parse(raw || 'null') });
      if (req.url === '/flaky' && flakyFailures > 0) {
        flakyFailures--;
        res.writeHead(503, { 'retry-after': '0' }).end('busy');
      } else if (req.url === '/bad') {
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"customer unknown"}');
      } else {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: `ok-${req.url}`, ignored: true }));
      }
    });
    await new Promise<void>((r) => peer.listen(0, '127.0.0.1', r));
    h = await startHarness();
    await h.startWorker({ env: { TEST_PEER_URL: `http://127.0.0.1:${(peer.address() as AddressInfo).port}`, TEST_PEER_KEY: 'peer-secret' } });
  });
  afterAll(async () => {
    await h?.teardown();
    peer.closeAllConnections();
    await new Promise((r) => peer.close(r));
  });

  test('retries on 503, then succeeds; the body is templated from input, callback URLs and vars; secrets come from env', async () => {
    const result = await h.env.client.workflow.execute(connectorCall, {
      taskQueue: h.taskQueue,
      workflowId: `conn-${randomUUID()}`,
      args: [{ path: 'flaky', customerId: 'c-42' }],
    });
    expect(result).toMatchObject({ status: 'completed', output: 'ok-/flaky' });
    const calls = seen.filter((s) => s.path === '/flaky');
    expect(calls).toHaveLength(3);
    expect(calls[0]?.apiKey).toBe('peer-secret');
    expect(calls[0]?.body).toMatchObject({ customer: 'c-42', n: 7, callback: expect.stringMatching(/\/callbacks\/hw2\./) });
  });

  test("the connector activity's input in history carries no callback URL: the activity (a new type, hookwaitCallConnectorMinting) mints it again, the same URL the run minted", async () => {
    const workflowId = `conn-hist-${randomUUID()}`;
    const handle = await h.env.client.workflow.start(connectorCall, { taskQueue: h.taskQueue, workflowId, args: [{ path: 'hist', customerId: 'c-7' }] });
    await handle.result();
    const sent = (seen.find((s) => s.path === '/hist')?.body as { callback?: string } | undefined)?.callback;
    const token = sent?.split('/callbacks/')[1] ?? '';
    expect(verifyCallbackToken(h.keyring, token)).toMatchObject({ workflowId, runId: handle.firstExecutionRunId });
    const { events } = await handle.fetchHistory();
    const inputs = (events ?? [])
      .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'hookwaitCallConnectorMinting')
      .map((e) => Buffer.from(e.activityTaskScheduledEventAttributes?.input?.payloads?.[0]?.data ?? []).toString('utf8'));
    expect(inputs).toHaveLength(1);
    expect(inputs[0]).toContain('c-7');
    expect(inputs[0]).not.toContain('/callbacks/');
    expect(inputs[0]).not.toContain(token);
    // The minting marker still holds the URL, so namespace read access means callback access: README, Security.
  });

  test('fails fast on 400: one call, no retry, a clear error naming the connector and the status', async () => {
    const before = seen.filter((s) => s.path === '/bad').length;
    const run = h.env.client.workflow.execute(connectorCall, {
      taskQueue: h.taskQueue,
      workflowId: `conn-bad-${randomUUID()}`,
      args: [{ path: 'bad', customerId: 'c-1' }],
    });
    const err = await run.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const activity = (err as WorkflowFailedError).cause;
    expect(activity).toBeInstanceOf(ActivityFailure);
    const app = (activity as ActivityFailure).cause as ApplicationFailure;
    expect(app).toBeInstanceOf(ApplicationFailure);
    expect(app.type).toBe('HookwaitConnectorRejected');
    // The URL as declared, {{env.*}} unexpanded: the failure is kept in the run's history.
    expect(app.message).toContain('connector peer: POST {{env.TEST_PEER_URL}}/bad answered 400');
    expect(app.message).not.toMatch(/127\.0\.0\.1|peer-secret/);
    expect(seen.filter((s) => s.path === '/bad').length - before).toBe(1);
  });

  test('bad procedure input fails the run at once, naming the field', async () => {
    const err = await h.env.client.workflow
      .execute(connectorCall, { taskQueue: h.taskQueue, workflowId: `conn-in-${randomUUID()}`, args: [{ path: 'x' } as never] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe('InvalidProcedureInput');
    expect(cause.message).toMatch(/input\.customerId/);
  });
});
