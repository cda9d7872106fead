import { connect, type Socket } from 'node:net';
import { lazyClient } from '../src/app/temporal-connection';
import { startGateway, type StartedGateway } from '../src/api/start-gateway';
import { loadConfig } from '../src/config';
import { silentLogger } from '../src/logging/logger';
import { generateKeyringSpec, mintCallbackToken } from '../src/security/callback-token';
import { testProcedures } from './fixtures/procedures';
import { TEST_SECRETS } from './helpers/harness';

describe('slow senders', () => {
  let gateway: StartedGateway;
  let config: ReturnType<typeof loadConfig>;
  beforeAll(async () => {
    config = loadConfig({
      HOOKWAIT_TOKEN_KEYS: generateKeyringSpec('s1'),
      HOOKWAIT_HEADERS_TIMEOUT_MS: '1000',
      HOOKWAIT_REQUEST_TIMEOUT_MS: '3000',
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

  test('after a mix of hostile requests, every hostile connection is cut off within a bound, also when the sender keeps its side open', async () => {
    const port = Number(new URL(gateway.url).port);
    let n = 0;
    const path = () => `/callbacks/${mintCallbackToken(config.keyring, { namespace: 'default', procedure: 'approval', workflowId: `wf-${n++}`, runId: 'run', wait: 'approval' })}`;
    // The server's side of each connection: when it opened and when the gateway closed it.
    const serverSide: { opened: number; closed?: number }[] = [];
    const onConnection = (socket: Socket): void => {
      const entry: { opened: number; closed?: number } = { opened: Date.now() };
      serverSide.push(entry);
      socket.once('close', () => (entry.closed = Date.now()));
    };
    gateway.server.on('connection', onConnection);
    const clients: Socket[] = [];
    const timers: NodeJS.Timeout[] = [];
    /** A hostile sender: never closes its side (allowHalfOpen), and optionally keeps sending. */
    const hostile = (head: string, keepSending?: () => string, everyMs = 50): void => {
      const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
      socket.on('error', () => undefined);
      socket.on('data', () => undefined);
      clients.push(socket);
      socket.write(head);
      if (keepSending) {
        const timer = setInterval(() => {
          if (!socket.destroyed && socket.writable) socket.write(keepSending());
        }, everyMs);
        timers.push(timer);
      }
    };
    try {
      const json = 'Content-Type: application/json\r\n';
      // An 8 MiB chunked body (over the 256 KiB limit), sent slowly and never finished.
      hostile(`POST ${path()} HTTP/1.1\r\nHost: x\r\n${json}Transfer-Encoding: chunked\r\n\r\n`, () => `10000\r\n${'x'.repeat(0x10000)}\r\n`, 60);
      // A declared length of 999999999 with a 2-byte body.
      hostile(`POST ${path()} HTTP/1.1\r\nHost: x\r\n${json}Content-Length: 999999999\r\n\r\n{}`);
      // 64 KiB of headers.
      hostile(`POST ${path()} HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`);
      // DELETE and PATCH with bodies they never finish.
      hostile(`DELETE ${path()} HTTP/1.1\r\nHost: x\r\n${json}Content-Length: 100000\r\n\r\n{"a":1`, () => 'x', 200);
      hostile(`PATCH ${path()} HTTP/1.1\r\nHost: x\r\n${json}Content-Length: 100000\r\n\r\n{"a":1`, () => 'x', 200);
      await new Promise((r) => setTimeout(r, 300));
      // Then a header dribbler, which keeps dribbling after its 408.
      hostile(`POST ${path()} HTTP/1.1\r\nHost: x\r\n`, () => 'X', 200);
      const started = Date.now();
      // Bound: the request timeout (3 s), Node's connection check (every 1 s), the close grace (1 s), and slack.
      const bound = 3_000 + 1_000 + 1_000 + 2_000;
      while (serverSide.some((c) => c.closed === undefined) && Date.now() - started < bound + 2_000) await new Promise((r) => setTimeout(r, 100));
      expect(serverSide).toHaveLength(6);
      const open = serverSide.filter((c) => c.closed === undefined).length;
      expect({ open }).toEqual({ open: 0 });
      for (const c of serverSide) expect((c.closed as number) - c.opened).toBeLessThan(bound);
      // A well-behaved request still gets its answer afterwards.
      expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
    } finally {
      for (const t of timers) clearInterval(t);
      for (const c of clients) c.destroy();
      gateway.server.off('connection', onConnection);
    }
  }, 20_000);
});
