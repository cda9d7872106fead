import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** The gateway's Prometheus metrics, on a registry of its own (so several gateways can live in one process). */
export interface GatewayMetrics {
  readonly registry: Registry;
  /** Every answer of the callback route, by outcome (`accepted`, `duplicate`, `not-found`, `invalid-attributes`, …). */
  readonly callbacks: Counter<'outcome'>;
  /** Time from request to answer at the edge, by outcome. */
  readonly latency: Histogram<'outcome'>;
  /** Failed calls to Temporal, by operation (`describe`, `signal`, `ready`). */
  readonly temporalErrors: Counter<'operation'>;
}

export function createGatewayMetrics(options: { readonly defaultMetrics?: boolean } = {}): GatewayMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'hookwait_gateway_' });
  return {
    registry,
    callbacks: new Counter({ name: 'hookwait_callbacks_total', help: 'Callback requests answered, by outcome', labelNames: ['outcome'], registers: [registry] }),
    latency: new Histogram({
      name: 'hookwait_callback_duration_seconds',
      help: 'Time to answer a callback request at the edge, by outcome',
      labelNames: ['outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    temporalErrors: new Counter({ name: 'hookwait_temporal_errors_total', help: 'Failed calls from the gateway to Temporal, by operation', labelNames: ['operation'], registers: [registry] }),
  };
}
