import { ApplicationFailure } from '@temporalio/common';
import { type Assignee, assigneeLabel } from '../definitions/wait-point';
import { hookwaitLogger, type Logger } from '../logging/logger';
import { PATH_SEGMENT_RULE, pathSegmentProblem, shownValue } from './path-segment';
import { retryAfterMs } from './retry-after';

/**
 * The one port through which procedures talk to the conversation: messages to the customer, and
 * assignment to a team or teammate. Each call carries an idempotency key that is stable across
 * activity retries, so an implementation can deliver each effect once.
 */
export interface ConversationChannel {
  sendMessage(conversationId: string, text: string, options: { readonly idempotencyKey: string }): Promise<void>;
  assign(conversationId: string, assignee: Assignee, options: { readonly idempotencyKey: string; readonly reason?: string }): Promise<void>;
}

/** Options of {@link HttpConversationChannel}. */
export interface HttpConversationChannelOptions {
  /**
   * The helpdesk's base URL; calls go to `<url>/conversations/<id>/messages` and `/assignments`. A conversation id
   * that is empty, `.` or `..`, or contains `/` or `\`, also once percent-decoded (`%2e%2e`, `%2F`, `%5C`), is refused
   * (a non-retryable `HookwaitChannelRejected`), never sent.
   */
  readonly url: string;
  /** Sent as `Authorization: Bearer <token>`. */
  readonly token?: string;
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

/** A conversation channel over HTTP, for a helpdesk that accepts `Idempotency-Key`. */
export class HttpConversationChannel implements ConversationChannel {
  private readonly fetchImpl: typeof fetch;
  constructor(private readonly options: HttpConversationChannelOptions) {
    this.fetchImpl = options.fetch ?? fetch;
  }

  sendMessage(conversationId: string, text: string, options: { readonly idempotencyKey: string }): Promise<void> {
    return this.post(conversationId, 'messages', { text }, options.idempotencyKey);
  }

  assign(conversationId: string, assignee: Assignee, options: { readonly idempotencyKey: string; readonly reason?: string }): Promise<void> {
    const body = {
      assignee: 'team' in assignee ? { type: 'team', id: assignee.team } : { type: 'teammate', id: assignee.teammate },
      ...(options.reason ? { reason: options.reason } : {}),
    };
    return this.post(conversationId, 'assignments', body, options.idempotencyKey);
  }

  private async post(conversationId: string, what: string, body: unknown, idempotencyKey: string): Promise<void> {
    // An id such as '..', '../admin', 'a/../b' or '%2e%2e%2fadmin' would make `<url>/conversations/../admin/messages`
    // (at once, or on a helpdesk that decodes before routing) and post, with the helpdesk token, to another path.
    // Refused rather than encoded: fetch's URL parser reads `%2e` as a dot, and many servers decode `%2F` and `%5C`.
    const problem = pathSegmentProblem(conversationId);
    if (problem) {
      throw ApplicationFailure.nonRetryable(
        `helpdesk ${what}: the conversation id ${shownValue(conversationId)} (${problem}) is refused in the URL path (${PATH_SEGMENT_RULE}); nothing was sent`,
        'HookwaitChannelRejected',
      );
    }
    const url = `${this.options.url}/conversations/${encodeURIComponent(conversationId)}/${what}`;
    let res: Response;
    try {
      res = await this.fetchImpl(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': idempotencyKey,
          ...(this.options.token ? { authorization: `Bearer ${this.options.token}` } : {}),
        },
        body: JSON.stringify(body),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
      await res.arrayBuffer();
    } catch (err) {
      throw ApplicationFailure.retryable(`helpdesk ${what}: ${(err as Error).message}`, 'HookwaitChannelUnavailable');
    }
    if (res.ok) return;
    const message = `helpdesk ${what}: POST ${url} answered ${res.status}`;
    if (res.status === 408 || res.status === 429 || res.status >= 500) {
      const delay = retryAfterMs(res.headers.get('retry-after'), 5 * 60_000);
      throw ApplicationFailure.create({ type: 'HookwaitChannelUnavailable', message, ...(delay !== undefined ? { nextRetryDelay: delay } : {}) });
    }
    throw ApplicationFailure.nonRetryable(message, 'HookwaitChannelRejected');
  }
}

/** Options of {@link LoggingConversationChannel}. */
export interface LoggingConversationChannelOptions {
  /**
   * Log each message and assignment as a warning that it was not delivered: the plugin's default when no channel is
   * configured. Default false (info lines, for development).
   */
  readonly undelivered?: boolean;
}

const NO_CHANNEL = 'no conversation channel is configured (pass `channel` to hookwaitPlugin, e.g. an HttpConversationChannel)';

/** For development: writes each message and assignment to the log, once per idempotency key. */
export class LoggingConversationChannel implements ConversationChannel {
  private readonly seen = new Set<string>();
  private readonly logger: Logger;
  /** `logger`: hookwait's own, a pino logger, or anything with pino's `(fields, msg)` methods. */
  constructor(
    logger: Logger,
    private readonly options: LoggingConversationChannelOptions = {},
  ) {
    this.logger = hookwaitLogger(logger);
  }

  async sendMessage(conversationId: string, text: string, options: { readonly idempotencyKey: string }): Promise<void> {
    if (!this.once(options.idempotencyKey)) return;
    if (this.options.undelivered) this.logger.warn({ conversationId, text }, `message to customer NOT delivered: ${NO_CHANNEL}`);
    else this.logger.info({ conversationId, text }, 'message to customer');
  }

  async assign(conversationId: string, assignee: Assignee, options: { readonly idempotencyKey: string; readonly reason?: string }): Promise<void> {
    if (!this.once(options.idempotencyKey)) return;
    const fields = { conversationId, assignee: assigneeLabel(assignee), reason: options.reason };
    if (this.options.undelivered) this.logger.warn(fields, `conversation assignment NOT delivered: ${NO_CHANNEL}`);
    else this.logger.info(fields, 'conversation assigned');
  }

  private once(key: string): boolean {
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    return true;
  }
}
