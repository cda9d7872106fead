import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyringSpec } from '../security/callback-token';
import { clusterRoleEnvironment, composeDynamicConfig, composeHistoryShards, type ComposeRole, readComposeFile, repositoryRoot } from './compose-env';
import { startPostgres, type Postgres } from './postgres';
import { findTemporalServer, type TemporalServerBinaries } from './temporal-server';
import {
  prepareNamespace,
  setupTemporalSchema,
  startTemporalServerProcess,
  startTemporalUi,
  type TemporalServerPorts,
  type TemporalServerProcess,
  writeTemporalServerConfig,
} from './temporal-postgres-server';

/** A port free on 127.0.0.1 now (the OS picks it). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * A port free on 127.0.0.1 now, below 32768: Temporal's SQL schema keeps membership ports in a `smallint`, so the OS's
 * ephemeral ports (often 32768 and up) cannot be used for them.
 */
export async function freeLowLoopbackPort(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const candidate = 10_000 + Math.floor(Math.random() * 22_000);
    const ok = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(candidate, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (ok) return candidate;
  }
  throw new Error('no free port below 32768 on 127.0.0.1');
}

/** A gateway or worker process, restarted when it exits unless the cluster stops it (compose's `restart: unless-stopped`). */
export interface ClusterProcess {
  readonly role: ComposeRole;
  readonly name: string;
  /** The environment it runs with (compose's, topology replaced). */
  readonly env: Readonly<Record<string, string>>;
  /** The process running now. */
  readonly child: ChildProcess;
  /** How many times it was restarted after an exit. */
  readonly restarts: number;
  /** Its output lines (last 2,000), across restarts. */
  readonly lines: readonly string[];
  /** Resolves once the current process has logged `msg` (a JSON line), or rejects after `timeoutMs`. */
  waitForLog(msg: string, timeoutMs?: number): Promise<void>;
}

export interface ClusterOptions {
  /** The variables compose would read from the shell or `.env` (default: process.env). */
  readonly hostEnv?: Readonly<Record<string, string | undefined>>;
  /** Added to every gateway's and worker's environment besides compose's (tests: the fixtures' secrets). */
  readonly extraEnv?: Readonly<Record<string, string>>;
  readonly gateways?: number;
  readonly workers?: number;
  /** History shards: fixed for the cluster's life (default: docker-compose.yml's NUM_HISTORY_SHARDS). */
  readonly shards?: number;
  /** The round-robin front door's port on 127.0.0.1 (default: a free one). */
  readonly frontPort?: number;
  /** The frontend's port (default: a free one). */
  readonly temporalPort?: number;
  readonly binaries?: TemporalServerBinaries;
  /** Serve the Temporal Web UI with this `temporal-ui-server` binary on 127.0.0.1:`port` (default: no UI). */
  readonly ui?: { readonly binary: string; readonly port: number };
  readonly log?: (line: string) => void;
  /** Where a process's output lines go (default: nowhere; they are kept in `lines`). */
  readonly onLine?: (process: string, line: string) => void;
}

/** A running cluster: PostgreSQL, one Temporal server process on it, gateways and workers, and a front door. */
export interface Cluster {
  /** The Temporal frontend, `127.0.0.1:<port>`. */
  readonly temporalAddress: string;
  readonly namespace: string;
  readonly taskQueue: string;
  /** The front door: round-robin over the gateways; the callback URLs' base unless HOOKWAIT_PUBLIC_BASE_URL says otherwise. */
  readonly frontUrl: string;
  readonly publicBaseUrl: string;
  /** Each gateway's own URL. */
  readonly gatewayUrls: readonly string[];
  /** The Temporal Web UI, when asked for. */
  readonly uiUrl?: string;
  readonly gateways: readonly ClusterProcess[];
  readonly workers: readonly ClusterProcess[];
  readonly postgres: Postgres;
  /** The HOOKWAIT_TOKEN_KEYS every process uses (generated when the host environment has none). */
  readonly tokenKeys: string;
  /** Stops the Temporal server (SIGTERM); PostgreSQL keeps its data. */
  stopTemporal(): Promise<void>;
  /** Starts the Temporal server again on the same database and ports (after {@link Cluster.stopTemporal}). */
  startTemporal(): Promise<void>;
  /** {@link Cluster.stopTemporal}, then {@link Cluster.startTemporal}. */
  restartTemporal(): Promise<void>;
  /** Stops everything (gateways, workers, Temporal, PostgreSQL, the front door) and removes the temporary directory. */
  stop(): Promise<void>;
}

