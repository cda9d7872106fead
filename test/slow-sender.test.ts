import { connect } from 'node:net';
import { lazyClient } from '../src/app/temporal-connection';
import { startGateway, type StartedGateway } from '../src/api/start-gateway';
import { loadConfig } from '../src/config';
import { silentLogger } from '../src/logging/logger';
import { generateKeyringSpec } from '../src/security/callback-token';
import { testProcedures } from './fixtures/procedures';
import { TEST_SECRETS } from './helpers/harness';

describe('slow senders', () => {
  let gateway: StartedGateway;
  beforeAll(async () => {
    const config = loadConfig({
      HOOKWAIT_TOKEN_KEYS: generateKeyringSpec('s1'),
      HOOKWAIT_HEADERS_TIMEOUT_MS: '1000',
      HOOKWAIT_REQUEST_TIMEOUT_MS: '2000',
      TEMPORAL_ADDRESS: '127.0.0.1:1',
      ...TEST_SECRETS,
    });
    process.env = { ...process.env, ...TEST_SECRETS };
    gateway = await startGateway(config, lazyClient(config.temporal), testProcedures, silentLogger, { port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await gateway?.stop({ drainTimeoutMs: 100 });
  });

  test('headers dribbled past the headers timeout: 408 and the connection is closed', async () => {
    const port = Number(new URL(gateway.url).port);
    const started = Date.now();
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let received = '';
      socket.on('data', (b) => (received += b.toString()));
      socket.on('close', () => resolve(received));
      socket.on('error', reject);
      socket.write('POST /callbacks/x HTTP/1.1\r\nHost: localhost\r\n');
      // One header byte every 200 ms, never finishing the headers (bounded: stops after 15 s).
      let n = 0;
      const timer = setInterval(() => {
        if (socket.destroyed || ++n > 75) return clearInterval(timer);
        socket.write('X');
      }, 200);
    });
    const elapsed = Date.now() - started;
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(answer).toMatch(/\r\nContent-Type: application\/problem\+json\r\n/);
    expect(answer).toContain('"type":"urn:hookwait:problem:request-timeout"');
    expect(elapsed).toBeLessThan(5_000);
  });

  /** Writes raw bytes on a fresh connection and returns everything the server sent before closing it. */
  const exchange = (bytes: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const socket = connect(Number(new URL(gateway.url).port), '127.0.0.1');
      let received = '';
      socket.on('data', (b) => (received += b.toString()));
      socket.on('close', () => resolve(received));
      socket.on('error', reject);
      socket.end(bytes);
    });

  test('requests Node\'s parser refuses are answered as problem+json too: malformed HTTP 400, oversized headers 431', async () => {
    const malformed = await exchange('POST /callbacks/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: abc\r\n\r\n');
    expect(malformed).toMatch(/^HTTP\/1\.1 400 /);
    expect(malformed).toContain('"type":"urn:hookwait:problem:bad-request"');
    const huge = await exchange(`POST /callbacks/x HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`);
    expect(huge).toMatch(/^HTTP\/1\.1 431 /);
    expect(huge).toMatch(/\r\nContent-Type: application\/problem\+json\r\n/);
    expect(huge).toContain('"status":431');
  });
});
