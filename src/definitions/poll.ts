/**
 * Pure rules of polling (`run.poll`, a wait's `poll`) and of progress messages while a wait is open: the schedule,
 * the verdicts, the message templates. No clock and no Temporal: the workflow runtime applies them.
 */
import { DefinitionError } from './definition-error';
import { type Duration, durationToMs } from './duration';
import { PLACEHOLDER_SOURCE } from './template-placeholders';

/** What `until(response)` answers: the job is `done`, still `pending`, or `failed`; `true` is done, `false` pending. */
export type PollVerdict = 'done' | 'pending' | 'failed' | boolean;

/** How a poll spaces its checks. */
export interface PollBackoff {
  /** Each interval is the previous one times this (1-10); default 2 when `backoff` is given. */
  readonly coefficient?: number;
  /** The longest interval; default 10 times `every`. */
  readonly maximumInterval?: Duration;
}

/** The checked schedule of a poll. */
export interface PollSchedule {
  readonly everyMs: number;
  readonly coefficient: number;
  readonly maximumIntervalMs: number;
  /** The poll's own timeout (`run.poll`); absent for a wait's poll, which ends with the wait. */
  readonly timeoutMs?: number;
}

/**
 * Shortest interval between two checks (and between progress messages): faster than this is a mistake.
 *
 * @example
 * ```ts
 * pollSchedule({ every: MIN_POLL_INTERVAL_MS }, 'poll'); // the fastest poll there is: one check a second
 * ```
 */
export const MIN_POLL_INTERVAL_MS = 1_000;

/**
 * Checks a poll's `every`, `timeout` and `backoff`, or throws a {@link DefinitionError} naming the field.
 *
 * @example
 * ```ts
 * pollSchedule({ every: '30s', timeout: '1h', backoff: { coefficient: 2, maximumInterval: '5m' } }, 'poll');
 * // { everyMs: 30_000, coefficient: 2, maximumIntervalMs: 300_000, timeoutMs: 3_600_000 }
 * ```
 */
export function pollSchedule(options: { readonly every: Duration; readonly timeout?: Duration; readonly backoff?: PollBackoff | number }, field: string): PollSchedule {
  const everyMs = durationToMs(options.every, `${field}.every`);
  if (everyMs < MIN_POLL_INTERVAL_MS) throw new DefinitionError(`${field}.every`, `must be at least 1s, got ${JSON.stringify(options.every)}`);
  let coefficient = 1;
  let maximumIntervalMs = everyMs;
  const backoff = options.backoff;
  if (backoff !== undefined) {
    const given = typeof backoff === 'number' ? { coefficient: backoff } : backoff;
    if (typeof given !== 'object' || given === null) throw new DefinitionError(`${field}.backoff`, 'must be a number (the coefficient) or { coefficient?, maximumInterval? }');
    coefficient = given.coefficient ?? 2;
    if (typeof coefficient !== 'number' || !Number.isFinite(coefficient) || coefficient < 1 || coefficient > 10) {
      throw new DefinitionError(`${field}.backoff.coefficient`, `must be a number from 1 to 10, got ${JSON.stringify(given.coefficient)}`);
    }
    maximumIntervalMs = given.maximumInterval !== undefined ? durationToMs(given.maximumInterval, `${field}.backoff.maximumInterval`) : everyMs * 10;
    if (maximumIntervalMs < everyMs) throw new DefinitionError(`${field}.backoff.maximumInterval`, 'must be at least `every`');
  }
  const schedule = { everyMs, coefficient, maximumIntervalMs };
  if (options.timeout === undefined) return schedule;
  const timeoutMs = durationToMs(options.timeout, `${field}.timeout`);
  if (timeoutMs < MIN_POLL_INTERVAL_MS) throw new DefinitionError(`${field}.timeout`, `must be at least 1s, got ${JSON.stringify(options.timeout)}`);
  return { ...schedule, timeoutMs };
}

/**
 * The interval before check `check + 1` (check 1 is made at once): `every × coefficient^(check-1)`, at most
 * `maximumInterval`.
 *
 * @example
 * ```ts
 * nextPollInterval({ everyMs: 1000, coefficient: 2, maximumIntervalMs: 5000 }, 3); // 4000
 * ```
 */
export function nextPollInterval(schedule: PollSchedule, check: number): number {
  return Math.round(Math.min(schedule.maximumIntervalMs, schedule.everyMs * schedule.coefficient ** Math.max(0, check - 1)));
}

