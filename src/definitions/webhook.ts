import type { JsonTemplate } from './connector';
import { DefinitionError } from './definition-error';
import type { Duration } from './duration';
import { envAllowed, normalizeOutboundCall } from './outbound-env';

/**
 * An outbound webhook: one declared HTTP `POST` or `PUT` that tells another system something happened. `url`,
 * `headers` and the values of `body` are templates over `input`, `attributes` (captured so far), `vars` (given at the
 * send) and `env` (the worker's environment variables the webhook declares in `env`).
 */
export interface WebhookDecl {
  /** The name the send is counted and shown under (stats, metrics, the simulator's path); a procedure's key sets it. */
  readonly name?: string;
  /** Shown in the Web UI; default the name. */
  readonly title?: string;
  /** Default `POST`. */
  readonly method?: 'POST' | 'PUT';
  readonly url: string;
  readonly headers?: { readonly [name: string]: string };
  /** Key-value pairs; a value that is exactly one placeholder keeps its type in JSON (a number stays a number). */
  readonly body?: { readonly [key: string]: JsonTemplate };
  /** `'json'` (default, `application/json`) or `'form'` (`application/x-www-form-urlencoded`, one level of pairs). */
  readonly contentType?: 'json' | 'form';
  /**
   * Attempts in all (default 3: one send and two retries) and the backoff between them. Any answer but 2xx, a
   * network error or a timeout is a failed attempt.
   */
  readonly retry?: { readonly maximumAttempts?: number; readonly initialInterval?: Duration; readonly maximumInterval?: Duration };
  /** Per attempt; default 10s. */
  readonly timeout?: Duration;
  /** When every attempt failed, fail the run (type `HookwaitWebhookFailed`) instead of resolving to `{ ok: false }`. */
  readonly required?: boolean;
  /** The worker's environment variables the templates may read as `{{env.NAME}}` (names or `PREFIX*`; never `HOOKWAIT_*`, `TEMPORAL_*`). */
  readonly env?: readonly string[];
  /**
   * Standard Webhooks signing: `{ secretEnv: 'NAME' }` signs with the `whsec_…` secret in that environment variable
   * (declared in `env`), `false` sends unsigned. Default: the worker's `webhookSigningSecret`
   * (`HOOKWAIT_WEBHOOK_SIGNING_SECRET`), if configured.
   */
  readonly signing?: false | { readonly secretEnv: string };
}

/** A checked webhook declaration with its defaults: plain data, so it travels in the send activity's input. */
export interface WebhookPoint {
  readonly name: string;
  readonly title: string;
  readonly method: 'POST' | 'PUT';
  readonly url: string;
  readonly headers: { readonly [name: string]: string };
  readonly body?: { readonly [key: string]: JsonTemplate };
  readonly contentType: 'json' | 'form';
  readonly timeoutMs: number;
  readonly retry: { readonly maximumAttempts: number; readonly initialIntervalMs: number; readonly maximumIntervalMs: number };
  readonly required: boolean;
  readonly env: readonly string[];
  /** `'default'`: the worker's signing secret, if any; `false`: unsigned; else the environment variable with the secret. */
  readonly signing: 'default' | false | { readonly secretEnv: string };
}

/** What a send resolves to once its last attempt is over (a `required` webhook fails the run instead of `ok: false`). */
export type WebhookResult =
  | { readonly ok: true; readonly status: number; readonly attempts: number }
  | {
      readonly ok: false;
      /** The last attempt's HTTP status; null when it got no answer (network error, timeout, refused by the SSRF guard). */
      readonly status: number | null;
      readonly attempts: number;
      /** Why the last attempt failed. */
      readonly error: string;
    };

const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const KNOWN = new Set(['name', 'title', 'method', 'url', 'headers', 'body', 'contentType', 'retry', 'timeout', 'required', 'env', 'signing']);

/**
 * Checks a webhook declaration and fills in its defaults.
 * @throws {@link DefinitionError} naming the field, e.g. `webhooks.crm.headers.authorization` for an undeclared `{{env.X}}`.
 */
