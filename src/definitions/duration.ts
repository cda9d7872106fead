import type { Duration } from '@temporalio/common';
// The module itself, not the package root: it is what @temporalio/workflow uses, pure (no node imports) and small.
import { msToNumber } from '@temporalio/common/lib/time';
import { DefinitionError } from './definition-error';

/**
 * A duration, Temporal's own type (`Duration` from `@temporalio/common`): milliseconds as a number, or a string
 * such as `'500ms'`, `'30s'`, `'10m'`, `'1.5h'`, `'7d'`. The same values `sleep()` and activity timeouts take.
 *
 * Every form Temporal's parser reads is accepted (`'2 days'`, `'1w'`, `'90 minutes'` too), except a bare number in a
 * string (`'10'`: milliseconds to Temporal, seconds to many readers): write the unit, or pass a number of ms.
 *
 * @example
 * ```ts
 * import type { Duration } from 'hookwait/workflow';
 * const timeout: Duration = '10m';
 * ```
 */
export type { Duration };

const UNITLESS = /^[-+]?\d*\.?\d+$/;
const EXPECTED = "a duration such as '30s', '10m', '1.5h' or '2 days' (Temporal's format, with a unit) or a number of ms";

/**
 * Parses a {@link Duration} into whole milliseconds with Temporal's parser, or throws a {@link DefinitionError}
 * naming `field`.
 *
 * @example
 * ```ts
 * durationToMs('1.5h', 'waits.kyc.timeout');   // 5_400_000
 * durationToMs('soon', 'waits.kyc.timeout');   // throws DefinitionError: waits.kyc.timeout: must be a duration …
 * ```
 */
export function durationToMs(value: unknown, field: string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return Math.round(value);
    throw new DefinitionError(field, `must be a non-negative number of milliseconds, got ${String(value)}`);
  }
  if (typeof value === 'string') {
    const text = value.trim();
    if (text !== '' && !UNITLESS.test(text)) {
      const ms = parse(text);
      if (ms !== undefined && Number.isFinite(ms) && ms >= 0) return Math.round(ms);
    }
  }
  throw new DefinitionError(field, `must be ${EXPECTED}, got ${JSON.stringify(value)}`);
}

function parse(text: string): number | undefined {
  try {
    return msToNumber(text as Duration);
  } catch {
    return undefined;
  }
}

/** Minimum wait timeout: anything shorter is a mistake, not a wait. */
export const MIN_WAIT_TIMEOUT_MS = 1_000;

/**
 * Parses a wait timeout: a {@link Duration} of at least 1s, or a {@link DefinitionError} naming `field`.
 *
 * @example
 * ```ts
 * waitTimeoutToMs('10m', 'waits.kyc.timeout');    // 600_000
 * waitTimeoutToMs('500ms', 'waits.kyc.timeout');  // throws: must be at least 1s
 * ```
 */
export function waitTimeoutToMs(value: unknown, field: string, maxMs?: number): number {
  const ms = durationToMs(value, field);
  if (ms < MIN_WAIT_TIMEOUT_MS) throw new DefinitionError(field, `must be at least 1s, got ${JSON.stringify(value)}`);
  if (maxMs !== undefined && ms > maxMs) {
    throw new DefinitionError(field, `must be at most ${formatMs(maxMs)} (HOOKWAIT_MAX_WAIT_TIMEOUT), got ${JSON.stringify(value)}`);
  }
  return ms;
}

/** The longest wait unless `HOOKWAIT_MAX_WAIT_TIMEOUT` says otherwise: 30 days. */
export const DEFAULT_MAX_WAIT_TIMEOUT_MS = 30 * 24 * 60 * 60 * 1000;

/** A duration for messages: the largest whole unit (`30d`, `12h`, `90s`). */
function formatMs(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1_000]] as const) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

/**
 * Reads `HOOKWAIT_MAX_WAIT_TIMEOUT` (a duration, at least 1s; default 30 days).
 * @throws {@link DefinitionError} naming HOOKWAIT_MAX_WAIT_TIMEOUT when it is not a duration.
 * @example
 * ```ts
 * parseMaxWaitTimeout('7d'); // 604_800_000
 * parseMaxWaitTimeout(undefined); // 2_592_000_000
 * ```
 */
export function parseMaxWaitTimeout(text: string | undefined): number {
  if (text === undefined || text.trim() === '') return DEFAULT_MAX_WAIT_TIMEOUT_MS;
  return waitTimeoutToMs(text, 'HOOKWAIT_MAX_WAIT_TIMEOUT');
}

/**
 * The longest wait a declaration or a run's input may ask for, in Node (`HOOKWAIT_MAX_WAIT_TIMEOUT`, default 30
 * days); undefined inside a workflow, where the environment is not read (a run's overrides are checked against the
 * worker's limit, recorded in its history; see the runtime).
 */
export function maxWaitTimeoutMs(): number | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined>; versions?: { node?: string } } }).process;
  if (env?.versions?.node === undefined || env.env === undefined) return undefined;
  return parseMaxWaitTimeout(env.env.HOOKWAIT_MAX_WAIT_TIMEOUT);
}

