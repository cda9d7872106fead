import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { Webhook } from 'standardwebhooks';
import type { WebhookPoint, WebhookResult } from '../definitions/webhook';
import type { Logger } from '../logging/logger';
import { OutboundRefusedError } from '../security/outbound-guard';
import { type OutboundRequest, OutboundRequestError, renderOutboundRequest } from './outbound-request';
import { retryAfterMs } from './retry-after';

/** A failed attempt that is not the last: Temporal retries it (its details carry `{ status }`). */
export const WEBHOOK_ATTEMPT_FAILED = 'HookwaitWebhookAttemptFailed';
/** A `required` webhook whose last attempt failed: the run fails with this type. */
export const WEBHOOK_FAILED = 'HookwaitWebhookFailed';

const MAX_RETRY_AFTER_MS = 5 * 60_000;
const MAX_ANSWER_BYTES = 64 * 1024;

/** What one webhook attempt needs from the worker. */
export interface WebhookSendContext {
  readonly fetch: typeof fetch;
  /** The worker's environment; the templates see only the variables the webhook declares. */
  readonly env: Record<string, string | undefined>;
  /** The worker's default Standard Webhooks secret (`whsec_…`), for webhooks that do not choose their own. */
  readonly signingSecret?: string;
  readonly logger: Logger;
  readonly signal?: AbortSignal;
  /** The send's `webhook-id`: the same for every attempt of one send. */
  readonly messageId: string;
  /** This attempt (1 for the first) and how many there are in all. */
  readonly attempt: number;
  readonly maximumAttempts: number;
  /** Seconds since the epoch for `webhook-timestamp`; default now. */
  readonly now?: () => number;
}

/** One attempt: its answer (or why there was none), and the request as sent. */
export interface WebhookAttempt {
  readonly request: OutboundRequest;
  readonly status: number | null;
  readonly headers: Record<string, string>;
  /** The first 64 KiB of the answer, as text. */
  readonly body: string;
  readonly error?: string;
  /** The SSRF guard refused the target or the request could not be rendered: retrying cannot help. */
  readonly final?: boolean;
  /** The SSRF guard refused the target: nothing was sent. */
  readonly refused?: boolean;
}

/** A `webhook-id` for one send (stable across its retries): derived from the run and the activity. */
export function webhookMessageId(parts: readonly string[]): string {
  return `msg_${createHash('sha256').update(parts.join('\u0000')).digest('base64url').slice(0, 27)}`;
}

function isRefusal(err: unknown): err is OutboundRefusedError {
  return err instanceof OutboundRefusedError || (err as { code?: unknown } | null)?.code === 'HOOKWAIT_OUTBOUND_REFUSED';
}

async function readSome(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size >= MAX_ANSWER_BYTES) {
      await reader.cancel();
      break;
    }
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, MAX_ANSWER_BYTES);
}

/**
 * Renders, signs and sends one webhook request; never throws for a failed send (the answer says what happened).
 * Every send carries `webhook-id`; with a secret, signing follows Standard Webhooks: `webhook-timestamp`, and
 * `webhook-signature` over `<id>.<timestamp>.<body>`.
 */
