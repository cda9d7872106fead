import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import type { HookwaitConfig } from '../config';
import type { AnyProcedure } from '../definitions/procedure';
import type { Logger } from '../logging/logger';
import { createGatewayApp } from './gateway-app';

export interface StartedGateway {
  readonly server: Server;
  readonly url: string;
  stop(): Promise<void>;
}

/** Listens with webhook-friendly timeouts; `stop()` stops accepting and lets requests in flight finish. */
export async function startGateway(config: HookwaitConfig, client: Client, procedures: readonly AnyProcedure[], logger: Logger): Promise<StartedGateway> {
  const app = createGatewayApp({
    client,
    namespace: config.temporal.namespace,
    procedures,
    keyring: config.keyring,
    bodyLimitBytes: config.bodyLimitBytes,
    temporalTimeoutMs: config.temporal.callTimeoutMs,
    logger,
  });
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(config.port, config.host, () => resolve(s));
    s.once('error', reject);
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}`;
  logger.info('gateway listening', { url, publicBaseUrl: config.publicBaseUrl });
  return {
    server,
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
