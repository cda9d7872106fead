import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { generateKeyringSpec } from '../src/security/callback-token';
import { freePort } from './helpers/free-port';
import { postCallback } from './helpers/http';

// The package as a user gets it: `npm pack`, the tarball installed into a temporary app of its own (CommonJS, its own
// tsconfig with "moduleResolution": "node", strict), compiled with tsc, then run against a real Temporal dev server:
// its worker with the plugin and no conversation channel, its Express app, one callback through a plain workflow.
// Packs the compiled lib/ as it is (--ignore-scripts): run `npm run build` first, as `npm test` does.

const ROOT = resolve(__dirname, '..');
const APP_SOURCES = join(__dirname, 'fixtures/package-app');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
/** What the app installs beside the tarball, at the versions of this repository's lockfile (so npm's cache has them). */
const APP_DEPENDENCIES = [
  '@temporalio/activity',
  '@temporalio/client',
  '@temporalio/common',
  '@temporalio/plugin',
  '@temporalio/proto',
  '@temporalio/worker',
  '@temporalio/workflow',
  'express',
  'zod',
  '@types/express',
  '@types/node',
];

interface Exec {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to its end; never rejects (the caller checks the code, with the output in the failure). */
function run(file: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<Exec> {
  return new Promise((resolvePromise) => {
    execFile(file, args, { cwd: options.cwd, env: options.env, timeout: options.timeoutMs, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolvePromise({ code, stdout: String(stdout), stderr: String(stderr) || (err && code === 1 ? String(err.message) : '') });
    });
  });
}

/** The environment without what `npm test` adds (npm_config_* would configure the inner npm too). */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_/i.test(k) || k === 'INIT_CWD' || k === 'NODE_OPTIONS' || k === 'NODE_PATH' || k.startsWith('HOOKWAIT_') || k.startsWith('TEMPORAL_')) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

/** Every src/**.ts has its compiled lib/src/**.js, no older than the source. */
function assertBuilt(): void {
  const stale: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
        const built = join(ROOT, 'lib', relative(ROOT, path).replace(/\.ts$/, '.js'));
        const stat = statSync(built, { throwIfNoEntry: false });
        if (!stat || stat.mtimeMs < statSync(path).mtimeMs) stale.push(relative(ROOT, path));
      }
    }
  };
  walk(join(ROOT, 'src'));
  if (stale.length > 0) throw new Error(`lib/ is missing or older than ${stale.slice(0, 5).join(', ')}: run \`npm run build\` first`);
}

/** A started app process: its output so far and lines as JSON events. */
interface AppProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  output(): string;
  event(name: string, timeoutMs?: number): Promise<Record<string, unknown>>;
}

