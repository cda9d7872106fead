/**
 * The trace context of a callback request (W3C `traceparent`, `tracestate`), carried into the Temporal calls the
 * gateway makes for it, through OpenTelemetry's API when the application has one.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type * as OpenTelemetryApi from '@opentelemetry/api';

let api: typeof OpenTelemetryApi | null | undefined;

/** `@opentelemetry/api` if the application has it (an optional peer dependency), else undefined. Loaded once. */
function openTelemetryApi(): typeof OpenTelemetryApi | undefined {
  if (api === undefined) {
    try {
      api = require('@opentelemetry/api') as typeof OpenTelemetryApi;
    } catch {
      api = null;
    }
  }
  return api ?? undefined;
}

/**
 * Runs `fn` in the trace context of an HTTP request, so that the spans started in it (the Temporal client
 * interceptor's `SignalWorkflow:hookwait.callback`, which also writes the context into the signal's headers) belong
 * to the sender's trace.
 *
 * - Without `@opentelemetry/api`, or with no propagator registered, `fn` runs as it is.
 * - When a span is already active (an HTTP instrumentation made one for this request, from the same headers), that
 *   context is kept.
 * - Otherwise the context is read from the headers with the registered propagator (W3C trace context by default).
 *
 * @example
 * ```ts
 * const answer = await withRequestTraceContext(req.headers, () => service.deliver(target, request));
 * ```
 */
export function withRequestTraceContext<T>(headers: IncomingHttpHeaders, fn: () => T): T {
  const otel = openTelemetryApi();
  if (!otel) return fn();
  const active = otel.context.active();
  if (otel.trace.getSpanContext(active) !== undefined) return fn();
  const extracted = otel.propagation.extract(active, headers);
  return extracted === active ? fn() : otel.context.with(extracted, fn);
}
