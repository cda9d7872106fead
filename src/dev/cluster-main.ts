import { startMockKycServer } from '../../examples/mock-kyc/mock-kyc-server';
import { silentLogger } from '../logging/logger';
import { startCluster } from './cluster';
import { findTemporalUiServer } from './temporal-server';

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/**
 * `npm run cluster`: PostgreSQL, the Temporal server 1.29.1 on it, 2 gateways and 2 workers with docker-compose.yml's
 * environment, and a round-robin front door on port 3000 (HOOKWAIT_CLUSTER_PORT). Ctrl-C stops everything.
 */
async function main(): Promise<void> {
  const hostEnv: Record<string, string | undefined> = { ...process.env };
  const count = (name: string, fallback: number): number => {
    const v = Number(process.env[name] ?? fallback);
    if (!Number.isInteger(v) || v < 1 || v > 16) throw new Error(`${name} must be a whole number from 1 to 16`);
    return v;
  };
  const stops: (() => Promise<void>)[] = [];
  let stopping = false;
  const stopAll = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    say('\nhookwait cluster: stopping…');
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    process.exit(code);
  };
  process.once('SIGINT', () => void stopAll(0));
  process.once('SIGTERM', () => void stopAll(0));

  // The bundled demo's connector calls the KYC provider: the mock one, unless KYC_PROVIDER_URL names another.
  if (!hostEnv.KYC_PROVIDER_URL) {
    const mock = await startMockKycServer({ port: Number(process.env.MOCK_KYC_PORT ?? 0), logger: silentLogger });
    stops.push(mock.stop);
    hostEnv.KYC_PROVIDER_URL = mock.url;
  }
  // The Web UI server (built once with go install, like the Temporal server), unless HOOKWAIT_CLUSTER_UI=false.
  const uiBinary = process.env.HOOKWAIT_CLUSTER_UI === 'false' ? undefined : await findTemporalUiServer({ log: (line) => say(`cluster: ${line}`) });
  const cluster = await startCluster({
    ...(uiBinary ? { ui: { binary: uiBinary, port: Number(process.env.HOOKWAIT_CLUSTER_UI_PORT ?? 8080) } } : {}),
    hostEnv,
    gateways: count('HOOKWAIT_CLUSTER_GATEWAYS', 2),
    workers: count('HOOKWAIT_CLUSTER_WORKERS', 2),
    frontPort: Number(process.env.HOOKWAIT_CLUSTER_PORT ?? 3000),
    ...(process.env.HOOKWAIT_CLUSTER_TEMPORAL_PORT ? { temporalPort: Number(process.env.HOOKWAIT_CLUSTER_TEMPORAL_PORT) } : {}),
    log: (line) => say(`cluster: ${line}`),
    ...(process.env.HOOKWAIT_CLUSTER_LOGS === 'true' ? { onLine: (name: string, line: string) => say(`${name} | ${line}`) } : {}),
  });
  stops.push(cluster.stop);
  if (stopping) return;

  say('');
  say('hookwait cluster is running:');
  say(`  Temporal          ${cluster.temporalAddress} (namespace ${cluster.namespace}, task queue ${cluster.taskQueue}; PostgreSQL on 127.0.0.1:${cluster.postgres.port})`);
  say(`  Front door        ${cluster.frontUrl}   (round robin over the gateways; public base URL ${cluster.publicBaseUrl})`);
  cluster.gatewayUrls.forEach((url, i) => say(`  Gateway ${i + 1}         ${url}`));
  say(`  Workers           ${cluster.workers.map((w) => `${w.name} (pid ${w.child.pid})`).join(', ')}`);
  say(`  Temporal Web UI   ${cluster.uiUrl ?? 'off (HOOKWAIT_CLUSTER_UI=false)'}`);
  say(`  Start a run:      TEMPORAL_ADDRESS=${cluster.temporalAddress} npx hookwait start identityVerification --input '{"customerId":"c2","kyc":{"mode":"manual"}}'`);
  say('  Ctrl-C stops everything.');
  say('');
}

main().catch((err: Error) => {
  process.stderr.write(`hookwait cluster: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
