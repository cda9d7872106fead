import { loadProcessConfig, processLogger } from '../../src/app/process-config';
import { ConfigError } from '../../src/config';
import { silentLogger } from '../../src/logging/logger';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadProcessConfig: PORT, HOST and LOG_LEVEL of the standalone gateway, worker and dev command', () => {
  test('defaults', () => {
    expect(loadProcessConfig({})).toEqual({ port: 3000, host: '0.0.0.0', adminHost: '127.0.0.1', logLevel: 'info' });
    expect(loadProcessConfig({ PORT: '', HOST: '', HOOKWAIT_ADMIN_PORT: '', HOOKWAIT_ADMIN_HOST: '', LOG_LEVEL: '' })).toEqual({ port: 3000, host: '0.0.0.0', adminHost: '127.0.0.1', logLevel: 'info' });
  });

  test('values', () => {
    expect(loadProcessConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'debug' })).toEqual({ port: 0, host: '127.0.0.1', adminHost: '127.0.0.1', logLevel: 'debug' });
    expect(loadProcessConfig({ HOOKWAIT_ADMIN_PORT: '9100', HOOKWAIT_ADMIN_HOST: '0.0.0.0' })).toMatchObject({ adminPort: 9100, adminHost: '0.0.0.0' });
    expect(configError(() => loadProcessConfig({ HOOKWAIT_ADMIN_PORT: '70000' })).settings).toEqual(['HOOKWAIT_ADMIN_PORT']);
  });

  test('ignores what is not its own, hookwait settings included', () => {
    expect(() => loadProcessConfig({ HOOKWAIT_BODY_LIMIT: 'x', TEMPORAL_TLS: 'maybe' })).not.toThrow();
  });

  test.each([
    ['trace', 'debug'],
    ['debug', 'debug'],
    ['info', 'info'],
    ['warn', 'warn'],
    ['error', 'error'],
    ['fatal', 'error'],
    ['silent', 'silent'],
    ['INFO', 'info'],
    ['Trace', 'debug'],
  ])("pino's level %j logs as %j", (given, level) => {
    expect(loadProcessConfig({ LOG_LEVEL: given }).logLevel).toBe(level);
  });

  test('silent logs nothing', () => {
    expect(processLogger({ logLevel: 'silent' }, 'hookwait-test')).toBe(silentLogger);
  });

  test.each([
    ['abc', 'must be a whole number'],
    ['-1', 'must be a whole number'],
    ['3000.5', 'must be a whole number'],
    ['65536', 'must be at most 65535'],
    ['0x10', 'must be a whole number'],
  ])('PORT %j', (port, why) => {
    const err = configError(() => loadProcessConfig({ PORT: port }));
    expect(err.settings).toEqual(['PORT']);
    expect(err.message).toContain(`PORT: ${why}`);
  });

  test('an unknown LOG_LEVEL names the setting and the levels', () => {
    const err = configError(() => loadProcessConfig({ LOG_LEVEL: 'verbose' }));
    expect(err.settings).toEqual(['LOG_LEVEL']);
    expect(err.message).toContain('LOG_LEVEL: must be one of trace, debug, info, warn, error, fatal, silent');
  });

  test('several bad settings are all named', () => {
    const err = configError(() => loadProcessConfig({ PORT: 'x', LOG_LEVEL: 'loud' }));
    expect([...err.settings].sort()).toEqual(['LOG_LEVEL', 'PORT']);
  });
});
