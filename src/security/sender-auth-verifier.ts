import { isUtf8 } from 'node:buffer';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { ConfigError } from '../config';
import type { WaitPoint } from '../definitions/wait-point';
import { DEFAULT_SIGNATURE_TOLERANCE_SECONDS, type SenderAuth } from '../definitions/sender-auth';

/** Why a request's sender proof was refused: logged, never told to the sender (always the same 401). */
export type SenderRefusal = 'missing' | 'malformed' | 'timestamp' | 'signature' | 'replayed';

/** The result of one sender check. */
export type SenderVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: SenderRefusal };

/**
 * Checks one request's sender proof over the raw bytes received. `target` names what the request would complete
 * (procedure, workflow id, run id and wait id): a signed message seen for one target is refused for any other while
 * its signature is still within the tolerance (replay protection of the timestamped modes).
 *
 * @example
 * ```ts
 * const verdict = verify(body, (name) => req.get(name), `${procedure}\n${workflowId}\n${runId}\n${waitId}`);
 * if (!verdict.ok) // answer 401, log verdict.reason
 * ```
 */
export type SenderVerifier = (raw: Buffer, header: (name: string) => string | undefined, target: string) => SenderVerdict;

/** Minimum strength of a secret, checked at start-up. */
export const MIN_HMAC_SECRET_BYTES = 16;
export const MIN_API_KEY_CHARS = 24;
/** Signed messages remembered per secret for replay protection; past it the oldest are forgotten first. */
export const REPLAY_MEMORY = 50_000;

const OK: SenderVerdict = { ok: true };
const refuse = (reason: SenderRefusal): SenderVerdict => ({ ok: false, reason });
/** Unix seconds: digits only (no sign, no fraction, no trailing junk), at most 12 of them. */
const UNIX_SECONDS = /^[0-9]{1,12}$/;

/** Equal-time comparison of two strings of any length (digests first, so lengths never leak or throw). */
function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

