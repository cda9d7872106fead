import { startMockKycServer } from '../../examples/mock-kyc/mock-kyc-server';
import { silentLogger } from '../logging/logger';
import { startCluster } from './cluster';
import { findTemporalUiServer } from './temporal-server';

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/**
 * `npm run cluster`: PostgreSQL, the Temporal server 1.29.1 on it (127.0.0.1:7233, HOOKWAIT_CLUSTER_TEMPORAL_PORT), its
 * Web UI (8080, HOOKWAIT_CLUSTER_UI_PORT; HOOKWAIT_CLUSTER_UI=false for none), 2 gateways and 2 workers
 * (HOOKWAIT_CLUSTER_GATEWAYS, HOOKWAIT_CLUSTER_WORKERS) with docker-compose.yml's environment, and a round-robin front
 * door on 3000 (HOOKWAIT_CLUSTER_PORT). HOOKWAIT_CLUSTER_LOGS=true prints the processes' log lines. Ctrl-C stops everything.
 */
const HELP = `Usage: npm run cluster [-- --help]

Starts, without containers: PostgreSQL (Debian's, temporary data directory), the Temporal server 1.29.1 on it (built
once with go install: npm run cluster:ensure), its Web UI, 2 gateways and 2 workers with docker-compose.yml's
environment, and a round-robin front door over the gateways. Ctrl-C stops everything and removes the data.

Environment (besides docker-compose.yml's own: HOOKWAIT_TOKEN_KEYS, HOOKWAIT_PUBLIC_BASE_URL, HOOKWAIT_PROCEDURES_MODULE, …):
  HOOKWAIT_CLUSTER_PORT           the front door's port (default 3000)
  HOOKWAIT_CLUSTER_TEMPORAL_PORT  the Temporal frontend's port (default 7233)
  HOOKWAIT_CLUSTER_UI_PORT        the Web UI's port (default 8080); HOOKWAIT_CLUSTER_UI=false for no UI
  HOOKWAIT_CLUSTER_GATEWAYS       gateway processes (default 2)
  HOOKWAIT_CLUSTER_WORKERS        worker processes (default 2)
  HOOKWAIT_CLUSTER_LOGS=true      print every process's log lines
  HOOKWAIT_POSTGRES_BIN           the directory of initdb and postgres (default /usr/lib/postgresql/<newest>/bin)
  TEMPORAL_SERVER_PATH, TEMPORAL_SQL_TOOL_PATH, TEMPORAL_UI_SERVER_PATH   binaries to use instead of the cached builds

Exit codes: 0 stopped by Ctrl-C or SIGTERM; 1 it could not start (the message says why).
`;

function port(name: string, fallback: number): number {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(v) || v < 1 || v > 65_535) throw new Error(`${name} must be a port number (1-65535)`);
  return v;
}

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(HELP);
    return;
  }
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
    const mock = await startMockKycServer({ port: process.env.MOCK_KYC_PORT ? port('MOCK_KYC_PORT', 0) : 0, logger: silentLogger });
    stops.push(mock.stop);
    hostEnv.KYC_PROVIDER_URL = mock.url;
  }
  // The Web UI server (built once with go install, like the Temporal server), unless HOOKWAIT_CLUSTER_UI=false.
  const uiBinary = process.env.HOOKWAIT_CLUSTER_UI === 'false' ? undefined : await findTemporalUiServer({ log: (line) => say(`cluster: ${line}`) });
  const cluster = await startCluster({
    ...(uiBinary ? { ui: { binary: uiBinary, port: port('HOOKWAIT_CLUSTER_UI_PORT', 8080) } } : {}),
    hostEnv,
    gateways: count('HOOKWAIT_CLUSTER_GATEWAYS', 2),
    workers: count('HOOKWAIT_CLUSTER_WORKERS', 2),
    frontPort: port('HOOKWAIT_CLUSTER_PORT', 3000),
    // docker-compose.yml's published ports by default: Temporal 7233, Web UI 8080, gateways 3000.
    temporalPort: port('HOOKWAIT_CLUSTER_TEMPORAL_PORT', 7233),
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
  say(`  Benchmark it:     npm run bench -- --cluster --address ${cluster.temporalAddress}`);
  say('  Ctrl-C stops everything.');
  say('');
}

main().catch((err: Error) => {
  process.stderr.write(`hookwait cluster: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