/**
 * Reads `until`'s answer: `'done' | 'pending' | 'failed'`, or `true` (done) / `false` (pending). Anything else is
 * `undefined` (the caller fails the run: the author's `until` is wrong).
 *
 * @example
 * ```ts
 * pollVerdict(true);     // 'done'
 * pollVerdict('failed'); // 'failed'
 * pollVerdict('DONE');   // undefined
 * ```
 */
export function pollVerdict(answer: unknown): 'done' | 'pending' | 'failed' | undefined {
  if (answer === true) return 'done';
  if (answer === false) return 'pending';
  return answer === 'done' || answer === 'pending' || answer === 'failed' ? answer : undefined;
}

/** Progress messages of a wait, as the author declares them. */
export interface ProgressDecl {
  /** Time between messages, from the moment the wait begins (at least 1s): message 1 goes after `every`. */
  readonly every: Duration;
  /**
   * The text. Placeholders: `{{progress.index}}` (1, 2, …), `{{progress.max}}`, `{{progress.elapsed}}` (time since the
   * wait began, e.g. `4m`).
   */
  readonly message: string;
  /** At most this many messages (1-100); default 3. */
  readonly max?: number;
}

/** Progress messages after definition-time checks. */
export interface ProgressPoint {
  readonly everyMs: number;
  readonly message: string;
  readonly max: number;
}

const PROGRESS_PLACEHOLDERS = new Set(['progress.index', 'progress.max', 'progress.elapsed']);

/**
 * Checks a wait's `progress`, or throws a {@link DefinitionError} naming the field.
 *
 * @example
 * ```ts
 * normalizeProgress({ every: '2m', message: 'Still checking…' }, 'waits.kyc.progress'); // { everyMs: 120_000, message: 'Still checking…', max: 3 }
 * normalizeProgress({ every: '2m', message: 'Hi {{input.name}}' }, 'waits.kyc.progress'); // throws: waits.kyc.progress.message: {{input.name}} is not a progress placeholder…
 * ```
 */
export function normalizeProgress(decl: unknown, field: string): ProgressPoint {
  if (typeof decl !== 'object' || decl === null || Array.isArray(decl)) throw new DefinitionError(field, "must be { every, message, max? }, e.g. { every: '2m', message: 'Still checking…', max: 3 }");
  const d = decl as Record<string, unknown>;
  const everyMs = durationToMs(d.every, `${field}.every`);
  if (everyMs < MIN_POLL_INTERVAL_MS) throw new DefinitionError(`${field}.every`, `must be at least 1s, got ${JSON.stringify(d.every)}`);
  if (typeof d.message !== 'string' || d.message.trim() === '') throw new DefinitionError(`${field}.message`, 'is required');
  for (const m of d.message.matchAll(new RegExp(PLACEHOLDER_SOURCE, 'g'))) {
    if (!PROGRESS_PLACEHOLDERS.has(m[1] ?? '')) throw new DefinitionError(`${field}.message`, `{{${m[1]}}} is not a progress placeholder: use ${[...PROGRESS_PLACEHOLDERS].map((p) => `{{${p}}}`).join(', ')}`);
  }
  const max = d.max ?? 3;
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 100) throw new DefinitionError(`${field}.max`, `must be a whole number from 1 to 100, got ${JSON.stringify(d.max)}`);
  return { everyMs, message: d.message, max };
}

/**
 * A compact duration: the largest unit that divides it (`2m`, `90s`, `1500ms`, `36h`).
 *
 * @example
 * ```ts
 * formatDurationMs(120_000); // '2m'
 * formatDurationMs(1_500);   // '1500ms'
 * ```
 */
export function formatDurationMs(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1_000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/**
 * The text of progress message `index` (1-based).
 *
 * @example
 * ```ts
 * progressMessage({ everyMs: 120_000, message: 'Still checking ({{progress.elapsed}})', max: 3 }, 2); // 'Still checking (4m)'
 * ```
 */
export function progressMessage(progress: ProgressPoint, index: number): string {
  const values: Record<string, string> = {
    'progress.index': String(index),
    'progress.max': String(progress.max),
    'progress.elapsed': formatDurationMs(progress.everyMs * index),
  };
  return progress.message.replace(new RegExp(PLACEHOLDER_SOURCE, 'g'), (whole, path: string) => values[path] ?? whole);
}
