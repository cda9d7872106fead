import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  CLUSTER_GATEWAY_LOOPBACK,
  CLUSTER_TOPOLOGY_VARIABLES,
  clusterRoleEnvironment,
  composeDynamicConfig,
  composeEnvironment,
  composeFilePath,
  composeHistoryShards,
  composeInterpolate,
  type ComposeRole,
  readComposeFile,
} from '../src/dev/compose-env';
import type { Postgres } from '../src/dev/postgres';
import { NAMESPACE_RETENTION, TEMPORAL_DATABASES, writeTemporalServerConfig } from '../src/dev/temporal-postgres-server';
import { TEMPORAL_SERVER_VERSION } from '../src/dev/temporal-server';

// `npm run cluster` reads the gateway's and worker's environment from docker-compose.yml at start, so the two cannot
// drift; these tests check that it does so faithfully (only the topology differs), and that the Temporal side (schema,
// plugin, dynamic config, namespace) is set up as the compose file sets it up. test/cluster.test.ts checks the
// environment of the real processes too.

const root = join(__dirname, '..');
const ROLES: ComposeRole[] = ['gateway', 'worker'];
const host = { HOOKWAIT_TOKEN_KEYS: `k1:${randomBytes(32).toString('base64url')}` };
const compose = readComposeFile();

/** The file parsed on its own, not through src/dev/compose-env.ts. */
const independent = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, { environment?: Record<string, string>; command?: string[] | string }>;
  configs: Record<string, { content: string }>;
};

