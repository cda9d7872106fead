import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

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

/** The version new tokens carry: claims encrypted. `hw1` tokens (claims readable) still verify. */
const VERSION = 'hw2';
const LEGACY_VERSION = 'hw1';
export const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
export const MIN_KEY_BYTES = 32;
/** Generous for any real ids (Temporal caps ids at 1,000 bytes), tight enough to refuse junk early. */
export const MAX_TOKEN_LENGTH = 4096;
const MAX_BODY_LENGTH = 4000;
const TOKEN = /^(hw[12])\.([A-Za-z0-9_-]{1,32})\.([A-Za-z0-9_-]{8,4000})\.([A-Za-z0-9_-]{43})$/;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Thrown when a wait's token would be longer than {@link MAX_TOKEN_LENGTH}: its URL could never be accepted, so it
 * is refused when minted (the run fails at once) rather than handed out.
 */
export class CallbackTokenTooLongError extends Error {
  override readonly name = 'CallbackTokenTooLongError';
  constructor(
    readonly length: number,
    readonly workflowIdLength: number,
  ) {
    super(
      `the callback token would be ${length} characters, over the ${MAX_TOKEN_LENGTH} a gateway accepts: the workflow id is ` +
        `${workflowIdLength} characters (plus namespace, procedure, run id, wait and key); use a shorter workflow id`,
    );
  }
}

function mac(key: Buffer, signed: string): string {
  return createHmac('sha256', key).update(signed).digest('base64url');
}

interface DerivedKeys {
  /** AES-256-GCM key for the claims. */
  readonly encryption: Buffer;
  /** HMAC key deriving the nonce from the claims (same claims, same nonce: tokens stay deterministic). */
  readonly nonce: Buffer;
  /** HMAC key of the token's outer MAC. */
  readonly mac: Buffer;
}
const derivedKeys = new WeakMap<Buffer, DerivedKeys>();
const HKDF_SALT = Buffer.from('hookwait callback token');

/** Keys for `hw2` tokens, derived from one keyring secret by HKDF-SHA256 (one per purpose). */
function derive(secret: Buffer): DerivedKeys {
  let keys = derivedKeys.get(secret);
  if (!keys) {
    const one = (info: string) => Buffer.from(hkdfSync('sha256', secret, HKDF_SALT, `hw2 ${info}`, 32));
    keys = { encryption: one('encryption'), nonce: one('nonce'), mac: one('mac') };
    derivedKeys.set(secret, keys);
  }
  return keys;
}

function claimsJson(claims: CallbackTokenClaims): Buffer {
  const fields = [claims.namespace, claims.procedure, claims.workflowId, claims.runId, claims.wait, ...(claims.key !== undefined ? [claims.key] : [])];
  return Buffer.from(JSON.stringify(fields));
}

/** Base64url characters for `bytes` bytes (no padding). */
const base64urlLength = (bytes: number): number => Math.ceil((bytes * 4) / 3);

/** Temporal's run ids are UUIDs. */
const RUN_ID_LENGTH = 36;

/**
 * Refuses, before a run starts, claims whose token could not be verified: the length of an `hw2` token depends only
 * on the claims and the key id, so this needs no key. The run id defaults to a UUID's length, the key id to the
 * longest allowed.
 * @throws {@link CallbackTokenTooLongError} naming the workflow id's length.
 */
export function checkCallbackTokenLength(claims: Omit<CallbackTokenClaims, 'runId'> & { readonly runId?: string }, keyId = 'k'.repeat(32)): void {
  const plain = claimsJson({ ...claims, runId: claims.runId ?? 'r'.repeat(RUN_ID_LENGTH) }).length;
  const body = base64urlLength(NONCE_BYTES + plain + TAG_BYTES);
  const length = `${VERSION}.${keyId}.`.length + body + 1 + 43;
  if (body > MAX_BODY_LENGTH || length > MAX_TOKEN_LENGTH) throw new CallbackTokenTooLongError(length, claims.workflowId.length);
}

