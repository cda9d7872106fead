import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';

/** The repository root of this checkout: the nearest directory above this module holding package.json. */
export function repositoryRoot(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${__dirname}`);
  }
}

/** docker-compose.yml of this checkout: the one definition of the gateway's and the worker's environment. */
export function composeFilePath(): string {
  return join(repositoryRoot(), 'docker-compose.yml');
}

/** The two hookwait roles of docker-compose.yml. */
export type ComposeRole = 'gateway' | 'worker';

/**
 * Variables whose compose value names the containers' topology (the `temporal` service's host name, the port inside
 * each container), which `npm run cluster` replaces by the addresses of its own processes. Nothing else may differ.
 */
export const CLUSTER_TOPOLOGY_VARIABLES = ['TEMPORAL_ADDRESS', 'PORT', 'HOOKWAIT_ADMIN_PORT'] as const;

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Compose's interpolation of one value: `$$`, `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`,
 * `${VAR?error}`. A required variable that is missing throws, naming it.
 *
 * ```ts
 * composeInterpolate('${LOG_LEVEL:-info}', {}); // 'info'
 * ```
 */
export function composeInterpolate(value: string, env: Readonly<Record<string, string | undefined>>): string {
  const out = value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (match: string, braced?: string, op?: string, arg?: string, bare?: string) => {
      if (match === '$$') return '\u0000';
      const name = (braced ?? bare) as string;
      const v = env[name];
      const missing = op?.startsWith(':') ? v === undefined || v === '' : v === undefined;
      if (op === ':-' || op === '-') return missing ? (arg ?? '') : (v as string);
      if (op === ':?' || op === '?') {
        if (missing) throw new Error(`${name} is required: ${arg ?? ''}`);
        return v as string;
      }
      return v ?? '';
    },
  );
  if (out.includes('$')) throw new Error(`unsupported interpolation in ${JSON.stringify(value)}`);
  return out.replace(/\u0000/g, '$');
}

/** docker-compose.yml, parsed (YAML merge keys resolved, so `<<: *hookwait-env` is expanded). */
export function readComposeFile(path: string = composeFilePath()): Json {
  const doc: unknown = parse(readFileSync(path, 'utf8'), { merge: true });
  if (!isRecord(doc)) throw new Error(`${path} is not a mapping`);
  return doc;
}

/** A service's `environment` mapping as written (uninterpolated). */
export function composeRawEnvironment(compose: Json, role: ComposeRole): Record<string, string> {
  const services = compose.services;
  const service = isRecord(services) ? services[role] : undefined;
  const env = isRecord(service) ? service.environment : undefined;
  if (!isRecord(env)) throw new Error(`docker-compose.yml: services.${role}.environment is not a mapping`);
  return Object.fromEntries(
    Object.entries(env).map(([k, v]) => {
      if (v === null || v === undefined || typeof v === 'object') throw new Error(`docker-compose.yml: services.${role}.environment.${k} has no value`);
      return [k, String(v)];
    }),
  );
}

/**
 * The environment compose gives the `gateway` or `worker` container, interpolated from `hostEnv` as compose does
 * (the shell or `.env`): exactly the variables docker-compose.yml lists for that service, nothing inherited.
 *
 * ```ts
 * const env = composeEnvironment(readComposeFile(), 'worker', { HOOKWAIT_TOKEN_KEYS: 'k1:…' });
 * ```
 */
export function composeEnvironment(compose: Json, role: ComposeRole, hostEnv: Readonly<Record<string, string | undefined>>): Record<string, string> {
  return Object.fromEntries(Object.entries(composeRawEnvironment(compose, role)).map(([k, v]) => [k, composeInterpolate(v, hostEnv)]));
}

/** The Temporal dynamic config compose mounts into the `temporal` service (`configs.temporal-dynamic-config`). */
export function composeDynamicConfig(compose: Json): string {
  const configs = compose.configs;
  const entry = isRecord(configs) ? configs['temporal-dynamic-config'] : undefined;
  const content = isRecord(entry) ? entry.content : undefined;
  if (typeof content !== 'string') throw new Error('docker-compose.yml: configs.temporal-dynamic-config.content is missing');
  return content;
}

/**
 * Added to the gateways' environment by `npm run cluster`: they listen on loopback. In a container the default
 * 0.0.0.0 is the container's own interface, published by compose; on this machine it would be every interface.
 */
export const CLUSTER_GATEWAY_LOOPBACK = { HOST: '127.0.0.1' } as const;

/**
 * The environment `npm run cluster` gives one gateway or worker process: compose's, with only the
 * {@link CLUSTER_TOPOLOGY_VARIABLES} replaced (where the role has them), gateways on loopback
 * ({@link CLUSTER_GATEWAY_LOOPBACK}), plus `extra` (tests: the fixtures' secrets).
 *
 * ```ts
 * clusterRoleEnvironment(compose, 'gateway', hostEnv, { TEMPORAL_ADDRESS: '127.0.0.1:7233', PORT: '3001', HOOKWAIT_ADMIN_PORT: '9465' });
 * ```
 */
export function clusterRoleEnvironment(
  compose: Json,
  role: ComposeRole,
  hostEnv: Readonly<Record<string, string | undefined>>,
  topology: Partial<Record<(typeof CLUSTER_TOPOLOGY_VARIABLES)[number], string>>,
  extra: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const env = composeEnvironment(compose, role, hostEnv);
  for (const [k, v] of Object.entries(topology)) {
    if (!(CLUSTER_TOPOLOGY_VARIABLES as readonly string[]).includes(k)) throw new Error(`${k} is not a topology variable`);
    if (k in env && v !== undefined) env[k] = v;
  }
  return { ...extra, ...env, ...(role === 'gateway' ? CLUSTER_GATEWAY_LOOPBACK : {}) };
}

/**
 * The history shard count compose gives the `temporal` service (`NUM_HISTORY_SHARDS`), so `npm run cluster` runs the
 * same; 4 (the server's own default) when the file does not say.
 *
 * ```ts
 * composeHistoryShards(readComposeFile()); // 4
 * ```
 */
export function composeHistoryShards(compose: Json): number {
  const services = compose.services;
  const temporal = isRecord(services) ? services.temporal : undefined;
  const env = isRecord(temporal) && isRecord(temporal.environment) ? temporal.environment : {};
  const raw = env.NUM_HISTORY_SHARDS;
  if (raw === undefined) return 4;
  const shards = Number(raw);
  if (!Number.isInteger(shards) || shards < 1) throw new Error(`docker-compose.yml: NUM_HISTORY_SHARDS ${String(raw)} is not a positive whole number`);
  return shards;
}