export function normalizeWebhook(name: string, decl: WebhookDecl, field: string): WebhookPoint {
  if (typeof decl !== 'object' || decl === null) throw new DefinitionError(field, 'must be an object');
  if (!NAME.test(name)) throw new DefinitionError(field, 'webhook names are 1-64 letters, digits, "_" or "-", starting with a letter');
  for (const key of Object.keys(decl)) if (!KNOWN.has(key)) throw new DefinitionError(`${field}.${key}`, `is not a webhook option (${[...KNOWN].join(', ')})`);
  const method = decl.method ?? 'POST';
  if (method !== 'POST' && method !== 'PUT') throw new DefinitionError(`${field}.method`, "must be 'POST' or 'PUT'");
  if (typeof decl.url === 'string' && !/^(https?:\/\/|\{\{)/i.test(decl.url.trim())) throw new DefinitionError(`${field}.url`, 'must be an http(s) URL (or start with a placeholder such as {{env.CRM_URL}})');
  for (const h of Object.keys(decl.headers ?? {})) {
    if (/^webhook-(id|timestamp|signature)$/i.test(h)) throw new DefinitionError(`${field}.headers.${h}`, 'is set by hookwait (Standard Webhooks signing)');
  }
  if (decl.body !== undefined && (typeof decl.body !== 'object' || decl.body === null || Array.isArray(decl.body))) {
    throw new DefinitionError(`${field}.body`, 'is an object of key-value pairs');
  }
  const common = normalizeOutboundCall(name, decl, field, { defaultAttempts: 3, maxAttempts: 20, maxTimeoutMs: 5 * 60_000 });
  if (decl.required !== undefined && typeof decl.required !== 'boolean') throw new DefinitionError(`${field}.required`, 'must be true or false');
  const env = common.env;
  let signing: WebhookPoint['signing'] = 'default';
  if (decl.signing === false) signing = false;
  else if (decl.signing !== undefined) {
    const secretEnv = (decl.signing as { secretEnv?: unknown }).secretEnv;
    if (typeof secretEnv !== 'string' || !envAllowed(env, secretEnv)) {
      throw new DefinitionError(`${field}.signing.secretEnv`, `must name an environment variable that ${field}.env declares (never HOOKWAIT_* or TEMPORAL_*)`);
    }
    signing = { secretEnv };
  }
  return {
    name,
    method,
    title: common.title,
    url: common.url,
    headers: common.headers,
    ...(decl.body !== undefined ? { body: decl.body as { readonly [key: string]: JsonTemplate } } : {}),
    contentType: common.contentType,
    timeoutMs: common.timeoutMs,
    retry: common.retry,
    env,
    required: decl.required ?? false,
    signing,
  };
}

/**
 * Declares an outbound webhook for use from any workflow whose worker has the hookwait plugin (send it with
 * `sendWebhook` from `hookwait/workflow`), or inside a procedure's `webhooks`. Pure: checks the declaration at once.
 *
 * @throws {@link DefinitionError} naming the field.
 * @example
 * ```ts
 * export const orderShipped = defineWebhook({
 *   name: 'orderShipped',
 *   title: 'Tell the CRM the order shipped',
 *   method: 'POST',
 *   url: 'https://crm.example.com/hooks/orders/{{vars.orderId}}',
 *   headers: { authorization: 'Bearer {{env.CRM_TOKEN}}' },
 *   body: { order: '{{vars.orderId}}', status: 'shipped' },
 *   contentType: 'form',
 *   env: ['CRM_TOKEN'],
 * });
 * // in a workflow: const sent = await sendWebhook(orderShipped, { orderId });  if (!sent.ok) { … }
 * ```
 */
export function defineWebhook(decl: WebhookDecl): WebhookPoint {
  const name = decl?.name ?? 'webhook';
  return normalizeWebhook(name, decl, decl?.name !== undefined ? `webhook ${decl.name}` : 'webhook');
}

/** Whether a value is a checked webhook (from {@link defineWebhook}) rather than a declaration. */
export function isWebhookPoint(value: unknown): value is WebhookPoint {
  return typeof value === 'object' && value !== null && typeof (value as WebhookPoint).timeoutMs === 'number' && typeof (value as WebhookPoint).retry === 'object' && 'signing' in value;
}
