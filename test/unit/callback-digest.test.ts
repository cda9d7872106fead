import { createHash } from 'node:crypto';
import { callbackDigest } from '../../src/service/callback-service';

const request = (body: string, headers: Record<string, string> = {}) => ({ body: Buffer.from(body), header: (name: string) => headers[name.toLowerCase()] });

describe('the "same callback again" digest (review finding 10)', () => {
  test('the same body with other query or header values a wait reads is another callback', () => {
    const body = '{"amount":5}';
    const a = callbackDigest(request(body), [['query:tenant', 't1'], ['header:x-event-type', 'paid']]);
    expect(callbackDigest(request(body), [['query:tenant', 't2'], ['header:x-event-type', 'paid']])).not.toBe(a);
    expect(callbackDigest(request(body), [['query:tenant', 't1'], ['header:x-event-type', 'refund']])).not.toBe(a);
    expect(callbackDigest(request(body), [['query:tenant', undefined], ['header:x-event-type', 'paid']])).not.toBe(a);
    expect(callbackDigest(request(body), [['query:tenant', 't1'], ['header:x-event-type', 'paid']])).toBe(a);
  });

  test('a wait that reads only the body keeps the digest it had (runs closed before the upgrade still match)', () => {
    const body = '{"v":1}';
    expect(callbackDigest(request(body))).toBe(createHash('sha256').update('body:').update(Buffer.from(body)).digest('base64url').slice(0, 22));
  });

  test("a sender's delivery id still decides alone", () => {
    expect(callbackDigest(request('{}', { 'webhook-id': 'm1' }), [['query:tenant', 'a']])).toBe(callbackDigest(request('{"x":2}', { 'webhook-id': 'm1' }), [['query:tenant', 'b']]));
  });
});
