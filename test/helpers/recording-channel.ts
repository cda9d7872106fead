import type { ConversationChannel } from '../../src/activities/conversation-channel';
import type { Assignee } from '../../src/definitions/wait-point';

/** A conversation channel that records deliveries, deduplicated by idempotency key like a real helpdesk. */
export class RecordingChannel implements ConversationChannel {
  readonly messages: { conversationId: string; text: string; key: string }[] = [];
  readonly assignments: { conversationId: string; assignee: Assignee; key: string }[] = [];
  /** Calls seen, including duplicates a retry would make. */
  calls = 0;
  private readonly keys = new Set<string>();
  /** Every call, retries included, with the key it carried. */
  readonly attempts: { kind: 'message' | 'assign'; conversationId: string; key: string }[] = [];
  /** Fail this many assign calls first, before applying them (to exercise activity retries). */
  failAssigns = 0;
  /**
   * Apply, then fail, this many calls: the helpdesk did the work but its answer was lost, so the activity is
   * retried. Only the same idempotency key on the retry keeps the customer from getting it twice.
   */
  loseAnswers = { message: 0, assign: 0 };

  async sendMessage(conversationId: string, text: string, { idempotencyKey }: { idempotencyKey: string }): Promise<void> {
    this.calls++;
    this.attempts.push({ kind: 'message', conversationId, key: idempotencyKey });
    if (!this.keys.has(idempotencyKey)) {
      this.keys.add(idempotencyKey);
      this.messages.push({ conversationId, text, key: idempotencyKey });
    }
    this.maybeLoseAnswer('message');
  }

  async assign(conversationId: string, assignee: Assignee, { idempotencyKey }: { idempotencyKey: string }): Promise<void> {
    this.calls++;
    this.attempts.push({ kind: 'assign', conversationId, key: idempotencyKey });
    if (this.failAssigns > 0) {
      this.failAssigns--;
      throw new Error('helpdesk briefly unavailable');
    }
    if (!this.keys.has(idempotencyKey)) {
      this.keys.add(idempotencyKey);
      this.assignments.push({ conversationId, assignee, key: idempotencyKey });
    }
    this.maybeLoseAnswer('assign');
  }

  private maybeLoseAnswer(kind: 'message' | 'assign'): void {
    if (this.loseAnswers[kind] > 0) {
      this.loseAnswers[kind]--;
      throw new Error('helpdesk answer lost');
    }
  }
}
