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
  mkdirSync(dir, { recursive: true });
  // go install names the binaries after their directories (server, sql): build into a scratch dir, then rename.
  const scratch = mkdtempSync(join(dir, '.build-'));
  try {
    const packages = Object.values(TEMPORAL_SERVER_PACKAGES).map((p) => `${TEMPORAL_SERVER_MODULE}/${p}@${TEMPORAL_SERVER_VERSION}`);
    log(`hookwait: building the Temporal server ${TEMPORAL_SERVER_VERSION} with go install into ${dir} (several minutes, once)…`);
    await new Promise<void>((resolve, reject) => {
      const child = spawn(go, ['install', ...packages], { env: { ...env, GOBIN: scratch, GOFLAGS: '-mod=mod' }, stdio: ['ignore', 'inherit', 'inherit'] });
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`go install exited with ${code}`))));
    });
    renameSync(join(scratch, 'server'), cached.server);
    renameSync(join(scratch, 'sql'), cached.sqlTool);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  log(`hookwait: Temporal server ready in ${dir}`);
  return { server: found.server ?? cached.server, sqlTool: found.sqlTool ?? cached.sqlTool };
}
