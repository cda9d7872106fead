import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { sleepTenMinutes } from './fixtures/sleepy-workflows';

// Temporal's time-skipping test server (test/global-setup.ts finds or fetches it, src/app/temporal-test-server.ts).
describe('the time-skipping test server', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    const path = process.env.TEMPORAL_TEST_SERVER_PATH;
    if (!path) throw new Error('TEMPORAL_TEST_SERVER_PATH is not set (test/global-setup.ts sets it)');
    env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } });
  });
  afterAll(async () => {
    await env?.teardown();
  });

  test('runs a workflow that sleeps ten minutes to completion, skipping the time', async () => {
    const taskQueue = 'time-skipping';
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath: require.resolve('./fixtures/sleepy-workflows'),
    });
    const before = await env.currentTimeMs();
    const result = await worker.runUntil(env.client.workflow.execute(sleepTenMinutes, { taskQueue, workflowId: 'sleep-ten-minutes' }));
    const after = await env.currentTimeMs();
    expect(result).toBe('awake');
    expect(after - before).toBeGreaterThanOrEqual(10 * 60_000);
  });
});
