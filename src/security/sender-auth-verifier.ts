import { isUtf8 } from 'node:buffer';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { ConfigError } from '../config';
import type { WaitPoint } from '../definitions/wait-point';
import type { SenderAuth } from '../definitions/sender-auth';

/** Checks one request's sender proof over the raw bytes received; true when it passes. */
export type SenderVerifier = (raw: Buffer, header: (name: string) => string | undefined) => boolean;

/** Equal-time comparison of two strings of any length (digests first, so lengths never leak or throw). */
function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

function secrets(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

function verifier(auth: SenderAuth, secretValue: string): SenderVerifier {
  const keys = secrets(secretValue);
  switch (auth.type) {
    case 'apiKey':
      return (_raw, header) => {
        const given = header(auth.header);
        // Every key is compared, so the time taken does not say which one matched.
        return given !== undefined && keys.map((k) => sameSecret(given, k)).includes(true);
      };
    case 'hmacSha256':
      return (raw, header) => {
        const given = header(auth.header);
        if (given === undefined || !/^sha256=[0-9a-fA-F]{64}$/.test(given)) return false;
        return keys.map((k) => sameSecret(given.toLowerCase(), `sha256=${createHmac('sha256', k).update(raw).digest('hex')}`)).includes(true);
      };
    case 'standardWebhooks': {
      // The library checks the ±5 minute tolerance and every signature in the header (sender-side rotation).
      const hooks = keys.map((k) => new Webhook(k));
      return (raw, header) => {
        const headers = {
          'webhook-id': header('webhook-id') ?? '',
          'webhook-timestamp': header('webhook-timestamp') ?? '',
          'webhook-signature': header('webhook-signature') ?? '',
        };
        if (!headers['webhook-id'] || !headers['webhook-timestamp'] || !headers['webhook-signature']) return false;
        // The library signs the body as text: bytes that are not UTF-8 would be decoded lossily, so two different
        // bodies could share one signature. Such a body cannot be verified over its exact bytes: refused.
        if (!isUtf8(raw)) return false;
        return hooks.some((hook) => {
          try {
            // jsonParse off: the signature is about bytes; whether they are JSON or a form is decided later (400/415).
            hook.verify(raw, headers, { jsonParse: false });
            return true;
          } catch {
            return false;
          }
        });
      };
    }
  }
}

/**
 * Builds the sender checks of every wait that declares `auth`, reading each secret from the environment once, at
 * start-up. @throws {@link ConfigError} naming every variable that is missing or unusable.
 */
export function buildSenderVerifiers(
  waits: Iterable<{ readonly scope: string; readonly label: string; readonly point: WaitPoint }>,
  env: Record<string, string | undefined>,
): Map<string, SenderVerifier> {
  const out = new Map<string, SenderVerifier>();
  const problems: string[] = [];
  for (const { scope, label, point: w } of waits) {
    if (!w.auth) continue;
    const value = env[w.auth.secret];
    if (!value || secrets(value).length === 0) {
      problems.push(`${w.auth.secret}: required by ${label} (${w.auth.type} sender auth)`);
      continue;
    }
    try {
      out.set(scope, verifier(w.auth, value));
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
