import { LoggingConversationChannel } from '../../src/activities/conversation-channel';
import { createLogger } from '../../src/logging/logger';
import { mintCallbackToken, parseKeyring, redactTokensIn } from '../../src/security/callback-token';

const keyring = parseKeyring(`k1:${Buffer.alloc(32, 9).toString('base64url')}`);
const token = mintCallbackToken(keyring, { namespace: 'default', procedure: 'p', workflowId: 'wf-1', runId: 'run-1', wait: 'w' });

function capture(): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return { lines, logger: createLogger({ write: (l) => lines.push(l) }) };
}

describe('callback tokens never reach a log line in whole', () => {
  test('redactTokensIn keeps the first 12 characters of each token in free text', () => {
    const text = `open https://x.example/callbacks/${token} or ${token}?a=1`;
    const out = redactTokensIn(text);
    expect(out).not.toContain(token);
    expect(out).toBe(`open https://x.example/callbacks/${token.slice(0, 12)}… or ${token.slice(0, 12)}…?a=1`);
    expect(redactTokensIn('hw1.not.a-token')).toBe('hw1.not.a-token');
  });

  test('the logger redacts a token in any field, message text or error, nested or not', () => {
    const { lines, logger } = capture();
    logger.child({ url: `https://x/callbacks/${token}` }).info({ nested: { list: [token] }, error: new Error(`POST /callbacks/${token} failed`) }, `sent ${token}`);
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain(token);
    const entry = JSON.parse(lines[0] as string) as Record<string, unknown>;
    expect(entry.msg).toBe(`sent ${token.slice(0, 12)}…`);
    expect(entry.error).toEqual({ name: 'Error', message: `POST /callbacks/${token.slice(0, 12)}… failed` });
  });

  test('the development conversation channel logs a message carrying a callback URL, redacted', async () => {
    const { lines, logger } = capture();
    await new LoggingConversationChannel(logger).sendMessage('conv-1', `Please verify at https://x/callbacks/${token}`, { idempotencyKey: 'k' });
    expect(lines.join('\n')).toContain('Please verify at https://x/callbacks/hw2.k1.');
    expect(lines.join('\n')).not.toContain(token);
  });
});
