import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findPostgresBin } from '../../src/dev/postgres';
import { findTemporalServer, findTemporalUiServer, temporalServerCacheDir, temporalUiServerCacheDir } from '../../src/dev/temporal-server';

// The finders of `npm run cluster`'s binaries, without building anything: overrides, the cache, and what they say
// when nothing is there and they may not build.

describe('the Temporal server finder', () => {
  let dir: string;
  const executable = (path: string): string => {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, '#!/bin/sh\n');
    chmodSync(path, 0o755);
    return path;
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hookwait-finder-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps its builds in the hookwait cache, per version (HOOKWAIT_CACHE_DIR, else XDG_CACHE_HOME)', () => {
    expect(temporalServerCacheDir({ HOOKWAIT_CACHE_DIR: dir })).toBe(join(dir, 'temporal-server-v1.29.1'));
    expect(temporalServerCacheDir({ XDG_CACHE_HOME: dir })).toBe(join(dir, 'hookwait', 'temporal-server-v1.29.1'));
    expect(temporalUiServerCacheDir({ HOOKWAIT_CACHE_DIR: dir })).toBe(join(dir, 'temporal-ui-server-v2.42.1'));
  });

  it('takes TEMPORAL_SERVER_PATH and TEMPORAL_SQL_TOOL_PATH first, and refuses ones that are not executable', async () => {
    const server = executable(join(dir, 'bin', 'my-server'));
    const sqlTool = executable(join(dir, 'bin', 'my-sql'));
    await expect(findTemporalServer({ env: { HOOKWAIT_CACHE_DIR: dir, TEMPORAL_SERVER_PATH: server, TEMPORAL_SQL_TOOL_PATH: sqlTool }, install: false })).resolves.toEqual({ server, sqlTool });
    await expect(findTemporalServer({ env: { HOOKWAIT_CACHE_DIR: dir, TEMPORAL_SERVER_PATH: join(dir, 'missing') }, install: false })).rejects.toThrow(/TEMPORAL_SERVER_PATH: .* is not an executable file/);
  });

  it('finds the cached build, and mixes an override with it', async () => {
    const cache = temporalServerCacheDir({ HOOKWAIT_CACHE_DIR: dir });
    const server = executable(join(cache, 'temporal-server'));
    const sqlTool = executable(join(cache, 'temporal-sql-tool'));
    await expect(findTemporalServer({ env: { HOOKWAIT_CACHE_DIR: dir }, install: false })).resolves.toEqual({ server, sqlTool });
    const mine = executable(join(dir, 'bin', 'mine'));
    await expect(findTemporalServer({ env: { HOOKWAIT_CACHE_DIR: dir, TEMPORAL_SERVER_PATH: mine }, install: false })).resolves.toEqual({ server: mine, sqlTool });
  });

  it('says how to provide the binaries when it may not build them', async () => {
    await expect(findTemporalServer({ env: { HOOKWAIT_CACHE_DIR: dir }, install: false })).rejects.toThrow(/TEMPORAL_SERVER_PATH and TEMPORAL_SQL_TOOL_PATH/);
    await expect(findTemporalUiServer({ env: { HOOKWAIT_CACHE_DIR: dir }, install: false })).rejects.toThrow(/TEMPORAL_UI_SERVER_PATH/);
  });

  it('finds the UI server from TEMPORAL_UI_SERVER_PATH or the cache', async () => {
    const cached = executable(join(temporalUiServerCacheDir({ HOOKWAIT_CACHE_DIR: dir }), 'temporal-ui-server'));
    await expect(findTemporalUiServer({ env: { HOOKWAIT_CACHE_DIR: dir }, install: false })).resolves.toBe(cached);
    const mine = executable(join(dir, 'bin', 'ui'));
    await expect(findTemporalUiServer({ env: { HOOKWAIT_CACHE_DIR: dir, TEMPORAL_UI_SERVER_PATH: mine }, install: false })).resolves.toBe(mine);
  });
});

describe('the PostgreSQL finder', () => {
  it('takes HOOKWAIT_POSTGRES_BIN when it holds initdb and postgres, and names the variable when it does not', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hookwait-pgbin-'));
    try {
      expect(() => findPostgresBin({ HOOKWAIT_POSTGRES_BIN: dir })).toThrow(/HOOKWAIT_POSTGRES_BIN: .* has no initdb and postgres/);
      for (const name of ['initdb', 'postgres']) {
        writeFileSync(join(dir, name), '#!/bin/sh\n');
        chmodSync(join(dir, name), 0o755);
      }
      expect(findPostgresBin({ HOOKWAIT_POSTGRES_BIN: dir })).toBe(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