function secrets(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

const digest = (value: string | Buffer): string => createHash('sha256').update(value).digest('base64url');

/**
 * Signed messages seen recently, each with the target it was first seen for: bounded, in memory, per gateway replica.
 * Entries are kept until their signature falls out of the tolerance (after that the signature check refuses them).
 */
export class ReplayMemory {
  private readonly seen = new Map<string, { readonly target: string; readonly until: number }>();
  constructor(private readonly max = REPLAY_MEMORY) {}

  /**
   * Whether message `id` may be used for `target`: the first time it is seen (then remembered until `until`, epoch
   * ms), or again for the same target (a sender's retry, answered by the callback service like any repeat).
   */
  admit(id: string, target: string, until: number, now = Date.now()): boolean {
    // Oldest first: drop what has expired (insertion order is close to expiry order; an outlier only stays longer).
    for (const [key, entry] of this.seen) {
      if (entry.until > now) break;
      this.seen.delete(key);
    }
    const key = digest(id);
    const t = digest(target);
    const prior = this.seen.get(key);
    if (prior && prior.until > now) return prior.target === t;
    if (prior) this.seen.delete(key);
    if (this.seen.size >= this.max) {
      const oldest = this.seen.keys().next();
      if (!oldest.done) this.seen.delete(oldest.value);
    }
    this.seen.set(key, { target: t, until });
    return true;
  }

  get size(): number {
    return this.seen.size;
  }
}

/** Problems with a variable's value, without ever quoting it. */
function weakSecrets(auth: SenderAuth, keys: readonly string[]): string | undefined {
  const short = (n: number, min: number, unit: string) => `each value must be at least ${min} ${unit} (one has ${n})`;
  for (const k of keys) {
    switch (auth.type) {
      case 'apiKey':
        if (k.length < MIN_API_KEY_CHARS) return short(k.length, MIN_API_KEY_CHARS, 'characters');
        break;
      case 'standardWebhooks': {
        // As the library reads it: an optional `whsec_` prefix, then base64.
        const bytes = Buffer.from(k.startsWith('whsec_') ? k.slice(6) : k, 'base64').length;
        if (bytes < MIN_HMAC_SECRET_BYTES) return short(bytes, MIN_HMAC_SECRET_BYTES, 'bytes once base64-decoded');
        break;
      }
      case 'hmacSha256':
      case 'hmacSha256Timestamped': {
        const bytes = Buffer.byteLength(k);
        if (bytes < MIN_HMAC_SECRET_BYTES) return short(bytes, MIN_HMAC_SECRET_BYTES, 'bytes');
        break;
      }
    }
  }
  return undefined;
}

/** `t=<seconds>,v1=<hex>[,v1=<hex>…]`: exactly one `t`, at least one well-formed `v1`; other schemes are ignored. */
function parseTimestamped(value: string): { readonly t: string; readonly v1: readonly string[] } | undefined {
  const parts = value.split(',');
  if (parts.length > 16) return undefined;
  let t: string | undefined;
  const v1: string[] = [];
  for (const part of parts) {
    const eq = part.indexOf('=');
    if (eq < 0) return undefined;
    const name = part.slice(0, eq).trim();
    const v = part.slice(eq + 1).trim();
    if (name === 't') {
      if (t !== undefined || !UNIX_SECONDS.test(v)) return undefined;
      t = v;
    } else if (name === 'v1') {
      if (!/^[0-9a-fA-F]{64}$/.test(v)) return undefined;
      v1.push(v.toLowerCase());
    }
  }
  return t !== undefined && v1.length > 0 ? { t, v1 } : undefined;
}

/**
 * The id of the signed message a request carries, once its sender check passed, in the timestamped modes: Standard
 * Webhooks' `webhook-id`; for `hmacSha256Timestamped`, the signed time and a digest of the body. The same for a
 * replay (or a retry) of that message; `undefined` for `apiKey` and `hmacSha256`, which sign no message id.
 *
 * @example
 * ```ts
 * signedMessageId({ type: 'standardWebhooks', secret: 'S' }, body, (n) => req.get(n)); // 'msg_2b…'
 * ```
 */
export function signedMessageId(auth: SenderAuth, raw: Buffer, header: (name: string) => string | undefined): string | undefined {
  switch (auth.type) {
    case 'standardWebhooks':
      return header('webhook-id') || undefined;
    case 'hmacSha256Timestamped': {
      const given = header(auth.header);
      const parsed = given === undefined ? undefined : parseTimestamped(given);
      return parsed ? `t${parsed.t}-${digest(raw).slice(0, 32)}` : undefined;
    }
    default:
      return undefined;
  }
}

function verifier(auth: SenderAuth, keys: readonly string[], memory: ReplayMemory): SenderVerifier {
  switch (auth.type) {
    case 'apiKey':
      return (_raw, header) => {
        const given = header(auth.header);
        if (given === undefined) return refuse('missing');
        // Every key is compared, so the time taken does not say which one matched.
        return keys.map((k) => sameSecret(given, k)).includes(true) ? OK : refuse('signature');
      };
    case 'hmacSha256':
      // Over the body alone: nothing to tell a replay from a retry, so no replay protection (see SenderAuthDecl).
      return (raw, header) => {
        const given = header(auth.header);
        if (given === undefined) return refuse('missing');
        if (!/^sha256=[0-9a-fA-F]{64}$/.test(given)) return refuse('malformed');
        const ok = keys.map((k) => sameSecret(given.toLowerCase(), `sha256=${createHmac('sha256', k).update(raw).digest('hex')}`)).includes(true);
        return ok ? OK : refuse('signature');
      };
    case 'hmacSha256Timestamped':
      return (raw, header, target) => {
        const given = header(auth.header);
        if (given === undefined) return refuse('missing');
        const parsed = parseTimestamped(given);
        if (!parsed) return refuse('malformed');
        const t = Number(parsed.t);
        const now = Date.now();
        if (Math.abs(now / 1000 - t) > auth.toleranceSeconds) return refuse('timestamp');
        const signed = Buffer.concat([Buffer.from(`${parsed.t}.`), raw]);
        const expected = keys.map((k) => createHmac('sha256', k).update(signed).digest('hex'));
        // Every pair is compared, so the time taken does not say which matched.
        const ok = expected.flatMap((e) => parsed.v1.map((g) => sameSecret(g, e))).includes(true);
        if (!ok) return refuse('signature');
        // The message is what was signed (its time and bytes), not the header, which a replayer may pad.
        return memory.admit(`t:${parsed.t}:${digest(raw)}`, target, (t + auth.toleranceSeconds + 1) * 1000, now) ? OK : refuse('replayed');
      };
    case 'standardWebhooks': {
      // The library checks the ±5 minute tolerance and every signature in the header (sender-side rotation).
      const hooks = keys.map((k) => new Webhook(k));
      return (raw, header, target) => {
        const headers = {
          'webhook-id': header('webhook-id') ?? '',
          'webhook-timestamp': header('webhook-timestamp') ?? '',
          'webhook-signature': header('webhook-signature') ?? '',
        };
        if (!headers['webhook-id'] || !headers['webhook-timestamp'] || !headers['webhook-signature']) return refuse('missing');
        // The library reads the timestamp with parseInt, which ignores trailing junk ("1700000000junk"): digits only.
        if (!UNIX_SECONDS.test(headers['webhook-timestamp'])) return refuse('malformed');
        // The library signs the body as text: bytes that are not UTF-8 would be decoded lossily, so two different
        // bodies could share one signature. Such a body cannot be verified over its exact bytes: refused.
        if (!isUtf8(raw)) return refuse('signature');
        const ok = hooks.some((hook) => {
          try {
            // jsonParse off: the signature is about bytes; whether they are JSON or a form is decided later (400/415).
            hook.verify(raw, headers, { jsonParse: false });
            return true;
          } catch {
            return false;
          }
        });
        if (!ok) return refuse('signature');
        // The webhook-id is signed and names one message: seen for another target within the tolerance, a replay.
        const until = (Number(headers['webhook-timestamp']) + DEFAULT_SIGNATURE_TOLERANCE_SECONDS + 1) * 1000;
        return memory.admit(`id:${headers['webhook-id']}`, target, until) ? OK : refuse('replayed');
      };
    }
  }
}

/**
 * Builds the sender checks of every wait that declares `auth`, reading each secret from the environment once, at
 * start-up. Waits verified with the same secret share one {@link ReplayMemory}, so a message signed for one of them
 * cannot be replayed to another.
 * @throws {@link ConfigError} naming every variable that is missing, too weak (HMAC and Standard Webhooks secrets under
 * 16 bytes, API keys under 24 characters) or otherwise unusable.
 * @example
 * ```ts
 * const verifiers = buildSenderVerifiers(waitCatalog(procedures, waits).entries(), process.env);
 * verifiers.get('payment/charged')?.(body, header, target); // { ok: true } or { ok: false, reason }
 * ```
 */
export function buildSenderVerifiers(
  waits: Iterable<{ readonly scope: string; readonly label: string; readonly point: WaitPoint }>,
  env: Record<string, string | undefined>,
): Map<string, SenderVerifier> {
  const out = new Map<string, SenderVerifier>();
  const memories = new Map<string, ReplayMemory>();
  const problems: string[] = [];
  for (const { scope, label, point: w } of waits) {
    if (!w.auth) continue;
    const value = env[w.auth.secret];
    const keys = value ? secrets(value) : [];
    if (keys.length === 0) {
      problems.push(`${w.auth.secret}: required by ${label} (${w.auth.type} sender auth)`);
      continue;
    }
    const weak = weakSecrets(w.auth, keys);
    if (weak) {
      problems.push(`${w.auth.secret}: too weak for ${label} (${w.auth.type} sender auth): ${weak}`);
      continue;
    }
    // By the secrets themselves, not the variable's name: two variables holding one secret share one memory, so a
    // message cannot be replayed from one of their waits to the other.
    const shared = `${w.auth.type}\n${createHash('sha256').update([...keys].sort().join('\n')).digest('hex')}`;
    const memory = memories.get(shared) ?? new ReplayMemory();
    memories.set(shared, memory);
    try {
      out.set(scope, verifier(w.auth, keys, memory));
    } catch (err) {
      problems.push(`${w.auth.secret}: ${(err as Error).message}`);
    }
  }
  if (problems.length > 0) {
    const settings = [...new Set(problems.map((x) => x.slice(0, x.indexOf(':'))))];
    throw new ConfigError(settings, `invalid configuration: ${problems.join('; ')}`);
  }
  return out;
}
