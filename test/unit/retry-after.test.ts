import { retryAfterMs } from '../../src/activities/retry-after';

const MAX = 5 * 60_000;
const NOW = Date.parse('2030-01-01T00:00:00Z');

describe('retryAfterMs', () => {
  test.each([
    ['1', 1000],
    ['2', 2000],
    [' 7 ', 7000],
    ['120', 120_000],
    ['300', 300_000],
  ])('%j seconds is %d ms', (header, ms) => {
    expect(retryAfterMs(header, MAX, NOW)).toBe(ms);
  });

  test('seconds are clamped to the maximum', () => {
    expect(retryAfterMs('301', MAX, NOW)).toBe(MAX);
    expect(retryAfterMs('999999999999', MAX, NOW)).toBe(MAX);
    expect(retryAfterMs('10', 3000, NOW)).toBe(3000);
  });

  test('an HTTP date is the time until then', () => {
    expect(retryAfterMs('Tue, 01 Jan 2030 00:00:30 GMT', MAX, NOW)).toBe(30_000);
    expect(retryAfterMs(new Date(NOW + 90_500).toUTCString(), MAX, NOW)).toBe(90_000);
  });

  test('a date far ahead is clamped; a past date or now means no delay', () => {
    expect(retryAfterMs('Wed, 02 Jan 2030 00:00:00 GMT', MAX, NOW)).toBe(MAX);
    expect(retryAfterMs('Mon, 31 Dec 2029 23:59:00 GMT', MAX, NOW)).toBeUndefined();
    expect(retryAfterMs(new Date(NOW).toUTCString(), MAX, NOW)).toBeUndefined();
  });

  test('zero means "use the retry policy"', () => {
    expect(retryAfterMs('0', MAX, NOW)).toBeUndefined();
    expect(retryAfterMs('000', MAX, NOW)).toBeUndefined();
  });

  test.each([null, undefined, '', '   ', 'soon', 'later please', 'NaN'])('%p gives no delay', (header) => {
    expect(retryAfterMs(header, MAX, NOW)).toBeUndefined();
  });

  test('negative and fractional seconds are not read as seconds', () => {
    // Not /^\d+$/: they fall through to date parsing, which must not give a positive delay relative to now.
    expect(retryAfterMs('-5', MAX, Date.now())).toBeUndefined();
    expect(retryAfterMs('1.5', MAX, Date.now())).not.toBe(1500);
  });

  test('the current time defaults to Date.now()', () => {
    const r = retryAfterMs(new Date(Date.now() + 60_000).toUTCString(), MAX);
    expect(r).toBeGreaterThan(58_000);
    expect(r).toBeLessThanOrEqual(60_000);
  });
});
