import { Counter, Histogram, Registry } from 'prom-client';

/** The outcome label of `hookwait_outbound_total`. */
export type OutboundOutcome = 'sent' | 'failed' | 'retried' | 'rate_limited' | 'refused';

/**
 * The worker's outbound metrics (webhooks and data connectors), on a registry of their own:
 * - `hookwait_outbound_total{procedure, name, kind, outcome}`: `kind` is `webhook` or `connector`; `outcome` is
 *   `sent` (a send or call that succeeded, once however many attempts it took), `failed` (its last attempt failed),
 *   `refused` (the SSRF guard refused the target; also counted as `failed`), `retried` (an attempt failed and
 *   another follows) and `rate_limited` (an attempt answered 429; also counted as `retried` or `failed`);
 * - `hookwait_outbound_duration_seconds{procedure, name, kind}`: time per attempt, answer read.
 *
 * @example
 * ```ts
 * const metrics = createOutboundMetrics();
 * hookwaitPlugin({ ..., metrics });
 * app.get('/metrics', async (_req, res) => res.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
 * ```
 */
export interface OutboundMetrics {
  readonly registry: Registry;
  readonly total: Counter<'procedure' | 'name' | 'kind' | 'outcome'>;
  readonly duration: Histogram<'procedure' | 'name' | 'kind'>;
}

/**
 * Creates the outbound metrics on a new registry (or on `registry`). See {@link OutboundMetrics}.
 *
 * @example
 * ```ts
 * const metrics = createOutboundMetrics(gatewayMetrics.registry); // one /metrics for both, in a single process
 * ```
 */
export function createOutboundMetrics(registry: Registry = new Registry()): OutboundMetrics {
  return {
    registry,
    total: new Counter({
      name: 'hookwait_outbound_total',
      help: 'Outbound webhook sends and data connector calls, by outcome (sent, failed, refused, retried, rate_limited)',
      labelNames: ['procedure', 'name', 'kind', 'outcome'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'hookwait_outbound_duration_seconds',
      help: 'Time per outbound attempt (webhook or data connector), answer read',
      labelNames: ['procedure', 'name', 'kind'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
  };
}
