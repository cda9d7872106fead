import type { z } from 'zod';

/** One line per issue, each starting with the path of the offending field (`kyc.mode: Invalid option ...`). */
export function formatZodIssues(error: z.ZodError, prefix = ''): string {
  return error.issues
    .map((i) => {
      const path = [prefix, ...i.path.map(String)].filter((s) => s !== '').join('.');
      return `${path || '(root)'}: ${i.message}`;
    })
    .join('; ');
}
