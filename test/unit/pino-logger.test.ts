import type { Client } from '@temporalio/client';
import type { LogLevel as TemporalLogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import pino from 'pino';
import { LoggingConversationChannel } from '../../src/activities/conversation-channel';
import { createHookwaitActivities } from '../../src/activities/create-activities';
import { MEMO_KEY } from '../../src/core/run-state';
import { hookwaitLogger, type Logger } from '../../src/logging/logger';
import { fromTemporalLogger } from '../../src/logging/temporal-logger';
import { mintCallbackToken, parseKeyring } from '../../src/security/callback-token';
import { createCallbackService } from '../../src/service/callback-service';
import { connectorProcedure } from '../fixtures/procedures';
import { testWaits } from '../fixtures/waits';

const keyring = parseKeyring(`k1:${Buffer.alloc(32, 7).toString('base64url')}`);
const claims = { namespace: 'default', procedure: 'verifyCustomer', workflowId: 'wf-pino', runId: 'run-pino', wait: 'idVerified' };
const token = mintCallbackToken(keyring, claims);

/** A real pino logger writing JSON lines to a stream we read. */
function pinoCapture(): { logger: pino.Logger; lines: () => Record<string, unknown>[]; raw: () => string } {
  const chunks: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (chunk: string) => void chunks.push(chunk) });
  const raw = (): string => chunks.join('');
  return { logger, raw, lines: () => raw().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

/** A running workflow as the callback service sees it through a client: describe, then signal. */
function fakeClient(signals: unknown[]): Client {
  const handle = {
    describe: async () => ({ type: 'verifyCustomer', status: { name: 'RUNNING' }, memo: { [MEMO_KEY]: { waits: { idVerified: 'waiting' } } } }),
    signal: async (_def: unknown, args: unknown) => void signals.push(args),
  };
  return { connection: { withDeadline: (_deadline: number, fn: () => Promise<unknown>) => fn() }, workflow: { getHandle: () => handle } } as unknown as Client;
}

describe('a pino logger wherever hookwait takes a logger', () => {
  test('a pino logger is a hookwait Logger as it is (type check), and its calls keep every field', () => {
    const { logger, lines } = pinoCapture();
    const asHookwait: Logger = logger;
    asHookwait.child({ component: 'c' }).info({ workflowId: 'wf-1', n: 2 }, 'hello');
    expect(lines()).toEqual([expect.objectContaining({ level: 30, msg: 'hello', component: 'c', workflowId: 'wf-1', n: 2 })]);
  });

  test('the callback service logs through pino: requestId, outcome, workflowId, runId and wait arrive', async () => {
    const { logger, lines, raw } = pinoCapture();
    const signals: unknown[] = [];
    const service = createCallbackService({ client: fakeClient(signals), namespace: 'default', waits: testWaits, keyring, logger, rateLimits: false, secrets: {} });
    const body = Buffer.from(JSON.stringify({ status: 'verified', data: { reference: { id: 'ref-1' } } }));
    const answer = await service.deliverCallback({ method: 'POST', token, requestId: 'req-pino-1', contentType: 'application/json', ip: '10.0.0.1', body, header: () => undefined });
    expect(answer.status).toBe(202);
    expect(signals).toHaveLength(1);
    expect(lines()).toContainEqual(
      expect.objectContaining({ msg: 'callback accepted', component: 'gateway', requestId: 'req-pino-1', outcome: 'accepted', workflowId: 'wf-pino', runId: 'run-pino', wait: 'idVerified' }),
    );

    // A token for another namespace: not found, logged with the token cut to its first 12 characters.
    const foreign = mintCallbackToken(keyring, { ...claims, namespace: 'other' });
    const notFound = await service.deliverCallback({ method: 'POST', token: foreign, requestId: 'req-pino-2', contentType: 'application/json', body, header: () => undefined });
    expect(notFound.status).toBe(404);
    expect(lines()).toContainEqual(expect.objectContaining({ requestId: 'req-pino-2', outcome: 'not-found' }));
    expect(raw()).not.toContain(foreign);
  });

  test('tokens are redacted and errors kept on the way to pino: message, fields, nested values, errors, child bindings', () => {
    const { logger, lines, raw } = pinoCapture();
    hookwaitLogger(logger)
      .child({ url: `https://x/callbacks/${token}` })
      .warn({ nested: { list: [token] }, error: new Error(`POST /callbacks/${token} failed`) }, `sent ${token}`);
    expect(raw()).not.toContain(token);
    const [entry] = lines();
    expect(entry).toMatchObject({
      level: 40,
      msg: `sent ${token.slice(0, 12)}…`,
      url: `https://x/callbacks/${token.slice(0, 12)}…`,
      nested: { list: [`${token.slice(0, 12)}…`] },
      // pino alone would print an Error under any key but `err` as {}: hookwait keeps its name and message.
      error: { name: 'Error', message: `POST /callbacks/${token.slice(0, 12)}… failed` },
    });
  });

  test('the development conversation channel, given pino, logs a callback URL redacted', async () => {
    const { logger, raw } = pinoCapture();
    await new LoggingConversationChannel(logger).sendMessage('conv-1', `Please verify at https://x/callbacks/${token}`, { idempotencyKey: 'k' });
    expect(raw()).toContain('Please verify at https://x/callbacks/hw2.k1.');
    expect(raw()).toContain('"conversationId":"conv-1"');
    expect(raw()).not.toContain(token);
  });
});

describe("inside an activity, hookwait logs through the activity's logger", () => {
  const entries: { level: TemporalLogLevel; message: string; meta: LogMetadata }[] = [];
  const activityLog: TemporalLogger = {
    log: (level, message, meta = {}) => void entries.push({ level, message, meta }),
    trace: (message, meta = {}) => void entries.push({ level: 'TRACE', message, meta }),
    debug: (message, meta = {}) => void entries.push({ level: 'DEBUG', message, meta }),
    info: (message, meta = {}) => void entries.push({ level: 'INFO', message, meta }),
    warn: (message, meta = {}) => void entries.push({ level: 'WARN', message, meta }),
    error: (message, meta = {}) => void entries.push({ level: 'ERROR', message, meta }),
  };
  const peerFetch: typeof fetch = async () => new Response(JSON.stringify({ id: 'case-1' }), { status: 200, headers: { 'content-type': 'application/json' } });
  const input = { procedure: 'connectorCall', connector: 'peer', variables: { vars: { path: token, n: 1 }, input: { customerId: 'c1' }, callbackUrls: { done: 'u' } } };

  beforeEach(() => void entries.splice(0));

  test("a connector call is logged with the activity's attributes (workflow id, activity type), tokens redacted; the plugin's logger is not used", async () => {
    const { logger, lines } = pinoCapture();
    const activities = createHookwaitActivities({ procedures: [connectorProcedure], keyring, publicBaseUrl: 'http://gw', channel: new LoggingConversationChannel(logger), logger, env: { TEST_PEER_URL: 'http://peer.test', TEST_PEER_KEY: 'k' }, fetch: peerFetch });
    const env = new MockActivityEnvironment({ workflowExecution: { workflowId: 'wf-act', runId: 'run-act' }, activityType: 'hookwaitCallConnector' }, { logger: activityLog });
    await expect(env.run(activities.hookwaitCallConnector, input)).resolves.toEqual({ id: 'case-1' });

    const called = entries.find((e) => e.message === 'connector called');
    expect(called).toBeDefined();
    expect(called?.level).toBe('INFO');
    expect(called?.meta).toMatchObject({ workflowId: 'wf-act', activityType: 'hookwaitCallConnector', component: 'activities', procedure: 'connectorCall', connector: 'peer', status: 200 });
    expect(JSON.stringify(entries)).not.toContain(token);
    expect(called?.meta.target).toBe(`POST {{env.TEST_PEER_URL}}/${token.slice(0, 12)}…`);
    expect(lines()).toEqual([]);
  });

  test("outside an activity (a direct call), the plugin's logger takes the line", async () => {
    const { logger, lines } = pinoCapture();
    const activities = createHookwaitActivities({ procedures: [connectorProcedure], keyring, publicBaseUrl: 'http://gw', channel: new LoggingConversationChannel(logger), logger, env: { TEST_PEER_URL: 'http://peer.test', TEST_PEER_KEY: 'k' }, fetch: peerFetch });
    await activities.hookwaitCallConnector(input);
    expect(lines()).toContainEqual(expect.objectContaining({ msg: 'connector called', component: 'activities', procedure: 'connectorCall', connector: 'peer', status: 200 }));
    expect(entries).toEqual([]);
  });

  test('fromTemporalLogger: fields first in, message first out, bindings kept through child()', () => {
    fromTemporalLogger(activityLog, { component: 'x' }).child({ procedure: 'p' }).warn({ error: new Error('boom') }, 'oops');
    expect(entries).toEqual([{ level: 'WARN', message: 'oops', meta: { component: 'x', procedure: 'p', error: { name: 'Error', message: 'boom' } } }]);
  });
});
