import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config';

const KEYS = `k1:${Buffer.alloc(32, 1).toString('base64')}`;
const env = (extra: Record<string, string | undefined> = {}) => ({ HOOKWAIT_TOKEN_KEYS: KEYS, ...extra });
const noFiles = {
  readFile: (p: string): Buffer => {
    throw new Error(`unexpected read of ${p}`);
  },
};
/** Reads from an in-memory file system; a missing file throws as fs does. */
const filesOf = (files: Record<string, string>) => ({
  readFile: (p: string): Buffer => {
    const v = files[p];
    if (v === undefined) throw new Error(`ENOENT: no such file or directory, open '${p}'`);
    return Buffer.from(v);
  },
});

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
      maxWaitTimeoutMs: 30 * 24 * 3_600_000,
      statusCheck: 'update',
      callbackUpdateTimeoutMs: 2000,
      statusCacheSize: 10_000,
      worker: {},
    });
    expect(c.keyring.keys.get('k1')).toEqual(Buffer.alloc(32, 1));
    expect(c).not.toHaveProperty('helpdesk');
    expect(c).not.toHaveProperty('workerMetricsPort');
    expect(c.temporal).not.toHaveProperty('tls');
    expect(c.temporal).not.toHaveProperty('apiKey');
    expect(c.temporal).not.toHaveProperty('metadata');
  });

  test('empty strings mean unset', () => {
    const c = loadConfig(env({ TEMPORAL_ADDRESS: '', TEMPORAL_NAMESPACE: '', TEMPORAL_API_KEY: '', TEMPORAL_TLS: '', HOOKWAIT_PUBLIC_BASE_URL: '' }), noFiles);
    expect(c.temporal).toEqual({ address: 'localhost:7233', namespace: 'default', taskQueue: 'hookwait', callTimeoutMs: 5000 });
    expect(c.publicBaseUrl).toBe('http://localhost:3000');
  });

  test('unknown variables are ignored', () => {
    expect(() => loadConfig(env({ PATH: '/bin', SOMETHING_ELSE: 'x' }), noFiles)).not.toThrow();
  });

  // A host app calls loadConfig() as the README shows; PORT, HOST and LOG_LEVEL are its own business.
  test.each([
    { LOG_LEVEL: 'trace' },
    { LOG_LEVEL: 'verbose' },
    { PORT: 'http' },
    { PORT: '99999' },
    { HOST: '' },
  ])("the host app's own %p does not concern the library", (vars) => {
    expect(() => loadConfig(env(vars), noFiles)).not.toThrow();
    expect(loadConfig(env(vars), noFiles)).not.toHaveProperty('port');
    expect(loadConfig(env(vars), noFiles)).not.toHaveProperty('logLevel');
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
        HOOKWAIT_MAX_WAIT_TIMEOUT: '7d',
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
      maxWaitTimeoutMs: 7 * 24 * 3_600_000,
    });
  });

  test.each([
    ['true', true],
    ['1', true],
    ['yes', true],
    ['false', false],
    ['0', false],
    ['no', false],
  ])('HOOKWAIT_SEARCH_ATTRIBUTES %j is %p', (text, value) => {
    expect(loadConfig(env({ HOOKWAIT_SEARCH_ATTRIBUTES: text }), noFiles).searchAttributes).toBe(value);
  });

  test.each([
    ['true', true],
    ['1', true],
    ['false', false],
    ['0', false],
  ])('TEMPORAL_TLS %j is %p', (text, value) => {
    expect(loadConfig(env({ TEMPORAL_TLS: text }), noFiles).temporal.tls).toBe(value);
  });

  test('a helpdesk URL without a token', () => {
    expect(loadConfig(env({ HOOKWAIT_HELPDESK_URL: 'http://desk' }), noFiles).helpdesk).toEqual({ url: 'http://desk' });
  });

  test('a Temporal API key turns TLS on unless TEMPORAL_TLS says otherwise', () => {
    expect(loadConfig(env({ TEMPORAL_API_KEY: 'key' }), noFiles).temporal).toMatchObject({ apiKey: 'key', tls: true });
    expect(loadConfig(env({ TEMPORAL_API_KEY: 'key', TEMPORAL_TLS: 'false' }), noFiles).temporal.tls).toBe(false);
  });

  test('Temporal Cloud with an API key, from the environment alone', () => {
    const c = loadConfig(env({ TEMPORAL_ADDRESS: 'us-east-1.aws.api.temporal.io:7233', TEMPORAL_NAMESPACE: 'support.a1b2c', TEMPORAL_API_KEY: 'secret-key' }), noFiles);
    expect(c.temporal).toEqual({
      address: 'us-east-1.aws.api.temporal.io:7233',
      namespace: 'support.a1b2c',
      apiKey: 'secret-key',
      tls: true,
      taskQueue: 'hookwait',
      callTimeoutMs: 5000,
    });
  });

  test('mTLS: client certificate and key, server CA and server name, read from their paths', () => {
    const files = filesOf({ '/certs/client.pem': 'CERT', '/certs/client.key': 'KEY', '/certs/ca.pem': 'CA' });
    const c = loadConfig(
      env({
        TEMPORAL_TLS_CLIENT_CERT_PATH: '/certs/client.pem',
        TEMPORAL_TLS_CLIENT_KEY_PATH: '/certs/client.key',
        TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/certs/ca.pem',
        TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
      }),
      files,
    );
    expect(c.temporal.tls).toEqual({
      clientCertPair: { crt: Buffer.from('CERT'), key: Buffer.from('KEY') },
      serverRootCACertificate: Buffer.from('CA'),
      serverNameOverride: 'temporal.internal',
    });
  });

  test('mTLS from *_DATA variables', () => {
    const c = loadConfig(env({ TEMPORAL_TLS_CLIENT_CERT_DATA: 'CERT', TEMPORAL_TLS_CLIENT_KEY_DATA: 'KEY' }), noFiles);
    expect(c.temporal.tls).toEqual({ clientCertPair: { crt: Buffer.from('CERT'), key: Buffer.from('KEY') } });
  });

  test('TEMPORAL_TLS=false turns configured TLS off', () => {
    const c = loadConfig(env({ TEMPORAL_TLS_CLIENT_CERT_DATA: 'CERT', TEMPORAL_TLS_CLIENT_KEY_DATA: 'KEY', TEMPORAL_TLS: 'false' }), noFiles);
    expect(c.temporal.tls).toBe(false);
  });

  test('TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH (deprecated) still work, the standard names win', () => {
    const files = filesOf({ '/old.pem': 'OLD-CERT', '/old.key': 'OLD-KEY', '/new.pem': 'NEW-CERT' });
    expect(loadConfig(env({ TEMPORAL_TLS_CERT_PATH: '/old.pem', TEMPORAL_TLS_KEY_PATH: '/old.key' }), files).temporal.tls).toEqual({
      clientCertPair: { crt: Buffer.from('OLD-CERT'), key: Buffer.from('OLD-KEY') },
    });
    expect(
      loadConfig(env({ TEMPORAL_TLS_CERT_PATH: '/old.pem', TEMPORAL_TLS_KEY_PATH: '/old.key', TEMPORAL_TLS_CLIENT_CERT_PATH: '/new.pem' }), files).temporal.tls,
    ).toEqual({ clientCertPair: { crt: Buffer.from('NEW-CERT'), key: Buffer.from('OLD-KEY') } });
  });

  test('gRPC metadata from TEMPORAL_GRPC_META_*', () => {
    expect(loadConfig(env({ TEMPORAL_GRPC_META_X_TENANT: 'acme' }), noFiles).temporal.metadata).toEqual({ 'x-tenant': 'acme' });
  });

  test('the keyring comes from HOOKWAIT_TOKEN_KEYS, the first key signing', () => {
    const k2 = `k2:${Buffer.alloc(32, 2).toString('base64')}`;
    const c = loadConfig(env({ HOOKWAIT_TOKEN_KEYS: `${k2},${KEYS}` }), noFiles);
    expect(c.keyring.signingKeyId).toBe('k2');
    expect([...c.keyring.keys.keys()]).toEqual(['k2', 'k1']);
  });
});

