import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyringSpec } from '../security/callback-token';

/** The development state folder (SQLite file, signing key); git-ignored. */
export const DEV_STATE_DIR = '.hookwait';

/**
 * For `npm run dev` only: a signing key kept in `.hookwait/token-keys`, made on first use, so callback URLs
 * survive restarts. Production sets HOOKWAIT_TOKEN_KEYS.
 */
export function devTokenKeys(dir: string = DEV_STATE_DIR): string {
  const file = join(dir, 'token-keys');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dir, { recursive: true });
  const spec = generateKeyringSpec('dev1');
  writeFileSync(file, `${spec}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return spec;
}
