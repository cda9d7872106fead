import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { waitId } from '../core/run-state';
import type { ConnectorPoint } from '../definitions/connector';
import { parseMaxWaitTimeout } from '../definitions/duration';
import type { AnyProcedure } from '../definitions/procedure';
import { createLogger, hookwaitLogger, type Logger } from '../logging/logger';
import { fromTemporalLogger } from '../logging/temporal-logger';
import { missingRunSearchAttributes } from '../workflows/search-attributes';
import { CallbackTokenTooLongError, mintCallbackToken, type TokenKeyring } from '../security/callback-token';
import type { CallConnectorInput, HookwaitActivities } from './activity-types';
import { type ConversationChannel, LoggingConversationChannel } from './conversation-channel';
import { callConnector, CONNECTOR_MISCONFIGURED, type ConnectorThrottledEvent, OUTBOUND_REFUSED } from './data-connector';
import { envAllowed } from '../definitions/outbound-env';
import { guardedFetch, type OutboundAllowList, parseOutboundAllowList } from '../security/outbound-guard';
import { createOutboundMetrics, type OutboundMetrics } from './outbound-metrics';
import { sendWebhookAttempt, webhookMessageId } from './webhook-send';

export interface HookwaitActivitiesOptions {
  /** The procedures whose data connectors the worker calls; default none (plain workflows with `createCallback`). */
  readonly procedures?: readonly AnyProcedure[];
  /** Connectors made by `defineConnector` that workflows call (`callConnector`, `pollConnector`, a wait's `poll`, `run.poll`). */
  readonly connectors?: readonly ConnectorPoint[];
  /**
   * Called on each 429 a connector's target answers (the call is retried after its Retry-After). Also logged as
   * `connector throttled by its target` with `throttled: true`. E.g. increment your own metric.
   */
  readonly onConnectorThrottled?: (event: ConnectorThrottledEvent) => void;
  readonly keyring: TokenKeyring;
  /** Callback URLs are `<publicBaseUrl>/callbacks/<token>`. */
  readonly publicBaseUrl: string;
  /**
   * Where messages to the customer and escalation assignments go. Default: none; each one is logged as a warning,
   * saying it was not delivered.
   */
  readonly channel?: ConversationChannel;
  /**
   * hookwait's own logger, a pino logger, or anything with pino's `(fields, msg)` methods (default: JSON lines on
   * stdout at level info). Inside an activity, hookwait logs through the activity's logger instead
   * (`Context.current().log`: the worker's `Runtime` logger, with the activity's workflow id, activity type and
   * attempt on each line); this one is the fallback.
   */
  readonly logger?: Logger;
  /** Whether the hookwait search attributes are registered on the namespace (default true). */
  readonly searchAttributes?: boolean;
  /** Template `env` for connectors and webhooks; default `process.env`. */
  readonly env?: Record<string, string | undefined>;
  /**
   * The HTTP client of connectors and webhooks. Default: the SSRF-guarded one ({@link guardedFetch}), which refuses
   * loopback, private, link-local and metadata addresses unless `outboundAllow` lists them. A `fetch` given here
   * replaces it, guard included (tests).
   */
  readonly fetch?: typeof fetch;
  /**
   * Targets the SSRF guard lets through although their addresses are not public: host names, IPs, CIDR ranges,
   * `host:port` (a string as `HOOKWAIT_OUTBOUND_ALLOW` is written, or a list). Default `HOOKWAIT_OUTBOUND_ALLOW`
   * from `process.env`, else none.
   */
  readonly outboundAllow?: string | readonly string[];
  /** The Standard Webhooks secret (`whsec_…`) webhooks are signed with unless they choose their own; default `HOOKWAIT_WEBHOOK_SIGNING_SECRET`. */
  readonly webhookSigningSecret?: string;
  /** Where the outbound counters and durations go; default a registry of the plugin's own ({@link createOutboundMetrics}). */
  readonly metrics?: OutboundMetrics;
}

export function callbackUrl(publicBaseUrl: string, token: string): string {
  return `${publicBaseUrl.replace(/\/+$/, '')}/callbacks/${token}`;
}

/**
 * The logger for work done in an activity: the activity's own (its attributes on every line), else `fallback`
 * (called outside an activity, as unit tests do).
 */
export function activityLogger(fallback: Logger): Logger {
  let context: Context;
  try {
    context = Context.current();
  } catch {
    return fallback;
  }
  return fromTemporalLogger(context.log, { component: 'activities' });
}

/** The namespace and run of the current activity (whose URLs a connector call mints again). */
function currentRun(): { readonly namespace: string; readonly workflowId: string; readonly runId: string } {
  const { workflowNamespace, workflowExecution } = Context.current().info;
  if (!workflowNamespace || !workflowExecution) throw ApplicationFailure.nonRetryable('callback URLs can only be minted for an activity of a workflow run', CONNECTOR_MISCONFIGURED);
  return { namespace: workflowNamespace, workflowId: workflowExecution.workflowId, runId: workflowExecution.runId };
}

