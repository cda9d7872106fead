import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { HttpConversationChannel } from '../../src/activities/conversation-channel';

describe('HttpConversationChannel against a real helpdesk stub', () => {
  let server: Server;
  let url: string;
  const seen: { url: string; headers: IncomingHttpHeaders; body: unknown }[] = [];
  let answer = 200;
  beforeAll(async () => {
    server = createServer(async (req, res) => {
      let raw = '';
      for await (const c of req) raw += c;
      seen.push({ url: req.url ?? '', headers: req.headers, body: JSON.parse(raw) });
      res.writeHead(answer, answer === 503 ? { 'retry-after': '7' } : {}).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  test('posts messages and assignments with the idempotency key and bearer token', async () => {
    const channel = new HttpConversationChannel({ url, token: 'hd-token' });
    await channel.sendMessage('conv 1', 'hello', { idempotencyKey: 'k-msg' });
    await channel.assign('conv 1', { teammate: 'ann' }, { idempotencyKey: 'k-assign', reason: 'timeout at x' });
    expect(seen[0]).toMatchObject({ url: '/conversations/conv%201/messages', body: { text: 'hello' } });
    expect(seen[0]?.headers).toMatchObject({ 'idempotency-key': 'k-msg', authorization: 'Bearer hd-token', 'content-type': 'application/json' });
    expect(seen[1]).toMatchObject({ url: '/conversations/conv%201/assignments', body: { assignee: { type: 'teammate', id: 'ann' }, reason: 'timeout at x' } });
    expect(seen[1]?.headers['idempotency-key']).toBe('k-assign');
  });

  test('503 is retryable and honours Retry-After; 400 is not retryable', async () => {
    const channel = new HttpConversationChannel({ url });
    answer = 503;
    const busy = (await channel.sendMessage('c', 't', { idempotencyKey: 'k' }).catch((e: unknown) => e)) as ApplicationFailure;
    expect(busy).toBeInstanceOf(ApplicationFailure);
    expect(busy.nonRetryable).toBe(false);
    expect(busy.nextRetryDelay).toBe(7000);
    answer = 400;
    const bad = (await channel.sendMessage('c', 't', { idempotencyKey: 'k' }).catch((e: unknown) => e)) as ApplicationFailure;
    expect(bad.nonRetryable).toBe(true);
    expect(bad.type).toBe('HookwaitChannelRejected');
  });

  test('an unreachable helpdesk is a retryable failure', async () => {
    const channel = new HttpConversationChannel({ url: 'http://127.0.0.1:1', timeoutMs: 500 });
    const err = (await channel.assign('c', { team: 't' }, { idempotencyKey: 'k' }).catch((e: unknown) => e)) as ApplicationFailure;
    expect(err.nonRetryable).toBe(false);
    expect(err.type).toBe('HookwaitChannelUnavailable');
  });

  test.each(['..', '.', '', '../admin', '..\\admin', 'a/../b', '%2e%2e%2fadmin', '/', 'a/b', '%5C', '%2E%2E'])('a conversation id %j is refused, not retried, and nothing is sent (it would climb the path)', async (conversationId) => {
    const channel = new HttpConversationChannel({ url: `${url}/api/v1`, token: 'hd-token' });
    const before = seen.length;
    answer = 200;
    const msg = (await channel.sendMessage(conversationId, 't', { idempotencyKey: 'k' }).catch((e: unknown) => e)) as ApplicationFailure;
    expect(msg).toBeInstanceOf(ApplicationFailure);
    expect(msg).toMatchObject({ type: 'HookwaitChannelRejected', nonRetryable: true });
    expect(msg.message).toContain('conversation id');
    expect(msg.message).not.toContain('hd-token');
    const assign = (await channel.assign(conversationId, { team: 't' }, { idempotencyKey: 'k' }).catch((e: unknown) => e)) as ApplicationFailure;
    expect(assign).toMatchObject({ type: 'HookwaitChannelRejected', nonRetryable: true });
    expect(seen.length).toBe(before);
  });

  test('ids that only look like dots are sent, encoded', async () => {
    const channel = new HttpConversationChannel({ url });
    answer = 200;
    await channel.sendMessage('...', 't', { idempotencyKey: 'k' });
    await channel.sendMessage('..x', 't', { idempotencyKey: 'k' });
    await channel.sendMessage('%2e%2e%2e', 't', { idempotencyKey: 'k' });
    expect(seen.slice(-3).map((s) => s.url)).toEqual(['/conversations/.../messages', '/conversations/..x/messages', '/conversations/%252e%252e%252e/messages']);
  });
});

