/**
 * The edge load generator: a child process of the benchmark that sends forged-token callbacks to a gateway over
 * keep-alive connections for a while, and reports how many were answered and with which status. Configured by its
 * environment: EDGE_URL (a callback URL with a forged token), EDGE_SECONDS, EDGE_CONNECTIONS.
 */
import { Agent, request } from 'node:http';

async function main(): Promise<void> {
  const url = new URL(String(process.env.EDGE_URL));
  const seconds = Number(process.env.EDGE_SECONDS ?? '5');
  const connections = Number(process.env.EDGE_CONNECTIONS ?? '16');
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const body = Buffer.from('{"value":"x"}');
  const statuses: Record<string, number> = {};
  let errors = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const req = request(
        { agent, host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': body.length } },
        (res) => {
          res.resume();
          res.on('end', () => {
            statuses[String(res.statusCode)] = (statuses[String(res.statusCode)] ?? 0) + 1;
            resolve();
          });
        },
      );
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end(body);
    });
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < end) await one();
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  process.send?.({ statuses, errors, seconds: elapsed });
  agent.destroy();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`edge load: ${String(err)}\n`);
    process.exit(1);
  },
);
