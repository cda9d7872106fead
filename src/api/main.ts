import { lazyClient } from '../app/temporal-connection';
import { DEFAULT_ADMIN_PORT, loadProcessConfig, processLogger } from '../app/process-config';
import { gatewayProcedureModule, loadProcedureModule } from '../app/procedure-modules';
import { ConfigError, loadConfig } from '../config';
import { DRAIN_TIMEOUT_MS, startGateway } from './start-gateway';

/** Past the drain, closing the Temporal connection gets this long before the process exits anyway. */
const EXIT_GRACE_MS = 3_000;

// `npm run gateway`: the standalone callback gateway (stateless; run as many replicas as needed).
async function main(): Promise<void> {
  const processConfig = loadProcessConfig();
  const config = loadConfig();
  // Fails fast when HOOKWAIT_PROCEDURES_MODULE is unset: this gateway never serves the demo.
  const { procedures, waits, triggers } = loadProcedureModule(gatewayProcedureModule());
  const logger = processLogger(processConfig, 'hookwait-gateway');
  const client = lazyClient(config.temporal);
  // `/metrics` is served on the admin listener only (loopback unless HOOKWAIT_ADMIN_HOST says otherwise).
  const listen = { ...processConfig, adminPort: processConfig.adminPort ?? DEFAULT_ADMIN_PORT };
  const gateway = await startGateway(config, client, procedures, logger, listen, waits, triggers);

  // SIGTERM (orchestrators) or SIGINT (Ctrl-C): stop accepting, let requests in flight finish (each got or
  // will get its answer only after Temporal has the callback), close the Temporal connection, exit 0.
  let shuttingDown = false;
  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    if (shuttingDown) {
      logger.info({ signal }, 'already shutting down');
      return;
    }
    shuttingDown = true;
    const started = Date.now();
    const inFlight = gateway.inFlight();
    logger.info({ signal, inFlight, drainTimeoutMs: DRAIN_TIMEOUT_MS }, 'shutting down');
    setTimeout(() => {
      logger.error({ elapsedMs: Date.now() - started }, 'shutdown took too long; exiting');
      process.exit(1);
    }, DRAIN_TIMEOUT_MS + EXIT_GRACE_MS).unref();
    await gateway.stop({ drainTimeoutMs: DRAIN_TIMEOUT_MS });
    try {
      await client.connection.close();
    } catch (err) {
      logger.warn({ error: err }, 'closing the Temporal connection failed');
    }
    logger.info({ signal, inFlight, forced: gateway.forced(), elapsedMs: Date.now() - started }, 'stopped');
    process.exit(0);
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => void shutdown(sig));
}

main().catch((err: Error) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : (err.stack ?? err.message)}\n`);
  process.exit(1);
});
