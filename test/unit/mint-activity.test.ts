import { ApplicationFailure } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import { createHookwaitActivities, TOKEN_TOO_LONG } from '../../src/activities/create-activities';
import { HookwaitArgumentError } from '../../src/client/errors';
import { HookwaitClient } from '../../src/client/hookwait-client';
import { silentLogger } from '../../src/logging/logger';
import { MAX_TOKEN_LENGTH, parseKeyring, verifyCallbackToken } from '../../src/security/callback-token';
import { MockActivityEnvironment } from '@temporalio/testing';
import { approvalProcedure, connectorProcedure } from '../fixtures/procedures';

const keyring = parseKeyring(`k1:${Buffer.alloc(32, 5).toString('base64url')}`);
const activities = createHookwaitActivities({ keyring, publicBaseUrl: 'https://hooks.example.test', logger: silentLogger, searchAttributes: false });
const run = { namespace: 'default', procedure: 'approval', runId: '0d6f8c1e-1b7e-4c4a-9d53-3f8e1b2a4c5d' };

describe('the minting activity', () => {
  test('mints encrypted tokens that verify, plain and keyed', async () => {
    const { urls } = await activities.hookwaitMintCallbackUrls({ ...run, workflowId: 'kyc-jane.doe@example.com', waits: ['approval'], keyed: [{ wait: 'line', key: 'sku-1' }] });
    expect(Object.keys(urls)).toEqual(['approval', 'line:sku-1']);
    for (const url of Object.values(urls)) {
      expect(url).toMatch(/^https:\/\/hooks\.example\.test\/callbacks\/hw2\.k1\./);
      expect(url).not.toContain('jane');
    }
    expect(verifyCallbackToken(keyring, (urls['line:sku-1'] as string).split('/callbacks/')[1] as string)).toMatchObject({ workflowId: 'kyc-jane.doe@example.com', key: 'sku-1' });
  });

  test(`refuses, not retryably, a run whose token would exceed the gateway's ${MAX_TOKEN_LENGTH} characters, naming the workflow id length`, async () => {
    const workflowId = '\u0001'.repeat(1000); // 1,000 characters, 6,000 once escaped in the claims
    const minted = activities.hookwaitMintCallbackUrls({ ...run, workflowId, waits: ['approval'] });
    await expect(minted).rejects.toBeInstanceOf(ApplicationFailure);
    const failure = (await minted.catch((e: unknown) => e)) as ApplicationFailure;
    expect(failure.nonRetryable).toBe(true);
    expect(failure.type).toBe(TOKEN_TOO_LONG);
    expect(failure.message).toContain("'approval'");
    expect(failure.message).toContain('workflow id is 1000 characters');
  });
});

describe('HookwaitClient.start', () => {
  test('refuses a workflow id whose callback URLs could never be accepted, before starting anything', async () => {
    const started: unknown[] = [];
    const client = { options: { namespace: 'default' }, workflow: { start: async (...args: unknown[]) => started.push(args) } } as unknown as Client;
    const hookwait = new HookwaitClient({ client, procedures: [approvalProcedure], taskQueue: 'q', keyring, publicBaseUrl: 'https://hooks.example.test' });
    const refused = hookwait.start(approvalProcedure, {}, { workflowId: 'x'.repeat(3100) });
    await expect(refused).rejects.toBeInstanceOf(HookwaitArgumentError);
    await expect(refused).rejects.toThrow(/workflow id is 3100 characters/);
    expect(started).toHaveLength(0);
  });
});

describe('the connector activity', () => {
  const bodies: string[] = [];
  const peerFetch: typeof fetch = async (_url, init) => {
    bodies.push(String(init?.body));
    return new Response(JSON.stringify({ id: 'case-1' }), { status: 200, headers: { 'content-type': 'application/json' } });
  };
  const connectorActivities = createHookwaitActivities({ procedures: [connectorProcedure], keyring, publicBaseUrl: 'https://hooks.example.test', logger: silentLogger, searchAttributes: false, env: { TEST_PEER_URL: 'http://peer.test', TEST_PEER_KEY: 'k' }, fetch: peerFetch });
  const env = () => new MockActivityEnvironment({ workflowNamespace: 'default', workflowExecution: { workflowId: 'wf-c', runId: 'run-c' }, activityType: 'hookwaitCallConnector' });
  const variables = { vars: { path: 'p', n: 1 }, input: { customerId: 'c1' } };

  beforeEach(() => void bodies.splice(0));

  test('mints {{callbackUrls.*}} itself from the waits it is given: the URL the run minted', async () => {
    await env().run(connectorActivities.hookwaitCallConnector, { procedure: 'connectorCall', connector: 'peer', variables, callbackWaits: [{ wait: 'done' }] });
    const { urls } = await activities.hookwaitMintCallbackUrls({ namespace: 'default', procedure: 'connectorCall', workflowId: 'wf-c', runId: 'run-c', waits: ['done'] });
    expect(JSON.parse(bodies[0] as string)).toMatchObject({ callback: urls.done });
  });

  test('an input scheduled by an earlier version (callbackUrls in its variables) is used as it is', async () => {
    await env().run(connectorActivities.hookwaitCallConnector, { procedure: 'connectorCall', connector: 'peer', variables: { ...variables, callbackUrls: { done: 'https://old.example.test/callbacks/hw1.k1.x.y' } } });
    expect(JSON.parse(bodies[0] as string)).toMatchObject({ callback: 'https://old.example.test/callbacks/hw1.k1.x.y' });
  });
});
