import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { stringify } from 'yaml';
import { ensureSearchAttributes } from '../app/search-attribute-setup';
import type { Postgres } from './postgres';

/** The two databases a Temporal server on SQL needs, with the sql tool's embedded schema of each (`--schema-name`). */
export const TEMPORAL_DATABASES = [
  { name: 'temporal', schema: 'postgresql/v12/temporal' },
  { name: 'temporal_visibility', schema: 'postgresql/v12/visibility' },
] as const;

/** The ports one Temporal server process (all four services) listens on, all on 127.0.0.1. */
export interface TemporalServerPorts {
  readonly frontend: number;
  readonly frontendHttp: number;
  readonly history: number;
  readonly matching: number;
  readonly worker: number;
  readonly frontendMembership: number;
  readonly historyMembership: number;
  readonly matchingMembership: number;
  readonly workerMembership: number;
}

function runTool(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${args.join(' ')} exited with ${code}: ${out.trim().slice(-1500)}`))));
  });
}

/**
 * Creates Temporal's two databases on `pg` and brings their schemas to the server's version, with the sql tool's
 * embedded schema files (the same steps as docker-compose.yml's `temporal-schema` one-shot).
 *
 * ```ts
 * await setupTemporalSchema(binaries.sqlTool, pg);
 * ```
 */
export async function setupTemporalSchema(sqlTool: string, pg: Postgres): Promise<void> {
  // The password goes in the environment (SQL_PASSWORD), never on a command line other users can read.
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', SQL_PASSWORD: pg.password };
  const common = ['--plugin', 'postgres12', '--ep', pg.host, '-p', String(pg.port), '-u', pg.user];
  for (const db of TEMPORAL_DATABASES) {
    await runTool(sqlTool, [...common, '--db', db.name, 'create-database', '--defaultdb', 'postgres'], env);
    await runTool(sqlTool, [...common, '--db', db.name, 'setup-schema', '-v', '0.0'], env);
    await runTool(sqlTool, [...common, '--db', db.name, 'update-schema', '--schema-name', db.schema], env);
  }
}

/**
 * The server's configuration: PostgreSQL for both stores, `numHistoryShards` shards (fixed for the life of the
 * cluster), every service on loopback, one cluster named `active`, and the dynamic config file given.
 *
 * ```ts
 * const yaml = temporalServerConfig({ pg, ports, shards: 4, dynamicConfigFile: '/tmp/x/dynamic.yaml' });
 * ```
 */
export function temporalServerConfig(options: { pg: Postgres; ports: TemporalServerPorts; shards: number; dynamicConfigFile: string; logLevel?: string }): string {
  const { pg, ports } = options;
  const store = (databaseName: string, maxConns: number): Record<string, unknown> => ({
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `${pg.host}:${pg.port}`,
      connectProtocol: 'tcp',
      user: pg.user,
      password: pg.password,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const service = (grpcPort: number, membershipPort: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    rpc: { grpcPort, membershipPort, bindOnLocalHost: true, ...extra },
  });
  return stringify({
    log: { stdout: true, level: options.logLevel ?? 'warn' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: options.shards,
      datastores: { 'postgres-default': store('temporal', 20), 'postgres-visibility': store('temporal_visibility', 10) },
    },
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' } },
    services: {
      frontend: service(ports.frontend, ports.frontendMembership, { httpPort: ports.frontendHttp }),
      history: service(ports.history, ports.historyMembership),
      matching: service(ports.matching, ports.matchingMembership),
      worker: service(ports.worker, ports.workerMembership),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: { active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: `127.0.0.1:${ports.frontend}` } },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: options.dynamicConfigFile, pollInterval: '10s' },
  });
}

/** One running `temporal-server start` process. */
export interface TemporalServerProcess {
  readonly address: string;
  readonly process: ChildProcess;
  /** Every line it wrote, last 200. */
  readonly output: string[];
  /** SIGTERM, then SIGKILL after 20 s; resolves once it has exited. */
  stop(): Promise<void>;
}

/** Resolves once a Temporal frontend answers `GetSystemInfo` on `address`; rejects after `timeoutMs`. */
export async function waitForFrontend(address: string, timeoutMs: number, alive: () => string | undefined = () => undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = alive();
    if (dead) throw new Error(dead);
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await conn.workflowService.getSystemInfo({});
        return;
      } finally {
        await conn.close();
      }
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`the Temporal server did not answer on ${address} within ${timeoutMs} ms: ${String(err)}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

/**
 * Starts `temporal-server start` with the config in `dir/config/hookwait.yaml` (written by the caller with
 * {@link temporalServerConfig}); resolves once the frontend answers.
 *
 * ```ts
 * const server = await startTemporalServerProcess({ server: binaries.server, dir, address: '127.0.0.1:7233' });
 * ```
 */
export async function startTemporalServerProcess(options: { server: string; dir: string; address: string; timeoutMs?: number }): Promise<TemporalServerProcess> {
  const child = spawn(options.server, ['--root', options.dir, '--config', 'config', '--env', 'hookwait', '--allow-no-auth', 'start'], {
    cwd: options.dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: options.dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  // Its log lines are JSON with long stack traces: keep level, msg and error.
  const brief = (line: string): string => {
    try {
      const o = JSON.parse(line) as Record<string, unknown>;
      return [o.level, o.msg, o.error].filter((x) => x !== undefined).join(' ');
    } catch {
      return line;
    }
  };
  const keep = (b: Buffer): void => {
    output.push(...b.toString().split('\n').filter(Boolean).map(brief));
    if (output.length > 200) output.splice(0, output.length - 200);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited: string | undefined;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = `temporal-server exited (${signal ?? code})`;
      resolve();
    }),
  );
  try {
    await waitForFrontend(options.address, options.timeoutMs ?? 120_000, () => (exited ? `${exited}: ${output.slice(-15).join('\n')}` : undefined));
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    address: options.address,
    process: child,
    output,
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** Writes the server config and the dynamic config (`dynamicConfig`, YAML text) under `dir`. */
export function writeTemporalServerConfig(dir: string, options: { pg: Postgres; ports: TemporalServerPorts; shards: number; dynamicConfig: string; logLevel?: string }): void {
  mkdirSync(join(dir, 'config'), { recursive: true });
  const dynamicConfigFile = join(dir, 'config', 'dynamic.yaml');
  writeFileSync(dynamicConfigFile, options.dynamicConfig);
  writeFileSync(join(dir, 'config', 'hookwait.yaml'), temporalServerConfig({ ...options, dynamicConfigFile }), { mode: 0o600 });
}

/** How long closed runs stay visible (docker-compose.yml's `temporal operator namespace create --retention`). */
export const NAMESPACE_RETENTION = '72h';

/**
 * The `default`-style namespace (72 h retention, as docker-compose.yml's) and hookwait's search attributes on it.
 * Newly added attributes reach every service's namespace cache within its refresh interval (10 s): this waits that
 * long when it added any, as docker-compose.yml's one-shot does.
 *
 * ```ts
 * await prepareNamespace('127.0.0.1:7233', 'default');
 * ```
 */
export async function prepareNamespace(address: string, namespace: string, log: (line: string) => void = () => undefined): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    try {
      await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs(NAMESPACE_RETENTION) });
    } catch (err) {
      if (!/already exists|AlreadyExists/i.test(String(err))) throw err;
    }
    const client = new Client({ connection, namespace });
    // The new namespace reaches the frontend's cache within its refresh interval: retry until it is known.
    const deadline = Date.now() + 60_000;
    let added: string[] = [];
    for (;;) {
      try {
        added = await ensureSearchAttributes(client, namespace);
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    if (added.length > 0) {
      log(`registered search attributes ${added.join(', ')} on ${namespace}; waiting for the services' namespace caches`);
      await new Promise((r) => setTimeout(r, 11_000));
    }
  } finally {
    await connection.close();
  }
}

/** A running Temporal Web UI server. */
export interface TemporalUiProcess {
  readonly url: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts the Temporal Web UI server (`temporalio/ui-server`, the one the CLI's dev server embeds) on
 * 127.0.0.1:`port`, pointed at `temporalAddress`; resolves once it serves its page.
 *
 * ```ts
 * const ui = await startTemporalUi({ binary, dir: '/tmp/x/ui', temporalAddress: '127.0.0.1:7233', port: 8080, namespace: 'default' });
 * ```
 */
export async function startTemporalUi(options: { binary: string; dir: string; temporalAddress: string; port: number; namespace: string }): Promise<TemporalUiProcess> {
  mkdirSync(join(options.dir, 'config'), { recursive: true });
  writeFileSync(
    join(options.dir, 'config', 'hookwait.yaml'),
    stringify({
      temporalGrpcAddress: options.temporalAddress,
      host: '127.0.0.1',
      port: options.port,
      enableUi: true,
      defaultNamespace: options.namespace,
      // Same origin only: the UI has no authentication and can signal, cancel and terminate runs.
      cors: { allowOrigins: [`http://localhost:${options.port}`, `http://127.0.0.1:${options.port}`], cookieInsecure: true },
      notifyOnNewVersion: false,
    }),
  );
  const child = spawn(options.binary, ['--root', options.dir, '--config', 'config', '--env', 'hookwait', 'start'], {
    cwd: options.dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: options.dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (b: Buffer): void => {
    output = (output + b.toString()).slice(-3000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const url = `http://127.0.0.1:${options.port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`the Temporal UI server exited: ${output.trim().slice(-1000)}`);
    const ok = await fetch(url, { signal: AbortSignal.timeout(2_000) }).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the Temporal UI server did not answer on ${url} within 60 s: ${output.trim().slice(-1000)}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return {
    url,
    process: child,
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exit;
      clearTimeout(timer);
    },
  };
}
