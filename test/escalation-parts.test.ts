import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpConversationChannel } from '../src/activities/conversation-channel';
import { approval } from './fixtures/workflows';
import { startHarness, type Harness } from './helpers/harness';
import { runState, uniqueId } from './helpers/runs';

jest.setTimeout(120_000);

/** A helpdesk whose message endpoint answers 400 and whose assignment endpoint answers 200. */
describe('escalation: the result records which parts were delivered', () => {
  let h: Harness;
  let helpdesk: Server;
  const seen: string[] = [];

  beforeAll(async () => {
    helpdesk = createServer((req, res) => {
      req.resume();
      seen.push(req.url ?? '');
      res.writeHead((req.url ?? '').endsWith('/messages') ? 400 : 200, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((r) => helpdesk.listen(0, '127.0.0.1', r));
    h = await startHarness();
    await h.startWorker({ channel: new HttpConversationChannel({ url: `http://127.0.0.1:${(helpdesk.address() as AddressInfo).port}` }) });
  });
  afterAll(async () => {
    await h?.teardown();
    helpdesk?.closeAllConnections();
    await new Promise((r) => helpdesk?.close(r));
  });

  test('the message endpoint answers 400: the conversation is still assigned; the result and the state say the message was not delivered', async () => {
    const workflowId = uniqueId('esc-400');
    const conversationId = `conv-${workflowId}`;
    const handle = await h.env.client.workflow.start(approval, { taskQueue: h.taskQueue, workflowId, args: [{ waitTimeout: '1s', conversationId }] });
    expect(await handle.result()).toEqual({ status: 'escalated', wait: 'approval', attributes: {}, escalation: { messageDelivered: false, assigned: true } });
    expect(seen.filter((u) => u.includes(conversationId))).toEqual([`/conversations/${conversationId}/messages`, `/conversations/${conversationId}/assignments`]);
    expect((await runState(handle)).escalatedAt).toMatchObject({ wait: 'approval', messageDelivered: false, assigned: true });
  });
});
