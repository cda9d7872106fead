import { z } from 'zod';
import { DefinitionError } from './definition-error';

/** A duration: milliseconds as a number, or a string such as `'500ms'`, `'30s'`, `'10m'`, `'2h'`, `'7d'`. */
export type Duration = number | `${number}${'ms' | 's' | 'm' | 'h' | 'd'}` | string;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;

/** Parses a {@link Duration} into milliseconds, or throws a {@link DefinitionError} naming `field`. */
export function durationToMs(value: unknown, field: string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return Math.round(value);
    throw new DefinitionError(field, `must be a non-negative number of milliseconds, got ${String(value)}`);
  }
  if (typeof value === 'string') {
    const m = PATTERN.exec(value.trim());
    if (m && m[1] !== undefined && m[2] !== undefined) return Math.round(Number(m[1]) * (UNIT_MS[m[2]] ?? 1));
  }
  throw new DefinitionError(field, `must be a duration such as '30s', '10m' or a number of ms, got ${JSON.stringify(value)}`);
}

/** Minimum wait timeout: anything shorter is a mistake, not a wait. */
export const MIN_WAIT_TIMEOUT_MS = 1_000;

export function waitTimeoutToMs(value: unknown, field: string): number {
  const ms = durationToMs(value, field);
  if (ms < MIN_WAIT_TIMEOUT_MS) throw new DefinitionError(field, `must be at least 1s, got ${JSON.stringify(value)}`);
  return ms;
}

/**
 * A procedure input field that overrides a wait's timeout for one run (`"5s"`, `"10m"`, or milliseconds): checked
 * when the run starts, so a bad value fails the run before its first step rather than at the wait.
 */
export const waitTimeoutInput = z.union([z.string(), z.number()]).superRefine((value, ctx) => {
  try {
    waitTimeoutToMs(value, 'waitTimeout');
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message.replace(/^waitTimeout: /, '') });
  }
});
