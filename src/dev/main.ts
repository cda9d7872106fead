import { join, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { loadProcessConfig, processLogger } from '../app/process-config';
import { configuredProcedureModules, demoProcedureModules, loadProcedureModule } from '../app/procedure-modules';
import { ensureSearchAttributes } from '../app/search-attribute-setup';
import { connectClient, lazyClient } from '../app/temporal-connection';
import { gatewayUrl, startGateway } from '../api/start-gateway';
import { startProcedure } from '../client/start-procedure';
import { ConfigError, loadConfig } from '../config';
import { installTemporalRuntime } from '../app/temporal-runtime';
import { startWorker } from '../worker/run-worker';
import { stateQuery } from '../workflows/messages';
import { startMockKycServer } from '../../examples/mock-kyc/mock-kyc-server';
import { DEV_STATE_DIR, devTokenKeys } from './dev-keys';
import { startDevServer, type DevServer } from './dev-server';
import { findTemporalCli } from './temporal-cli';

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** A port free on `host` now (for PORT=0: the callback URLs must name the port before the gateway listens). */
function freePort(host: string): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolvePort(port));
    });
  });
}

/**
 * `npm run dev`: the embedded Temporal dev server (SQLite under .hookwait/, Web UI on 8233), the worker, the
 * gateway, the mock KYC provider, and one demo run. With a server configured explicitly (TEMPORAL_ADDRESS, or a
 * profile chosen with TEMPORAL_PROFILE or TEMPORAL_CONFIG_FILE), that server is used instead.
 */
async function main(): Promise<void> {
  const stateDir = resolve(DEV_STATE_DIR);
  mkdirSync(stateDir, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, HOOKWAIT_TOKEN_KEYS: process.env.HOOKWAIT_TOKEN_KEYS || devTokenKeys(stateDir) };
  const stops: (() => Promise<void>)[] = [];
  let stopping = false;
  const stopAll = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    say('\nhookwait: stopping…');
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    process.exit(code);
  };
  process.once('SIGINT', () => void stopAll(0));
  process.once('SIGTERM', () => void stopAll(0));

  // The dev gateway listens on loopback only (its signing key is a development one); HOST still overrides.
  let listen = loadProcessConfig({ ...env, HOST: env.HOST || '127.0.0.1' });
  // Callback URLs lead to the gateway started here, on the port it listens on, unless HOOKWAIT_PUBLIC_BASE_URL says otherwise.
  if (!env.HOOKWAIT_PUBLIC_BASE_URL) {
    if (listen.port === 0) listen = { ...listen, port: await freePort(listen.host) };
    env.HOOKWAIT_PUBLIC_BASE_URL = gatewayUrl(listen.host, listen.port);
  }

  // A default profile in the user's temporal.toml does not count as a choice: it may well describe production.
  const external = Boolean(env.TEMPORAL_ADDRESS || env.TEMPORAL_PROFILE || env.TEMPORAL_CONFIG_FILE);
  let server: DevServer | undefined;
  if (!external) {
    const cli = await findTemporalCli({ env, log: say });
    server = await startDevServer({
      cli,
      dbFile: join(stateDir, 'temporal.db'),
      port: Number(env.HOOKWAIT_DEV_TEMPORAL_PORT ?? 7233),
      uiPort: Number(env.HOOKWAIT_DEV_UI_PORT ?? 8233),
      log: say,
    });
    stops.push(server.stop);
    env.TEMPORAL_ADDRESS = server.address;
    // Make sure the dev server dies with us, even on a crash.
    const child = server.process;
    process.once('exit', () => child.kill('SIGTERM'));
  }
  // Our own dev server is described by the environment alone, never by a profile.
  const config = loadConfig(env, { temporalConfigFile: external });
  const logger = processLogger(listen, 'hookwait-dev');
  installTemporalRuntime(logger, { ...(config.workerMetricsPort !== undefined ? { metricsPort: config.workerMetricsPort } : {}) });

  const mock = await startMockKycServer({ port: Number(env.MOCK_KYC_PORT ?? 3100), logger });
  stops.push(mock.stop);
  // The demo's connector reads {{env.KYC_PROVIDER_URL}} in the worker.
  process.env.KYC_PROVIDER_URL = env.KYC_PROVIDER_URL ?? mock.url;

  const admin = await connectClient(config.temporal);
  stops.push(() => admin.connection.close());
  // Also on our own dev server: its SQLite file may predate a search attribute added since (the start flags only
  // register attributes in a new database).
  const added = await ensureSearchAttributes(admin, config.temporal.namespace);
  if (added.length > 0) say(`Registered search attributes: ${added.join(', ')}`);
  // The bundled demo, passed explicitly (the standalone worker and gateway never default to it); either module can be
  // replaced by your own with HOOKWAIT_PROCEDURES_MODULE / HOOKWAIT_WORKFLOWS_MODULE.
  const modules = { ...demoProcedureModules(), ...configuredProcedureModules(env) };
  const { procedures, waits, triggers } = loadProcedureModule(modules.proceduresModule);
  // The demo's own mock provider is on loopback, which the SSRF guard refuses: allowed here, and only its port.
  const mockHost = new URL(mock.url).host;
  const worker = await startWorker({ ...config, outboundAllow: [config.outboundAllow, mockHost].filter(Boolean).join(',') }, procedures, modules.workflowsModule, logger);
  stops.push(worker.stop);
  const client = lazyClient(config.temporal);
  const gateway = await startGateway(config, client, procedures, logger, listen, waits, triggers);
  stops.push(gateway.stop);

  say('');
  say('hookwait is running:');
  if (server) say(`  Temporal Web UI   ${server.uiUrl}`);
  say(`  Temporal          ${config.temporal.address} (namespace ${config.temporal.namespace}, task queue ${config.temporal.taskQueue})`);
  say(`  Callback gateway  ${gateway.url}   (public base URL ${config.publicBaseUrl})`);
  say(`  Mock KYC provider ${mock.url}`);
  say(`  Start a run:      npx hookwait start identityVerification --input '{"customerId":"c2","kyc":{"mode":"manual"}}'`);
  say('  Ctrl-C stops everything.');
  say('');

  if (env.HOOKWAIT_DEMO !== 'false') {
    const workflowId = `identityVerification-demo-${Date.now()}`;
    const demo = procedures.find((p) => p.name === 'identityVerification');
    if (!demo) throw new Error(`HOOKWAIT_PROCEDURES_MODULE has no 'identityVerification' procedure for the demo run (set HOOKWAIT_DEMO=false)`);
    const handle = await startProcedure(admin, demo, { customerId: 'c1', kyc: { mode: 'auto', delayMs: 2000 } }, {
      taskQueue: config.temporal.taskQueue,
      workflowId,
      summary: 'demo for customer c1',
      searchAttributes: config.searchAttributes,
    });
    say(`Demo run started: ${workflowId} (the mock KYC provider calls back in 2s)`);
    const result = await handle.result();
    const state = await handle.query(stateQuery).catch(() => undefined);
    say(`Demo run finished: ${JSON.stringify(result)}`);
    if (state) say(`Callback ledger: ${state.ledger.map((e) => `${e.wait} ${e.outcome} from ${e.source.userAgent ?? e.source.kind}`).join('; ')}`);
    if (server) say(`See it in the Web UI: ${server.uiUrl}/namespaces/${config.temporal.namespace}/workflows/${workflowId}`);
  }
  await worker.done;
}

main().catch((err: Error) => {
  process.stderr.write(`hookwait dev: ${err instanceof ConfigError ? err.message : (err.stack ?? err.message)}\n`);
  process.exit(1);
});
