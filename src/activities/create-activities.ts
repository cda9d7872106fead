import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { waitId } from '../core/run-state';
import type { ConnectorPoint } from '../definitions/connector';
import type { AnyProcedure } from '../definitions/procedure';
import { createLogger, hookwaitLogger, type Logger } from '../logging/logger';
import { fromTemporalLogger } from '../logging/temporal-logger';
import { HOOKWAIT_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import { CallbackTokenTooLongError, mintCallbackToken, type TokenKeyring } from '../security/callback-token';
import type { CallConnectorInput, HookwaitActivities } from './activity-types';
import { type ConversationChannel, LoggingConversationChannel } from './conversation-channel';
import { callConnector, CONNECTOR_MISCONFIGURED, type ConnectorThrottledEvent } from './data-connector';

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
  /** Template `env` for connectors; default `process.env`. */
  readonly env?: Record<string, string | undefined>;
  readonly fetch?: typeof fetch;
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
          const missing = HOOKWAIT_SEARCH_ATTRIBUTES.map((k) => k.name).filter((name) => !customAttributes?.[name]);
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
  const standalone = new Map((options.connectors ?? []).map((c) => [c.name, c]));
  async function callDeclaredConnector({ procedure, connector, variables: given, callbackWaits, standalone: isStandalone }: CallConnectorInput): Promise<unknown> {
    if (isStandalone === true) {
      const point = standalone.get(connector);
      if (!point) throw ApplicationFailure.nonRetryable(`connector '${connector}' is not registered with this worker's hookwait plugin: add it to hookwaitPlugin({ connectors })`, CONNECTOR_MISCONFIGURED);
      return callConnector(point, given, connectorContext());
    }
    const p = procedures.get(procedure);
    const point = p && Object.prototype.hasOwnProperty.call(p.connectors, connector) ? p.connectors[connector] : undefined;
    if (!point) {
      throw ApplicationFailure.nonRetryable(`connector '${connector}' of procedure '${procedure}' is not registered with this worker's hookwait plugin`, CONNECTOR_MISCONFIGURED);
    }
    const variables = callbackWaits === undefined ? given : { ...given, callbackUrls: mintCallbackUrls(options, { procedure, ...currentRun() }, callbackWaits) };
    return callConnector(point, variables, connectorContext(procedure));
  }
  function connectorContext(procedure?: string) {
    const signal = cancellationSignal();
    const log = activityLogger(logger);
    return {
      fetch: options.fetch ?? fetch,
      env: options.env ?? process.env,
      logger: procedure !== undefined ? log.child({ procedure }) : log,
      ...(signal ? { signal } : {}),
      ...(options.onConnectorThrottled ? { onThrottled: options.onConnectorThrottled } : {}),
    };
  }

  return {
    // Local activity: the signing key stays in the worker's configuration, never in workflow arguments.
    async hookwaitMintCallbackUrls({ namespace, procedure, workflowId, runId, waits, keyed }) {
      const urls = mintCallbackUrls(options, { namespace, procedure, workflowId, runId }, [...waits.map((wait) => ({ wait })), ...(keyed ?? [])]);
      return { urls, searchAttributes: await searchAttributesUsable(namespace) };
    },
    // Both accept both input shapes: a task scheduled by either version of the workflow code runs on any worker.
    hookwaitCallConnector: callDeclaredConnector,
    hookwaitCallConnectorMinting: callDeclaredConnector,
    async hookwaitSendMessage({ conversationId, text, idempotencyKey }) {
      await channel.sendMessage(conversationId, text, { idempotencyKey });
    },
    async hookwaitAssign({ conversationId, assignee, idempotencyKey, reason }) {
      await channel.assign(conversationId, assignee, { idempotencyKey, ...(reason ? { reason } : {}) });
    },
  };
}
