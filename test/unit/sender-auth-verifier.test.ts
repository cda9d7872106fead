import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { defineProcedure } from '../../src/definitions/procedure';
import { ConfigError } from '../../src/config';
import { buildSenderVerifiers, ReplayMemory, type SenderVerifier } from '../../src/security/sender-auth-verifier';
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
    ts: { title: 'Timestamped', attributes: ['v'], timeout: '1h', onTimeout: 'branch', auth: { type: 'hmacSha256Timestamped', secret: 'TS' } },
    ts2: { title: 'Same secret', attributes: ['v'], timeout: '1h', onTimeout: 'branch', auth: { type: 'hmacSha256Timestamped', secret: 'TS', header: 'x-sig', toleranceSeconds: 60 } },
    sw2: { title: 'Same secret', attributes: ['v'], timeout: '1h', onTimeout: 'branch', auth: { type: 'standardWebhooks', secret: 'SW' } },
  },
});

function verifiers(env: Record<string, string>): Map<string, SenderVerifier> {
  return buildSenderVerifiers(waitCatalog([proc]).entries(), env);
}

const env = {
  SW: `whsec_${Buffer.from('another-secret-of-some-length').toString('base64')},${VECTOR.secret}`,
  GH: 'gh-secret-of-16-bytes-or-more',
  KEY: 'old-key-0123456789abcdefgh,new-key-0123456789abcdefgh',
  TS: 'timestamped-secret-for-tests',
};
/** The run a request would complete, as the callback service names it. */
const RUN_A = 'signed\nwf-a\nrun-a\nsw';
const RUN_B = 'signed\nwf-b\nrun-b\nsw';

/** The verifier as a yes/no for one target (RUN_A unless told). */
function passes(verify: SenderVerifier): (raw: Buffer, header: (name: string) => string | undefined, target?: string) => boolean {
  return (raw, header, target = RUN_A) => verify(raw, header, target).ok;
}

function headers(values: Record<string, string>): (name: string) => string | undefined {
  return (name) => values[name.toLowerCase()];
}

describe('Standard Webhooks, through the gateway\'s own verifier', () => {
  const verify = passes(verifiers(env).get('signed/sw')!);
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
    const verify = passes(all.get('signed/gh')!);
    const body = Buffer.from('{"v":"ok"}');
    const digest = createHmac('sha256', env.GH).update(body).digest('hex');
    expect(verify(body, headers({ 'x-hub-signature-256': `sha256=${digest}` }))).toBe(true);
    expect(verify(body, headers({ 'x-hub-signature-256': `sha256=${digest.toUpperCase()}` }))).toBe(true);
    expect(verify(Buffer.from('{"v":"ok" }'), headers({ 'x-hub-signature-256': `sha256=${digest}` }))).toBe(false);
    expect(verify(body, headers({ 'x-hub-signature-256': digest }))).toBe(false);
    expect(verify(body, headers({}))).toBe(false);
  });

  test('an API key in the declared header: every key of the list passes, others do not', () => {
    const verify = passes(all.get('signed/key')!);
    const none = Buffer.alloc(0);
    expect(verify(none, headers({ 'x-key': 'old-key-0123456789abcdefgh' }))).toBe(true);
    expect(verify(none, headers({ 'x-key': 'new-key-0123456789abcdefgh' }))).toBe(true);
    expect(verify(none, headers({ 'x-key': 'new-key-0123456789abcdefgh ' }))).toBe(false);
    expect(verify(none, headers({ 'x-api-key': 'new-key-0123456789abcdefgh' }))).toBe(false);
  });
});

