import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { waitId } from '../core/run-state';
import type { AnyProcedure } from '../definitions/procedure';
import { createLogger, type Logger } from '../logging/logger';
import { mintCallbackToken, type TokenKeyring } from '../security/callback-token';
import type { HookwaitActivities } from './activity-types';
import { type ConversationChannel, LoggingConversationChannel } from './conversation-channel';
import { callConnector, CONNECTOR_MISCONFIGURED } from './data-connector';

export interface HookwaitActivitiesOptions {
  /** The procedures whose data connectors the worker calls; default none (plain workflows with `createCallback`). */
  readonly procedures?: readonly AnyProcedure[];
  readonly keyring: TokenKeyring;
  /** Callback URLs are `<publicBaseUrl>/callbacks/<token>`. */
  readonly publicBaseUrl: string;
  /**
   * Where messages to the customer and escalation assignments go. Default: none; each one is logged as a warning,
   * saying it was not delivered.
   */
  readonly channel?: ConversationChannel;
  /** Default: JSON lines on stdout at level info ({@link createLogger}). */
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

function cancellationSignal(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined; // called outside an activity (unit tests)
  }
}

/** The activities the hookwait plugin registers: token minting, data connectors and the conversation channel. */
export function createHookwaitActivities(options: HookwaitActivitiesOptions): HookwaitActivities {
  const procedures = new Map((options.procedures ?? []).map((p) => [p.name, p]));
  const logger = (options.logger ?? createLogger()).child({ component: 'activities' });
  const channel = options.channel ?? new LoggingConversationChannel(logger, { undelivered: true });
  return {
    // Local activity: the signing key stays in the worker's configuration, never in workflow arguments.
    async hookwaitMintCallbackUrls({ namespace, procedure, workflowId, runId, waits, keyed }) {
      const urls: Record<string, string> = {};
      for (const wait of waits) {
        urls[wait] = callbackUrl(options.publicBaseUrl, mintCallbackToken(options.keyring, { namespace, procedure, workflowId, runId, wait }));
      }
      for (const { wait, key } of keyed ?? []) {
        urls[waitId(wait, key)] = callbackUrl(options.publicBaseUrl, mintCallbackToken(options.keyring, { namespace, procedure, workflowId, runId, wait, key }));
      }
      return { urls, searchAttributes: options.searchAttributes ?? true };
    },
    async hookwaitCallConnector({ procedure, connector, variables }) {
      const p = procedures.get(procedure);
      const point = p && Object.prototype.hasOwnProperty.call(p.connectors, connector) ? p.connectors[connector] : undefined;
      if (!point) {
        throw ApplicationFailure.nonRetryable(`connector '${connector}' of procedure '${procedure}' is not registered with this worker's hookwait plugin`, CONNECTOR_MISCONFIGURED);
      }
      const signal = cancellationSignal();
      return callConnector(point, variables, {
        fetch: options.fetch ?? fetch,
        env: options.env ?? process.env,
        logger: logger.child({ procedure }),
        ...(signal ? { signal } : {}),
      });
    },
    async hookwaitSendMessage({ conversationId, text, idempotencyKey }) {
      await channel.sendMessage(conversationId, text, { idempotencyKey });
    },
    async hookwaitAssign({ conversationId, assignee, idempotencyKey, reason }) {
      await channel.assign(conversationId, assignee, { idempotencyKey, ...(reason ? { reason } : {}) });
    },
  };
}
