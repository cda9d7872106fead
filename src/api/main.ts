import { lazyClient } from '../app/temporal-connection';
import { gatewayProcedureModule, loadProcedureModule } from '../app/procedure-modules';
import { ConfigError, loadConfig } from '../config';
import { createLogger } from '../logging/logger';
import { DRAIN_TIMEOUT_MS, startGateway } from './start-gateway';

/** Past the drain, closing the Temporal connection gets this long before the process exits anyway. */
const EXIT_GRACE_MS = 3_000;

// `npm run gateway`: the standalone callback gateway (stateless; run as many replicas as needed).
async function main(): Promise<void> {
  const config = loadConfig();
  // Fails fast when HOOKWAIT_PROCEDURES_MODULE is unset: this gateway never serves the demo.
  const { procedures, waits } = loadProcedureModule(gatewayProcedureModule());
  const logger = createLogger({ level: config.logLevel, bindings: { service: 'hookwait-gateway' } });
  const client = lazyClient(config.temporal);
  const gateway = await startGateway(config, client, procedures, logger, waits);

  // SIGTERM (orchestrators) or SIGINT (Ctrl-C): stop accepting, let requests in flight finish (each got or
  // will get its answer only after Temporal has the callback), close the Temporal connection, exit 0.
  let shuttingDown = false;
  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    if (shuttingDown) {
      logger.info('already shutting down', { signal });
      return;
    }
    shuttingDown = true;
    const started = Date.now();
    const inFlight = gateway.inFlight();
    logger.info('shutting down', { signal, inFlight, drainTimeoutMs: DRAIN_TIMEOUT_MS });
    setTimeout(() => {
      logger.error('shutdown took too long; exiting', { elapsedMs: Date.now() - started });
      process.exit(1);
    }, DRAIN_TIMEOUT_MS + EXIT_GRACE_MS).unref();
    await gateway.stop({ drainTimeoutMs: DRAIN_TIMEOUT_MS });
    try {
      await client.connection.close();
    } catch (err) {
      logger.warn('closing the Temporal connection failed', { error: err });
    }
    logger.info('stopped', { signal, inFlight, forced: gateway.forced(), elapsedMs: Date.now() - started });
    process.exit(0);
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => void shutdown(sig));
}

main().catch((err: Error) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : (err.stack ?? err.message)}\n`);
  process.exit(1);
});
