import type { ConversationChannel } from '../../src/activities/conversation-channel';
import type { Assignee } from '../../src/definitions/wait-point';

/** A conversation channel that records deliveries, deduplicated by idempotency key like a real helpdesk. */
export class RecordingChannel implements ConversationChannel {
  readonly messages: { conversationId: string; text: string; key: string }[] = [];
  readonly assignments: { conversationId: string; assignee: Assignee; key: string }[] = [];
  /** Calls seen, including duplicates a retry would make. */
  calls = 0;
  private readonly keys = new Set<string>();
  /** Fail this many assign calls first (to exercise activity retries). */
  failAssigns = 0;

  async sendMessage(conversationId: string, text: string, { idempotencyKey }: { idempotencyKey: string }): Promise<void> {
    this.calls++;
    if (this.keys.has(idempotencyKey)) return;
    this.keys.add(idempotencyKey);
    this.messages.push({ conversationId, text, key: idempotencyKey });
  }

  async assign(conversationId: string, assignee: Assignee, { idempotencyKey }: { idempotencyKey: string }): Promise<void> {
    this.calls++;
    if (this.failAssigns > 0) {
      this.failAssigns--;
      throw new Error('helpdesk briefly unavailable');
    }
    if (this.keys.has(idempotencyKey)) return;
    this.keys.add(idempotencyKey);
    this.assignments.push({ conversationId, assignee, key: idempotencyKey });
  }
}
