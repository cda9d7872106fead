import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** What a callback token binds: one wait of one run of one procedure, in one namespace. */
export interface CallbackTokenClaims {
  readonly namespace: string;
  /** The procedure (workflow type), so the gateway can check sender auth and payload before calling Temporal. */
  readonly procedure: string;
  readonly workflowId: string;
  readonly runId: string;
  readonly wait: string;
  /** The key of a keyed wait (one URL per item); absent for a plain wait. */
  readonly key?: string;
}
export interface VerifiedCallbackToken extends CallbackTokenClaims {
  readonly keyId: string;
}

/** Signing keys by key id. `signingKeyId` mints; every key in `keys` verifies, so old tokens survive a rotation. */
export interface TokenKeyring {
  readonly signingKeyId: string;
  readonly keys: ReadonlyMap<string, Buffer>;
}

const VERSION = 'hw1';
export const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
export const MIN_KEY_BYTES = 32;
/** Generous for any real ids (Temporal caps ids at 1,000 bytes), tight enough to refuse junk early. */
export const MAX_TOKEN_LENGTH = 4096;
const TOKEN = /^hw1\.([A-Za-z0-9_-]{1,32})\.([A-Za-z0-9_-]{8,4000})\.([A-Za-z0-9_-]{43})$/;

function mac(key: Buffer, signed: string): string {
  return createHmac('sha256', key).update(signed).digest('base64url');
}

/**
 * Mints the token for one wait of one run: `hw1.<keyId>.<claims>.<HMAC-SHA256>` (base64url).
 * The full 256-bit MAC makes it unforgeable without the key; binding the run id means a token of one run
 * can never resume another, even a later run with the same workflow id.
 */
export function mintCallbackToken(keyring: TokenKeyring, claims: CallbackTokenClaims): string {
  const key = keyring.keys.get(keyring.signingKeyId);
  if (!key) throw new Error(`signing key '${keyring.signingKeyId}' is not in the keyring`);
  const fields = [claims.namespace, claims.procedure, claims.workflowId, claims.runId, claims.wait, ...(claims.key !== undefined ? [claims.key] : [])];
  const payload = Buffer.from(JSON.stringify(fields)).toString('base64url');
  const signed = `${VERSION}.${keyring.signingKeyId}.${payload}`;
  return `${signed}.${mac(key, signed)}`;
}

/**
 * Verifies a token in constant time. Returns its claims, or `undefined` for anything malformed, truncated,
 * re-encoded, signed with an unknown key or forged: callers answer all of these the same way (404).
 */
export function verifyCallbackToken(keyring: TokenKeyring, token: string): VerifiedCallbackToken | undefined {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return undefined;
  const m = TOKEN.exec(token);
  if (!m) return undefined;
  const [, keyId, payload, given] = m as unknown as [string, string, string, string];
  const secret = keyring.keys.get(keyId);
  if (!secret) return undefined;
  // Comparing the encoded strings (not decoded bytes) also refuses a MAC with altered padding bits.
  const expected = Buffer.from(mac(secret, `${VERSION}.${keyId}.${payload}`));
  const actual = Buffer.from(given);
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return undefined;
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  // Five claims; a sixth, the key, for a keyed wait (tokens minted before keyed waits existed still verify).
  if (!Array.isArray(claims) || (claims.length !== 5 && claims.length !== 6) || !claims.every((c) => typeof c === 'string' && c !== '')) return undefined;
  const [namespace, procedure, workflowId, runId, wait, key] = claims as [string, string, string, string, string, string | undefined];
  return { namespace, procedure, workflowId, runId, wait, ...(key !== undefined ? { key } : {}), keyId };
}

/** Parses `kid:secret[,kid:secret…]` (secrets base64 or base64url, ≥ 32 bytes); the first key signs. */
export function parseKeyring(spec: string): TokenKeyring {
  const keys = new Map<string, Buffer>();
  let signingKeyId: string | undefined;
  for (const part of spec.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const i = part.indexOf(':');
    const id = i > 0 ? part.slice(0, i) : '';
    const secret = i > 0 ? part.slice(i + 1) : '';
    if (!KEY_ID.test(id)) throw new Error(`key id '${id}' must be 1-32 letters, digits, '_' or '-' (format kid:secret)`);
    if (keys.has(id)) throw new Error(`key id '${id}' appears twice`);
    const bytes = Buffer.from(secret, 'base64');
    if (bytes.length < MIN_KEY_BYTES) throw new Error(`key '${id}' must be at least ${MIN_KEY_BYTES} random bytes, base64-encoded`);
    keys.set(id, bytes);
    signingKeyId ??= id;
  }
  if (!signingKeyId) throw new Error('no keys: expected kid:secret[,kid:secret…]');
  return { signingKeyId, keys };
}

/** A fresh keyring spec with one random key, for development. */
export function generateKeyringSpec(keyId = 'dev1'): string {
  return `${keyId}:${randomBytes(32).toString('base64url')}`;
}

/** For logs: enough to tell tokens apart, never enough to use one. */
export function redactToken(token: string): string {
  return token.length <= 12 ? '…' : `${token.slice(0, 12)}…`;
}

const TOKEN_ANYWHERE = /hw1\.[A-Za-z0-9_-]{1,32}\.[A-Za-z0-9_-]{8,4000}\.[A-Za-z0-9_-]{43}/g;

/** Redacts every callback token inside free text (a message, a URL, a log line), wherever it appears. */
export function redactTokensIn(text: string): string {
  return text.includes('hw1.') ? text.replace(TOKEN_ANYWHERE, redactToken) : text;
}
