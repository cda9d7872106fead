import type { Assignee } from '../definitions/wait-point';

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
  hookwaitSendMessage(input: SendMessageInput): Promise<void>;
  hookwaitAssign(input: AssignInput): Promise<void>;
}
