import { isIPv4 } from 'node:net';

/** How a {@link FixedWindowLimiter} bounds its memory and the keys it takes on. */
export interface FixedWindowLimiterOptions {
  /** Most keys with a window of their own; default 100,000. */
  readonly maxKeys?: number;
  /**
   * Most new keys given a window of their own per second; default 1,000. Past it, or while `maxKeys` live windows
   * are held, a new key is counted in the one shared overflow window instead: a flood of new keys (addresses
   * rotated by an attacker) can neither evict nor reset the windows of keys already tracked.
   */
  readonly newKeysPerSecond?: number;
  /** Hits allowed per window in the shared overflow window; default `limit`. */
  readonly overflowLimit?: number;
}

interface Window {
  count: number;
  resetAt: number;
}

/**
 * A fixed-window counter per key, in memory. Each gateway replica limits on its own, which bounds what one
 * client or one token can cost a replica; a shared limit belongs in front of the replicas (a load balancer).
 *
 * Every operation is O(1) amortized: windows are queued in the order they started, so expired ones are dropped from
 * the front of the queue, each once. A live window is never dropped
 * to make room: a new key that finds no room (or comes past `newKeysPerSecond`) shares the overflow window.
 */
export class FixedWindowLimiter {
  private readonly windows = new Map<string, Window>();
  /**
   * Every window in the order it started, with its key: expired ones are dropped from the front. (Iterating the Map
   * from its start instead would step over the holes its deletions leave, which costs O(deleted) per call.) An entry
   * whose key has since started a newer window is skipped; the queue holds at most about one entry per live window.
   */
  private queue: { readonly key: string; readonly window: Window }[] = [];
  private head = 0;
  private readonly maxKeys: number;
  private readonly newKeysPerSecond: number;
  private readonly overflowLimit: number;
  private overflow: Window = { count: 0, resetAt: 0 };
  private newKeysSecond = -1;
  private newKeysInSecond = 0;
  private overflowHits = 0;

  /**
   * @param options its options, or (as before) just `maxKeys`.
   */
  constructor(
    readonly limit: number,
    readonly windowMs: number,
    options: FixedWindowLimiterOptions | number = {},
  ) {
    const o: FixedWindowLimiterOptions = typeof options === 'number' ? { maxKeys: options } : options;
    this.maxKeys = o.maxKeys ?? 100_000;
    this.newKeysPerSecond = o.newKeysPerSecond ?? 1_000;
    this.overflowLimit = o.overflowLimit ?? limit;
  }

  /** Counts one hit; returns 0 when allowed, else the milliseconds until the key's window resets. */
  hit(key: string, now: number = Date.now()): number {
    let w = this.windows.get(key);
    if (w && w.resetAt <= now) {
      // Renewed: a new window, queued behind the others (its old queue entry is skipped when it comes up).
      this.windows.delete(key);
      w = undefined;
    }
    if (!w) {
      this.dropExpired(now);
      if (this.windows.size >= this.maxKeys || !this.admitNewKey(now)) return this.hitOverflow(now);
      w = { count: 0, resetAt: now + this.windowMs };
      this.windows.set(key, w);
      this.queue.push({ key, window: w });
    }
    w.count++;
    return w.count > this.limit ? w.resetAt - now : 0;
  }

  /** How many keys have a window of their own (at most `maxKeys`). */
  get size(): number {
    return this.windows.size;
  }

  /** Hits counted in the shared overflow window since the limiter was made. */
  get overflowed(): number {
    return this.overflowHits;
  }

  /** Drops expired windows from the front (the oldest first), stopping at the first live one. */
  private dropExpired(now: number): void {
    while (this.head < this.queue.length) {
      const entry = this.queue[this.head] as { readonly key: string; readonly window: Window };
      if (entry.window.resetAt > now) break;
      if (this.windows.get(entry.key) === entry.window) this.windows.delete(entry.key);
      this.head++;
    }
    // Compacted once the dropped front is half the array: amortized O(1).
    if (this.head > 1_024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private admitNewKey(now: number): boolean {
    const second = Math.floor(now / 1_000);
    if (second !== this.newKeysSecond) {
      this.newKeysSecond = second;
      this.newKeysInSecond = 0;
    }
    if (this.newKeysInSecond >= this.newKeysPerSecond) return false;
    this.newKeysInSecond++;
    return true;
  }

  private hitOverflow(now: number): number {
    this.overflowHits++;
    if (this.overflow.resetAt <= now) this.overflow = { count: 0, resetAt: now + this.windowMs };
    this.overflow.count++;
    return this.overflow.count > this.overflowLimit ? this.overflow.resetAt - now : 0;
  }
}

/**
 * The rate-limit key of a client address: an IPv4 address as it is (an IPv4-mapped IPv6 address `::ffff:a.b.c.d`
 * included), an IPv6 address by its /64 prefix (one subscriber's usual allocation, so rotating addresses within it
 * gains nothing). Anything else is kept as given.
 *
 * @example clientAddressKey('2001:db8:1:2:aaaa::1') === '2001:db8:1:2::/64'
 */
export function clientAddressKey(ip: string): string {
  if (!ip.includes(':')) return ip;
  const zone = ip.indexOf('%'); // a zone id (fe80::1%eth0) is not part of the address
  const address = (zone >= 0 ? ip.slice(0, zone) : ip).toLowerCase();
  if (address.startsWith('::ffff:') && isIPv4(address.slice(7))) return address.slice(7);
  if (address.length > 45 || !IPV6_CHARS.test(address)) return ip;
  const groups = ipv6Prefix(address);
  return groups ? `${groups.join(':')}::/64` : ip;
}

const IPV6_CHARS = /^[0-9a-f:.]+$/;
const GROUP = /^[0-9a-f]{1,4}$/;

/** The first four groups of an IPv6 address, as short hex (`::` expanded), or undefined if it is not one. */
function ipv6Prefix(address: string): string[] | undefined {
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (part: string | undefined): string[] | undefined => {
    if (!part) return [];
    const out: string[] = [];
    const parts = part.split(':');
    for (let i = 0; i < parts.length; i++) {
      const g = parts[i] as string;
      if (i === parts.length - 1 && g.includes('.')) {
        if (!isIPv4(g)) return undefined;
        out.push('v4', 'v4'); // an IPv4 tail: two groups, past the /64 prefix when the address is valid
      } else if (GROUP.test(g)) out.push(g.replace(/^0+(?=.)/, ''));
      else return undefined;
    }
    return out;
  };
  const left = groupsOf(halves[0]);
  const right = groupsOf(halves[1]);
  if (!left || !right) return undefined;
  const missing = 8 - left.length - right.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = halves.length === 2 ? [...left, ...new Array<string>(missing).fill('0'), ...right] : left;
  const prefix = all.slice(0, 4);
  return prefix.includes('v4') ? undefined : prefix;
}