describe('npm run cluster and docker-compose.yml', () => {
  it('runs the Temporal server release that npm run cluster builds', () => {
    const images = independent as unknown as { services: Record<string, { image?: string }>; 'x-temporal-admin-tools': { image: string } };
    const version = TEMPORAL_SERVER_VERSION.replace(/^v/, '');
    expect(images.services.temporal?.image).toBe(`temporalio/server:${version}`);
    expect(images['x-temporal-admin-tools'].image.startsWith(`temporalio/admin-tools:${version}-`)).toBe(true);
  });

  it('reads the compose file of this checkout', () => {
    expect(composeFilePath()).toBe(join(root, 'docker-compose.yml'));
  });

  it.each(ROLES)("gives the %s exactly compose's variables and values, topology aside", (role) => {
    const fromCompose = Object.fromEntries(Object.entries(independent.services[role]?.environment ?? {}).map(([k, v]) => [k, composeInterpolate(String(v), host)]));
    expect(Object.keys(fromCompose).length).toBeGreaterThan(5);
    expect(composeEnvironment(compose, role, host)).toEqual(fromCompose);

    const topology = { TEMPORAL_ADDRESS: '127.0.0.1:17233', PORT: '13001', HOOKWAIT_ADMIN_PORT: '19465' };
    const cluster = clusterRoleEnvironment(compose, role, host, topology);
    // The gateways also listen on loopback only (compose publishes its containers' 0.0.0.0 instead).
    const added = role === 'gateway' ? CLUSTER_GATEWAY_LOOPBACK : {};
    expect(Object.keys(fromCompose)).not.toContain('HOST');
    expect(Object.keys(cluster).sort()).toEqual([...Object.keys(fromCompose), ...Object.keys(added)].sort());
    expect(cluster).toMatchObject(added);
    for (const [k, v] of Object.entries(fromCompose)) {
      if ((CLUSTER_TOPOLOGY_VARIABLES as readonly string[]).includes(k)) expect(cluster[k]).toBe(topology[k as keyof typeof topology]);
      else expect({ [k]: cluster[k] }).toEqual({ [k]: v });
    }
  });

  it('takes the shared values (keys, namespace, task queue, modules, log level) from x-hookwait-env, the same for both roles', () => {
    const shared = Object.keys((parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as Record<string, Record<string, string>>)['x-hookwait-env'] ?? {});
    expect(shared).toEqual(expect.arrayContaining(['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TEMPORAL_TASK_QUEUE', 'HOOKWAIT_TOKEN_KEYS']));
    const [gateway, worker] = ROLES.map((r) => clusterRoleEnvironment(compose, r, host, { TEMPORAL_ADDRESS: '127.0.0.1:1' }));
    for (const k of shared) expect({ [k]: gateway?.[k] }).toEqual({ [k]: worker?.[k] });
  });

  it('replaces only topology variables, and refuses anything else as topology', () => {
    expect([...CLUSTER_TOPOLOGY_VARIABLES]).toEqual(['TEMPORAL_ADDRESS', 'PORT', 'HOOKWAIT_ADMIN_PORT']);
    expect(() => clusterRoleEnvironment(compose, 'worker', host, { HOOKWAIT_TOKEN_KEYS: 'x' } as never)).toThrow(/not a topology variable/);
    // A role without the variable does not get it (the worker listens on nothing).
    expect(clusterRoleEnvironment(compose, 'worker', host, { PORT: '1' }).PORT).toBeUndefined();
  });

  it('needs HOOKWAIT_TOKEN_KEYS from outside, as compose does', () => {
    expect(() => clusterRoleEnvironment(compose, 'gateway', {}, {})).toThrow(/HOOKWAIT_TOKEN_KEYS/);
  });

  it("runs Temporal on PostgreSQL as compose does: plugin, databases, schemas, dynamic config, namespace retention", () => {
    const schemaScript = [independent.services['temporal-schema']?.command].flat().join('\n');
    expect(schemaScript).toContain('--plugin postgres12');
    for (const db of TEMPORAL_DATABASES) {
      expect(schemaScript).toContain(db.name);
      // compose's versioned directory for the database is the sql tool's embedded schema of the same name.
      expect(schemaScript).toContain(`$$schema/${db.schema.split('/').pop()}/versioned`);
      expect(db.schema.startsWith('postgresql/v12/')).toBe(true);
    }
    expect(schemaScript).toContain('schema=/etc/temporal/schema/postgresql/v12');
    expect(independent.services.temporal?.environment?.DB).toBe('postgres12');
    // The same number of history shards (fixed at creation) as compose's server.
    expect(composeHistoryShards(compose)).toBe(Number(independent.services.temporal?.environment?.NUM_HISTORY_SHARDS));
    const namespaceScript = [independent.services['temporal-namespace']?.command].flat().join('\n');
    expect(namespaceScript).toContain(`--retention ${NAMESPACE_RETENTION}`);

    const dir = mkdtempSync(join(tmpdir(), 'hookwait-parity-'));
    try {
      const pg = { host: '127.0.0.1', port: 15432, user: 'temporal', password: 'p' } as Postgres;
      const ports = { frontend: 1, frontendHttp: 2, history: 3, matching: 4, worker: 5, frontendMembership: 6, historyMembership: 7, matchingMembership: 8, workerMembership: 9 };
      writeTemporalServerConfig(dir, { pg, ports, shards: 4, dynamicConfig: composeDynamicConfig(compose) });
      expect(readFileSync(join(dir, 'config', 'dynamic.yaml'), 'utf8')).toBe(independent.configs['temporal-dynamic-config']?.content);
      const config = parse(readFileSync(join(dir, 'config', 'hookwait.yaml'), 'utf8')) as {
        persistence: { numHistoryShards: number; datastores: Record<string, { sql: { pluginName: string; databaseName: string } }> };
        dynamicConfigClient: { filepath: string };
      };
      const stores = Object.values(config.persistence.datastores).map((s) => s.sql);
      expect(stores.map((s) => s.pluginName)).toEqual(['postgres12', 'postgres12']);
      expect(stores.map((s) => s.databaseName).sort()).toEqual(TEMPORAL_DATABASES.map((d) => d.name).sort());
      expect(config.persistence.numHistoryShards).toBe(4);
      expect(config.dynamicConfigClient.filepath).toBe(join(dir, 'config', 'dynamic.yaml'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
