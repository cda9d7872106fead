import { createServer, type Server } from 'node:http';
import type { OutboundMetrics } from '../activities/outbound-metrics';
import type { Logger } from '../logging/logger';

/**
 * Serves the worker's outbound metrics (`hookwait_outbound_total`, `hookwait_outbound_duration_seconds`) for
 * Prometheus at `GET /metrics` on `host:port` (loopback by default: `HOOKWAIT_OUTBOUND_METRICS_HOST`). Anything else is 404.
 */
export async function serveOutboundMetrics(metrics: OutboundMetrics, at: { readonly port: number; readonly host: string }, logger: Logger): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method === 'GET' && (req.url === '/metrics' || req.url?.startsWith('/metrics?'))) {
      metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => resolve());
  });
  logger.info({ host: at.host, port: at.port }, 'outbound metrics at /metrics');
  return server;
}