describe('replay protection and strict timestamps', () => {
  const at = (seconds: number) => jest.useFakeTimers({ now: seconds * 1000, doNotFake: ['nextTick', 'setImmediate'] });
  afterEach(() => jest.useRealTimers());
  const body = Buffer.from(VECTOR.body);
  const vector = (over: Record<string, string> = {}) =>
    headers({ 'webhook-id': VECTOR.id, 'webhook-timestamp': String(VECTOR.timestamp), 'webhook-signature': VECTOR.signature, ...over });

  test('Standard Webhooks: a webhook-timestamp with trailing junk, a sign or a fraction is refused', () => {
    at(VECTOR.timestamp);
    const verify = verifiers(env).get('signed/sw')!;
    for (const ts of [`${VECTOR.timestamp}junk`, `${VECTOR.timestamp} `, `+${VECTOR.timestamp}`, `${VECTOR.timestamp}.0`, `${VECTOR.timestamp}e0`]) {
      expect([ts, verify(body, vector({ 'webhook-timestamp': ts }), RUN_A)]).toEqual([ts, { ok: false, reason: 'malformed' }]);
    }
    expect(verify(body, vector(), RUN_A)).toEqual({ ok: true });
  });

  test('Standard Webhooks: one webhook-id completes one target; a retry to it passes, another run or wait is refused', () => {
    at(VECTOR.timestamp);
    const all = verifiers(env);
    const verify = all.get('signed/sw')!;
    expect(verify(body, vector(), RUN_A)).toEqual({ ok: true });
    expect(verify(body, vector(), RUN_A)).toEqual({ ok: true }); // the sender's retry: the service answers it as a repeat
    expect(verify(body, vector(), RUN_B)).toEqual({ ok: false, reason: 'replayed' });
    // Another wait verified with the same secret shares the memory.
    expect(all.get('signed/sw2')!(body, vector(), 'signed\nwf-a\nrun-a\nsw2')).toEqual({ ok: false, reason: 'replayed' });
    // Past the tolerance the signature itself is refused: the memory need not outlive it.
    at(VECTOR.timestamp + 301);
    expect(verify(body, vector(), RUN_B)).toEqual({ ok: false, reason: 'signature' });
  });

  test('two variables that hold the same secret share one memory: a message cannot hop between their waits', () => {
    at(VECTOR.timestamp);
    const twin = defineProcedure({
      name: 'twin',
      waits: {
        a: { title: 'A', attributes: ['v'], timeout: '1h', onTimeout: 'branch', auth: { type: 'standardWebhooks', secret: 'SW_A' } },
        b: { title: 'B', attributes: ['v'], timeout: '1h', onTimeout: 'branch', auth: { type: 'standardWebhooks', secret: 'SW_B' } },
      },
    });
    const all = buildSenderVerifiers(waitCatalog([twin]).entries(), { SW_A: VECTOR.secret, SW_B: VECTOR.secret });
    expect(all.get('twin/a')!(body, vector(), 'twin\nwf\nrun\na')).toEqual({ ok: true });
    expect(all.get('twin/b')!(body, vector(), 'twin\nwf\nrun\nb')).toEqual({ ok: false, reason: 'replayed' });
  });

  test('replay memory is bounded: past its size the oldest messages are forgotten first, expired ones dropped', () => {
    const memory = new ReplayMemory(3);
    for (const id of ['a', 'b', 'c', 'd']) expect(memory.admit(id, 'T1', 10_000, 0)).toBe(true);
    expect(memory.size).toBe(3);
    expect(memory.admit('a', 'T2', 10_000, 0)).toBe(true); // forgotten (the oldest), so no longer recognised
    expect(memory.admit('d', 'T2', 10_000, 0)).toBe(false);
    expect(memory.admit('d', 'T1', 10_000, 0)).toBe(true);
    expect(memory.admit('e', 'T1', 20_000, 10_000)).toBe(true); // every entry until 10 s has expired
    expect(memory.size).toBe(1);
  });
});