function cancellationSignal(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined; // called outside an activity (unit tests)
  }
}

/**
 * Whether the namespace has hookwait's search attributes, asked once per worker process (from the minting activity,
 * through its client). Without them every upsert would fail the workflow task and leave the run stuck: the runs
 * then go on without upserts, and the log says to run `npx hookwait setup`. When the server cannot tell (no
 * permission to list them), the configured value holds.
 */
function searchAttributeCheck(configured: boolean, logger: Logger): (namespace: string) => Promise<boolean> {
  const checks = new Map<string, Promise<boolean>>();
  return (namespace) => {
    if (!configured) return Promise.resolve(false);
    let check = checks.get(namespace);
    if (!check) {
      check = (async () => {
        try {
          const { customAttributes } = await Context.current().client.connection.operatorService.listSearchAttributes({ namespace });
          const missing = missingRunSearchAttributes(customAttributes);
          if (missing.length === 0) return true;
          logger.warn({ namespace, missing }, `namespace '${namespace}' lacks hookwait's search attributes (${missing.join(', ')}): runs go on without them; run \`npx hookwait setup\`, then restart this worker`);
          return false;
        } catch {
          return true;
        }
      })();
      checks.set(namespace, check);
    }
    return check;
  };
}

/** A run whose token would be too long fails at once (not retried): its URLs could never be accepted. */
export const TOKEN_TOO_LONG = 'HookwaitTokenTooLong';

/**
 * Mints the callback URLs of one run's waits (keyed ones under `<wait>:<key>`), deterministically: the same run and
 * wait always give the same URL. A token the gateway could never accept is a non-retryable {@link TOKEN_TOO_LONG}.
 */
export function mintCallbackUrls(
  options: Pick<HookwaitActivitiesOptions, 'keyring' | 'publicBaseUrl'>,
  run: { readonly namespace: string; readonly procedure: string; readonly workflowId: string; readonly runId: string },
  waits: readonly { readonly wait: string; readonly key?: string | undefined }[],
): Record<string, string> {
  const urls: Record<string, string> = {};
  for (const { wait, key } of waits) {
    try {
      urls[waitId(wait, key)] = callbackUrl(options.publicBaseUrl, mintCallbackToken(options.keyring, { ...run, wait, ...(key !== undefined ? { key } : {}) }));
    } catch (err) {
      if (err instanceof CallbackTokenTooLongError) throw ApplicationFailure.nonRetryable(`cannot mint the callback URL of '${waitId(wait, key)}': ${err.message}`, TOKEN_TOO_LONG);
      throw err;
    }
  }
  return urls;
}

