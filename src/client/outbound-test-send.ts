import { declaredEnv, type OutboundRequest, OutboundRequestError, redactOutboundRequest, renderOutboundRequest } from '../activities/outbound-request';
import { attemptWebhook, webhookMessageId } from '../activities/webhook-send';
import type { AnyProcedure } from '../definitions/procedure';
import type { WebhookPoint } from '../definitions/webhook';
import { formatZodIssues } from '../definitions/zod-issues';
import { guardedFetch, OutboundRefusedError, parseOutboundAllowList } from '../security/outbound-guard';
import { randomUUID } from 'node:crypto';
import { silentLogger } from '../logging/logger';

/** A request as shown to a person: secrets redacted. */
export interface ShownRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** What a test send did. */
export interface TestSendReport {
  readonly kind: 'webhook' | 'connector';
  readonly procedure: string;
  readonly name: string;
  /** The request as rendered with the sample data (credential headers, signature and `{{env.*}}` values redacted). */
  readonly request: ShownRequest;
  /** False for a dry run, or when the request could not be made (see `error`). */
  readonly sent: boolean;
  /** What the target answered (the first 64 KiB of its body). */
  readonly response?: { readonly status: number; readonly headers: Readonly<Record<string, string>>; readonly body: string };
  /** For a connector with a `response` schema: the mapped value, or why the answer does not fit. */
  readonly mapping?: { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: string };
  /** Why nothing was sent or no answer came (refused by the SSRF guard, a template value missing, a network error). */
  readonly error?: string;
  /** A 2xx answer (and, for a connector with a schema, a response that fits it). */
  readonly ok: boolean;
}

/**
 * Bad arguments of a test send (an unknown webhook or connector, input that does not fit the schema): the CLI's exit 2.
 *
 * @example
 * ```ts
 * await testSend({ procedure, kind: 'webhook', name: 'nope', input: {}, env: {} }); // throws TestSendUsageError
 * ```
 */
export class TestSendUsageError extends Error {
  override readonly name = 'TestSendUsageError';
}

export interface TestSendOptions {
  readonly procedure: AnyProcedure;
  readonly kind: 'webhook' | 'connector';
  readonly name: string;
  /** Sample input, checked against the procedure's input schema. */
  readonly input: unknown;
  readonly vars?: Record<string, unknown>;
  /** Sample captured attributes, by wait (`{{attributes.<wait>.<name>}}`). Default none. */
  readonly attributes?: Record<string, Record<string, unknown>>;
  /** The environment the templates' `{{env.*}}` read, and `HOOKWAIT_OUTBOUND_ALLOW` / `HOOKWAIT_WEBHOOK_SIGNING_SECRET`. */
  readonly env: Record<string, string | undefined>;
  /** Render and show the request; send nothing. */
  readonly dryRun?: boolean;
  /** Where `{{callbackUrls.*}}` point in a connector's test (default `https://callbacks.invalid`): sample URLs, never live ones. */
  readonly publicBaseUrl?: string;
  /** The HTTP client; default the SSRF-guarded one, allowing `HOOKWAIT_OUTBOUND_ALLOW` from `env`. */
  readonly fetch?: typeof fetch;
}

const MAX_BODY = 64 * 1024;

function shown(request: OutboundRequest, secrets: Record<string, string>): ShownRequest {
  return redactOutboundRequest({ method: request.method, url: request.url, headers: request.headers, ...(request.body !== undefined ? { body: request.body } : {}) }, secrets);
}

async function readBody(res: Response): Promise<string> {
  const text = await res.text();
  return text.slice(0, MAX_BODY);
}

/**
 * The "Test" button of a webhook or connector: renders its request with sample data, sends it once (no retries)
 * through the same SSRF guard and encoder as a worker, and reports what came back. Nothing is recorded in Temporal.
 *
 * @throws {@link TestSendUsageError} for an unknown webhook or connector, or input that does not fit the schema.
 * @example
 * ```ts
 * const report = await testSend({ procedure: identityVerification, kind: 'webhook', name: 'crm', input: { customerId: 'c1' }, env: process.env });
 * console.log(report.response?.status);
 * ```
 */