describe('timestamped HMAC (t=…,v1=… over "t.body")', () => {
  const at = (seconds: number) => jest.useFakeTimers({ now: seconds * 1000, doNotFake: ['nextTick', 'setImmediate'] });
  afterEach(() => jest.useRealTimers());
  const now = 1_800_000_000;
  const sign = (raw: string, t: number | string = now, secret = env.TS) => createHmac('sha256', secret).update(`${t}.${raw}`).digest('hex');
  const raw = '{"v":"ok"}';

  test('the exact bytes within the tolerance pass, with a rotated list of v1; anything else is refused', () => {
    at(now);
    const verify = verifiers(env).get('signed/ts')!;
    const h = (value: string) => headers({ 'x-hookwait-signature': value });
    expect(verify(Buffer.from(raw), h(`t=${now},v1=${sign(raw)}`), RUN_A)).toEqual({ ok: true });
    expect(verify(Buffer.from(raw), h(`t=${now}, v1=${'0'.repeat(64)}, v0=legacy, v1=${sign(raw).toUpperCase()}`), RUN_A)).toEqual({ ok: true });
    expect(verify(Buffer.from('{"v":"ok" }'), h(`t=${now},v1=${sign(raw)}`), RUN_A)).toEqual({ ok: false, reason: 'signature' });
    expect(verify(Buffer.from(raw), h(`t=${now + 1},v1=${sign(raw)}`), RUN_A)).toEqual({ ok: false, reason: 'signature' });
    expect(verify(Buffer.from(raw), h(`t=${now},v1=${sign(raw, now, 'another-secret-16-bytes')}`), RUN_A)).toEqual({ ok: false, reason: 'signature' });
    expect(verify(Buffer.from(raw), headers({}), RUN_A)).toEqual({ ok: false, reason: 'missing' });
    for (const bad of [`v1=${sign(raw)}`, `t=${now}`, `t=${now}junk,v1=${sign(raw, `${now}junk`)}`, `t=${now},t=${now},v1=${sign(raw)}`, `t=${now},v1=abc`, `sha256=${sign(raw)}`]) {
      expect([bad, verify(Buffer.from(raw), h(bad), RUN_A)]).toEqual([bad, { ok: false, reason: 'malformed' }]);
    }
  });

  test('tolerance: 300 s both ways by default, the declared one otherwise', () => {
    const verify = verifiers(env).get('signed/ts')!;
    const short = verifiers(env).get('signed/ts2')!;
    for (const [offset, ok] of [[299, true], [-299, true], [301, false], [-301, false]] as const) {
      at(now + offset);
      expect([offset, verify(Buffer.from(raw), headers({ 'x-hookwait-signature': `t=${now},v1=${sign(raw)}` }), RUN_A).ok]).toEqual([offset, ok]);
    }
    at(now + 61);
    expect(short(Buffer.from(raw), headers({ 'x-sig': `t=${now},v1=${sign(raw)}` }), RUN_A)).toEqual({ ok: false, reason: 'timestamp' });
  });

  test('a captured request is refused for another run, however its header is padded; a retry to its own run passes', () => {
    at(now);
    const verify = verifiers(env).get('signed/ts')!;
    const signature = `t=${now},v1=${sign(raw)}`;
    expect(verify(Buffer.from(raw), headers({ 'x-hookwait-signature': signature }), RUN_A).ok).toBe(true);
    expect(verify(Buffer.from(raw), headers({ 'x-hookwait-signature': signature }), RUN_A).ok).toBe(true);
    expect(verify(Buffer.from(raw), headers({ 'x-hookwait-signature': signature }), RUN_B)).toEqual({ ok: false, reason: 'replayed' });
    expect(verify(Buffer.from(raw), headers({ 'x-hookwait-signature': `${signature},v1=${'1'.repeat(64)},v0=x` }), RUN_B)).toEqual({ ok: false, reason: 'replayed' });
    // The same bytes signed again at another second are another message.
    at(now + 1);
    expect(verify(Buffer.from(raw), headers({ 'x-hookwait-signature': `t=${now + 1},v1=${sign(raw, now + 1)}` }), RUN_B)).toEqual({ ok: true });
  });
});

describe('secret strength, checked at start-up', () => {
  const configError = (over: Record<string, string>): ConfigError => {
    try {
      verifiers({ ...env, ...over });
    } catch (err) {
      if (err instanceof ConfigError) return err;
      throw err;
    }
    throw new Error('no ConfigError');
  };

  test.each([
    ['SW', 'whsec_AQ=='],
    ['SW', `${VECTOR.secret},whsec_${Buffer.alloc(15, 1).toString('base64')}`],
    ['GH', 'fifteen-bytes!!'],
    ['TS', 'short'],
    ['KEY', 'old-key-0123456789abcdefgh,new-key-012345678'],
  ])('%s=%j is refused, naming the variable and never quoting the value', (name, value) => {
    const err = configError({ [name]: value });
    expect(err.settings).toEqual([name]);
    expect(err.message).toMatch(new RegExp(`${name}: too weak for signed\\.\\w+ .*at least (16 bytes|24 characters)`));
    for (const part of value.split(',')) expect(err.message).not.toContain(part);
  });

  test('the minimum lengths themselves pass', () => {
    expect(() => verifiers({ ...env, SW: `whsec_${Buffer.alloc(16, 1).toString('base64')}`, GH: 'x'.repeat(16), TS: 'é'.repeat(8), KEY: 'k'.repeat(24) })).not.toThrow();
  });
});
