import { FixedWindowLimiter } from '../../src/api/rate-limiter';

describe('FixedWindowLimiter', () => {
  test('allows `limit` hits per window, then says how long until the window resets', () => {
    const l = new FixedWindowLimiter(3, 60_000);
    expect([l.hit('a', 1_000), l.hit('a', 2_000), l.hit('a', 3_000)]).toEqual([0, 0, 0]);
    expect(l.hit('a', 4_000)).toBe(57_000);
    expect(l.hit('a', 60_999)).toBe(1);
  });

  test('a new window starts once the old one has passed', () => {
    const l = new FixedWindowLimiter(1, 10_000);
    expect(l.hit('a', 0)).toBe(0);
    expect(l.hit('a', 9_999)).toBe(1);
    expect(l.hit('a', 10_000)).toBe(0);
    expect(l.hit('a', 10_001)).toBe(9_999);
  });

  test('keys are counted apart', () => {
    const l = new FixedWindowLimiter(1, 10_000);
    expect([l.hit('a', 0), l.hit('b', 0), l.hit('a', 1), l.hit('b', 1)]).toEqual([0, 0, 9_999, 9_999]);
  });

  test('memory stays bounded: expired windows are swept, and past maxKeys the oldest are dropped', () => {
    const l = new FixedWindowLimiter(1, 1_000, 100);
    for (let i = 0; i < 100; i++) l.hit(`old-${i}`, 0);
    expect(l.size).toBe(100);
    // All expired: the next new key sweeps them.
    l.hit('fresh', 5_000);
    expect(l.size).toBe(1);
    for (let i = 0; i < 500; i++) l.hit(`k-${i}`, 5_000);
    expect(l.size).toBeLessThanOrEqual(100);
    // The newest key is still limited: dropping took the oldest.
    expect(l.hit('k-499', 5_001)).toBeGreaterThan(0);
  });

  test('a renewed window counts as the newest, so it is not the first dropped', () => {
    const l = new FixedWindowLimiter(1, 1_000, 4);
    l.hit('a', 0);
    l.hit('b', 10);
    l.hit('c', 20);
    l.hit('a', 1_000); // a's window has passed: renewed, without a sweep (not full, swept recently)
    l.hit('d', 1_001);
    l.hit('e', 1_002); // full, nothing expired: drops the oldest window, which is b's, not a's renewed one
    expect(l.hit('a', 1_003)).toBeGreaterThan(0);
    expect(l.hit('b', 1_003)).toBe(0);
  });
});
