import { clientAddressKey, FixedWindowLimiter } from '../../src/api/rate-limiter';

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

  test('memory stays bounded: expired windows are dropped, and past maxKeys new keys share the overflow window', () => {
    const l = new FixedWindowLimiter(1, 1_000, 100);
    for (let i = 0; i < 100; i++) l.hit(`old-${i}`, 0);
    expect(l.size).toBe(100);
    // All expired: the next new key drops them.
    l.hit('fresh', 5_000);
    expect(l.size).toBe(1);
    for (let i = 0; i < 500; i++) l.hit(`k-${i}`, 5_000);
    expect(l.size).toBeLessThanOrEqual(100);
    expect(l.overflowed).toBe(401);
    // A key past the cap is limited too: the overflow window it shares is over its limit.
    expect(l.hit('k-499', 5_001)).toBeGreaterThan(0);
    // Half a million rotated keys later, still bounded.
    for (let i = 0; i < 500_000; i++) l.hit(`r-${i}`, 5_002 + Math.floor(i / 100));
    expect(l.size).toBeLessThanOrEqual(100);
  });

  test('a flood of new keys never resets or evicts the windows of keys already counted', () => {
    const l = new FixedWindowLimiter(5, 60_000, { maxKeys: 1_000, newKeysPerSecond: 100 });
    for (let i = 0; i < 5; i++) expect(l.hit('victim', 0)).toBe(0);
    expect(l.hit('victim', 1)).toBeGreaterThan(0);
    // An attacker rotating 200,000 addresses over 10 s, far past both the key cap and the new-key rate.
    for (let i = 0; i < 200_000; i++) l.hit(`attacker-${i}`, 10 + Math.floor(i / 20));
    // The victim is still over its limit, in the same window (not a fresh one).
    expect(l.hit('victim', 10_050)).toBe(60_000 - 10_050);
    expect(l.size).toBeLessThanOrEqual(1_000);
  });

  test('past newKeysPerSecond, new keys share one overflow window, itself limited', () => {
    const l = new FixedWindowLimiter(10, 60_000, { newKeysPerSecond: 3, overflowLimit: 2 });
    expect(['a', 'b', 'c'].map((k) => l.hit(k, 0))).toEqual([0, 0, 0]);
    // The 4th and later new keys of this second: overflow, 2 hits allowed in all.
    expect(['d', 'e', 'f'].map((k) => l.hit(k, 10))).toEqual([0, 0, 60_000]);
    expect(l.size).toBe(3);
    // The next second admits new keys again.
    expect(l.hit('g', 1_000)).toBe(0);
    expect(l.size).toBe(4);
  });

  test('a renewed window counts as the newest, so expiry drops the others first', () => {
    const l = new FixedWindowLimiter(1, 1_000, 3);
    l.hit('a', 0);
    l.hit('b', 10);
    l.hit('c', 20);
    l.hit('a', 1_000); // a's window has passed: renewed, now the newest
    l.hit('d', 1_025); // b's and c's windows have expired: dropped, d gets a window of its own
    expect(l.size).toBe(2);
    expect(l.hit('a', 1_026)).toBeGreaterThan(0);
    expect(l.hit('d', 1_026)).toBeGreaterThan(0);
  });
});

describe('clientAddressKey', () => {
  test('IPv6 addresses are grouped by /64; IPv4 and IPv4-mapped addresses are kept', () => {
    expect(clientAddressKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(clientAddressKey('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(clientAddressKey('2001:0DB8:0001:0002:ffff::')).toBe('2001:db8:1:2::/64');
    expect(clientAddressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientAddressKey('::1')).toBe('0:0:0:0::/64');
    expect(clientAddressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(clientAddressKey('64:ff9b::192.0.2.1')).toBe('64:ff9b:0:0::/64');
    expect(clientAddressKey('2001:db8:1:3::1')).not.toBe(clientAddressKey('2001:db8:1:2::1'));
    expect(clientAddressKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(clientAddressKey('192.0.2.7')).toBe('192.0.2.7');
    expect(clientAddressKey('unknown')).toBe('unknown');
  });

  test('a whole /64 shares one limit', () => {
    const l = new FixedWindowLimiter(3, 60_000);
    const answers = [1, 2, 3, 4, 5].map((i) => l.hit(clientAddressKey(`2001:db8:aa:bb:${i.toString(16)}::${i}`), 0));
    expect(answers.filter((w) => w > 0)).toHaveLength(2);
    expect(l.hit(clientAddressKey('2001:db8:aa:bc::1'), 0)).toBe(0);
  });
});