export async function attemptWebhook(point: WebhookPoint, variables: Record<string, unknown>, ctx: Omit<WebhookSendContext, 'attempt' | 'maximumAttempts'>): Promise<WebhookAttempt> {
  const where = `webhook ${point.name}`;
  let request: OutboundRequest;
  try {
    request = renderOutboundRequest(point, variables, ctx.env, where);
  } catch (err) {
    if (err instanceof OutboundRequestError) {
      return { request: { method: point.method, url: '', shownUrl: point.url, headers: {} }, status: null, headers: {}, body: '', error: err.message, final: true };
    }
    throw err;
  }
  const secret = point.signing === false ? undefined : point.signing === 'default' ? ctx.signingSecret : ctx.env[point.signing.secretEnv];
  if (point.signing !== false && point.signing !== 'default' && !secret) {
    return { request, status: null, headers: {}, body: '', error: `${where}: the signing secret ${point.signing.secretEnv} is not set in the worker's environment`, final: true };
  }
  // `webhook-id` goes with every send, signed or not: receivers deduplicate retries on it.
  const headers: Record<string, string> = { ...request.headers, 'webhook-id': ctx.messageId };
  if (secret) {
    const timestamp = new Date((ctx.now?.() ?? Math.floor(Date.now() / 1000)) * 1000);
    headers['webhook-timestamp'] = String(Math.floor(timestamp.getTime() / 1000));
    try {
      headers['webhook-signature'] = new Webhook(secret).sign(ctx.messageId, timestamp, request.body ?? '');
    } catch (err) {
      return { request, status: null, headers: {}, body: '', error: `${where}: the signing secret is not a valid whsec_ secret (${(err as Error).message})`, final: true };
    }
  }
  const sent: OutboundRequest = { ...request, headers };
  const target = `${point.method} ${request.shownUrl}`;
  try {
    const res = await ctx.fetch(request.url, {
      method: point.method,
      headers,
      ...(request.body !== undefined ? { body: request.body } : {}),
      redirect: 'manual',
      signal: AbortSignal.any([AbortSignal.timeout(point.timeoutMs), ...(ctx.signal ? [ctx.signal] : [])]),
    });
    const body = await readSome(res);
    const answerHeaders: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      answerHeaders[k] = v;
    });
    const ok = res.status >= 200 && res.status < 300;
    const error = ok
      ? undefined
      : res.status >= 300 && res.status < 400
        ? `${where}: ${target} answered a redirect (${res.status}); redirects are not followed`
        : `${where}: ${target} answered ${res.status}`;
    return { request: sent, status: res.status, headers: answerHeaders, body, ...(error ? { error } : {}) };
  } catch (err) {
    if (isRefusal(err)) return { request: sent, status: null, headers: {}, body: '', error: `${where}: ${target}: ${err.message}`, final: true, refused: true };
    return { request: sent, status: null, headers: {}, body: '', error: `${where}: ${target} failed: ${(err as Error).message}` };
  }
}

/**
 * One attempt of a send, as the activity makes it. A 2xx resolves to `{ ok: true }`. A failed attempt that is not
 * the last throws a retryable failure (Temporal's retry policy, set from the declaration, makes the next attempt;
 * `Retry-After` of a 429 or 503 is honoured); the last one, or one retrying cannot help (the SSRF guard refused the
 * target, a template value is missing), resolves to `{ ok: false, status, attempts, error }`: the exact result, read
 * from the activity's own attempt number, with no failure in the run's history.
 */
export async function sendWebhookAttempt(point: WebhookPoint, variables: Record<string, unknown>, ctx: WebhookSendContext): Promise<{ readonly result: WebhookResult; readonly attempt: WebhookAttempt }> {
  const attempt = await attemptWebhook(point, variables, ctx);
  const target = `${point.method} ${attempt.request.shownUrl}`;
  if (attempt.status !== null && attempt.status >= 200 && attempt.status < 300) {
    ctx.logger.info({ webhook: point.name, target, status: attempt.status, attempt: ctx.attempt }, 'webhook sent');
    return { result: { ok: true, status: attempt.status, attempts: ctx.attempt }, attempt };
  }
  const error = attempt.error ?? `webhook ${point.name}: failed`;
  if (attempt.final || ctx.attempt >= ctx.maximumAttempts) {
    ctx.logger.warn({ webhook: point.name, target, status: attempt.status, attempt: ctx.attempt }, `webhook failed: ${error}`);
    return { result: { ok: false, status: attempt.status, attempts: ctx.attempt, error }, attempt };
  }
  ctx.logger.info({ webhook: point.name, target, status: attempt.status, attempt: ctx.attempt }, 'webhook attempt failed; retrying');
  const delay = attempt.status === 429 || attempt.status === 503 ? retryAfterMs(attempt.headers['retry-after'] ?? null, MAX_RETRY_AFTER_MS) : undefined;
  const failure = ApplicationFailure.create({
    type: WEBHOOK_ATTEMPT_FAILED,
    message: error,
    nonRetryable: false,
    details: [{ status: attempt.status }],
    ...(delay !== undefined ? { nextRetryDelay: delay } : {}),
  });
  // History keeps the last failure (the next attempt's `lastFailure`): the message says it all, and a stack trace
  // would only put the worker's file paths there.
  failure.stack = '';
  throw failure;
}
