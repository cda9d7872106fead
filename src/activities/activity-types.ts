import type { Assignee } from '../definitions/wait-point';
import type { WebhookPoint, WebhookResult } from '../definitions/webhook';

export interface MintCallbackUrlsInput {
  readonly namespace: string;
  readonly procedure: string;
  readonly workflowId: string;
  readonly runId: string;
  readonly waits: readonly string[];
  /** Keys of keyed waits to mint too; their URLs come back under `<wait>:<key>`. */
  readonly keyed?: readonly { readonly wait: string; readonly key: string }[];
}
export interface MintCallbackUrlsResult {
  readonly urls: Record<string, string>;
  /** Whether the hookwait search attributes are registered and should be upserted. */
  readonly searchAttributes: boolean;
  /**
   * The worker's `HOOKWAIT_MAX_WAIT_TIMEOUT` in ms: a run's `wait(…, { timeout })` beyond it fails the run. Recorded
   * in history with the result, so replay sees the limit the run saw (absent from runs minted before it existed).
   */
  readonly maxWaitTimeoutMs?: number;
}
export interface CallConnectorInput {
  readonly procedure: string;
  readonly connector: string;
  /**
   * Template variables: `input`, `attributes`, `vars`. (`env` is added by the activity.) Runs scheduled by earlier
   * versions also carry `callbackUrls` here, used as they are.
   */
  readonly variables: Record<string, unknown>;
  /**
   * The waits (keyed ones with their key) whose URLs `{{callbackUrls.*}}` offers: the activity mints them again
   * (deterministic), so no live URL travels in the activity's input, which workflow history keeps.
   */
  readonly callbackWaits?: readonly { readonly wait: string; readonly key?: string }[];
  /** A connector made by `defineConnector` (the worker's `connectors`), not one of `procedure`'s. */
  readonly standalone?: boolean;
  /** The check's number when the call is one check of a poll (1, 2, …): for logs and the simulator's path. */
  readonly check?: number;
}
export interface SendWebhookInput {
  /** The workflow type (the procedure's name): a label of the metrics and stats. */
  readonly procedure: string;
  /** The checked declaration (templates only: `{{env.*}}` values are filled in by the activity). */
  readonly webhook: WebhookPoint;
  /** Template variables: `input`, `attributes`, `vars`. */
  readonly variables: Record<string, unknown>;
}
export interface SendMessageInput {
  readonly conversationId: string;
  readonly text: string;
  /** Stable across retries, so the channel delivers the message once. */
  readonly idempotencyKey: string;
}
export interface AssignInput {
  readonly conversationId: string;
  readonly assignee: Assignee;
  readonly idempotencyKey: string;
  readonly reason?: string;
}

/** The activities the hookwait plugin registers on a worker. */
export interface HookwaitActivities {
  hookwaitMintCallbackUrls(input: MintCallbackUrlsInput): Promise<MintCallbackUrlsResult>;
  /** The connector call of runs started before connector inputs lost their callback URLs (`variables.callbackUrls`). */
  hookwaitCallConnector(input: CallConnectorInput): Promise<unknown>;
  /** The connector call: mints the callback URLs it needs from `callbackWaits`, so its input carries none. */
  hookwaitCallConnectorMinting(input: CallConnectorInput): Promise<unknown>;
  /**
   * One attempt of an outbound webhook send: `{ ok: true }` on 2xx; a failed attempt that is not the last throws
   * (retried by Temporal); the last resolves to `{ ok: false }`.
   */
  hookwaitSendWebhook(input: SendWebhookInput): Promise<WebhookResult>;
  hookwaitSendMessage(input: SendMessageInput): Promise<void>;
  hookwaitAssign(input: AssignInput): Promise<void>;
}