function startApp(appDir: string, env: NodeJS.ProcessEnv): AppProcess {
  const child = spawn(process.execPath, [join(appDir, 'lib/main.js')], { cwd: appDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const events = (): Record<string, unknown>[] =>
    out
      .split('\n')
      .filter((l) => l.startsWith('{"event"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return {
    child,
    exited,
    output: () => out,
    async event(name, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = events().find((e) => e.event === name);
        if (found) return found;
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`no '${name}' event from the app; its output:\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
}

describe('the npm package, packed and installed into an app of its own', () => {
  let dir: string;
  let appDir: string;
  let tarball: string;
  let server: Promise<TestWorkflowEnvironment>;
  const children: ChildProcess[] = [];

  beforeAll(() => {
    assertBuilt();
    dir = mkdtempSync(join(tmpdir(), 'hookwait-package-'));
    appDir = join(dir, 'app');
    const path = process.env.TEMPORAL_CLI_PATH;
    if (!path) throw new Error('TEMPORAL_CLI_PATH is not set: run through jest (test/global-setup.ts)');
    // Started now, ready by the time the app runs. The search attributes are left to `hookwait setup` below.
    server = TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path } } });
    server.catch(() => undefined);
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await (await server.catch(() => undefined))?.teardown();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  test('npm pack: the compiled library, its types, the bin and the README; no tests, bench, examples, dev tooling, Dockerfile or histories', async () => {
    const packed = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: ROOT, env: cleanEnv(), timeoutMs: 60_000 });
    expect({ code: packed.code, stderr: packed.code === 0 ? '' : packed.stderr }).toEqual({ code: 0, stderr: '' });
    const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
    tarball = join(dir, (info as { filename: string }).filename);
    const files = (info as { files: { path: string }[] }).files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'bin/hookwait.js', 'lib/src/index.js', 'lib/src/index.d.ts', 'lib/src/workflow.js', 'lib/src/workflow.d.ts', 'lib/src/cli/main.js']));
    expect(files.filter((f) => !/^lib\/src\/.+\.(js|js\.map|d\.ts)$/.test(f) && !['package.json', 'README.md', 'bin/hookwait.js'].includes(f))).toEqual([]);
    expect(files.filter((f) => /(^|\/)(test|bench|examples|histories|dev)\/|Dockerfile|docker-compose|\.test\./.test(f))).toEqual([]);
    expect(existsSync(tarball)).toBe(true);
  });

  test('installs into a CommonJS app with its peer dependencies, one copy of each, and compiles under "moduleResolution": "node", strict', async () => {
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> };
    const versionOf = (name: string): string => {
      const v = lock.packages[`node_modules/${name}`]?.version;
      if (!v) throw new Error(`${name} is not in package-lock.json`);
      return v;
    };
    mkdirSync(join(appDir, 'src'), { recursive: true });
    writeFileSync(
      join(appDir, 'package.json'),
      JSON.stringify(
        {
          name: 'hookwait-package-test-app',
          private: true,
          type: 'commonjs',
          dependencies: { hookwait: `file:${tarball}`, ...Object.fromEntries(APP_DEPENDENCIES.map((n) => [n, versionOf(n)])) },
        },
        null,
        2,
      ),
    );
    writeFileSync(
      join(appDir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'commonjs',
          moduleResolution: 'node',
          strict: true,
          esModuleInterop: true,
          types: ['node'],
          rootDir: 'src',
          outDir: 'lib',
        },
        include: ['src'],
      }),
    );
    for (const file of readdirSync(APP_SOURCES)) cpSync(join(APP_SOURCES, file), join(appDir, 'src', file));

    // npm's cache holds every version of the lockfile (npm ci filled it): no network unless something is missing.
    const installed = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], { cwd: appDir, env: cleanEnv(), timeoutMs: 150_000 });
    expect({ code: installed.code, stderr: installed.code === 0 ? '' : installed.stderr }).toEqual({ code: 0, stderr: '' });
    // The peers are the app's: hookwait brought no Temporal SDK, express or zod of its own.
    expect(existsSync(join(appDir, 'node_modules/hookwait/node_modules/@temporalio'))).toBe(false);
    expect(existsSync(join(appDir, 'node_modules/hookwait/node_modules/zod'))).toBe(false);
    expect(existsSync(join(appDir, 'node_modules/hookwait/node_modules/express'))).toBe(false);

    const compiled = await run(process.execPath, [TSC, '-p', appDir], { cwd: appDir, env: cleanEnv(), timeoutMs: 120_000 });
    expect({ code: compiled.code, output: compiled.stdout + compiled.stderr }).toEqual({ code: 0, output: '' });
  }, 240_000);

  test("the bin: `hookwait setup` registers hookwait's search attributes on the dev server", async () => {
    const env = await server;
    const setup = await run(join(appDir, 'node_modules/.bin/hookwait'), ['setup'], { cwd: appDir, env: cleanEnv({ TEMPORAL_ADDRESS: env.address }), timeoutMs: 30_000 });
    expect({ code: setup.code, stderr: setup.stderr }).toEqual({ code: 0, stderr: '' });
    expect(setup.stdout).toMatch(/Registered: .*HookwaitStatus/);
  }, 60_000);

  test('one callback through the app: a plain workflow with createCallback, a worker without a conversation channel, the router under a prefix; a router behind express.json() answers 500 misconfigured, not 4xx', async () => {
    const env = await server;
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const app = startApp(
      appDir,
      cleanEnv({
        TEMPORAL_ADDRESS: env.address,
        TEMPORAL_TASK_QUEUE: `package-${randomUUID()}`,
        HOOKWAIT_TOKEN_KEYS: generateKeyringSpec('p1'),
        HOOKWAIT_PUBLIC_BASE_URL: `${base}/hooks`,
        PORT: String(port),
        HOST: '127.0.0.1',
      }),
    );
    children.push(app.child);
    const waiting = await app.event('waiting', 90_000);
    const url = String(waiting.url);
    expect(url.startsWith(`${base}/hooks/callbacks/hw2.`)).toBe(true);
    const payload = { status: 'verified', data: { reference: { id: 'ref-7' } }, extra: 'dropped' };

    // The same token on the router mounted after express.json(): the body is gone, so 500, never a 4xx.
    const misconfigured = await postCallback(url.replace('/hooks/callbacks/', '/callbacks/'), payload);
    expect({ status: misconfigured.status, type: misconfigured.body.type }).toEqual({ status: 500, type: 'urn:hookwait:problem:misconfigured' });

    const accepted = await postCallback(url, payload);
    expect({ status: accepted.status, body: accepted.body }).toEqual({ status: 202, body: expect.objectContaining({ status: 'accepted', wait: 'idVerified' }) });
    expect((await app.event('result')).result).toEqual({ customerId: 'c1', status: 'verified', reference: 'ref-7' });
    expect(await app.exited).toBe(0);
  }, 120_000);

  test('two copies of the Temporal SDK (hookwait with its own @temporalio/workflow): the worker refuses to start, naming both', async () => {
    const env = await server;
    const nested = join(appDir, 'node_modules/hookwait/node_modules/@temporalio/workflow');
    cpSync(join(appDir, 'node_modules/@temporalio/workflow'), nested, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(nested, 'package.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(nested, 'package.json'), JSON.stringify({ ...manifest, version: '1.23.9' }));
    try {
      const port = await freePort();
      const app = startApp(
        appDir,
        cleanEnv({ TEMPORAL_ADDRESS: env.address, HOOKWAIT_TOKEN_KEYS: generateKeyringSpec('p2'), PORT: String(port), HOST: '127.0.0.1' }),
      );
      children.push(app.child);
      expect(await app.exited).toBe(1);
      const out = app.output();
      expect(out).toContain('DuplicateTemporalSdkError: hookwait: two copies of the Temporal SDK');
      expect(out).toContain(`@temporalio/workflow: hookwait loads 1.23.9 from ${realpathSync(nested)}`);
      expect(out).toMatch(/the app loads 1\.24\.\d+ from \S+[\\/]app[\\/]node_modules[\\/]@temporalio[\\/]workflow /);
    } finally {
      rmSync(join(appDir, 'node_modules/hookwait/node_modules'), { recursive: true, force: true });
    }
  }, 60_000);
});
