import { ConfigError, loadConfig } from '../../src/config';

const KEYS = `k1:${Buffer.alloc(32, 1).toString('base64')}`;
const env = (extra: Record<string, string | undefined> = {}) => ({ HOOKWAIT_TOKEN_KEYS: KEYS, ...extra });
const noFiles = (p: string): Buffer => {
  throw new Error(`unexpected read of ${p}`);
};

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig: defaults', () => {
  test('only HOOKWAIT_TOKEN_KEYS set', () => {
    const c = loadConfig(env(), noFiles);
    expect(c).toEqual({
      temporal: { address: 'localhost:7233', namespace: 'default', taskQueue: 'hookwait', callTimeoutMs: 5000 },
      publicBaseUrl: 'http://localhost:3000',
      keyring: expect.objectContaining({ signingKeyId: 'k1' }),
      bodyLimitBytes: 256 * 1024,
      searchAttributes: true,
      rateLimits: { perIp: 600, perToken: 60, windowMs: 60_000 },
      trustProxyHops: 0,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      port: 3000,
      host: '0.0.0.0',
      logLevel: 'info',
    });
    expect(c.keyring.keys.get('k1')).toEqual(Buffer.alloc(32, 1));
    expect(c).not.toHaveProperty('helpdesk');
    expect(c).not.toHaveProperty('workerMetricsPort');
    expect(c.temporal).not.toHaveProperty('tls');
    expect(c.temporal).not.toHaveProperty('apiKey');
  });

  test('empty strings mean unset', () => {
    const c = loadConfig(env({ PORT: '', TEMPORAL_ADDRESS: '', HOOKWAIT_PUBLIC_BASE_URL: '', LOG_LEVEL: undefined }), noFiles);
    expect(c.port).toBe(3000);
    expect(c.temporal.address).toBe('localhost:7233');
    expect(c.publicBaseUrl).toBe('http://localhost:3000');
    expect(c.logLevel).toBe('info');
  });

  test('unknown variables are ignored', () => {
    expect(() => loadConfig(env({ PATH: '/bin', SOMETHING_ELSE: 'x' }), noFiles)).not.toThrow();
  });
});

