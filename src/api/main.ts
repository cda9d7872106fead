import { lazyClient } from '../app/temporal-connection';
import { loadProcedures, procedureModules } from '../app/procedure-modules';
import { ConfigError, loadConfig } from '../config';
import { createLogger } from '../logging/logger';
import { startGateway } from './start-gateway';

// `npm run gateway`: the standalone callback gateway (stateless; run as many replicas as needed).
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, bindings: { service: 'hookwait-gateway' } });
  const client = lazyClient(config.temporal);
  const gateway = await startGateway(config, client, loadProcedures(procedureModules().proceduresModule), logger);
  const stop = async (): Promise<void> => {
    await gateway.stop();
    await client.connection.close();
    process.exit(0);
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void stop());
}

main().catch((err: Error) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : (err.stack ?? err.message)}\n`);
  process.exit(1);
});
