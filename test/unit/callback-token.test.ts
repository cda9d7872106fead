import { createHmac } from 'node:crypto';
import {
  type CallbackTokenClaims,
  CallbackTokenTooLongError,
  generateKeyringSpec,
  KEY_ID,
  MAX_TOKEN_LENGTH,
  MIN_KEY_BYTES,
  mintCallbackToken,
  parseKeyring,
  redactToken,
  redactTokensIn,
  verifyCallbackToken,
} from '../../src/security/callback-token';

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const secret = (fill: number) => Buffer.alloc(32, fill).toString('base64url');
const K1 = `k1:${secret(1)}`;
const K2 = `k2:${secret(2)}`;
const claims: CallbackTokenClaims = { namespace: 'default', procedure: 'identityVerification', workflowId: 'conv-42', runId: 'run-A', wait: 'kyc' };
const parts = (t: string) => t.split('.') as [string, string, string, string];
/**
 * Signs `hw1.<kid>.<payload>` as earlier versions minted (claims readable, MAC keyed by the secret itself): for legacy
 * tokens, and for well-signed but malformed ones.
 */
const sign = (key: Buffer, kid: string, payload: string) => {
  const signed = `hw1.${kid}.${payload}`;
  return `${signed}.${createHmac('sha256', key).update(signed).digest('base64url')}`;
};

