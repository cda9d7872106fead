/**
 * The gateway's per-address rate limiter with its key table full. Runs in this process, no server: the limiter is
 * driven with a simulated clock, so the figures are the limiter's own cost per request, nothing else.
 *
 * Run by hand: `npm run bench:rate-limiter -- [--keys 100000] [--hits 1000000]`. Three workloads, each on a table
 * already holding `--keys` live windows (the default limits: 600 a minute per address):
 * - `existing`: requests from addresses already counted;
 * - `rotating`: an attacker sending each request from a new IPv6 /64 faster than new keys are admitted;
 * - `churn`: a steady stream of new addresses while old windows expire, each new one taking an expired one's place.
 */
import { performance } from 'node:perf_hooks';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { clientAddressKey, FixedWindowLimiter } from '../src/api/rate-limiter';

const { values } = parseArgs({ options: { keys: { type: 'string', default: '100000' }, hits: { type: 'string', default: '1000000' } } });
const keys = Number(values.keys);
const hits = Number(values.hits);
const WINDOW_MS = 60_000;

const hex = (n: number): string => n.toString(16);
/** A distinct IPv6 address in its own /64 for each n. */
const address = (n: number): string => `2001:db8:${hex((n >>> 16) & 0xffff)}:${hex(n & 0xffff)}::1`;

function measure(name: string, n: number, run: (i: number) => void): void {
  const started = performance.now();
  for (let i = 0; i < n; i++) run(i);
  const ms = performance.now() - started;
  const perHitNs = (ms * 1e6) / n;
  console.log(`${name.padEnd(10)} ${String(n).padStart(9)} hits  ${(n / (ms / 1000) / 1e6).toFixed(2).padStart(6)} M hits/s  ${perHitNs.toFixed(0).padStart(6)} ns/hit`);
}

function main(): void {
  console.log(`node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB`);
  const limiter = new FixedWindowLimiter(600, WINDOW_MS, { maxKeys: keys, newKeysPerSecond: keys });
  // Fill the table over most of a window, so every window is still live for the first two runs.
  const spread = WINDOW_MS - 1_000;
  const heapBefore = process.memoryUsage().heapUsed;
  for (let i = 0; i < keys; i++) limiter.hit(clientAddressKey(address(i)), Math.floor((i * spread) / keys));
  const heapMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
  console.log(`table: ${limiter.size} keys, about ${heapMiB.toFixed(0)} MiB of heap`);

  const now = spread + 500;
  measure('existing', hits, (i) => {
    limiter.hit(clientAddressKey(address(i % keys)), now);
  });
  measure('rotating', hits, (i) => {
    limiter.hit(clientAddressKey(address(keys + i)), now);
  });
  // Past the window: the oldest windows expire one by one as the clock moves on, each new address taking the place
  // of an expired one.
  const churn = Math.min(hits, keys);
  measure('churn', churn, (i) => {
    limiter.hit(clientAddressKey(address(2 * keys + hits + i)), WINDOW_MS + Math.floor((i * spread) / keys));
  });
  console.log(`after: ${limiter.size} keys, ${limiter.overflowed} hits counted in the overflow window`);
}

main();
