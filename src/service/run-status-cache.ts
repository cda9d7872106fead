/**
 * What a gateway has learned about runs and waits that can never change back, kept so that repeats are answered
 * without asking Temporal again: a run that has closed (and the digests of the callbacks it accepted), a wait whose
 * sender is past the run's quota of recorded repeats, the digests of a run's bound values. Bounded (least recently
 * used entries go first); one per gateway replica, never shared, so a replica that has not learned something yet
 * simply asks Temporal, as every replica did before. Pure: no Temporal, no HTTP.
 */
import type { HookwaitMemo } from '../core/run-state';

/** A terminal fact about one wait of one run (see {@link RunStatusCache}). */
export type WaitFact =
  /** The run has closed (`runStatus` as Temporal names it); `digest` is the callback it accepted for this wait, if any. */
  | { readonly kind: 'closed'; readonly runStatus: string; readonly digest?: string }
  /**
   * The wait is past the run's quota of recorded repeats (`memo.quiet`): every further callback is answered as
   * `answer` without signalling the run.
   */
  | { readonly kind: 'quiet'; readonly answer: 'revoked' | 'late' | 'duplicate' };

/** Options of {@link createRunStatusCache}. */
export interface RunStatusCacheOptions {
  /** At most this many waits (and as many runs' bound digests) are remembered; default {@link DEFAULT_RUN_STATUS_CACHE_SIZE}. */
  readonly maxEntries?: number;
}

/** The default bound of a gateway's {@link RunStatusCache}: about 2 MiB of heap when full. */
export const DEFAULT_RUN_STATUS_CACHE_SIZE = 10_000;

/**
 * A gateway's memory of terminal facts. Only facts that never change back are stored, so an entry is never stale:
 * a closed run never reopens, a quiet wait never records repeats again, a bound digest is published once.
 *
 * @example
 * ```ts
 * const cache = createRunStatusCache({ maxEntries: 1_000 });
 * cache.rememberMemo('wf-1', 'run-1', 'COMPLETED', memo);
 * cache.wait('wf-1', 'run-1', 'approval'); // { kind: 'closed', runStatus: 'COMPLETED', digest: '…' }
 * ```
 */
export interface RunStatusCache {
  /** The terminal fact known about a wait (`<wait>` or `<wait>:<key>`), if any. */
  wait(workflowId: string, runId: string, waitId: string): WaitFact | undefined;
  /** The digests of a run's bound values (by wait name), once the run has published them. */
  bound(workflowId: string, runId: string): Readonly<Record<string, string>> | undefined;
  /**
   * Records what a `describe` showed: the run's status as Temporal names it (`RUNNING`, `COMPLETED`, …) and its
   * hookwait memo. Keeps the terminal facts about `waitId` and the run's bound digests; forgets nothing else.
   */
  rememberDescription(workflowId: string, runId: string, waitId: string, runStatus: string, memo: HookwaitMemo | undefined, quietAnswer?: 'revoked' | 'late' | 'duplicate'): void;
  /** Records that a wait of an open run is past its quota of recorded repeats (the run refused a repeat as `answer`). */
  rememberQuiet(workflowId: string, runId: string, waitId: string, answer: 'revoked' | 'late' | 'duplicate'): void;
  /** How many entries are held (for tests and metrics). */
  size(): number;
}

/** Creates an empty {@link RunStatusCache}. */
export function createRunStatusCache(options: RunStatusCacheOptions = {}): RunStatusCache {
  const max = Math.max(1, Math.floor(options.maxEntries ?? DEFAULT_RUN_STATUS_CACHE_SIZE));
  const waits = new Map<string, WaitFact>();
  const bounds = new Map<string, Readonly<Record<string, string>>>();
  // Map keeps insertion order: re-inserting on read makes the first key the least recently used.
  const touch = <V>(map: Map<string, V>, key: string): V | undefined => {
    const v = map.get(key);
    if (v === undefined) return undefined;
    map.delete(key);
    map.set(key, v);
    return v;
  };
  const put = <V>(map: Map<string, V>, key: string, value: V): void => {
    map.delete(key);
    map.set(key, value);
    while (map.size > max) {
      const oldest = map.keys().next();
      if (oldest.done) break;
      map.delete(oldest.value);
    }
  };
  // Workflow ids may hold any character but a newline is not worth guarding against twice: the run id is a UUID.
  const runKey = (workflowId: string, runId: string): string => `${runId}\n${workflowId}`;
  return {
    wait: (workflowId, runId, waitId) => touch(waits, `${runKey(workflowId, runId)}\n${waitId}`),
    bound: (workflowId, runId) => touch(bounds, runKey(workflowId, runId)),
    rememberDescription(workflowId, runId, waitId, runStatus, memo, quietAnswer) {
      const run = runKey(workflowId, runId);
      if (memo?.bound && Object.keys(memo.bound).length > 0) put(bounds, run, memo.bound);
      if (runStatus !== 'RUNNING') {
        const digest = memo?.waits?.[waitId] === 'received' ? memo.digests?.[waitId] : undefined;
        put(waits, `${run}\n${waitId}`, { kind: 'closed', runStatus, ...(digest !== undefined ? { digest } : {}) });
      } else if (quietAnswer && memo?.quiet?.includes(waitId)) {
        put(waits, `${run}\n${waitId}`, { kind: 'quiet', answer: quietAnswer });
      }
    },
    rememberQuiet(workflowId, runId, waitId, answer) {
      put(waits, `${runKey(workflowId, runId)}\n${waitId}`, { kind: 'quiet', answer });
    },
    size: () => waits.size + bounds.size,
  };
}
