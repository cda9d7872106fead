import { accessSync, constants, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * hookwait's cache of the binaries it builds or fetches (the Temporal CLI, the time-skipping test server):
 * `HOOKWAIT_CACHE_DIR`, else `$XDG_CACHE_HOME/hookwait`, else `~/.cache/hookwait`. Outside the clone, so a fresh clone
 * (and CI) reuses a binary that took minutes to build or fetch.
 */
export function hookwaitCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.HOOKWAIT_CACHE_DIR ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'hookwait');
}

/** A file (not a directory) this process may execute. */
export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