/** A TCP front door handing each connection to the next of `targets` (round robin), as a load balancer would. */
async function startFrontDoor(port: number, targets: () => readonly number[]): Promise<Server> {
  let next = 0;
  const server = createServer((inbound: Socket) => {
    const ports = targets();
    const target = ports[next++ % ports.length] as number;
    const outbound = connect(target, '127.0.0.1');
    inbound.pipe(outbound).pipe(inbound);
    const close = (): void => {
      inbound.destroy();
      outbound.destroy();
    };
    inbound.on('error', close);
    outbound.on('error', close);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return server;
}

function superviseNode(options: { role: ComposeRole; name: string; script: string; env: Record<string, string>; onLine?: (name: string, line: string) => void; log: (line: string) => void }): ClusterProcess & { stop(): Promise<void> } {
  const lines: string[] = [];
  let stopping = false;
  let restarts = 0;
  let child: ChildProcess;
  let currentStart = 0;
  const start = (): void => {
    currentStart = lines.length;
    child = spawn(process.execPath, [options.script], { cwd: repositoryRoot(), env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let partial = '';
    const collect = (b: Buffer): void => {
      const parts = (partial + b.toString()).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts.filter(Boolean)) {
        lines.push(line);
        options.onLine?.(options.name, line);
      }
      if (lines.length > 2_000) {
        const drop = lines.length - 2_000;
        lines.splice(0, drop);
        currentStart = Math.max(0, currentStart - drop);
      }
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.once('exit', (code, signal) => {
      if (stopping) return;
      options.log(`${options.name} exited (${signal ?? code}); restarting it in 1 s`);
      setTimeout(() => {
        if (stopping) return;
        restarts++;
        start();
      }, 1_000);
    });
  };
  start();
  return {
    role: options.role,
    name: options.name,
    env: options.env,
    get child() {
      return child;
    },
    get restarts() {
      return restarts;
    },
    lines,
    async waitForLog(msg, timeoutMs = 60_000) {
      const end = Date.now() + timeoutMs;
      const restartsBefore = restarts;
      for (;;) {
        const found = lines.slice(currentStart).some((l) => {
          try {
            return (JSON.parse(l) as { msg?: unknown }).msg === msg;
          } catch {
            return false;
          }
        });
        if (found) return;
        if (restarts > restartsBefore || child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`${options.name} exited before logging '${msg}':\n${lines.slice(-10).join('\n')}`);
        }
        if (Date.now() > end) throw new Error(`${options.name}: '${msg}' not logged within ${timeoutMs} ms:\n${lines.slice(-20).join('\n')}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 35_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Starts a Temporal cluster without containers: PostgreSQL (Debian's, in a temporary directory), the Temporal server
 * 1.29.1 on it (schema set up by its sql tool, namespace and hookwait's search attributes registered), then the
 * gateways and workers as `node lib/src/{api,worker}/main.js` processes with docker-compose.yml's environment, and a
 * round-robin front door over the gateways. Needs `npm run build` first.
 *
 * ```ts
 * const cluster = await startCluster({ gateways: 2, workers: 2 });
 * console.log(cluster.frontUrl, cluster.temporalAddress);
 * await cluster.stop();
 * ```
 */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const log = options.log ?? (() => undefined);
  const compose = readComposeFile();
  const dir = mkdtempSync(join(tmpdir(), 'hookwait-cluster-'));
  // Traversable (not listable) by PostgreSQL's user when that is not us (see startPostgres).
  chmodSync(dir, 0o711);
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async (): Promise<void> => {
    for (const c of cleanups.splice(0).reverse()) await c().catch((err: unknown) => log(`cleanup: ${String(err)}`));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const binaries = options.binaries ?? (await findTemporalServer({ log }));
    const postgres = await startPostgres({ dir: join(dir, 'postgres'), port: await freeLoopbackPort(), log });
    cleanups.push(() => postgres.stop());
    await setupTemporalSchema(binaries.sqlTool, postgres);
    log('Temporal schema set up (temporal, temporal_visibility)');

    const port = async (): Promise<number> => freeLoopbackPort();
    const low = async (): Promise<number> => freeLowLoopbackPort();
    const ports: TemporalServerPorts = {
      frontend: options.temporalPort ?? (await low()),
      frontendHttp: await low(),
      history: await low(),
      matching: await low(),
      worker: await low(),
      frontendMembership: await low(),
      historyMembership: await low(),
      matchingMembership: await low(),
      workerMembership: await low(),
    };
    const serverDir = join(dir, 'temporal');
    const shards = options.shards ?? composeHistoryShards(compose);
    writeTemporalServerConfig(serverDir, { pg: postgres, ports, shards, dynamicConfig: composeDynamicConfig(compose) });
    const temporalAddress = `127.0.0.1:${ports.frontend}`;
    let server: TemporalServerProcess | undefined = await startTemporalServerProcess({ server: binaries.server, dir: serverDir, address: temporalAddress });
    cleanups.push(async () => server?.stop());
    log(`Temporal server ${binaries.server} on ${temporalAddress} (PostgreSQL, ${shards} history shards)`);

    // What compose would read from the shell: the host's, with a fresh signing key if it has none.
    const hostEnv: Record<string, string | undefined> = { ...(options.hostEnv ?? process.env) };
    if (!hostEnv.HOOKWAIT_TOKEN_KEYS) hostEnv.HOOKWAIT_TOKEN_KEYS = generateKeyringSpec('cluster1');
    const gatewayCount = options.gateways ?? 2;
    const gatewayPorts = await Promise.all(Array.from({ length: gatewayCount }, () => port()));
    const frontPort = options.frontPort ?? (await port());
    const frontUrl = `http://127.0.0.1:${frontPort}`;
    // Compose's default public URL is its published port 3000; here it is the front door, unless set explicitly.
    if (!hostEnv.HOOKWAIT_PUBLIC_BASE_URL) hostEnv.HOOKWAIT_PUBLIC_BASE_URL = frontPort === 3000 ? 'http://localhost:3000' : frontUrl;
    const sample = clusterRoleEnvironment(compose, 'worker', hostEnv, {});
    const namespace = sample.TEMPORAL_NAMESPACE ?? 'default';
    await prepareNamespace(temporalAddress, namespace, log);
    log(`namespace ${namespace} ready with hookwait's search attributes`);

    const base = { PATH: process.env.PATH ?? '/usr/bin:/bin', ...(process.env.HOME ? { HOME: process.env.HOME } : {}) };
    const extra = { ...base, ...(options.extraEnv ?? {}) };
    const lib = join(repositoryRoot(), 'lib', 'src');
    const workers = Array.from({ length: options.workers ?? 2 }, (_, i) =>
      superviseNode({
        role: 'worker',
        name: `worker-${i + 1}`,
        script: join(lib, 'worker', 'main.js'),
        env: clusterRoleEnvironment(compose, 'worker', hostEnv, { TEMPORAL_ADDRESS: temporalAddress }, extra),
        ...(options.onLine ? { onLine: options.onLine } : {}),
        log,
      }),
    );
    const adminPorts = await Promise.all(gatewayPorts.map(() => port()));
    const gateways = gatewayPorts.map((p, i) =>
      superviseNode({
        role: 'gateway',
        name: `gateway-${i + 1}`,
        script: join(lib, 'api', 'main.js'),
        env: clusterRoleEnvironment(compose, 'gateway', hostEnv, { TEMPORAL_ADDRESS: temporalAddress, PORT: String(p), HOOKWAIT_ADMIN_PORT: String(adminPorts[i]) }, extra),
        ...(options.onLine ? { onLine: options.onLine } : {}),
        log,
      }),
    );
    // All at once: each is marked stopping first, so one that exits on the terminal's Ctrl-C is not restarted.
    cleanups.push(async () => {
      await Promise.all([...gateways, ...workers].map((p) => p.stop()));
    });
    // Ready: each gateway answers /healthz; each worker logged 'worker running' (info, compose's default LOG_LEVEL).
    const healthy = async (url: string, g: ClusterProcess): Promise<void> => {
      const end = Date.now() + 120_000;
      for (;;) {
        const ok = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) }).then((r) => r.ok, () => false);
        if (ok) return;
        if (Date.now() > end) throw new Error(`${g.name} did not answer ${url}/healthz within 120 s:\n${g.lines.slice(-10).join('\n')}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    const quietWorkers = ['warn', 'error', 'fatal', 'silent'].includes(workers[0]?.env.LOG_LEVEL ?? 'info');
    await Promise.all([
      ...(quietWorkers ? [] : workers.map((w) => w.waitForLog('worker running', 120_000))),
      ...gateways.map((g, i) => healthy(`http://127.0.0.1:${gatewayPorts[i]}`, g)),
    ]);
    const front = await startFrontDoor(frontPort, () => gatewayPorts);
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          front.close(() => resolve());
        }),
    );
    const gatewayUrls = gatewayPorts.map((p) => `http://127.0.0.1:${p}`);
    const stopTemporal = async (): Promise<void> => {
      const old = server;
      server = undefined;
      await old?.stop();
      log('Temporal server stopped');
    };
    const startTemporal = async (): Promise<void> => {
      if (server) return;
      server = await startTemporalServerProcess({ server: binaries.server, dir: serverDir, address: temporalAddress });
      log(`Temporal server back on ${temporalAddress}`);
    };
    let uiUrl: string | undefined;
    if (options.ui) {
      const ui = await startTemporalUi({ binary: options.ui.binary, dir: join(dir, 'ui'), temporalAddress, port: options.ui.port, namespace });
      cleanups.push(() => ui.stop());
      uiUrl = ui.url;
      log(`Temporal Web UI on ${ui.url}`);
    }
    return {
      ...(uiUrl ? { uiUrl } : {}),
      temporalAddress,
      namespace,
      taskQueue: sample.TEMPORAL_TASK_QUEUE ?? 'hookwait',
      frontUrl,
      publicBaseUrl: hostEnv.HOOKWAIT_PUBLIC_BASE_URL,
      gatewayUrls,
      gateways,
      workers,
      postgres,
      tokenKeys: hostEnv.HOOKWAIT_TOKEN_KEYS,
      stopTemporal,
      startTemporal,
      async restartTemporal() {
        await stopTemporal();
        await startTemporal();
      },
      stop: cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
