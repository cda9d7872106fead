/** Reads `Retry-After` (seconds or an HTTP date) into milliseconds, clamped to `maxMs`; undefined when absent, bad or zero. */
export function retryAfterMs(header: string | null | undefined, maxMs: number, now: number = Date.now()): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  let ms: number | undefined;
  if (/^\d+$/.test(trimmed)) ms = Number(trimmed) * 1000;
  else {
    const at = Date.parse(trimmed);
    if (!Number.isNaN(at)) ms = Math.max(0, at - now);
  }
  // "Retry now" (0) means: use the retry policy's own backoff.
  return ms === undefined || ms <= 0 ? undefined : Math.min(ms, maxMs);
}
