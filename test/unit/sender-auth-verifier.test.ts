import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { defineProcedure } from '../../src/definitions/procedure';
import { buildSenderVerifiers, type SenderVerifier } from '../../src/security/sender-auth-verifier';
import { waitCatalog } from '../../src/service/wait-catalog';

// The spec's known-answer vector (standard-webhooks, "Verifying webhooks"): secret, id, timestamp, body, signature.
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

const proc = defineProcedure({
  name: 'signed',
  waits: {
    sw: { title: 'Signed', attributes: ['v'], timeout: '1h', onTimeout: 'branch', auth: { type: 'standardWebhooks', secret: 'SW' } },
    gh: { title: 'HMAC', attributes: ['v'], timeout: '1h', onTimeout: 'branch', auth: { type: 'hmacSha256', secret: 'GH' } },
    key: { title: 'Key', attributes: ['v'], timeout: '1h', onTimeout: 'branch', auth: { type: 'apiKey', secret: 'KEY', header: 'x-key' } },
  },
});

function verifiers(env: Record<string, string>): Map<string, SenderVerifier> {
  return buildSenderVerifiers(waitCatalog([proc]).entries(), env);
}

const env = { SW: `whsec_${Buffer.from('another-secret-of-some-length').toString('base64')},${VECTOR.secret}`, GH: 'gh-secret', KEY: 'old-key,new-key' };

function headers(values: Record<string, string>): (name: string) => string | undefined {
  return (name) => values[name.toLowerCase()];
}

describe('Standard Webhooks, through the gateway\'s own verifier', () => {
  const verify = verifiers(env).get('signed/sw')!;
  const at = (seconds: number) => jest.useFakeTimers({ now: seconds * 1000, doNotFake: ['nextTick', 'setImmediate'] });
  const vectorHeaders = (over: Record<string, string> = {}) =>
    headers({ 'webhook-id': VECTOR.id, 'webhook-timestamp': String(VECTOR.timestamp), 'webhook-signature': VECTOR.signature, ...over });

  afterEach(() => jest.useRealTimers());

  test('the known-answer vector verifies at its own time, with the second key of a rotation', () => {
    at(VECTOR.timestamp);
    expect(verify(Buffer.from(VECTOR.body), vectorHeaders())).toBe(true);
  });

  test('one flipped body byte, another id, or a flipped signature character does not', () => {
    at(VECTOR.timestamp);
    const flipped = Buffer.from(VECTOR.body);
    flipped.writeUInt8(flipped.readUInt8(flipped.length - 2) ^ 0x01, flipped.length - 2);
    expect(verify(flipped, vectorHeaders())).toBe(false);
    expect(verify(Buffer.from(VECTOR.body), vectorHeaders({ 'webhook-id': `${VECTOR.id}x` }))).toBe(false);
    expect(verify(Buffer.from(VECTOR.body), vectorHeaders({ 'webhook-signature': VECTOR.signature.replace('g0h', 'g0H') }))).toBe(false);
  });

  test('tolerance is 5 minutes both ways: 299 s passes, 301 s does not', () => {
    for (const [offset, ok] of [[299, true], [-299, true], [301, false], [-301, false]] as const) {
      at(VECTOR.timestamp + offset);
      expect([offset, verify(Buffer.from(VECTOR.body), vectorHeaders())]).toEqual([offset, ok]);
    }
  });

  test('a signature list with an unknown version and a stale signature still passes on the matching one', () => {
    at(VECTOR.timestamp);
    expect(verify(Buffer.from(VECTOR.body), vectorHeaders({ 'webhook-signature': `v2,abc v1,AAAA ${VECTOR.signature}` }))).toBe(true);
  });

  test('a correctly signed body that is not JSON passes: the signature is about bytes, the parser decides later', () => {
    const now = 1_800_000_000;
    at(now);
    const wh = new Webhook(VECTOR.secret);
    for (const body of ['v=approved&x=1', '{"v": "unterminated']) {
      const signature = wh.sign('msg_1', new Date(now * 1000), body);
      expect([body, verify(Buffer.from(body), headers({ 'webhook-id': 'msg_1', 'webhook-timestamp': String(now), 'webhook-signature': signature }))]).toEqual([body, true]);
    }
  });

  test('bytes that are not UTF-8 are refused, since the library would sign a lossy decoding of them', () => {
    const now = 1_800_000_000;
    at(now);
    const wh = new Webhook(VECTOR.secret);
    const a = Buffer.from([0x7b, 0x22, 0x76, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]); // {"v":"\xff"}
    const signature = wh.sign('msg_2', new Date(now * 1000), a);
    expect(verify(a, headers({ 'webhook-id': 'msg_2', 'webhook-timestamp': String(now), 'webhook-signature': signature }))).toBe(false);
  });

  test('missing headers are refused', () => {
    at(VECTOR.timestamp);
    expect(verify(Buffer.from(VECTOR.body), headers({ 'webhook-id': VECTOR.id, 'webhook-signature': VECTOR.signature }))).toBe(false);
  });
});

describe('generic HMAC and API key', () => {
  const all = verifiers(env);

  test('sha256=<hex> over the raw bytes, in either case of hex; anything else is refused', () => {
    const verify = all.get('signed/gh')!;
    const body = Buffer.from('{"v":"ok"}');
    const digest = createHmac('sha256', 'gh-secret').update(body).digest('hex');
    expect(verify(body, headers({ 'x-hub-signature-256': `sha256=${digest}` }))).toBe(true);
    expect(verify(body, headers({ 'x-hub-signature-256': `sha256=${digest.toUpperCase()}` }))).toBe(true);
    expect(verify(Buffer.from('{"v":"ok" }'), headers({ 'x-hub-signature-256': `sha256=${digest}` }))).toBe(false);
    expect(verify(body, headers({ 'x-hub-signature-256': digest }))).toBe(false);
    expect(verify(body, headers({}))).toBe(false);
  });

  test('an API key in the declared header: every key of the list passes, others do not', () => {
    const verify = all.get('signed/key')!;
    const none = Buffer.alloc(0);
    expect(verify(none, headers({ 'x-key': 'old-key' }))).toBe(true);
    expect(verify(none, headers({ 'x-key': 'new-key' }))).toBe(true);
    expect(verify(none, headers({ 'x-key': 'new-key ' }))).toBe(false);
    expect(verify(none, headers({ 'x-api-key': 'new-key' }))).toBe(false);
  });
});