describe('loadConfig: values', () => {
  test('every setting is read and converted', () => {
    const c = loadConfig(
      env({
        TEMPORAL_ADDRESS: 'temporal.internal:7233',
        TEMPORAL_NAMESPACE: 'prod',
        TEMPORAL_TASK_QUEUE: 'hw',
        HOOKWAIT_PUBLIC_BASE_URL: 'https://hooks.example.com/base//',
        HOOKWAIT_BODY_LIMIT: '1024',
        HOOKWAIT_TEMPORAL_TIMEOUT_MS: '100',
        HOOKWAIT_HELPDESK_URL: 'https://desk.example.com/api/',
        HOOKWAIT_HELPDESK_TOKEN: 'desk-token',
        HOOKWAIT_SEARCH_ATTRIBUTES: 'no',
        HOOKWAIT_WORKER_METRICS_PORT: '9464',
        HOOKWAIT_RATE_LIMIT_PER_IP: '0',
        HOOKWAIT_RATE_LIMIT_PER_TOKEN: '5',
        HOOKWAIT_RATE_LIMIT_WINDOW_MS: '1000',
        HOOKWAIT_TRUST_PROXY: '2',
        HOOKWAIT_HEADERS_TIMEOUT_MS: '2000',
        HOOKWAIT_REQUEST_TIMEOUT_MS: '3000',
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'debug',
      }),
      noFiles,
    );
    expect(c).toMatchObject({
      temporal: { address: 'temporal.internal:7233', namespace: 'prod', taskQueue: 'hw', callTimeoutMs: 100 },
      publicBaseUrl: 'https://hooks.example.com/base',
      bodyLimitBytes: 1024,
      helpdesk: { url: 'https://desk.example.com/api', token: 'desk-token' },
      searchAttributes: false,
      workerMetricsPort: 9464,
      rateLimits: { perIp: 0, perToken: 5, windowMs: 1000 },
      trustProxyHops: 2,
      headersTimeoutMs: 2000,
      requestTimeoutMs: 3000,
      port: 0,
      host: '127.0.0.1',
      logLevel: 'debug',
    });
  });

  test.each([
    ['true', true],
    ['1', true],
    ['yes', true],
    ['false', false],
    ['0', false],
    ['no', false],
  ])('booleans: %j is %p', (text, value) => {
    expect(loadConfig(env({ HOOKWAIT_SEARCH_ATTRIBUTES: text }), noFiles).searchAttributes).toBe(value);
    expect(loadConfig(env({ TEMPORAL_TLS: text }), noFiles).temporal.tls).toBe(value);
  });

  test('a helpdesk URL without a token', () => {
    expect(loadConfig(env({ HOOKWAIT_HELPDESK_URL: 'http://desk' }), noFiles).helpdesk).toEqual({ url: 'http://desk' });
  });

  test('a Temporal API key turns TLS on unless TEMPORAL_TLS says otherwise', () => {
    expect(loadConfig(env({ TEMPORAL_API_KEY: 'key' }), noFiles).temporal).toMatchObject({ apiKey: 'key', tls: true });
    expect(loadConfig(env({ TEMPORAL_API_KEY: 'key', TEMPORAL_TLS: 'false' }), noFiles).temporal.tls).toBe(false);
  });

  test('a TLS client cert and key are read from their paths', () => {
    const files: Record<string, string> = { '/certs/client.pem': 'CERT', '/certs/client.key': 'KEY' };
    const read = (p: string) => {
      const v = files[p];
      if (v === undefined) throw new Error('ENOENT');
      return Buffer.from(v);
    };
    const c = loadConfig(env({ TEMPORAL_TLS_CERT_PATH: '/certs/client.pem', TEMPORAL_TLS_KEY_PATH: '/certs/client.key', TEMPORAL_TLS: 'false' }), read);
    expect(c.temporal.tls).toEqual({ clientCertPair: { crt: Buffer.from('CERT'), key: Buffer.from('KEY') } });
  });

  test('the keyring comes from HOOKWAIT_TOKEN_KEYS, the first key signing', () => {
    const k2 = `k2:${Buffer.alloc(32, 2).toString('base64')}`;
    const c = loadConfig(env({ HOOKWAIT_TOKEN_KEYS: `${k2},${KEYS}` }), noFiles);
    expect(c.keyring.signingKeyId).toBe('k2');
    expect([...c.keyring.keys.keys()]).toEqual(['k2', 'k1']);
  });
});

