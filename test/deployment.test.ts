import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { parse } from 'yaml';
import { envSchema, loadConfig, TEMPORAL_CONNECTION_ENV } from '../src/config';
import { loadProcessConfig, processEnvSchema } from '../src/app/process-config';
import { gatewayProcedureModule, workerProcedureModules } from '../src/app/procedure-modules';
import { HOOKWAIT_SEARCH_ATTRIBUTES } from '../src/workflows/search-attributes';

// No Docker engine runs where these tests do, so docker-compose.yml and the Dockerfile are checked by construction:
// pinned images, commands that point at real sources, the search attributes the code uses, and the containers'
// environment fed to the same loadConfig() the gateway and worker call at start-up.

const root = join(__dirname, '..');
const read = (file: string): string => readFileSync(join(root, file), 'utf8');

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const record = (v: unknown, what: string): Json => {
  if (!isRecord(v)) throw new Error(`${what} is not a mapping`);
  return v;
};

/** The variables the code reads besides `envSchema`: src/app/procedure-modules.ts and the demo's connector template. */
const EXTRA_ENV = ['HOOKWAIT_PROCEDURES_MODULE', 'HOOKWAIT_WORKFLOWS_MODULE', 'KYC_PROVIDER_URL'];
const OUR_SERVICES = ['gateway', 'worker'] as const;

/** Compose's interpolation: `$$`, `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`. */
function interpolate(value: string, env: Record<string, string | undefined>): string {
  const out = value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (match: string, braced?: string, op?: string, arg?: string, bare?: string) => {
      if (match === '$$') return '\u0000';
      const name = (braced ?? bare) as string;
      const v = env[name];
      const missing = op?.startsWith(':') ? v === undefined || v === '' : v === undefined;
      if (op === ':-' || op === '-') return missing ? (arg ?? '') : (v as string);
      if (op === ':?' || op === '?') {
        if (missing) throw new Error(`required variable ${name} is missing a value: ${arg ?? ''}`);
        return v as string;
      }
      return v ?? '';
    },
  );
  if (out.includes('$')) throw new Error(`unsupported interpolation in ${JSON.stringify(value)}`);
  return out.replace(/\u0000/g, '$');
}

/** A service's `environment`, in either of compose's forms, as raw (uninterpolated) strings. */
function rawEnvironment(service: Json): Record<string, string> {
  const env = service.environment;
  if (env === undefined) return {};
  const entries: [string, unknown][] = Array.isArray(env)
    ? env.map((line) => {
        const s = String(line);
        const eq = s.indexOf('=');
        return eq < 0 ? [s, null] : [s.slice(0, eq), s.slice(eq + 1)];
      })
    : Object.entries(record(env, 'environment'));
  return Object.fromEntries(
    entries.map(([k, v]) => {
      // A bare name (no value) would pass the host's variable through unseen; every value must be written here.
      if (v === null || v === undefined || typeof v === 'object') throw new Error(`environment ${k} has no value`);
      return [k, String(v)];
    }),
  );
}

function resolvedEnvironment(service: Json, env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(rawEnvironment(service)).map(([k, v]) => [k, interpolate(v, env)]));
}

/** A command or healthcheck test as one string (compose allows a string or a list). */
const commandText = (v: unknown): string => (Array.isArray(v) ? v.map(String).join(' ') : v === undefined ? '' : String(v));

