import { z } from 'zod';

/** One line per issue, each starting with the path of the offending field (`kyc.mode: Invalid option ...`). */
export function formatZodIssues(error: z.ZodError, prefix = ''): string {
  return error.issues
    .map((i) => {
      const path = [prefix, ...i.path.map(String)].filter((s) => s !== '').join('.');
      return `${path || '(root)'}: ${i.message}`;
    })
    .join('; ');
}

/**
 * `schema.safeParse(value)` that never throws: an author's schema whose transform or refinement throws, or that is
 * async (zod throws when such a schema is parsed synchronously), fails with one issue at the root instead, so the
 * caller answers 422 naming the field rather than a 500.
 *
 * @example
 * ```ts
 * const boom = z.string().transform(() => { throw new Error('x'); });
 * safeParseGuarded(boom, 'a');
 * // { success: false, error: ZodError [{ path: [], message: 'could not be checked (its schema threw)' }] }
 * ```
 */
export function safeParseGuarded<T extends z.ZodType>(schema: T, value: unknown): ReturnType<T['safeParse']> {
  try {
    return schema.safeParse(value) as ReturnType<T['safeParse']>;
  } catch (err) {
    const async = err instanceof Error && /async|promise/i.test(err.message);
    const message = async ? 'could not be checked (its schema is async; hookwait checks synchronously)' : 'could not be checked (its schema threw)';
    return { success: false, error: new z.ZodError([{ code: 'custom', path: [], message, input: value }]) } as ReturnType<T['safeParse']>;
  }
}
