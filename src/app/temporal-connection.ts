import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { TemporalSettings } from '../config';
import type { Logger } from '../logging/logger';

/**
 * `Connection` and `NativeConnection` options from the settings `loadConfig()` took from `@temporalio/envconfig`
 * (profile and environment): address, TLS, API key and gRPC metadata.
 */
function connectionOptions(t: Pick<TemporalSettings, 'address' | 'tls' | 'apiKey' | 'metadata'>) {
  return {
    address: t.address,
    ...(t.tls !== undefined ? { tls: t.tls } : {}),
    ...(t.apiKey ? { apiKey: t.apiKey } : {}),
    ...(t.metadata ? { metadata: { ...t.metadata } } : {}),
  };
}

/**
 * A client whose connection is made on first use, so the gateway starts (and answers 503) while Temporal is
 * down, and recovers by itself when it is back.
 */
export function lazyClient(t: TemporalSettings): Client {
  return new Client({ connection: Connection.lazy(connectionOptions(t)), namespace: t.namespace });
}

/** A client connected now (the CLI and the dev command: fail fast when Temporal is not there). */
export async function connectClient(t: TemporalSettings): Promise<Client> {
  return new Client({ connection: await Connection.connect(connectionOptions(t)), namespace: t.namespace });
}

/** Connects the worker's native connection, retrying while the server starts (compose brings both up at once). */
export async function connectWorker(t: TemporalSettings, logger: Logger, attempts = 60): Promise<NativeConnection> {
  for (let i = 1; ; i++) {
    try {
      return await NativeConnection.connect(connectionOptions(t));
    } catch (err) {
      if (i >= attempts) throw err;
      logger.warn({ address: t.address, attempt: i, error: err }, 'temporal not reachable yet; retrying');
      await new Promise((r) => setTimeout(r, 2_000));
    }
  }
}
