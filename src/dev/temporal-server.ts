import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { hookwaitCacheDir, isExecutable } from '../app/hookwait-cache';

/** The Temporal server release `npm run cluster` runs (both binaries build with a plain `go install`). */
export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
export const TEMPORAL_SERVER_MODULE = 'go.temporal.io/server';
/** The packages `go install` builds: the server and its SQL schema tool (which embeds the schema files). */
export const TEMPORAL_SERVER_PACKAGES = { server: 'cmd/server', sqlTool: 'cmd/tools/sql' } as const;

/** Where the binaries live once built: `<hookwait cache>/temporal-server-v1.29.1/`. */
export function temporalServerCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(hookwaitCacheDir(env), `temporal-server-${TEMPORAL_SERVER_VERSION}`);
}

/** The Temporal server and its SQL schema tool. */
export interface TemporalServerBinaries {
  /** `temporal-server` (go.temporal.io/server/cmd/server). */
  readonly server: string;
  /** `temporal-sql-tool` (go.temporal.io/server/cmd/tools/sql); carries the PostgreSQL schemas embedded (`--schema-name`). */
  readonly sqlTool: string;
}

export interface FindTemporalServerOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Build them with `go install` when not found (default true). */
  readonly install?: boolean;
  readonly log?: (line: string) => void;
}

function findGo(env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, 'go'))) return join(dir, 'go');
  }
  return existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined;
}

function fromEnv(env: NodeJS.ProcessEnv, name: 'TEMPORAL_SERVER_PATH' | 'TEMPORAL_SQL_TOOL_PATH'): string | undefined {
  const path = env[name];
  if (!path) return undefined;
  if (!isExecutable(path)) throw new Error(`${name}: ${path} is not an executable file`);
  return path;
}

/**
 * Finds the Temporal server 1.29.1 and its SQL schema tool, each: `TEMPORAL_SERVER_PATH` / `TEMPORAL_SQL_TOOL_PATH`,
 * then the cached build (`~/.cache/hookwait/temporal-server-v1.29.1/`, see {@link hookwaitCacheDir}), else builds both
 * with `go install go.temporal.io/server/cmd/server@v1.29.1 …/cmd/tools/sql@v1.29.1` into that cache (minutes, once).
 *
 * ```ts
 * const { server, sqlTool } = await findTemporalServer();
 * ```
 */
export async function findTemporalServer(options: FindTemporalServerOptions = {}): Promise<TemporalServerBinaries> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const dir = temporalServerCacheDir(env);
  const cached = { server: join(dir, 'temporal-server'), sqlTool: join(dir, 'temporal-sql-tool') };
  const found = {
    server: fromEnv(env, 'TEMPORAL_SERVER_PATH') ?? (isExecutable(cached.server) ? cached.server : undefined),
    sqlTool: fromEnv(env, 'TEMPORAL_SQL_TOOL_PATH') ?? (isExecutable(cached.sqlTool) ? cached.sqlTool : undefined),
  };
  if (found.server && found.sqlTool) return { server: found.server, sqlTool: found.sqlTool };
  if (options.install === false) {
    throw new Error(`the Temporal server ${TEMPORAL_SERVER_VERSION} is not built (set TEMPORAL_SERVER_PATH and TEMPORAL_SQL_TOOL_PATH, or run npm run cluster:ensure)`);
  }
  const go = findGo(env);
  if (!go) {
    throw new Error(
      `the Temporal server ${TEMPORAL_SERVER_VERSION} is not built and Go is not installed to build it. Install Go ` +
        `(https://go.dev/dl), or set TEMPORAL_SERVER_PATH and TEMPORAL_SQL_TOOL_PATH.`,
    );
  }
  log(`hookwait: building the Temporal server ${TEMPORAL_SERVER_VERSION} with go install into ${dir} (several minutes, once)…`);
  const packages = Object.values(TEMPORAL_SERVER_PACKAGES).map((p) => `${TEMPORAL_SERVER_MODULE}/${p}@${TEMPORAL_SERVER_VERSION}`);
  await goInstall(go, env, dir, packages, { server: cached.server, sql: cached.sqlTool });
  log(`hookwait: Temporal server ready in ${dir}`);
  return { server: found.server ?? cached.server, sqlTool: found.sqlTool ?? cached.sqlTool };
}

/**
 * `go install`s `packages` into a scratch directory under `dir`, then moves each binary (named after its package's
 * directory) to the path `rename` gives it.
 */
async function goInstall(go: string, env: NodeJS.ProcessEnv, dir: string, packages: string[], rename: Record<string, string>): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const scratch = mkdtempSync(join(dir, '.build-'));
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(go, ['install', ...packages], { env: { ...env, GOBIN: scratch, GOFLAGS: '-mod=mod' }, stdio: ['ignore', 'inherit', 'inherit'] });
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`go install exited with ${code}`))));
    });
    for (const [built, target] of Object.entries(rename)) renameSync(join(scratch, built), target);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** The Temporal Web UI server the CLI 1.5.1 embeds (`temporal server start-dev`), run here on its own. */
export const TEMPORAL_UI_SERVER_VERSION = 'v2.42.1';
export const TEMPORAL_UI_SERVER_PACKAGE = 'github.com/temporalio/ui-server/v2/cmd/server';

/** Where the UI server lives once built: `<hookwait cache>/temporal-ui-server-v2.42.1/`. */
export function temporalUiServerCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(hookwaitCacheDir(env), `temporal-ui-server-${TEMPORAL_UI_SERVER_VERSION}`);
}

/**
 * Finds the Temporal Web UI server: `TEMPORAL_UI_SERVER_PATH`, then the cached build, else builds it with
 * `go install github.com/temporalio/ui-server/v2/cmd/server@v2.42.1` into the cache (a minute or two, once).
 *
 * ```ts
 * const ui = await findTemporalUiServer();
 * ```
 */
export async function findTemporalUiServer(options: FindTemporalServerOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  if (env.TEMPORAL_UI_SERVER_PATH) {
    if (isExecutable(env.TEMPORAL_UI_SERVER_PATH)) return env.TEMPORAL_UI_SERVER_PATH;
    throw new Error(`TEMPORAL_UI_SERVER_PATH: ${env.TEMPORAL_UI_SERVER_PATH} is not an executable file`);
  }
  const dir = temporalUiServerCacheDir(env);
  const cached = join(dir, 'temporal-ui-server');
  if (isExecutable(cached)) return cached;
  if (options.install === false) throw new Error(`the Temporal UI server is not built (set TEMPORAL_UI_SERVER_PATH)`);
  const go = findGo(env);
  if (!go) throw new Error(`the Temporal UI server is not built and Go is not installed to build it; set TEMPORAL_UI_SERVER_PATH`);
  log(`hookwait: building the Temporal UI server ${TEMPORAL_UI_SERVER_VERSION} with go install into ${dir} (a minute or two, once)…`);
  await goInstall(go, env, dir, [`${TEMPORAL_UI_SERVER_PACKAGE}@${TEMPORAL_UI_SERVER_VERSION}`], { server: cached });
  return cached;
}