describe('loadConfig: errors name the setting', () => {
  test.each([{}, { HOOKWAIT_TOKEN_KEYS: '' }, { HOOKWAIT_TOKEN_KEYS: undefined }])('HOOKWAIT_TOKEN_KEYS missing (%p)', (e) => {
    const err = configError(() => loadConfig(e, noFiles));
    expect(err.name).toBe('ConfigError');
    expect(err.settings).toEqual(['HOOKWAIT_TOKEN_KEYS']);
    expect(err.message).toContain('HOOKWAIT_TOKEN_KEYS');
  });

  test.each([
    ['k1:dG9vIHNob3J0', /at least 32/],
    ['not a keyring', /key id/],
    [`${KEYS},${KEYS}`, /twice/],
    [' , ', /no keys/],
  ])('HOOKWAIT_TOKEN_KEYS %j is invalid', (spec, why) => {
    const err = configError(() => loadConfig(env({ HOOKWAIT_TOKEN_KEYS: spec }), noFiles));
    expect(err.settings).toEqual(['HOOKWAIT_TOKEN_KEYS']);
    expect(err.message).toMatch(/HOOKWAIT_TOKEN_KEYS: /);
    expect(err.message).toMatch(why);
  });

  test('an invalid keyring message does not echo the secret', () => {
    const err = configError(() => loadConfig(env({ HOOKWAIT_TOKEN_KEYS: 'k1:c2VjcmV0LXNob3J0' }), noFiles));
    expect(err.message).not.toContain('c2VjcmV0LXNob3J0');
  });

  test.each([
    ['abc', 'must be a whole number'],
    ['-1', 'must be a whole number'],
    ['3000.5', 'must be a whole number'],
    ['65536', 'must be at most 65535'],
    ['0x10', 'must be a whole number'],
  ])('PORT %j', (port, why) => {
    const err = configError(() => loadConfig(env({ PORT: port }), noFiles));
    expect(err.settings).toEqual(['PORT']);
    expect(err.message).toContain(`PORT: ${why}`);
  });

  test.each(['not a url', 'ftp://hooks.example.com', 'hooks.example.com', 'javascript:alert(1)'])('HOOKWAIT_PUBLIC_BASE_URL %j', (url) => {
    const err = configError(() => loadConfig(env({ HOOKWAIT_PUBLIC_BASE_URL: url }), noFiles));
    expect(err.settings).toEqual(['HOOKWAIT_PUBLIC_BASE_URL']);
    expect(err.message).toContain('HOOKWAIT_PUBLIC_BASE_URL');
  });

  test.each([
    ['0', 'must be at least 1'],
    ['1mb', 'must be a whole number'],
    [String(64 * 1024 * 1024 + 1), 'must be at most'],
  ])('HOOKWAIT_BODY_LIMIT %j', (limit, why) => {
    const err = configError(() => loadConfig(env({ HOOKWAIT_BODY_LIMIT: limit }), noFiles));
    expect(err.settings).toEqual(['HOOKWAIT_BODY_LIMIT']);
    expect(err.message).toContain(`HOOKWAIT_BODY_LIMIT: ${why}`);
  });

  test('a TLS cert without a key, and a key without a cert, name both settings', () => {
    for (const e of [{ TEMPORAL_TLS_CERT_PATH: '/c.pem' }, { TEMPORAL_TLS_KEY_PATH: '/c.key' }]) {
      const err = configError(() => loadConfig(env(e), noFiles));
      expect(err.settings).toEqual(['TEMPORAL_TLS_CERT_PATH', 'TEMPORAL_TLS_KEY_PATH']);
      expect(err.message).toContain('TEMPORAL_TLS_CERT_PATH');
      expect(err.message).toContain('TEMPORAL_TLS_KEY_PATH');
    }
  });

  test('an unreadable TLS file names its setting and path', () => {
    const read = (p: string) => {
      if (p === '/c.pem') return Buffer.from('CERT');
      throw new Error('ENOENT: no such file');
    };
    const err = configError(() => loadConfig(env({ TEMPORAL_TLS_CERT_PATH: '/c.pem', TEMPORAL_TLS_KEY_PATH: '/missing.key' }), read));
    expect(err.settings).toEqual(['TEMPORAL_TLS_KEY_PATH']);
    expect(err.message).toContain('/missing.key');
    expect(err.message).toContain('ENOENT');
  });

  test.each([
    ['TEMPORAL_TLS', 'maybe'],
    ['HOOKWAIT_SEARCH_ATTRIBUTES', 'TRUE'],
    ['LOG_LEVEL', 'verbose'],
    ['HOOKWAIT_HELPDESK_URL', 'desk'],
    ['HOOKWAIT_TEMPORAL_TIMEOUT_MS', '99'],
    ['HOOKWAIT_RATE_LIMIT_WINDOW_MS', '999'],
    ['HOOKWAIT_TRUST_PROXY', '11'],
    ['HOOKWAIT_WORKER_METRICS_PORT', '0'],
    ['HOOKWAIT_HEADERS_TIMEOUT_MS', '500'],
    ['HOOKWAIT_REQUEST_TIMEOUT_MS', '600001'],
  ])('%s=%j is named', (name, value) => {
    const err = configError(() => loadConfig(env({ [name]: value }), noFiles));
    expect(err.settings).toEqual([name]);
    expect(err.message).toContain(`${name}: `);
  });

  test('several bad settings are all named, once each', () => {
    const err = configError(() => loadConfig({ PORT: 'x', HOOKWAIT_BODY_LIMIT: '0', HOOKWAIT_PUBLIC_BASE_URL: 'ftp://x' }, noFiles));
    expect([...err.settings].sort()).toEqual(['HOOKWAIT_BODY_LIMIT', 'HOOKWAIT_PUBLIC_BASE_URL', 'HOOKWAIT_TOKEN_KEYS', 'PORT']);
    for (const s of err.settings) expect(err.message).toContain(`${s}: `);
  });
});
