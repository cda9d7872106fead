import { z } from 'zod';
import { type Duration, maxWaitTimeoutMs, waitTimeoutToMs } from './duration';

// A module of its own, outside `src/workflows/preloaded.ts`: a zod schema that apps extend (`.optional()`) must not be
// shared across cached runs, because the worker freezes what preloaded modules export and zod adds members to a schema
// when they are first used.

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
    waitTimeoutToMs(value, 'waitTimeout', maxWaitTimeoutMs());
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message.replace(/^waitTimeout: /, '') });
  }
}) as z.ZodType<Duration, string | number>;