export async function testSend(options: TestSendOptions): Promise<TestSendReport> {
  const { procedure, kind, name } = options;
  const table: Record<string, unknown> = kind === 'webhook' ? (procedure.webhooks ?? {}) : procedure.connectors;
  if (!Object.prototype.hasOwnProperty.call(table, name)) {
    const known = Object.keys(table);
    throw new TestSendUsageError(`procedure '${procedure.name}' declares no ${kind} '${name}'${known.length ? ` (it declares: ${known.join(', ')})` : ''}`);
  }
  const parsed = procedure.input.safeParse(options.input);
  if (!parsed.success) throw new TestSendUsageError(`invalid input: ${formatZodIssues(parsed.error, 'input')}`);
  const fetchOut = options.fetch ?? guardedFetch({ allow: parseOutboundAllowList(options.env.HOOKWAIT_OUTBOUND_ALLOW) });
  const variables: Record<string, unknown> = { input: parsed.data, attributes: options.attributes ?? {}, vars: options.vars ?? {} };
  const base = { kind, procedure: procedure.name, name };

  if (kind === 'webhook') {
    const point = table[name] as WebhookPoint;
    const secret = point.signing === false ? undefined : point.signing === 'default' ? options.env.HOOKWAIT_WEBHOOK_SIGNING_SECRET : options.env[point.signing.secretEnv];
    const secrets = { ...declaredEnv(point.env, options.env), ...(secret ? { SIGNING_SECRET: secret } : {}) };
    if (options.dryRun) {
      try {
        const request = renderOutboundRequest(point, variables, options.env, `webhook ${name}`);
        const headers = { ...request.headers, 'webhook-id': '(set when sent)', ...(secret ? { 'webhook-timestamp': '(set when sent)', 'webhook-signature': '[redacted]' } : {}) };
        return { ...base, request: shown({ ...request, headers }, secrets), sent: false, ok: true };
      } catch (err) {
        if (!(err instanceof OutboundRequestError)) throw err;
        return { ...base, request: { method: point.method, url: point.url, headers: {} }, sent: false, error: err.message, ok: false };
      }
    }
    const attempt = await attemptWebhook(point, variables, {
      fetch: fetchOut,
      env: options.env,
      ...(options.env.HOOKWAIT_WEBHOOK_SIGNING_SECRET ? { signingSecret: options.env.HOOKWAIT_WEBHOOK_SIGNING_SECRET } : {}),
      logger: silentLogger,
      messageId: webhookMessageId(['test-send', randomUUID()]),
    });
    const request = attempt.request.url === '' ? { method: point.method, url: point.url, headers: {} } : shown(attempt.request, secrets);
    const ok = attempt.status !== null && attempt.status >= 200 && attempt.status < 300;
    return {
      ...base,
      request,
      sent: attempt.status !== null,
      ...(attempt.status !== null ? { response: { status: attempt.status, headers: attempt.headers, body: attempt.body } } : {}),
      ...(attempt.error && attempt.status === null ? { error: attempt.error } : {}),
      ok,
    };
  }

  const point = procedure.connectors[name]!;
  const publicBaseUrl = (options.publicBaseUrl ?? 'https://callbacks.invalid').replace(/\/+$/, '');
  const callbackUrls = Object.fromEntries(Object.keys(procedure.waits).map((w) => [w, `${publicBaseUrl}/callbacks/test-${w}`]));
  const secrets = declaredEnv(point.env, options.env);
  let request: OutboundRequest;
  try {
    request = renderOutboundRequest(point, { ...variables, callbackUrls }, options.env, `connector ${name}`);
  } catch (err) {
    if (!(err instanceof OutboundRequestError)) throw err;
    return { ...base, request: { method: point.method, url: point.url, headers: {} }, sent: false, error: err.message, ok: false };
  }
  const request_ = shown(request, secrets);
  if (options.dryRun) return { ...base, request: request_, sent: false, ok: true };
  let res: Response;
  let body: string;
  try {
    res = await fetchOut(request.url, {
      method: request.method,
      headers: request.headers,
      ...(request.body !== undefined ? { body: request.body } : {}),
      redirect: 'manual',
      signal: AbortSignal.timeout(point.timeoutMs),
    });
    body = await readBody(res);
  } catch (err) {
    const why = err instanceof OutboundRefusedError ? err.message : `failed: ${(err as Error).message}`;
    return { ...base, request: request_, sent: false, error: `connector ${name}: ${point.method} ${request.shownUrl}: ${why}`, ok: false };
  }
  const headers: Record<string, string> = {};
  res.headers.forEach((v, k) => {
    headers[k] = v;
  });
  const ok2xx = res.status >= 200 && res.status < 300;
  let mapping: TestSendReport['mapping'];
  if (point.response && ok2xx) {
    let json: unknown = null;
    try {
      json = body.trim() === '' ? null : JSON.parse(body);
      const mapped = point.response.safeParse(json);
      mapping = mapped.success ? { ok: true, value: mapped.data } : { ok: false, error: `response did not fit its schema: ${formatZodIssues(mapped.error, 'response')}` };
    } catch {
      mapping = { ok: false, error: 'the body is not JSON' };
    }
  }
  return { ...base, request: request_, sent: true, response: { status: res.status, headers, body }, ...(mapping ? { mapping } : {}), ok: ok2xx && (mapping?.ok ?? true) };
}
