import { generateKeyringSpec, mintCallbackToken, parseKeyring, redactToken, verifyCallbackToken } from '../../src/security/callback-token';

const claims = { namespace: 'default', procedure: 'kycCheck', workflowId: 'wf-1', runId: '01a2-run-a', wait: 'kyc' };

describe('callback tokens', () => {
  const keyring = parseKeyring(generateKeyringSpec('k1'));
  const token = mintCallbackToken(keyring, claims);

  test('round trip: the claims come back with the key id', () => {
    expect(token).toMatch(/^hw2\.k1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(verifyCallbackToken(keyring, token)).toEqual({ ...claims, keyId: 'k1' });
  });
  test('deterministic for the same run and wait; different for another run or wait', () => {
    expect(mintCallbackToken(keyring, claims)).toBe(token);
    expect(mintCallbackToken(keyring, { ...claims, runId: 'run-b' })).not.toBe(token);
    expect(mintCallbackToken(keyring, { ...claims, wait: 'other' })).not.toBe(token);
  });
  test('any single changed character anywhere is refused', () => {
    for (let i = 0; i < token.length; i++) {
      const c = token[i] === 'A' ? 'B' : 'A';
      expect(verifyCallbackToken(keyring, token.slice(0, i) + c + token.slice(i + 1))).toBeUndefined();
    }
  });
  test('truncated, extended, empty, over-long and junk tokens are refused', () => {
    expect(verifyCallbackToken(keyring, token.slice(0, -1))).toBeUndefined();
    expect(verifyCallbackToken(keyring, `${token}A`)).toBeUndefined();
    expect(verifyCallbackToken(keyring, '')).toBeUndefined();
    expect(verifyCallbackToken(keyring, 'x'.repeat(10_000))).toBeUndefined();
    expect(verifyCallbackToken(keyring, `${token}.extra`)).toBeUndefined();
  });
  test('a MAC whose last character differs only in padding bits (same bytes) is refused', () => {
    const mac = token.slice(token.lastIndexOf('.') + 1);
    const last = mac[42] as string;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sameBytes = alphabet[alphabet.indexOf(last) ^ 1] as string; // flips a padding bit of the last sextet
    const alt = token.slice(0, -1) + sameBytes;
    expect(Buffer.from(mac, 'base64url').equals(Buffer.from(alt.slice(alt.lastIndexOf('.') + 1), 'base64url'))).toBe(true);
    expect(verifyCallbackToken(keyring, alt)).toBeUndefined();
  });
  test("claims rewritten to another run keep the old MAC and are refused", () => {
    const [v, kid, , mac] = token.split('.') as [string, string, string, string];
    const forged = Buffer.from(JSON.stringify(['default', 'kycCheck', 'wf-1', 'run-b', 'kyc'])).toString('base64url');
    expect(verifyCallbackToken(keyring, `${v}.${kid}.${forged}.${mac}`)).toBeUndefined();
  });
  test('another key, or an unknown key id, is refused', () => {
    const other = parseKeyring(generateKeyringSpec('k1'));
    expect(verifyCallbackToken(other, token)).toBeUndefined();
    expect(verifyCallbackToken(parseKeyring(generateKeyringSpec('k9')), token)).toBeUndefined();
  });
  test('rotation: a keyring that signs with k2 still verifies tokens minted under k1', () => {
    const k1 = generateKeyringSpec('k1');
    const old = mintCallbackToken(parseKeyring(k1), claims);
    const rotated = parseKeyring(`${generateKeyringSpec('k2')},${k1}`);
    expect(rotated.signingKeyId).toBe('k2');
    expect(verifyCallbackToken(rotated, old)).toMatchObject({ keyId: 'k1', runId: '01a2-run-a' });
    expect(verifyCallbackToken(rotated, mintCallbackToken(rotated, claims))).toMatchObject({ keyId: 'k2' });
  });
  test('keyring specs are checked', () => {
    expect(() => parseKeyring('')).toThrow(/no keys/);
    expect(() => parseKeyring('k1:c2hvcnQ')).toThrow(/at least 32/);
    expect(() => parseKeyring(`bad id:${'A'.repeat(43)}`)).toThrow(/key id/);
    const spec = generateKeyringSpec('k1');
    expect(() => parseKeyring(`${spec},${spec}`)).toThrow(/twice/);
  });
  test('redaction never shows more than 12 characters of a token', () => {
    expect(redactToken(token)).toBe(`${token.slice(0, 12)}…`);
    expect(redactToken(token).length).toBeLessThanOrEqual(13);
    expect(redactToken('short')).toBe('…');
  });
});