/** The activities the hookwait plugin registers: token minting, data connectors and the conversation channel. */
export function createHookwaitActivities(options: HookwaitActivitiesOptions): HookwaitActivities {
  const procedures = new Map((options.procedures ?? []).map((p) => [p.name, p]));
  const logger = hookwaitLogger(options.logger ?? createLogger()).child({ component: 'activities' });
  const channel = options.channel ?? new LoggingConversationChannel(logger, { undelivered: true });
  const searchAttributesUsable = searchAttributeCheck(options.searchAttributes ?? true, logger);
  const allow: OutboundAllowList = parseOutboundAllowList(options.outboundAllow ?? process.env.HOOKWAIT_OUTBOUND_ALLOW);
  const outboundFetch = options.fetch ?? guardedFetch({ allow });
  const metrics = options.metrics ?? createOutboundMetrics();
  const signingSecret = options.webhookSigningSecret ?? (process.env.HOOKWAIT_WEBHOOK_SIGNING_SECRET || undefined);
  const attemptInfo = (): { attempt: number; activityId: string; runId: string; workflowId: string; namespace: string } => {
    try {
      const { attempt, activityId, workflowExecution, workflowNamespace } = Context.current().info;
      return { attempt, activityId, runId: workflowExecution?.runId ?? '', workflowId: workflowExecution?.workflowId ?? '', namespace: workflowNamespace ?? '' };
    } catch {
      return { attempt: 1, activityId: '', runId: '', workflowId: '', namespace: '' };
    }
  };
  const maxWaitTimeoutMs = parseMaxWaitTimeout((options.env ?? process.env).HOOKWAIT_MAX_WAIT_TIMEOUT);
  const standalone = new Map((options.connectors ?? []).map((c) => [c.name, c]));
  async function callDeclaredConnector({ procedure, connector, variables: given, callbackWaits, standalone: isStandalone }: CallConnectorInput): Promise<unknown> {
    let point: ConnectorPoint | undefined;
    if (isStandalone === true) {
      point = standalone.get(connector);
      if (!point) throw ApplicationFailure.nonRetryable(`connector '${connector}' is not registered with this worker's hookwait plugin: add it to hookwaitPlugin({ connectors })`, CONNECTOR_MISCONFIGURED);
    } else {
      const p = procedures.get(procedure);
      point = p && Object.prototype.hasOwnProperty.call(p.connectors, connector) ? p.connectors[connector] : undefined;
      if (!point) {
        throw ApplicationFailure.nonRetryable(`connector '${connector}' of procedure '${procedure}' is not registered with this worker's hookwait plugin`, CONNECTOR_MISCONFIGURED);
      }
    }
    const signal = cancellationSignal();
    const variables = callbackWaits === undefined || isStandalone === true ? given : { ...given, callbackUrls: mintCallbackUrls(options, { procedure, ...currentRun() }, callbackWaits) };
    const labels = { procedure, name: connector, kind: 'connector' };
    const { attempt } = attemptInfo();
    const stopTimer = metrics.duration.startTimer(labels);
    try {
      const result = await callConnector(point, variables, {
        fetch: outboundFetch,
        env: options.env ?? process.env,
        logger: activityLogger(logger).child({ procedure }),
        ...(signal ? { signal } : {}),
        observe: (status) => {
          if (status === 429) metrics.total.inc({ ...labels, outcome: 'rate_limited' });
        },
        ...(options.onConnectorThrottled ? { onThrottled: options.onConnectorThrottled } : {}),
      });
      metrics.total.inc({ ...labels, outcome: 'sent' });
      return result;
    } catch (err) {
      const last = (err instanceof ApplicationFailure && err.nonRetryable) || attempt >= point.retry.maximumAttempts;
      if (err instanceof ApplicationFailure && err.type === OUTBOUND_REFUSED) metrics.total.inc({ ...labels, outcome: 'refused' });
      metrics.total.inc({ ...labels, outcome: last ? 'failed' : 'retried' });
      throw err;
    } finally {
      stopTimer();
    }
  }

  return {
    // Local activity: the signing key stays in the worker's configuration, never in workflow arguments.
    async hookwaitMintCallbackUrls({ namespace, procedure, workflowId, runId, waits, keyed }) {
      const urls = mintCallbackUrls(options, { namespace, procedure, workflowId, runId }, [...waits.map((wait) => ({ wait })), ...(keyed ?? [])]);
      return { urls, searchAttributes: await searchAttributesUsable(namespace), maxWaitTimeoutMs };
    },
    // Both accept both input shapes: a task scheduled by either version of the workflow code runs on any worker.
    hookwaitCallConnector: callDeclaredConnector,
    hookwaitCallConnectorMinting: callDeclaredConnector,
    async hookwaitSendWebhook({ procedure, webhook, variables }) {
      const info = attemptInfo();
      const labels = { procedure, name: webhook.name, kind: 'webhook' };
      if (webhook.signing !== false && webhook.signing !== 'default' && !envAllowed(webhook.env, webhook.signing.secretEnv)) {
        throw ApplicationFailure.nonRetryable(`webhook ${webhook.name}: signing.secretEnv must be declared in its env`, CONNECTOR_MISCONFIGURED);
      }
      const signal = cancellationSignal();
      const stopTimer = metrics.duration.startTimer(labels);
      try {
        const { result, attempt } = await sendWebhookAttempt(webhook, variables, {
          fetch: outboundFetch,
          env: options.env ?? process.env,
          ...(signingSecret ? { signingSecret } : {}),
          logger: activityLogger(logger).child({ procedure }),
          ...(signal ? { signal } : {}),
          // Stable across the attempts of one send, distinct between sends: receivers deduplicate on it.
          messageId: webhookMessageId([info.namespace, info.workflowId, info.runId, info.activityId]),
          attempt: info.attempt,
          maximumAttempts: webhook.retry.maximumAttempts,
        });
        if (attempt.status === 429) metrics.total.inc({ ...labels, outcome: 'rate_limited' });
        if (attempt.refused) metrics.total.inc({ ...labels, outcome: 'refused' });
        metrics.total.inc({ ...labels, outcome: result.ok ? 'sent' : 'failed' });
        return result;
      } catch (err) {
        const status = err instanceof ApplicationFailure ? (err.details?.[0] as { status?: unknown } | undefined)?.status : undefined;
        if (status === 429) metrics.total.inc({ ...labels, outcome: 'rate_limited' });
        metrics.total.inc({ ...labels, outcome: 'retried' });
        throw err;
      } finally {
        stopTimer();
      }
    },
    async hookwaitSendMessage({ conversationId, text, idempotencyKey }) {
      await channel.sendMessage(conversationId, text, { idempotencyKey });
    },
    async hookwaitAssign({ conversationId, assignee, idempotencyKey, reason }) {
      await channel.assign(conversationId, assignee, { idempotencyKey, ...(reason ? { reason } : {}) });
    },
  };
}
