import { ApplicationFailure } from '@temporalio/common';
import type { ConnectorPoint } from '../definitions/connector';
import { formatZodIssues } from '../definitions/zod-issues';
import type { Logger } from '../logging/logger';
import { retryAfterMs } from './retry-after';
import { OutboundRefusedError } from '../security/outbound-guard';
import { type OutboundRequest, OutboundRequestError, renderOutboundRequest } from './outbound-request';

/** Failure types a workflow can match on; the first three are never retried. */
export const CONNECTOR_REJECTED = 'HookwaitConnectorRejected';
export const CONNECTOR_BAD_RESPONSE = 'HookwaitConnectorBadResponse';
export const CONNECTOR_MISCONFIGURED = 'HookwaitConnectorMisconfigured';
export const CONNECTOR_UNAVAILABLE = 'HookwaitConnectorUnavailable';
/** The SSRF guard refused the target (a loopback, private, link-local or metadata address): nothing was sent, not retried. */
export const OUTBOUND_REFUSED = 'HookwaitOutboundRefused';

const MAX_RESPONSE_BYTES = 1024 * 1024;
const MAX_RETRY_AFTER_MS = 5 * 60_000;

/** What a connector call needs from the worker. */
export interface ConnectorCallContext {
  readonly fetch: typeof fetch;
  /** The worker's environment; the templates see only the variables the connector declares (`env` of its declaration). */
  readonly env: Record<string, string | undefined>;
  readonly logger: Logger;
  /** Aborted when the activity is cancelled. */
  readonly signal?: AbortSignal;
  /** Told the HTTP status of each answer (metrics count 429s). */
  readonly observe?: (status: number) => void;
  /** Told of each 429 answer (the target throttles us), with the Retry-After it asked for, if any. */
  readonly onThrottled?: (event: ConnectorThrottledEvent) => void;
}

/** A connector's target answered 429: see `HookwaitActivitiesOptions.onConnectorThrottled`. */
export interface ConnectorThrottledEvent {
  readonly connector: string;
  /** The milliseconds Retry-After asked for (capped at 5 minutes), or undefined when it gave none. */
  readonly retryAfterMs: number | undefined;
}

function fail(type: string, message: string, nonRetryable: boolean, nextRetryDelayMs?: number): ApplicationFailure {
  return ApplicationFailure.create({
    type,
    message,
    nonRetryable,
    ...(nextRetryDelayMs !== undefined ? { nextRetryDelay: nextRetryDelayMs } : {}),
  });
}

async function readLimited(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_RESPONSE_BYTES) {
      await reader.cancel();
      throw new ResponseTooLarge(`response over ${MAX_RESPONSE_BYTES} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

class ResponseTooLarge extends Error {}

/**
 * Makes one attempt at a connector's HTTP call. Temporal's retry policy (set from the declaration) makes the
 * next one: network errors, timeouts, 5xx and 429 are retryable (429/503 wait for Retry-After); other 4xx,
 * redirects and a response that does not fit the schema fail at once with a message that says why.
 *
 * Failure messages (which Temporal keeps in the run's history) and log lines show the URL as its template with
 * `{{env.*}}` left unexpanded and without the query string, so no environment value ever appears in them.
 */
export async function callConnector(point: ConnectorPoint, variables: Record<string, unknown>, ctx: ConnectorCallContext): Promise<unknown> {
  const where = `connector ${point.name}`;
  let request: OutboundRequest;
  try {
    request = renderOutboundRequest(point, variables, ctx.env, where);
  } catch (err) {
    if (err instanceof OutboundRequestError) throw fail(CONNECTOR_MISCONFIGURED, err.message, true);
    throw err;
  }
  const { url, shownUrl, headers, body } = request;
  const target = `${point.method} ${shownUrl}`;
  const signals = [AbortSignal.timeout(point.timeoutMs), ...(ctx.signal ? [ctx.signal] : [])];
  let res: Response;
  let text: string;
  try {
    res = await ctx.fetch(url, {
      method: point.method,
      headers,
      ...(body !== undefined ? { body } : {}),
      redirect: 'manual',
      signal: AbortSignal.any(signals),
    });
    text = await readLimited(res);
  } catch (err) {
    if (err instanceof ResponseTooLarge) throw fail(CONNECTOR_BAD_RESPONSE, `${where}: ${target}: ${err.message}`, true);
    if (err instanceof OutboundRefusedError) {
      ctx.logger.warn({ connector: point.name, target, range: err.range }, 'connector call refused by the SSRF guard');
      throw fail(OUTBOUND_REFUSED, `${where}: ${target}: ${err.message}`, true);
    }
    ctx.logger.warn({ connector: point.name, target, error: err }, 'connector call failed');
    throw fail(CONNECTOR_UNAVAILABLE, `${where}: ${target} failed: ${(err as Error).message}`, false);
  }
  const snippet = text.slice(0, 300);
  ctx.logger.info({ connector: point.name, target, status: res.status }, 'connector called');
  ctx.observe?.(res.status);
  if (res.status === 429 || res.status >= 500) {
    const delay = retryAfterMs(res.headers.get('retry-after'), MAX_RETRY_AFTER_MS);
    if (res.status === 429) {
      // Counted: a log line with `throttled: true` (count them in your log pipeline) and the worker's hook.
      ctx.logger.warn({ connector: point.name, target, status: 429, throttled: true, retryAfterMs: delay }, 'connector throttled by its target');
      try {
        ctx.onThrottled?.({ connector: point.name, retryAfterMs: delay });
      } catch {
        // a hook's failure is not the call's
      }
    }
    throw fail(CONNECTOR_UNAVAILABLE, `${where}: ${target} answered ${res.status}: ${snippet}`, false, delay);
  }
  if (res.status >= 300 && res.status < 400) {
    throw fail(CONNECTOR_REJECTED, `${where}: ${target} answered a redirect (${res.status}); redirects are not followed`, true);
  }
  if (res.status >= 400) throw fail(CONNECTOR_REJECTED, `${where}: ${target} answered ${res.status}: ${snippet}`, true);

  let json: unknown = null;
  if (text.trim() !== '') {
    try {
      json = JSON.parse(text);
    } catch {
      if (point.response) throw fail(CONNECTOR_BAD_RESPONSE, `${where}: ${target} answered ${res.status} with a body that is not JSON`, true);
      json = text;
    }
  }
  if (!point.response) return json;
  const mapped = point.response.safeParse(json);
  if (!mapped.success) {
    throw fail(CONNECTOR_BAD_RESPONSE, `${where}: response did not fit its schema: ${formatZodIssues(mapped.error, 'response')}`, true);
  }
  return mapped.data;
}