/** `lib/src/x/main.js` → `src/x/main.ts`, following tsconfig's outDir and rootDir. */
const tsconfig = JSON.parse(read('tsconfig.json')) as { compilerOptions: { outDir: string; rootDir: string } };
function sourceOf(compiled: string): string | undefined {
  const outDir = posix.normalize(tsconfig.compilerOptions.outDir).replace(/\/$/, '');
  const rel = posix.normalize(compiled);
  if (!rel.startsWith(`${outDir}/`) || !rel.endsWith('.js')) return undefined;
  return posix.join(tsconfig.compilerOptions.rootDir, rel.slice(outDir.length + 1).replace(/\.js$/, '.ts'));
}
/** The compiled scripts a command runs with node, each with the source it is built from. */
function nodeScripts(command: string): { script: string; source: string | undefined }[] {
  const m = /(?:^|\s)node\s+(?:-[^\s]+\s+)*([^\s'"]+\.js)\b/.exec(command);
  return m?.[1] ? [{ script: m[1], source: sourceOf(m[1]) }] : [];
}

/** An exact version tag (at least major.minor, never `latest`) or a digest. */
function pinProblem(image: string): string | undefined {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return undefined;
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  if (colon <= slash) return 'has no tag';
  const tag = image.slice(colon + 1);
  if (/latest/i.test(tag)) return `uses "${tag}"`;
  if (!/^v?\d+\.\d+(\.\d+)*([-_.][A-Za-z0-9._-]+)?$/.test(tag)) return `tag "${tag}" is not an exact version`;
  return undefined;
}

const SECRET_LIKE = /[A-Za-z0-9+/_-]{32,}/g;
/** Runs of ≥ 32 key characters that look like key material: mixed case with digits (base64), or hex. */
function secretLooking(text: string): string[] {
  return [...text.matchAll(SECRET_LIKE)]
    .map((m) => m[0])
    .filter((s) => (/[a-z]/.test(s) && /[A-Z]/.test(s) && /\d/.test(s)) || /^[0-9a-fA-F]{32,}$/.test(s));
}

const composeText = read('docker-compose.yml');
const compose = record(parse(composeText, { merge: true }), 'docker-compose.yml');
const services = record(compose.services, 'services');
const service = (name: string): Json => record(services[name], `service ${name}`);
const testKeys = `k1:${randomBytes(32).toString('base64url')}`;

describe('docker-compose.yml', () => {
  it('has the Temporal, UI, gateway and worker services', () => {
    for (const name of ['postgresql', 'temporal', 'temporal-ui', 'gateway', 'worker']) expect(services).toHaveProperty(name);
  });

  it('pins every image to an exact version (services built from the Dockerfile excepted)', () => {
    const problems: string[] = [];
    for (const [name, value] of Object.entries(services)) {
      const s = record(value, name);
      if (s.build !== undefined) continue;
      if (typeof s.image !== 'string') problems.push(`${name}: no image`);
      else {
        const p = pinProblem(s.image);
        if (p) problems.push(`${name}: ${s.image} ${p}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('starts things in order: every dependency exists, Temporal waits for a healthy PostgreSQL', () => {
    const dependsOn = (name: string): Record<string, string> => {
      const d = service(name).depends_on;
      if (d === undefined) return {};
      if (Array.isArray(d)) return Object.fromEntries(d.map((x) => [String(x), 'service_started']));
      return Object.fromEntries(Object.entries(record(d, 'depends_on')).map(([k, v]) => [k, String(record(v, k).condition ?? 'service_started')]));
    };
    for (const name of Object.keys(services)) for (const dep of Object.keys(dependsOn(name))) expect(Object.keys(services)).toContain(dep);
    expect(dependsOn('temporal')).toMatchObject({ postgresql: 'service_healthy' });
    expect(record(service('postgresql').healthcheck, 'postgresql healthcheck').test).toBeDefined();
  });

  it.each(OUR_SERVICES)('%s is built here and its command runs a script compiled from src/', (name) => {
    const s = service(name);
    expect(s.build).toBeDefined();
    const scripts = nodeScripts(commandText(s.command));
    expect(scripts).toHaveLength(1);
    for (const { script, source } of scripts) {
      expect({ script, source }).toEqual({ script, source: expect.stringMatching(/^src\/.+\.ts$/) });
      expect(existsSync(join(root, source as string))).toBe(true);
    }
  });

  it('runs the gateway and the worker as the two roles', () => {
    expect(commandText(service('gateway').command)).toMatch(/\blib\/src\/api\/main\.js\b/);
    expect(commandText(service('worker').command)).toMatch(/\blib\/src\/worker\/main\.js\b/);
  });

  it.each(OUR_SERVICES)('%s gets only variables the code reads', (name) => {
    const known = new Set([...Object.keys(envSchema.shape), ...TEMPORAL_CONNECTION_ENV, ...Object.keys(processEnvSchema.shape), ...EXTRA_ENV]);
    const unknown = Object.keys(rawEnvironment(service(name))).filter((k) => !known.has(k));
    expect(unknown).toEqual([]);
    expect(service(name).env_file).toBeUndefined(); // everything the containers get is visible here
  });

  it.each(OUR_SERVICES)("%s's environment, as compose resolves it, is accepted by loadConfig() and loadProcessConfig()", (name) => {
    const env = resolvedEnvironment(service(name), { HOOKWAIT_TOKEN_KEYS: testKeys });
    const config = loadConfig(env, {
      readFile: (path) => {
        throw new Error(`no file should be read, asked for ${path}`);
      },
    });
    expect(() => loadProcessConfig(env)).not.toThrow();
    expect(config.temporal).toMatchObject({ address: 'temporal:7233', namespace: 'default', taskQueue: 'hookwait' });
    expect(config.keyring).toBeDefined();
    // Unset module variables mean the bundled demo, named in the file (the processes have no default of their own),
    // compiled into the image's lib/examples (here: this checkout's, built by `npm run build`).
    const worker = workerProcedureModules(env);
    expect(worker.proceduresModule).toMatch(/lib[\\/]examples[\\/]identity-verification[\\/]procedures\.js$/);
    expect(existsSync(worker.proceduresModule as string)).toBe(true);
    expect(existsSync(worker.workflowsModule)).toBe(true);
    expect(gatewayProcedureModule(env)).toBe(worker.proceduresModule);
  });

  it('requires HOOKWAIT_TOKEN_KEYS from outside, the same for gateway and worker, never a literal', () => {
    const raw = OUR_SERVICES.map((n) => rawEnvironment(service(n)).HOOKWAIT_TOKEN_KEYS);
    expect(raw[0]).toMatch(/^\$\{HOOKWAIT_TOKEN_KEYS:\?[^}]*\}$/);
    expect(raw[1]).toBe(raw[0]);
    for (const n of OUR_SERVICES) expect(() => resolvedEnvironment(service(n), {})).toThrow(/HOOKWAIT_TOKEN_KEYS/);
  });

  it('points gateway, worker and UI at the temporal service', () => {
    const temporal = service('temporal');
    expect(commandText(temporal.ports)).toMatch(/(^|:)7233:7233\b/);
    for (const n of [...OUR_SERVICES, 'temporal-ui']) expect(resolvedEnvironment(service(n), { HOOKWAIT_TOKEN_KEYS: testKeys }).TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(commandText(service('temporal-ui').ports)).toMatch(/(^|:)8080:8080\b/);
  });

  it("publishes the gateway's port and health-checks its /healthz route", () => {
    const gateway = service('gateway');
    const { port } = loadProcessConfig(resolvedEnvironment(gateway, { HOOKWAIT_TOKEN_KEYS: testKeys }));
    const ports = (gateway.ports as unknown[]).map(String);
    expect(ports.some((p) => p.split(':').pop() === String(port))).toBe(true);
    const check = commandText(record(gateway.healthcheck, 'gateway healthcheck').test);
    expect(check).toContain(`http://127.0.0.1:${port}/healthz`);
    expect(read('src/api/gateway-app.ts')).toMatch(/\.get\(\s*'\/healthz'/);
    expect(record(gateway.deploy, 'gateway deploy').replicas).toBe(1);
  });

  it("keeps the gateway's admin listener (/metrics) off the published ports, on loopback unless told otherwise", () => {
    const gateway = service('gateway');
    const processConfig = loadProcessConfig(resolvedEnvironment(gateway, { HOOKWAIT_TOKEN_KEYS: testKeys }));
    expect(processConfig.adminHost).toBe('127.0.0.1');
    expect(processConfig.adminPort).toBeDefined();
    expect(processConfig.adminPort).not.toBe(processConfig.port);
    const published = (gateway.ports as unknown[]).map(String).map((p) => p.split(':').pop());
    expect(published).not.toContain(String(processConfig.adminPort));
    expect(loadProcessConfig(resolvedEnvironment(gateway, { HOOKWAIT_TOKEN_KEYS: testKeys, HOOKWAIT_ADMIN_HOST: '0.0.0.0' })).adminHost).toBe('0.0.0.0');
  });

  it('registers exactly the search attributes the workflows use, with their types, before gateway and worker start', () => {
    const oneShots = Object.entries(services).filter(([, v]) => commandText(record(v, 'service').command).includes('search-attribute create'));
    expect(oneShots).toHaveLength(1);
    const [name, value] = oneShots[0] as [string, unknown];
    const s = record(value, name);
    expect(String(s.image)).toMatch(/^temporalio\/admin-tools:/);
    const script = interpolate(commandText(s.command), {});
    const registered = [...script.matchAll(/search-attribute create\b[^\n]*?--name\s+(\w+)\s+--type\s+(\w+)/g)].map((m) => [m[1], String(m[2]).toUpperCase()]);
    const expected = HOOKWAIT_SEARCH_ATTRIBUTES.map((k) => [k.name, k.type.replace(/_/g, '')]);
    expect(registered.sort()).toEqual(expected.sort());
    // On the namespace the gateway and worker use.
    const namespaces = [...script.matchAll(/--namespace[\s=]+([A-Za-z0-9._-]+)/g)].map((m) => m[1]);
    expect(new Set(namespaces)).toEqual(new Set(['default']));
    for (const n of OUR_SERVICES) expect(record(service(n).depends_on, `${n} depends_on`)[name]).toEqual({ condition: 'service_completed_successfully' });
  });

  it('holds no literal secret', () => {
    // Every environment value, once its ${…} references are taken out, is short or not key-like at all.
    for (const [name, value] of Object.entries(services)) {
      for (const [k, v] of Object.entries(rawEnvironment(record(value, name)))) {
        expect({ [`${name}.${k}`]: v.replace(/\$\{[^}]*\}/g, '').match(SECRET_LIKE) }).toEqual({ [`${name}.${k}`]: null });
      }
    }
    // Nowhere in the file (comments, scripts, configs) anything that looks like key material.
    expect(secretLooking(composeText)).toEqual([]);
    // The detector itself finds a real key.
    expect(secretLooking(`HOOKWAIT_TOKEN_KEYS=${testKeys}`)).toHaveLength(1);
  });
});

describe('Dockerfile', () => {
  const text = read('Dockerfile');
  // Instructions, with continuation lines joined and comments dropped.
  const instructions = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const m = /^(\w+)\s+(.*)$/.exec(l);
      return { op: (m?.[1] ?? l).toUpperCase(), args: m?.[2] ?? '' };
    });
  const firstFrom = instructions.findIndex((i) => i.op === 'FROM');
  const globalArgs = Object.fromEntries(
    instructions
      .slice(0, firstFrom)
      .filter((i) => i.op === 'ARG')
      .map((i) => {
        const [k, ...v] = i.args.split('=');
        return [String(k).trim(), v.join('=').trim()];
      }),
  );
  const stages: { image: string; name?: string; body: { op: string; args: string }[] }[] = [];
  for (const i of instructions.slice(firstFrom)) {
    if (i.op === 'FROM') {
      const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(i.args);
      stages.push({ image: interpolate(m?.[1] ?? '', globalArgs), name: m?.[2], body: [] });
    } else stages.at(-1)?.body.push(i);
  }
  const final = stages.at(-1);

  it('builds from a base image pinned to an exact version', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2); // multi-stage
    const stageNames = new Set(stages.map((s) => s.name).filter(Boolean));
    for (const s of stages) {
      if (stageNames.has(s.image)) continue;
      expect({ image: s.image, problem: pinProblem(s.image) }).toEqual({ image: s.image, problem: undefined });
      expect(s.image).toMatch(/^node:20\./); // the Node major of package.json's engines
    }
  });

  it('installs from the lockfile, builds, and ships production dependencies only', () => {
    const runs = stages.flatMap((s) => s.body.filter((i) => i.op === 'RUN').map((i) => i.args)).join('\n');
    expect(runs).toMatch(/\bnpm ci\b/);
    expect(runs).toMatch(/\bnpm run build\b/);
    expect(runs).toMatch(/\bnpm prune --omit=dev\b/);
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string>; peerDependencies: Record<string, string>; peerDependenciesMeta?: Record<string, { optional?: boolean }> };
    expect(pkg.scripts.build).toBeDefined();
    // The peers (Temporal SDK, express, zod) are what the processes run on: `npm prune --omit=dev` must keep them, so
    // the lockfile must not flag them dev (it does when they are dev dependencies too).
    const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { dev?: boolean }> };
    const required = Object.keys(pkg.peerDependencies).filter((n) => !pkg.peerDependenciesMeta?.[n]?.optional);
    expect(required).toEqual(expect.arrayContaining(['@temporalio/worker', '@temporalio/workflow', 'express', 'zod']));
    expect(required.filter((n) => lock.packages[`node_modules/${n}`]?.dev !== undefined || !lock.packages[`node_modules/${n}`])).toEqual([]);
  });

  it('runs as a non-root user', () => {
    const users = (final?.body ?? []).filter((i) => i.op === 'USER').map((i) => i.args.split(':')[0]);
    expect(users.length).toBeGreaterThan(0);
    expect(['root', '0']).not.toContain(users.at(-1));
  });

  it('has a CMD, and it and the compose commands run scripts the final image contains', () => {
    const cmd = (final?.body ?? []).filter((i) => i.op === 'CMD').at(-1);
    expect(cmd).toBeDefined();
    const cmdText = commandText(JSON.parse(cmd?.args ?? '[]') as unknown);
    const commands = [cmdText, ...OUR_SERVICES.map((n) => commandText(service(n).command))];
    const copied = (final?.body ?? []).filter((i) => i.op === 'COPY').map((i) => posix.normalize(i.args.trim().split(/\s+/).at(-1) ?? '').replace(/(.)\/$/, '$1'));
    for (const command of commands) {
      const scripts = nodeScripts(command);
      expect(scripts).toHaveLength(1);
      for (const { script, source } of scripts) {
        expect(source && existsSync(join(root, source))).toBeTruthy();
        expect(copied.some((dest) => dest === '.' || script.startsWith(`${dest.replace(/^\.\//, '')}/`))).toBe(true);
      }
    }
    // The default procedures (the bundled demo) are in the image too.
    expect(copied).toContain('lib/examples');
  });

  it('keeps dependencies, build output, local state and secrets out of the build context', () => {
    const ignored = read('.dockerignore').split(/\r?\n/).map((l) => l.trim());
    for (const p of ['node_modules', 'lib', '.hookwait', '.git', 'test-artifacts', '.env']) expect(ignored).toContain(p);
    expect(secretLooking(text)).toEqual([]);
  });
});
