import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { hookwaitCacheDir, isExecutable } from '../app/hookwait-cache';

/** The last tag that `go install` can build (later ones carry `replace` directives). */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';

export function temporalCliCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(hookwaitCacheDir(env), `temporal-cli-${TEMPORAL_CLI_VERSION}`);
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

export interface FindTemporalCliOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Build it with `go install` when nothing is found (default true). */
  readonly install?: boolean;
  readonly log?: (line: string) => void;
}

/**
 * Finds the Temporal CLI: `TEMPORAL_CLI_PATH`, then `temporal` on PATH, then the cached build, else builds
 * it with `go install …@v1.5.1` into the cache (minutes, once per machine).
 */
export async function findTemporalCli(options: FindTemporalCliOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  if (env.TEMPORAL_CLI_PATH) {
    if (isExecutable(env.TEMPORAL_CLI_PATH)) return env.TEMPORAL_CLI_PATH;
    throw new Error(`TEMPORAL_CLI_PATH: ${env.TEMPORAL_CLI_PATH} is not an executable file`);
  }
  const fromPath = onPath('temporal', env);
  if (fromPath) return fromPath;
  const dir = temporalCliCacheDir(env);
  const cached = join(dir, 'temporal');
  if (isExecutable(cached)) return cached;
  if (options.install === false) throw new Error(`Temporal CLI not found (set TEMPORAL_CLI_PATH, or put 'temporal' on PATH)`);
  const go = onPath('go', env) ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  if (!go) {
    throw new Error(
      `Temporal CLI not found and Go is not installed to build it. Install Go (https://go.dev/dl), or the CLI ` +
        `(https://docs.temporal.io/cli), or set TEMPORAL_CLI_PATH.`,
    );
  }
  mkdirSync(dir, { recursive: true });
  log(`hookwait: building the Temporal CLI ${TEMPORAL_CLI_VERSION} with go install into ${dir} (a few minutes, once)…`);
  await new Promise<void>((resolve, reject) => {
    const child = spawn(go, ['install', `${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`], {
      env: { ...env, GOBIN: dir, GOFLAGS: '-mod=mod' },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`go install exited with ${code}`))));
  });
  if (!isExecutable(cached)) throw new Error(`go install finished but ${cached} is missing`);
  log(`hookwait: Temporal CLI ready at ${cached}`);
  return cached;
}
