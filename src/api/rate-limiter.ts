/**
 * A fixed-window counter per key, in memory. Each gateway replica limits on its own, which bounds what one
 * client or one token can cost a replica; a shared limit belongs in front of the replicas (a load balancer).
 */
export class FixedWindowLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  private lastSweep = 0;

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    /** Beyond this many keys, expired windows are swept (and, if needed, the oldest dropped) so memory stays bounded. */
    private readonly maxKeys = 100_000,
  ) {}

  /** Counts one hit; returns 0 when allowed, else the milliseconds until the key's window resets. */
  hit(key: string, now: number = Date.now()): number {
    let w = this.windows.get(key);
    if (!w || w.resetAt <= now) {
      if (this.windows.size >= this.maxKeys || now - this.lastSweep > this.windowMs) this.sweep(now);
      w = { count: 0, resetAt: now + this.windowMs };
      // Re-inserted, not updated in place: Map order is then oldest window first, which the sweep relies on.
      this.windows.delete(key);
      this.windows.set(key, w);
    }
    w.count++;
    return w.count > this.limit ? w.resetAt - now : 0;
  }

  /** How many keys are tracked (bounded by `maxKeys`). */
  get size(): number {
    return this.windows.size;
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [k, w] of this.windows) if (w.resetAt <= now) this.windows.delete(k);
    // Still full: drop the oldest windows (Map keeps insertion order).
    for (const k of this.windows.keys()) {
      if (this.windows.size < this.maxKeys) break;
      this.windows.delete(k);
    }
  }
}
