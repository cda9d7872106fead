import { definitionError } from '../helpers/definitions';
import { normalizeSenderAuth } from '../../src/definitions/sender-auth';

const f = 'waits.w.auth';

describe('normalizeSenderAuth', () => {
  test('defaults and lower-cased header names', () => {
    expect(normalizeSenderAuth({ type: 'apiKey', secret: 'KEY' }, f)).toEqual({ type: 'apiKey', secret: 'KEY', header: 'x-api-key' });
    expect(normalizeSenderAuth({ type: 'apiKey', secret: 'KEY', header: 'X-Partner-Key' }, f)).toMatchObject({ header: 'x-partner-key' });
    expect(normalizeSenderAuth({ type: 'hmacSha256', secret: 'H' }, f)).toEqual({ type: 'hmacSha256', secret: 'H', header: 'x-hub-signature-256' });
    expect(normalizeSenderAuth({ type: 'standardWebhooks', secret: 'WH_SECRET' }, f)).toEqual({ type: 'standardWebhooks', secret: 'WH_SECRET' });
    expect(normalizeSenderAuth({ type: 'hmacSha256Timestamped', secret: 'T' }, f)).toEqual({ type: 'hmacSha256Timestamped', secret: 'T', header: 'x-hookwait-signature', toleranceSeconds: 300 });
    expect(normalizeSenderAuth({ type: 'hmacSha256Timestamped', secret: 'T', header: 'X-Sig', toleranceSeconds: 60 }, f)).toMatchObject({ header: 'x-sig', toleranceSeconds: 60 });
  });

  test.each([0, -1, 3601, 1.5, Number.NaN, '300'])('toleranceSeconds %j is refused', (toleranceSeconds) => {
    const err = definitionError(() => normalizeSenderAuth({ type: 'hmacSha256Timestamped', secret: 'T', toleranceSeconds } as never, f));
    expect(err.field).toBe('waits.w.auth.toleranceSeconds');
  });

  test.each(['', 'lowercase', 'sk_live_abc', 'whsec_abc', '1ABC', 'A-B', 'A'.repeat(129)])('secret %j must name an env variable', (secret) => {
    const err = definitionError(() => normalizeSenderAuth({ type: 'apiKey', secret }, f));
    expect(err.field).toBe('waits.w.auth.secret');
    expect(err.message).toContain('environment variable');
  });

  test.each(['x api key', 'x_key', '', 'a'.repeat(65)])('header %j is refused', (header) => {
    expect(definitionError(() => normalizeSenderAuth({ type: 'hmacSha256', secret: 'S', header }, f)).field).toBe('waits.w.auth.header');
  });

  test('an unknown type, or not an object, is refused', () => {
    expect(definitionError(() => normalizeSenderAuth({ type: 'basic', secret: 'S' } as never, f)).field).toBe('waits.w.auth.type');
    expect(definitionError(() => normalizeSenderAuth(null as never, f)).field).toBe(f);
    expect(definitionError(() => normalizeSenderAuth('S' as never, f)).field).toBe(f);
  });
});