describe('mint and verify', () => {
  const keyring = parseKeyring(K1);
  const token = mintCallbackToken(keyring, claims);

  test('round trip returns the claims and the key id', () => {
    expect(verifyCallbackToken(keyring, token)).toEqual({ ...claims, keyId: 'k1' });
  });

  test('the token shape is hw2.<kid>.<base64url sealed claims>.<43-char MAC>', () => {
    const [v, kid, payload, mac] = parts(token);
    expect(v).toBe('hw2');
    expect(kid).toBe('k1');
    // nonce (12 bytes), the encrypted claims, the GCM tag (16 bytes)
    expect(Buffer.from(payload, 'base64url')).toHaveLength(12 + JSON.stringify(['default', 'identityVerification', 'conv-42', 'run-A', 'kyc']).length + 16);
    expect(mac).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(token).not.toMatch(/[+/=]/);
  });

  test('the claims cannot be read from the token (a workflow id naming a person does not reach the sender)', () => {
    const c = { ...claims, workflowId: 'kyc-jane.doe@example.com' };
    const t = mintCallbackToken(keyring, c);
    expect(verifyCallbackToken(keyring, t)).toEqual({ ...c, keyId: 'k1' });
    const decoded = t
      .split('.')
      .map((p) => Buffer.from(p, 'base64url').toString('latin1'))
      .join('.');
    for (const secretClaim of ['jane', 'doe@example', 'identityVerification', 'run-A', 'default', 'kyc']) {
      expect(t).not.toContain(secretClaim);
      expect(decoded).not.toContain(secretClaim);
    }
  });

  test('claims with unicode, dots and slashes survive', () => {
    const c = { namespace: 'ns.prod', procedure: 'p$1', workflowId: 'conv/ü/€/😀 x', runId: 'r.1', wait: 'w-2' };
    expect(verifyCallbackToken(keyring, mintCallbackToken(keyring, c))).toEqual({ ...c, keyId: 'k1' });
  });

  test('minting is deterministic, and every claim is bound', () => {
    expect(mintCallbackToken(keyring, claims)).toBe(token);
    for (const k of Object.keys(claims) as (keyof CallbackTokenClaims)[]) {
      const other = mintCallbackToken(keyring, { ...claims, [k]: `${claims[k]}x` });
      expect(other).not.toBe(token);
      expect(verifyCallbackToken(keyring, other)?.[k]).toBe(`${claims[k]}x`);
    }
  });

  test('a keyring whose signing key is missing cannot mint', () => {
    expect(() => mintCallbackToken({ signingKeyId: 'gone', keys: new Map() }, claims)).toThrow(/gone/);
  });

  test('a token with an empty claim never verifies', () => {
    expect(verifyCallbackToken(keyring, mintCallbackToken(keyring, { ...claims, wait: '' }))).toBeUndefined();
  });

  test('a token the verifier would refuse is never minted: minting fails, naming the workflow id length', () => {
    // Temporal allows ids of 1,000 bytes; escaped characters make the claims longer than the id.
    const longest = mintCallbackToken(keyring, { ...claims, workflowId: 'x'.repeat(1000), key: 'k'.repeat(128) });
    expect(longest.length).toBeLessThanOrEqual(MAX_TOKEN_LENGTH);
    expect(verifyCallbackToken(keyring, longest)).toMatchObject({ key: 'k'.repeat(128) });
    for (const workflowId of ['\u0001'.repeat(1000), 'w'.repeat(3200)]) {
      let thrown: unknown;
      try {
        mintCallbackToken(keyring, { ...claims, workflowId });
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(CallbackTokenTooLongError);
      expect((thrown as Error).message).toContain(`workflow id is ${workflowId.length} characters`);
      expect((thrown as Error).message).toContain(`${MAX_TOKEN_LENGTH}`);
    }
  });
});

describe('hw1 tokens (claims readable) minted by earlier versions', () => {
  const keyring = parseKeyring(K1);
  const key = keyring.keys.get('k1') as Buffer;
  const enc = (c: readonly string[]) => Buffer.from(JSON.stringify(c)).toString('base64url');
  const legacy = sign(key, 'k1', enc(['default', 'identityVerification', 'conv-42', 'run-A', 'kyc']));

  test('still verify, with five claims or six (keyed wait), also after a key rotation', () => {
    expect(verifyCallbackToken(keyring, legacy)).toEqual({ ...claims, keyId: 'k1' });
    expect(verifyCallbackToken(keyring, sign(key, 'k1', enc(['default', 'p', 'wf', 'run', 'w', 'item-1'])))).toMatchObject({ wait: 'w', key: 'item-1' });
    expect(verifyCallbackToken(parseKeyring(`${K2},${K1}`), legacy)).toEqual({ ...claims, keyId: 'k1' });
  });

  test('an hw1 token relabelled hw2, or an hw2 token relabelled hw1, is refused', () => {
    expect(verifyCallbackToken(keyring, legacy.replace(/^hw1/, 'hw2'))).toBeUndefined();
    expect(verifyCallbackToken(keyring, mintCallbackToken(keyring, claims).replace(/^hw2/, 'hw1'))).toBeUndefined();
  });

  test('every truncation and every one-character change of a legacy token is refused', () => {
    for (let n = 0; n < legacy.length; n++) expect(verifyCallbackToken(keyring, legacy.slice(0, n))).toBeUndefined();
    for (let i = 0; i < legacy.length; i++) {
      for (const c of `${B64URL}.`) {
        if (c !== legacy[i] && verifyCallbackToken(keyring, legacy.slice(0, i) + c + legacy.slice(i + 1)) !== undefined) throw new Error(`accepted with position ${i} changed to ${c}`);
      }
    }
  });

  test('are redacted in text, as hw2 tokens are', () => {
    const hw2 = mintCallbackToken(keyring, claims);
    const out = redactTokensIn(`a https://x/callbacks/${legacy} b https://x/callbacks/${hw2}?q=1`);
    expect(out).toBe(`a https://x/callbacks/${legacy.slice(0, 12)}… b https://x/callbacks/${hw2.slice(0, 12)}…?q=1`);
  });
});

describe('forgeries are refused', () => {
  const keyring = parseKeyring(K1);
  const token = mintCallbackToken(keyring, claims);

  test('a forged MAC (random, all zeros, another token’s)', () => {
    const [v, kid, payload] = parts(token);
    expect(verifyCallbackToken(keyring, `${v}.${kid}.${payload}.${'A'.repeat(43)}`)).toBeUndefined();
    expect(verifyCallbackToken(keyring, `${v}.${kid}.${payload}.${Buffer.alloc(32, 7).toString('base64url')}`)).toBeUndefined();
    const otherMac = parts(mintCallbackToken(keyring, { ...claims, wait: 'other' }))[3];
    expect(verifyCallbackToken(keyring, `${v}.${kid}.${payload}.${otherMac}`)).toBeUndefined();
  });

  test('every truncation', () => {
    for (let n = 0; n < token.length; n++) expect(verifyCallbackToken(keyring, token.slice(0, n))).toBeUndefined();
  });

  test('one character changed anywhere, to any other base64url character or a dot', () => {
    let tried = 0;
    for (let i = 0; i < token.length; i++) {
      for (const c of `${B64URL}.`) {
        if (c === token[i]) continue;
        const altered = token.slice(0, i) + c + token.slice(i + 1);
        const v = verifyCallbackToken(keyring, altered);
        if (v !== undefined) throw new Error(`accepted with position ${i} changed to ${c}`);
        tried++;
      }
    }
    expect(tried).toBeGreaterThan(token.length * 60);
  });

  test('an extra character anywhere', () => {
    for (let i = 0; i <= token.length; i++) {
      for (const c of ['A', '_', '.', '=', ' ']) {
        expect(verifyCallbackToken(keyring, token.slice(0, i) + c + token.slice(i))).toBeUndefined();
      }
    }
  });

  test('a character removed anywhere', () => {
    for (let i = 0; i < token.length; i++) expect(verifyCallbackToken(keyring, token.slice(0, i) + token.slice(i + 1))).toBeUndefined();
  });

  test('a token minted with another key (same key id)', () => {
    const other = parseKeyring(`k1:${secret(9)}`);
    expect(verifyCallbackToken(keyring, mintCallbackToken(other, claims))).toBeUndefined();
    expect(verifyCallbackToken(other, token)).toBeUndefined();
  });

  test('claims rewritten from run A to run B with the MAC of run A', () => {
    const [v, kid, , mac] = parts(token);
    const payloadB = Buffer.from(JSON.stringify(['default', 'identityVerification', 'conv-42', 'run-B', 'kyc'])).toString('base64url');
    expect(verifyCallbackToken(keyring, `${v}.${kid}.${payloadB}.${mac}`)).toBeUndefined();
    // Sanity: the same rewrite signed with the key is a different, valid token for run B.
    expect(verifyCallbackToken(keyring, sign(keyring.keys.get('k1') as Buffer, 'k1', payloadB))?.runId).toBe('run-B');
  });

  test('the key id rewritten to another key of the keyring', () => {
    const both = parseKeyring(`${K1},${K2}`);
    const [v, , payload, mac] = parts(mintCallbackToken(both, claims));
    expect(verifyCallbackToken(both, `${v}.k2.${payload}.${mac}`)).toBeUndefined();
  });

  test('an unknown key id', () => {
    expect(verifyCallbackToken(parseKeyring(K2), token)).toBeUndefined();
    const [v, , payload, mac] = parts(token);
    expect(verifyCallbackToken(keyring, `${v}.k9.${payload}.${mac}`)).toBeUndefined();
  });

  test('another version prefix', () => {
    for (const v of ['hw1', 'hw3', 'HW2', 'hw0']) expect(verifyCallbackToken(keyring, token.replace(/^hw2/, v))).toBeUndefined();
  });

  test('an altered final MAC character that decodes to the same bytes', () => {
    const mac = parts(token)[3];
    const original = Buffer.from(mac, 'base64url');
    const sameBytes = [...B64URL].filter((c) => c !== mac[42] && Buffer.from(mac.slice(0, 42) + c, 'base64url').equals(original));
    // 32 bytes in 43 characters leave 2 spare bits: 3 other characters decode to the same MAC bytes.
    expect(sameBytes).toHaveLength(3);
    for (const c of sameBytes) expect(verifyCallbackToken(keyring, token.slice(0, -1) + c)).toBeUndefined();
  });

  test('an altered final claims character that decodes to the same bytes', () => {
    // Find claims whose base64url payload has spare bits in its last character.
    let c = claims;
    for (let i = 0; parts(mintCallbackToken(keyring, c))[2].length % 4 === 0; i++) c = { ...claims, wait: `kyc${'x'.repeat(i + 1)}` };
    const t = mintCallbackToken(keyring, c);
    const [v, kid, payload, mac] = parts(t);
    const original = Buffer.from(payload, 'base64url');
    const last = payload.length - 1;
    const sameBytes = [...B64URL].filter((ch) => ch !== payload[last] && Buffer.from(payload.slice(0, last) + ch, 'base64url').equals(original));
    expect(sameBytes.length).toBeGreaterThan(0);
    expect(verifyCallbackToken(keyring, t)).toMatchObject({ wait: c.wait });
    for (const ch of sameBytes) expect(verifyCallbackToken(keyring, `${v}.${kid}.${payload.slice(0, last)}${ch}.${mac}`)).toBeUndefined();
  });

  test('padding, whitespace and standard base64 characters are refused', () => {
    expect(verifyCallbackToken(keyring, `${token}=`)).toBeUndefined();
    expect(verifyCallbackToken(keyring, ` ${token}`)).toBeUndefined();
    expect(verifyCallbackToken(keyring, `${token}\n`)).toBeUndefined();
    for (const c of ['+', '/', '=', '%', ' ']) {
      expect(verifyCallbackToken(keyring, token.slice(0, -1) + c)).toBeUndefined();
      const i = token.indexOf('.', 4) + 3; // inside the claims
      expect(verifyCallbackToken(keyring, token.slice(0, i) + c + token.slice(i + 1))).toBeUndefined();
    }
  });

  test.each([[''], ['hw1'], ['hw1...'], ['hw1.k1.short.mac'], [null], [undefined], [42], [{}]])('junk %p', (junk) => {
    expect(verifyCallbackToken(keyring, junk as never)).toBeUndefined();
  });

  test(`tokens over ${MAX_TOKEN_LENGTH} characters are refused before any work`, () => {
    expect(verifyCallbackToken(keyring, `${token}${'A'.repeat(MAX_TOKEN_LENGTH)}`)).toBeUndefined();
  });

  test('correctly signed payloads that are not five (or, with a key, six) non-empty strings are refused', () => {
    const key = keyring.keys.get('k1') as Buffer;
    const enc = (s: string) => Buffer.from(s).toString('base64url');
    for (const body of [
      '{"namespace":"default"}',
      '["default","p","wf","run"]',
      '["default","p","wf","run","w","key","extra"]',
      '["default","p","wf","run","w",""]',
      '["default","p","wf","run","w",7]',
      '["default","p","wf","run",5]',
      '["default","p","wf","","w"]',
      'not json at all',
      'null',
    ]) {
      const t = sign(key, 'k1', enc(body));
      expect(verifyCallbackToken(keyring, t)).toBeUndefined();
    }
    expect(verifyCallbackToken(keyring, sign(key, 'k1', enc('["default","p","wf","run","w"]')))).toMatchObject({ runId: 'run', wait: 'w' });
    expect(verifyCallbackToken(keyring, sign(key, 'k1', enc('["default","p","wf","run","w"]')))).not.toHaveProperty('key');
    expect(verifyCallbackToken(keyring, sign(key, 'k1', enc('["default","p","wf","run","w","item-1"]')))).toMatchObject({ wait: 'w', key: 'item-1' });
  });

  test('a keyed token binds its key: same run and wait, other key, other token', () => {
    const claims = { namespace: 'default', procedure: 'p', workflowId: 'wf', runId: 'run', wait: 'w' };
    const t1 = mintCallbackToken(keyring, { ...claims, key: 'a' });
    const t2 = mintCallbackToken(keyring, { ...claims, key: 'b' });
    expect(t1).not.toBe(t2);
    expect(verifyCallbackToken(keyring, t1)).toMatchObject({ key: 'a' });
    expect(verifyCallbackToken(keyring, mintCallbackToken(keyring, claims))).not.toHaveProperty('key');
  });
});

describe('key rotation', () => {
  test("a keyring 'k2:..,k1:..' signs with k2 and still verifies tokens minted under k1", () => {
    const old = parseKeyring(K1);
    expect(old.signingKeyId).toBe('k1');
    const oldToken = mintCallbackToken(old, claims);
    const rotated = parseKeyring(`${K2},${K1}`);
    expect(rotated.signingKeyId).toBe('k2');
    expect(verifyCallbackToken(rotated, oldToken)).toEqual({ ...claims, keyId: 'k1' });
    const newToken = mintCallbackToken(rotated, claims);
    expect(parts(newToken)[1]).toBe('k2');
    expect(verifyCallbackToken(rotated, newToken)).toEqual({ ...claims, keyId: 'k2' });
    // The old keyring does not know k2; after retiring k1, old tokens stop working.
    expect(verifyCallbackToken(old, newToken)).toBeUndefined();
    expect(verifyCallbackToken(parseKeyring(K2), oldToken)).toBeUndefined();
  });
});

describe('parseKeyring', () => {
  test('base64 and base64url spellings of a key are the same key', () => {
    const bytes = Buffer.from(Array.from({ length: 32 }, (_, i) => 250 - i * 3));
    const a = parseKeyring(`k1:${bytes.toString('base64')}`);
    const b = parseKeyring(`k1:${bytes.toString('base64url')}`);
    expect(a.keys.get('k1')).toEqual(bytes);
    expect(mintCallbackToken(a, claims)).toBe(mintCallbackToken(b, claims));
  });

  test('whitespace and empty entries around keys are ignored; the first key signs', () => {
    const k = parseKeyring(` ${K2} ,, ${K1} ,`);
    expect(k.signingKeyId).toBe('k2');
    expect([...k.keys.keys()]).toEqual(['k2', 'k1']);
    expect(k.keys.get('k1')).toEqual(Buffer.alloc(32, 1));
  });

  test.each(['', '   ', ',', ' , , '])('no keys in %j', (spec) => {
    expect(() => parseKeyring(spec)).toThrow(/no keys/);
  });

  test('a key shorter than 32 bytes', () => {
    expect(MIN_KEY_BYTES).toBe(32);
    expect(() => parseKeyring(`k1:${Buffer.alloc(31, 1).toString('base64')}`)).toThrow(/'k1' must be at least 32/);
    expect(() => parseKeyring('k1:')).toThrow(/at least 32/);
    expect(() => parseKeyring(`k1:${Buffer.alloc(32, 1).toString('base64')}`)).not.toThrow();
  });

  test.each(['bad id', 'k.1', 'k/1', 'ü', 'x'.repeat(33), ''])('a bad key id %j', (kid) => {
    expect(KEY_ID.test(kid)).toBe(false);
    expect(() => parseKeyring(`${kid}:${secret(1)}`)).toThrow(/key id/);
  });

  test('a part without a colon has no key id', () => {
    expect(() => parseKeyring(secret(1))).toThrow(/key id '' must be/);
  });

  test('a duplicate key id, even with another secret', () => {
    expect(() => parseKeyring(`${K1},k1:${secret(3)}`)).toThrow(/'k1' appears twice/);
  });

  test('generateKeyringSpec makes a usable, random 32-byte key', () => {
    const a = generateKeyringSpec('dev7');
    const b = generateKeyringSpec('dev7');
    expect(a).toMatch(/^dev7:[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(parseKeyring(a).keys.get('dev7')).toHaveLength(32);
    expect(generateKeyringSpec()).toMatch(/^dev1:/);
  });
});

describe('redactToken', () => {
  const keyring = parseKeyring(K1);
  const token = mintCallbackToken(keyring, claims);

  test('shows the first 12 characters and an ellipsis', () => {
    expect(redactToken(token)).toBe(`${token.slice(0, 12)}…`);
  });

  test('never returns more than 12 characters of any token', () => {
    for (let n = 0; n <= token.length; n++) {
      const t = token.slice(0, n);
      const r = redactToken(t);
      expect(r.endsWith('…')).toBe(true);
      const shown = r.slice(0, -1);
      expect(shown.length).toBeLessThanOrEqual(12);
      expect(t.startsWith(shown)).toBe(true);
      if (n <= 12) expect(shown).toBe('');
    }
  });

  test('never includes the MAC or the claims of a real token', () => {
    const [, , payload, mac] = parts(token);
    const r = redactToken(token);
    expect(r).not.toContain(mac.slice(0, 6));
    expect(r).not.toContain(payload.slice(0, 12));
    expect(verifyCallbackToken(keyring, r)).toBeUndefined();
  });
});