describe('loadConfig: temporal.toml profiles', () => {
  let dir: string;
  let file: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'hookwait-profiles-'));
    file = join(dir, 'temporal.toml');
    writeFileSync(join(dir, 'client.pem'), 'PROFILE-CERT');
    writeFileSync(join(dir, 'client.key'), 'PROFILE-KEY');
    writeFileSync(
      file,
      [
        '[profile.default]',
        'address = "localhost:17233"',
        'namespace = "dev"',
        '',
        '[profile.cloud]',
        'address = "support.a1b2c.tmprl.cloud:7233"',
        'namespace = "support.a1b2c"',
        'api_key = "profile-api-key"',
        '',
        '[profile.mtls]',
        'address = "temporal.internal:7233"',
        'namespace = "prod"',
        '[profile.mtls.tls]',
        `client_cert_path = ${JSON.stringify(join(dir, 'client.pem'))}`,
        `client_key_path = ${JSON.stringify(join(dir, 'client.key'))}`,
        'server_name = "temporal.internal"',
        '[profile.mtls.grpc_meta]',
        'x-tenant = "acme"',
        '',
        '[profile.halfcert.tls]',
        `client_cert_path = ${JSON.stringify(join(dir, 'client.pem'))}`,
        '',
        '[profile.missingcert.tls]',
        `client_cert_path = ${JSON.stringify(join(dir, 'nope.pem'))}`,
        `client_key_path = ${JSON.stringify(join(dir, 'client.key'))}`,
      ].join('\n'),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('TEMPORAL_CONFIG_FILE + TEMPORAL_PROFILE: address, namespace, API key and TLS come from the profile', () => {
    const c = loadConfig(env({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'cloud' }));
    expect(c.temporal).toEqual({
      address: 'support.a1b2c.tmprl.cloud:7233',
      namespace: 'support.a1b2c',
      apiKey: 'profile-api-key',
      tls: true,
      taskQueue: 'hookwait',
      callTimeoutMs: 5000,
    });
  });

  test('an mTLS profile: certificate files, server name and gRPC metadata', () => {
    const c = loadConfig(env({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'mtls', TEMPORAL_TASK_QUEUE: 'support' }));
    expect(c.temporal).toEqual({
      address: 'temporal.internal:7233',
      namespace: 'prod',
      tls: { clientCertPair: { crt: Buffer.from('PROFILE-CERT'), key: Buffer.from('PROFILE-KEY') }, serverNameOverride: 'temporal.internal' },
      metadata: { 'x-tenant': 'acme' },
      taskQueue: 'support',
      callTimeoutMs: 5000,
    });
  });

  test('without TEMPORAL_PROFILE, the default profile', () => {
    expect(loadConfig(env({ TEMPORAL_CONFIG_FILE: file })).temporal).toMatchObject({ address: 'localhost:17233', namespace: 'dev' });
  });

  test('the environment overrides the profile', () => {
    const c = loadConfig(env({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'cloud', TEMPORAL_NAMESPACE: 'other.a1b2c', TEMPORAL_API_KEY: 'env-key' }));
    expect(c.temporal).toMatchObject({ address: 'support.a1b2c.tmprl.cloud:7233', namespace: 'other.a1b2c', apiKey: 'env-key', tls: true });
    expect(loadConfig(env({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'mtls', TEMPORAL_TLS: 'false' })).temporal.tls).toBe(false);
    expect(loadConfig(env({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'cloud', TEMPORAL_ADDRESS: 'localhost:7233' })).temporal.address).toBe('localhost:7233');
  });

  test('the default file, temporalio/temporal.toml in the user config directory', () => {
    const home = join(dir, 'home');
    mkdirSync(join(home, '.config', 'temporalio'), { recursive: true });
    writeFileSync(join(home, '.config', 'temporalio', 'temporal.toml'), '[profile.default]\naddress = "from-home:7233"\n');
    expect(loadConfig(env({ HOME: home })).temporal.address).toBe('from-home:7233');
    expect(loadConfig(env({ XDG_CONFIG_HOME: join(home, '.config') })).temporal.address).toBe('from-home:7233');
    // npm run dev describes its own server by the environment alone.
    expect(loadConfig(env({ HOME: home }), { temporalConfigFile: false }).temporal.address).toBe('localhost:7233');
  });

  test('an unknown profile names TEMPORAL_PROFILE and the file', () => {
    const err = configError(() => loadConfig(env({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'staging' })));
    expect(err.settings).toEqual(['TEMPORAL_PROFILE']);
    expect(err.message).toContain("TEMPORAL_PROFILE: no profile 'staging' in");
    expect(err.message).toContain(file);
  });

  test('an unreadable TEMPORAL_CONFIG_FILE is named with its path', () => {
    const missing = join(dir, 'missing.toml');
    const err = configError(() => loadConfig(env({ TEMPORAL_CONFIG_FILE: missing })));
    expect(err.settings).toEqual(['TEMPORAL_CONFIG_FILE']);
    expect(err.message).toContain(`TEMPORAL_CONFIG_FILE: cannot read ${missing}`);
  });

  test('a TOML syntax error names TEMPORAL_CONFIG_FILE', () => {
    const bad = join(dir, 'bad.toml');
    writeFileSync(bad, '[profile.default\naddress = ');
    const err = configError(() => loadConfig(env({ TEMPORAL_CONFIG_FILE: bad })));
    expect(err.settings).toEqual(['TEMPORAL_CONFIG_FILE']);
    expect(err.message).toContain(bad);
  });

  test("a profile's unreadable certificate names the profile's key and the path", () => {
    const err = configError(() => loadConfig(env({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'missingcert' })));
    expect(err.message).toContain("tls.client_cert_path (profile 'missingcert'");
    expect(err.message).toContain(join(dir, 'nope.pem'));
  });

  test('a profile with a client certificate but no key', () => {
    const err = configError(() => loadConfig(env({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'halfcert' })));
    expect(err.settings).toEqual(['TEMPORAL_TLS_CLIENT_CERT_PATH', 'TEMPORAL_TLS_CLIENT_KEY_PATH']);
    expect(err.message).toMatch(/a client certificate and its key go together/);
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

  test.each(['not a url', 'ftp://hooks.example.com', 'hooks.example.com', 'javascript:alert(1)'])('HOOKWAIT_PUBLIC_BASE_URL %j', (url) => {
    const err = configError(() => loadConfig(env({ HOOKWAIT_PUBLIC_BASE_URL: url }), noFiles));
    expect(err.settings).toEqual(['HOOKWAIT_PUBLIC_BASE_URL']);
    expect(err.message).toContain('HOOKWAIT_PUBLIC_BASE_URL');
  });

  test.each([
    ['0', 'must be at least 1'],
    ['1mb', 'must be a whole number'],
    [String(64 * 1024 * 1024 + 1), 'must be at most'],
    // Past Temporal's 2 MB payload limit a callback could never be delivered: the sender would retry a 503 forever.
    [String(2 * 1024 * 1024), 'must be at most 1048576 (1 MiB)'],
    [String(1024 * 1024 + 1), 'must be at most 1048576 (1 MiB)'],
  ])('HOOKWAIT_BODY_LIMIT %j', (limit, why) => {
    const err = configError(() => loadConfig(env({ HOOKWAIT_BODY_LIMIT: limit }), noFiles));
    expect(err.settings).toEqual(['HOOKWAIT_BODY_LIMIT']);
    expect(err.message).toContain(`HOOKWAIT_BODY_LIMIT: ${why}`);
  });

  test('HOOKWAIT_BODY_LIMIT up to 1 MiB is accepted', () => {
    expect(loadConfig(env({ HOOKWAIT_BODY_LIMIT: String(1024 * 1024) }), noFiles).bodyLimitBytes).toBe(1024 * 1024);
  });

  test('a TLS cert without a key, and a key without a cert, name both settings', () => {
    const files = filesOf({ '/c.pem': 'CERT', '/c.key': 'KEY' });
    for (const e of [{ TEMPORAL_TLS_CLIENT_CERT_PATH: '/c.pem' }, { TEMPORAL_TLS_CLIENT_KEY_PATH: '/c.key' }]) {
      const err = configError(() => loadConfig(env(e), files));
      expect(err.settings).toEqual(['TEMPORAL_TLS_CLIENT_CERT_PATH', 'TEMPORAL_TLS_CLIENT_KEY_PATH']);
    }
    // Under the deprecated names, the names the user wrote.
    const err = configError(() => loadConfig(env({ TEMPORAL_TLS_CERT_PATH: '/c.pem' }), files));
    expect(err.settings).toEqual(['TEMPORAL_TLS_CERT_PATH', 'TEMPORAL_TLS_CLIENT_KEY_PATH']);
  });

  test('an unreadable TLS file names its setting and path', () => {
    const files = filesOf({ '/c.pem': 'CERT' });
    const err = configError(() => loadConfig(env({ TEMPORAL_TLS_CLIENT_CERT_PATH: '/c.pem', TEMPORAL_TLS_CLIENT_KEY_PATH: '/missing.key' }), files));
    expect(err.settings).toEqual(['TEMPORAL_TLS_CLIENT_KEY_PATH']);
    expect(err.message).toContain('TEMPORAL_TLS_CLIENT_KEY_PATH: cannot read /missing.key');
    expect(err.message).toContain('ENOENT');
  });

  test.each([
    ['TEMPORAL_TLS', 'maybe'],
    ['TEMPORAL_TLS', 'yes'],
    ['TEMPORAL_TLS', 'TRUE'],
    ['HOOKWAIT_SEARCH_ATTRIBUTES', 'TRUE'],
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

  test('several bad settings are all named, once each, the connection included', () => {
    const err = configError(() => loadConfig({ TEMPORAL_TLS: 'maybe', HOOKWAIT_BODY_LIMIT: '0', HOOKWAIT_PUBLIC_BASE_URL: 'ftp://x' }, noFiles));
    expect([...err.settings].sort()).toEqual(['HOOKWAIT_BODY_LIMIT', 'HOOKWAIT_PUBLIC_BASE_URL', 'HOOKWAIT_TOKEN_KEYS', 'TEMPORAL_TLS']);
    for (const s of err.settings) expect(err.message).toContain(`${s}: `);
  });
});
