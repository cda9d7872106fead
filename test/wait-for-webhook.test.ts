import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { stateQuery } from '../src/workflows/messages';
import { approval, stockCheck } from './fixtures/workflows';
import { startHarness, type Harness } from './helpers/harness';
import { eventually, postCallback } from './helpers/http';

let h: Harness;
let stopWorker: () => Promise<void>;

beforeAll(async () => {
  h = await startHarness();
  stopWorker = await h.startWorker();
});
afterAll(async () => {
  await h?.teardown();
});

async function callbackUrl(handle: WorkflowHandle, wait: string): Promise<string> {
  return eventually(async () => (await handle.query(stateQuery)).callbackUrls[wait]);
}
async function waitStatus(handle: WorkflowHandle, wait: string, status: string): Promise<void> {
  await eventually(async () => ((await handle.query(stateQuery)).waits[wait]?.status === status ? true : undefined));
}

describe('Wait for Webhook through the gateway', () => {
  test('happy path: callback captured, typed attributes, procedure resumes', async () => {
    const handle = await h.env.client.workflow.start(approval, { taskQueue: h.taskQueue, workflowId: `ap-${randomUUID()}`, args: [{}] });
    const url = await callbackUrl(handle, 'approval');
    expect(url.startsWith(`${h.gatewayUrl}/callbacks/hw1.t1.`)).toBe(true);
    await waitStatus(handle, 'approval', 'waiting');

    const res = await postCallback(url, { decision: 'approved', refund: { amount: 42.5 }, approver: { email: 'ann@example.com' } });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'accepted', wait: 'approval' });

    const result = await handle.result();
    expect(result).toEqual({
      status: 'completed',
      output: { decision: 'approved', amount: 42.5, approver: 'ann@example.com' },
      attributes: { approval: { decision: 'approved', amount: 42.5, approver: 'ann@example.com' } },
    });
  });
});