/**
 * Mints the token for one wait of one run: `hw2.<keyId>.<sealed claims>.<HMAC-SHA256>` (base64url). The claims are
 * encrypted (AES-256-GCM, the header as associated data) under a key derived from the signing key by HKDF, with a
 * nonce derived from the claims by HMAC: the same claims always give the same token, and a third party holding the
 * URL learns nothing of them (workflow ids often name people). The full 256-bit MAC over the rest makes it
 * unforgeable without the key; binding the run id means a token of one run can never resume another, even a later
 * run with the same workflow id.
 * @throws {@link CallbackTokenTooLongError} when the token would exceed {@link MAX_TOKEN_LENGTH}.
 */
export function mintCallbackToken(keyring: TokenKeyring, claims: CallbackTokenClaims): string {
  const key = keyring.keys.get(keyring.signingKeyId);
  if (!key) throw new Error(`signing key '${keyring.signingKeyId}' is not in the keyring`);
  checkCallbackTokenLength(claims, keyring.signingKeyId);
  const keys = derive(key);
  const header = `${VERSION}.${keyring.signingKeyId}`;
  const plain = claimsJson(claims);
  const nonce = createHmac('sha256', keys.nonce).update(header).update('\0').update(plain).digest().subarray(0, NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', keys.encryption, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(header));
  const body = Buffer.concat([nonce, cipher.update(plain), cipher.final(), cipher.getAuthTag()]).toString('base64url');
  const signed = `${header}.${body}`;
  return `${signed}.${mac(keys.mac, signed)}`;
}

/** The claims of an `hw2` body whose MAC already verified: decrypted, and its nonce checked against them. */
function openSealed(keys: DerivedKeys, header: string, body: string): Buffer | undefined {
  const bytes = Buffer.from(body, 'base64url');
  if (bytes.length <= NONCE_BYTES + TAG_BYTES) return undefined;
  const nonce = bytes.subarray(0, NONCE_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', keys.encryption, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(header));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    const plain = Buffer.concat([decipher.update(bytes.subarray(NONCE_BYTES, bytes.length - TAG_BYTES)), decipher.final()]);
    const expected = createHmac('sha256', keys.nonce).update(header).update('\0').update(plain).digest().subarray(0, NONCE_BYTES);
    return timingSafeEqual(expected, nonce) ? plain : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Verifies a token (`hw2`, or the older `hw1` whose claims are readable) in constant time. Returns its claims, or
 * `undefined` for anything malformed, truncated, re-encoded, signed with an unknown key or forged: callers answer all
 * of these the same way (404).
 */
export function verifyCallbackToken(keyring: TokenKeyring, token: string): VerifiedCallbackToken | undefined {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return undefined;
  const m = TOKEN.exec(token);
  if (!m) return undefined;
  const [, version, keyId, body, given] = m as unknown as [string, string, string, string, string];
  const secret = keyring.keys.get(keyId);
  if (!secret) return undefined;
  const legacy = version === LEGACY_VERSION;
  const keys = legacy ? undefined : derive(secret);
  const header = `${version}.${keyId}`;
  // Comparing the encoded strings (not decoded bytes) also refuses a MAC with altered padding bits.
  const expected = Buffer.from(mac(keys ? keys.mac : secret, `${header}.${body}`));
  const actual = Buffer.from(given);
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return undefined;
  // An altered final character that decodes to the same bytes is refused too: one token, one spelling.
  if (Buffer.from(body, 'base64url').toString('base64url') !== body) return undefined;
  const plain = keys ? openSealed(keys, header, body) : Buffer.from(body, 'base64url');
  if (!plain) return undefined;
  let claims: unknown;
  try {
    claims = JSON.parse(plain.toString('utf8'));
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

const TOKEN_ANYWHERE = /hw[12]\.[A-Za-z0-9_-]{1,32}\.[A-Za-z0-9_-]{8,4000}\.[A-Za-z0-9_-]{43}/g;

/** Redacts every callback token (`hw2`, and the older `hw1`) inside free text (a message, a URL, a log line). */
export function redactTokensIn(text: string): string {
  return text.includes('hw1.') || text.includes('hw2.') ? text.replace(TOKEN_ANYWHERE, redactToken) : text;
}
