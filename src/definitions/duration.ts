import type { Duration } from '@temporalio/common';
// The module itself, not the package root: it is what @temporalio/workflow uses, pure (no node imports) and small.
import { msToNumber } from '@temporalio/common/lib/time';
import { z } from 'zod';
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
export function waitTimeoutToMs(value: unknown, field: string): number {
  const ms = durationToMs(value, field);
  if (ms < MIN_WAIT_TIMEOUT_MS) throw new DefinitionError(field, `must be at least 1s, got ${JSON.stringify(value)}`);
  return ms;
}

/**
 * A procedure input field that overrides a wait's timeout for one run (`"5s"`, `"10m"`, or milliseconds): checked
 * when the run starts, so a bad value fails the run before its first step rather than at the wait. Its value is
 * typed as a {@link Duration}, so it can be passed to `run.wait(name, { timeout })` as is.
 *
 * @example
 * ```ts
 * input: z.object({ customerId: z.string(), waitTimeout: waitTimeoutInput.optional() }),
 * ```
 */
export const waitTimeoutInput: z.ZodType<Duration, string | number> = z.union([z.string(), z.number()]).superRefine((value, ctx) => {
  try {
    waitTimeoutToMs(value, 'waitTimeout');
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message.replace(/^waitTimeout: /, '') });
  }
}) as z.ZodType<Duration, string | number>;
