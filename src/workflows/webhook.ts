/**
 * Outbound webhooks in workflow code: `sendWebhook` for any workflow, and the send behind a procedure's
 * `run.sendWebhook`. The retry loop is Temporal's: each attempt is one try of the `hookwaitSendWebhook` activity,
 * retried by its retry policy (attempts and backoff from the declaration). The activity reads its own attempt number:
 * a failed attempt that is not the last throws (retried), the last one returns `{ ok: false, status, attempts }`, so
 * the result is exact and the run's history holds no failure for a send the workflow handles. An activity that never
 * answers (a worker lost mid-attempt until the timeout) surfaces as an `ActivityFailure` once attempts run out, and is
 * turned into the same `{ ok: false }` result.
 */
import { ActivityFailure, ApplicationFailure, proxyActivities, TimeoutFailure, workflowInfo } from '@temporalio/workflow';
import type { HookwaitActivities } from '../activities/activity-types';
import { defineWebhook, isWebhookPoint, type WebhookDecl, type WebhookPoint, type WebhookResult } from '../definitions/webhook';

/** The failure type of a `required` webhook whose every attempt failed. */
export const WEBHOOK_FAILED_TYPE = 'HookwaitWebhookFailed';

/** Sends a checked webhook with the given template variables (the workflow's side of a send). */
export async function sendCheckedWebhook(procedure: string, point: WebhookPoint, variables: Record<string, unknown>): Promise<WebhookResult> {
  const { hookwaitSendWebhook } = proxyActivities<Pick<HookwaitActivities, 'hookwaitSendWebhook'>>({
    // The activity aborts its request at the declared timeout; this bounds an attempt whose worker is lost.
    startToCloseTimeout: point.timeoutMs + 5_000,
    summary: `Webhook: ${point.title}`,
    retry: {
      maximumAttempts: point.retry.maximumAttempts,
      initialInterval: point.retry.initialIntervalMs,
      maximumInterval: point.retry.maximumIntervalMs,
      backoffCoefficient: 2,
    },
  });
  let result: WebhookResult;
  try {
    result = await hookwaitSendWebhook({ procedure, webhook: point, variables });
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    const cause = err.cause;
    // A non-retryable failure is a misconfiguration (or a simulation without a mock): the run fails, saying why.
    if (cause instanceof ApplicationFailure && cause.nonRetryable) throw err;
    const status = cause instanceof ApplicationFailure ? (cause.details?.[0] as { status?: unknown } | undefined)?.status : undefined;
    const why = cause instanceof TimeoutFailure ? `webhook ${point.name}: an attempt timed out` : (cause?.message ?? err.message);
    result = { ok: false, status: typeof status === 'number' ? status : null, attempts: point.retry.maximumAttempts, error: why };
  }
  if (!result.ok && point.required) {
    throw ApplicationFailure.create({
      type: WEBHOOK_FAILED_TYPE,
      nonRetryable: true,
      message: `required webhook '${point.name}' failed after ${result.attempts} attempt${result.attempts === 1 ? '' : 's'}: ${result.error}`,
      details: [result],
    });
  }
  return result;
}

/**
 * Sends an outbound webhook from any workflow whose worker has the hookwait plugin. Its templates see `vars` (and
 * `{{env.*}}` of the variables it declares, filled in by the worker). Resolves to `{ ok: true, status, attempts }` on a
 * 2xx, else, after the last attempt, `{ ok: false, status, attempts, error }`; a `required` webhook fails the run
 * instead (type `HookwaitWebhookFailed`).
 *
 * @example
 * ```ts
 * import { defineWebhook, sendWebhook } from 'hookwait/workflow';
 * const orderShipped = defineWebhook({ name: 'orderShipped', url: 'https://crm.example.com/hooks', body: { order: '{{vars.orderId}}' } });
 * export async function shipOrder(orderId: string): Promise<string> {
 *   const sent = await sendWebhook(orderShipped, { orderId });
 *   return sent.ok ? 'notified' : `not notified (${sent.error})`;
 * }
 * ```
 */
export function sendWebhook(webhook: WebhookPoint | WebhookDecl, vars: Record<string, unknown> = {}): Promise<WebhookResult> {
  const point = isWebhookPoint(webhook) ? webhook : defineWebhook(webhook);
  return sendCheckedWebhook(workflowInfo().workflowType, point, { vars });
}
