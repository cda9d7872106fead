/**
 * Connector calls from workflow code: the activity options a connector's declaration asks for (retries, timeout,
 * and for a connector with `limits`, its own task queue), `callConnector` for connectors made by `defineConnector`,
 * and `pollConnector`, the wait-and-recheck loop.
 */
import { ApplicationFailure, patched, proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { CallConnectorInput, HookwaitActivities } from '../activities/activity-types';
import { type ConnectorDefinition, type ConnectorPoint, connectorTaskQueue, type DefinedConnectorResult } from '../definitions/connector';
import { DefinitionError } from '../definitions/definition-error';
import type { Duration } from '../definitions/duration';
import type { WaitPoll } from './callback';
import type { RuntimePoll } from './runtime';
import { formatDurationMs, nextPollInterval, type PollBackoff, type PollSchedule, pollSchedule, type PollVerdict, pollVerdict } from '../definitions/poll';

/** Patch: a connector declared with `limits` runs on its own task queue (runs that called it before replay on the worker's). */
export const CONNECTOR_LIMITS_PATCH = 'hookwait-connector-limits';

type ConnectorActivities = Pick<HookwaitActivities, 'hookwaitCallConnector' | 'hookwaitCallConnectorMinting'>;

/**
 * The connector activities with the declaration's retry policy and timeout; a connector with `limits` is sent to its
 * own task queue (behind a patch: adding `limits` to a connector that parked runs have called is replay-safe). A
 * procedure decides the patch once, at its start (`limitsPatched`), before its first local activity: see DEVELOPERS.md.
 */
export function connectorActivities(point: ConnectorPoint, owner: string | undefined, summary: string, limitsPatched: () => boolean = () => patched(CONNECTOR_LIMITS_PATCH)): ConnectorActivities {
  const taskQueue = point.limits && limitsPatched() ? connectorTaskQueue(workflowInfo().taskQueue, owner, point.name) : undefined;
  return proxyActivities<ConnectorActivities>({
    startToCloseTimeout: point.timeoutMs + 5_000,
    summary,
    retry: {
      maximumAttempts: point.retry.maximumAttempts,
      initialInterval: point.retry.initialIntervalMs,
      maximumInterval: point.retry.maximumIntervalMs,
      backoffCoefficient: 2,
    },
    ...(taskQueue !== undefined ? { taskQueue } : {}),
  });
}

/** Calls a connector made by `defineConnector` (the worker must have it: `hookwaitPlugin({ connectors })`). */
export function callDefinedConnector(connector: ConnectorPoint, variables: Record<string, unknown>, check?: number): Promise<unknown> {
  const input: CallConnectorInput = { procedure: '', connector: connector.name, standalone: true, variables, ...(check !== undefined ? { check } : {}) };
  const summary = check !== undefined ? `Poll ${connector.title}: check ${check}` : `Data connector: ${connector.title}`;
  return connectorActivities(connector, undefined, summary).hookwaitCallConnectorMinting(input);
}

/**
 * Calls a connector made by {@link defineConnector} from any workflow, and resolves to its response mapped through the
 * connector's schema. Its templates see `vars`. The worker must register it: `hookwaitPlugin({ connectors: [it] })`.
 *
 * @example
 * ```ts
 * import { callConnector } from 'hookwait/workflow';
 * import { kycStatus } from './connectors';
 *
 * const status = await callConnector(kycStatus, { checkId });
 * ```
 */
export async function callConnector<C extends ConnectorDefinition>(connector: C, vars?: Record<string, unknown>): Promise<DefinedConnectorResult<C>> {
  return (await callDefinedConnector(connector, { vars: vars ?? {} })) as DefinedConnectorResult<C>;
}

/** Options of a poll: `run.poll`, {@link pollConnector}. */
export interface PollOptions<R> {
  /** Time between checks (at least 1s); the first check is made at once. */
  readonly every: Duration;
  /** `'done'`, `'pending'` or `'failed'` (or `true` for done, `false` for pending) for one response. */
  readonly until: (response: R) => PollVerdict;
  /** Gives up after this long (at least 1s): the poll resolves `{ ok: false, reason: 'timeout' }`. A last check is made at the deadline. */
  readonly timeout: Duration;
  /** Longer intervals as the poll goes on: a coefficient (`2`), or `{ coefficient?, maximumInterval? }`. Default none. */
  readonly backoff?: PollBackoff | number;
  /** The connector's `{{vars.*}}`. */
  readonly vars?: Record<string, unknown>;
}

/**
 * How a poll ended: `done` (`ok: true`, with the last response), `failed` (the job failed, by `until`), or `timeout`
 * (still pending at the deadline; like a branching wait's `{ ok: false, reason: 'timeout' }`). `checks`: the number of
 * connector calls made.
 */
export type PollResult<R> =
  | { readonly ok: true; readonly response: R; readonly checks: number }
  | { readonly ok: false; readonly reason: 'failed'; readonly response: R; readonly checks: number }
  | { readonly ok: false; readonly reason: 'timeout'; readonly checks: number };

/** Checks poll options into a schedule, or fails the run naming the field (a bug in the workflow). */
export function checkedSchedule(options: { readonly every: Duration; readonly timeout?: Duration; readonly backoff?: PollBackoff | number }, field: string): PollSchedule {
  try {
    return pollSchedule(options, field);
  } catch (err) {
    throw ApplicationFailure.create({ type: 'HookwaitInvalidPoll', message: err instanceof DefinitionError ? err.message : String(err), nonRetryable: true });
  }
}

/** `until`'s answer as a verdict, or the run fails naming what it got. */
export function checkedVerdict(answer: unknown, label: string): 'done' | 'pending' | 'failed' {
  const verdict = pollVerdict(answer);
  if (verdict === undefined) {
    throw ApplicationFailure.create({ type: 'HookwaitInvalidPoll', message: `poll ${label}: until() must return 'done', 'pending', 'failed' or a boolean, got ${typeof answer === 'string' ? JSON.stringify(answer.slice(0, 40)) : typeof answer}`, nonRetryable: true });
  }
  return verdict;
}

/**
 * The wait-and-recheck loop: calls `check(n)` at once, then after each interval (Temporal timers, each with a summary
 * for the Web UI) until `until` says done or failed, or the timeout passes. Durable and deterministic: every check
 * is an activity, every interval a timer.
 */
export async function runPoll<R>(label: string, schedule: PollSchedule & { readonly timeoutMs: number }, check: (n: number) => Promise<R>, until: (response: R) => unknown): Promise<PollResult<R>> {
  const deadline = Date.now() + schedule.timeoutMs;
  for (let n = 1; ; n++) {
    const response = await check(n);
    const verdict = checkedVerdict(until(response), label);
    if (verdict === 'done') return { ok: true, response, checks: n };
    if (verdict === 'failed') return { ok: false, reason: 'failed', response, checks: n };
    const remaining = deadline - Date.now();
    if (remaining <= 0) return { ok: false, reason: 'timeout', checks: n };
    const interval = Math.min(nextPollInterval(schedule, n), remaining);
    await sleep(interval, { summary: `Poll ${label}: check ${n + 1} in ${formatDurationMs(interval)}` });
  }
}

/**
 * Polls a connector made by {@link defineConnector} until `until(response)` says done or failed, or the timeout passes
 * (seed 004's wait-and-recheck loop), from any workflow. In a procedure, use `run.poll`.
 *
 * @example
 * ```ts
 * import { pollConnector } from 'hookwait/workflow';
 * import { kycStatus } from './connectors';
 *
 * const poll = await pollConnector(kycStatus, {
 *   vars: { checkId }, every: '30s', timeout: '1h', backoff: { coefficient: 2, maximumInterval: '5m' },
 *   until: (r) => (r.state === 'pending' ? 'pending' : r.state === 'verified' ? 'done' : 'failed'),
 * });
 * if (!poll.ok && poll.reason === 'timeout') { ... }
 * ```
 */
export async function pollConnector<C extends ConnectorDefinition>(connector: C, options: PollOptions<DefinedConnectorResult<C>>): Promise<PollResult<DefinedConnectorResult<C>>> {
  const schedule = checkedSchedule(options, `poll(${connector.name})`) as PollSchedule & { timeoutMs: number };
  return runPoll(connector.name, schedule, (n) => callDefinedConnector(connector, { vars: options.vars ?? {} }, n) as Promise<DefinedConnectorResult<C>>, options.until as (r: unknown) => unknown);
}

/** The runtime's form of a wait poll. */
export function runtimePoll<R>(label: string, poll: WaitPoll<R>, call: (n: number) => Promise<unknown>): RuntimePoll {
  return {
    connector: label,
    schedule: checkedSchedule(poll, `poll(${label})`),
    call,
    until: poll.until as (response: unknown) => unknown,
    ...(poll.attributes ? { attributes: poll.attributes as (response: unknown) => unknown } : {}),
    verdict: (answer) => checkedVerdict(answer, label),
  };
}
