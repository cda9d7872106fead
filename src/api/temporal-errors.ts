import { WorkflowNotFoundError } from '@temporalio/client';

/** How a failed call to Temporal is answered: the run is gone (410), or Temporal is unavailable (503, retry later). */
export function classifyTemporalError(err: unknown): 'gone' | 'unavailable' {
  if (err instanceof WorkflowNotFoundError) return 'gone';
  // Across bundles `instanceof` may fail; the SDK's name is stable.
  if (err instanceof Error && err.name === 'WorkflowNotFoundError') return 'gone';
  return 'unavailable';
}

/** Seconds a sender should wait before retrying while Temporal is unreachable. */
export const RETRY_AFTER_SECONDS = 5;
