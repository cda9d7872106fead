import { type ChildProcess, spawn, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isExecutable } from '../app/hookwait-cache';

/** Where Debian and Ubuntu install PostgreSQL's server binaries: `/usr/lib/postgresql/<major>/bin`. */
const DEBIAN_POSTGRES_ROOT = '/usr/lib/postgresql';

/**
 * The directory of PostgreSQL's `initdb` and `postgres`: `HOOKWAIT_POSTGRES_BIN`, else Debian's newest
 * `/usr/lib/postgresql/<major>/bin` (15 on our machines), else the directory of `initdb` on PATH.
 *
 * ```ts
 * const bin = findPostgresBin(); // '/usr/lib/postgresql/15/bin'
 * ```
 */
export function findPostgresBin(env: NodeJS.ProcessEnv = process.env): string {
  const has = (dir: string): boolean => isExecutable(join(dir, 'initdb')) && isExecutable(join(dir, 'postgres'));
  if (env.HOOKWAIT_POSTGRES_BIN) {
    if (has(env.HOOKWAIT_POSTGRES_BIN)) return env.HOOKWAIT_POSTGRES_BIN;
    throw new Error(`HOOKWAIT_POSTGRES_BIN: ${env.HOOKWAIT_POSTGRES_BIN} has no initdb and postgres`);
  }
  if (existsSync(DEBIAN_POSTGRES_ROOT)) {
    const majors = readdirSync(DEBIAN_POSTGRES_ROOT).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(b) - Number(a));
    for (const major of majors) if (has(join(DEBIAN_POSTGRES_ROOT, major, 'bin'))) return join(DEBIAN_POSTGRES_ROOT, major, 'bin');
  }
  for (const dir of (env.PATH ?? '').split(':')) if (dir && has(dir)) return dir;
  throw new Error(`PostgreSQL not found: install it (Debian: apt-get install postgresql), or set HOOKWAIT_POSTGRES_BIN to the directory of initdb and postgres`);
}

/** The user PostgreSQL runs as: ourselves, or `nobody` when we are root (initdb and postgres refuse root). */
function runAs(): { uid: number; gid: number } | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('nobody:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) throw new Error('running as root, and there is no nobody user to run PostgreSQL as');
  return { uid: Number(uid), gid: Number(gid) };
}

export interface Postgres {
  readonly host: string;
  readonly port: number;
  /** The superuser, owner of Temporal's databases. */
  readonly user: string;
  readonly password: string;
  readonly dataDir: string;
  readonly process: ChildProcess;
  /** Fast shutdown (SIGINT), then SIGKILL after 15 s. */
  stop(): Promise<void>;
}

function run(command: string, args: string[], options: SpawnOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} exited with ${code}: ${out.trim().slice(-1500)}`))));
  });
}

/**
 * Initialises a PostgreSQL cluster in `dir` (a fresh, empty directory) and starts it on 127.0.0.1:`port`, TCP only,
 * with a random password for the `temporal` superuser. As root, PostgreSQL runs as `nobody` (the data directory is
 * given to that user). Resolves when it accepts connections.
 *
 * ```ts
 * const pg = await startPostgres({ dir: '/tmp/x', port: 55432, log: console.log });
 * await pg.stop();
 * ```
 */
export async function startPostgres(options: { dir: string; port: number; bin?: string; log?: (line: string) => void }): Promise<Postgres> {
  const bin = options.bin ?? findPostgresBin();
  const user = 'temporal';
  const password = randomBytes(18).toString('base64url');
  const owner = runAs();
  const dataDir = join(options.dir, 'data');
  const socketDir = join(options.dir, 'socket');
  const pwFile = join(options.dir, 'pw');
  mkdirSync(options.dir, { recursive: true });
  for (const d of [dataDir, socketDir]) mkdirSync(d, { mode: 0o700 });
  writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
  if (owner) {
    // The owner must reach its directories: the parent is traversable, the contents are the owner's alone.
    chmodSync(options.dir, 0o711);
    for (const p of [dataDir, socketDir, pwFile]) chownSync(p, owner.uid, owner.gid);
  }
  const spawnOptions: SpawnOptions = { cwd: options.dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C' }, ...(owner ?? {}) };
  await run(join(bin, 'initdb'), ['-D', dataDir, '-U', user, `--pwfile=${pwFile}`, '--auth-local=scram-sha-256', '--auth-host=scram-sha-256', '-E', 'UTF8', '--no-locale', '--no-sync'], spawnOptions);
  const args = [
    '-D', dataDir,
    '-p', String(options.port),
    '-c', 'listen_addresses=127.0.0.1',
    '-c', `unix_socket_directories=${socketDir}`,
    // Each Temporal service keeps its own pool per store (see the server config's maxConns).
    '-c', 'max_connections=300',
  ];
  const child = spawn(join(bin, 'postgres'), args, { ...spawnOptions, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (b: Buffer): void => {
    output = (output + b.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited: number | null | undefined;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code) => {
      exited = code;
      resolve();
    }),
  );
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited !== undefined) throw new Error(`postgres exited with ${exited}: ${output.trim().slice(-1500)}`);
    try {
      await run(join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(options.port), '-U', user, '-d', 'postgres'], { env: spawnOptions.env });
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`PostgreSQL did not accept connections on 127.0.0.1:${options.port} within 60 s: ${String(err)} ${output.trim().slice(-1500)}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  options.log?.(`PostgreSQL (${bin}) on 127.0.0.1:${options.port}, data in ${dataDir}`);
  return {
    host: '127.0.0.1',
    port: options.port,
    user,
    password,
    dataDir,
    process: child,
    async stop() {
      if (exited !== undefined) return;
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exit;
      clearTimeout(timer);
    },
  };
}
