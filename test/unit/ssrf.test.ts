import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  classifyAddress,
  guardedFetch,
  type LookupAll,
  OutboundAllowListError,
  outboundAllowed,
  OutboundRefusedError,
  parseOutboundAllowList,
} from '../../src/security/outbound-guard';
import { callConnector, OUTBOUND_REFUSED } from '../../src/activities/data-connector';
import { defineProcedure } from '../../src/definitions';
import { silentLogger } from '../../src/logging/logger';

describe('classifyAddress', () => {
  test.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.10.1', 'link-local'],
    ['169.254.169.254', 'metadata'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.254', 'cgnat'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['fd00:ec2::254', 'metadata'],
    ['ff02::1', 'multicast'],
    // IPv4 carried in IPv6: judged by the IPv4 address
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:a9fe:a9fe', 'metadata'],
    ['::ffff:10.1.2.3', 'private'],
    ['::127.0.0.1', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'metadata'],
    ['2002:7f00:1::', 'loopback'],
    ['not-an-ip', 'reserved'],
  ])('%s is %s', (ip, range) => {
    expect(classifyAddress(ip)).toBe(range);
  });

  test.each(['93.184.215.14', '8.8.8.8', '172.32.0.1', '100.128.0.1', '192.169.0.1', '2606:4700::1111', '::ffff:8.8.8.8', '2002:808:808::'])('%s is public', (ip) => {
    expect(classifyAddress(ip)).toBeUndefined();
  });
});

describe('HOOKWAIT_OUTBOUND_ALLOW', () => {
  const allow = parseOutboundAllowList('mock.internal, 127.0.0.1:4000 [::1]:5000,10.20.0.0/16 fd00::/8 localhost');
  test('hosts, host:port, IPs with ports, CIDR ranges (v4 and v6)', () => {
    expect(outboundAllowed(allow, 'mock.internal', '10.9.9.9', 80)).toBe(true);
    expect(outboundAllowed(allow, 'MOCK.internal.', '10.9.9.9', 443)).toBe(true);
    expect(outboundAllowed(allow, '127.0.0.1', '127.0.0.1', 4000)).toBe(true);
    expect(outboundAllowed(allow, '127.0.0.1', '127.0.0.1', 4001)).toBe(false);
    expect(outboundAllowed(allow, 'x', '::ffff:127.0.0.1', 4000)).toBe(true); // mapped form of an allowed IPv4
    expect(outboundAllowed(allow, '::1', '::1', 5000)).toBe(true);
    expect(outboundAllowed(allow, 'db', '10.20.3.4', 5432)).toBe(true);
    expect(outboundAllowed(allow, 'db', '10.21.3.4', 5432)).toBe(false);
    expect(outboundAllowed(allow, 'x', 'fd00:ec2::254', 80)).toBe(true);
    expect(outboundAllowed(allow, 'other.internal', '10.9.9.9', 80)).toBe(false);
  });
  test.each(['10.0.0.0/33', 'host:99999', 'a:b:c', '[zz]:1', 'bad host'])('refuses %p naming the entry', (entry) => {
    expect(() => parseOutboundAllowList(entry === 'bad host' ? ['bad host'] : entry)).toThrow(OutboundAllowListError);
  });
});

describe('guardedFetch', () => {
  let server: Server;
  let port: number;
  let hits = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      hits++;
      if (req.url === '/redirect') res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data' }).end();
      else res.writeHead(200, { 'content-type': 'text/plain' }).end('hello');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  test('a literal loopback address is refused before connecting, with a clear message; nothing reaches the server', async () => {
    const before = hits;
    const f = guardedFetch({ allow: parseOutboundAllowList('') });
    const err = await f(`http://127.0.0.1:${port}/x`, { method: 'POST', body: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutboundRefusedError);
    expect((err as Error).message).toMatch(/refused to connect to 127\.0\.0\.1: a loopback address.*HOOKWAIT_OUTBOUND_ALLOW/);
    const mapped = await f(`http://[::ffff:127.0.0.1]:${port}/x`).catch((e: unknown) => e);
    expect(mapped).toBeInstanceOf(OutboundRefusedError);
    expect(hits).toBe(before);
  });

  test('allowed, it connects; a redirect is returned as it is, never followed', async () => {
    const f = guardedFetch({ allow: parseOutboundAllowList(`127.0.0.1:${port}`) });
    const ok = await f(`http://127.0.0.1:${port}/x`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('hello');
    const before = hits;
    const redirect = await f(`http://127.0.0.1:${port}/redirect`);
    expect(redirect.status).toBe(302);
    expect(hits).toBe(before + 1);
  });

  test('DNS rebinding: a name that resolves to a public address first and to loopback at connect time is refused', async () => {
    const answers = ['93.184.215.14', '127.0.0.1'];
    const calls: string[] = [];
    // A rebinding resolver: each lookup answers the next address. The guard resolves once, at connect time, and the
    // socket connects to exactly the address it checked, so the public first answer cannot be reused.
    const rebinding: LookupAll = (hostname, _options, callback) => {
      const address = answers[Math.min(calls.length, answers.length - 1)]!;
      calls.push(hostname);
      if (calls.length === 1) {
        // first lookup: what a pre-check would have seen
        callback(null, [{ address, family: 4 }]);
        return;
      }
      callback(null, [{ address, family: 4 }]);
    };
    // A pre-check elsewhere saw the public address…
    await new Promise<void>((resolve) => rebinding('rebind.test', { all: true }, () => resolve()));
    const before = hits;
    const f = guardedFetch({ allow: parseOutboundAllowList(''), lookup: rebinding });
    const err = await f(`http://rebind.test:${port}/x`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutboundRefusedError);
    expect((err as Error).message).toMatch(/refused to connect to rebind\.test \(127\.0\.0\.1\): a loopback address/);
    expect(hits).toBe(before);
    expect(calls).toEqual(['rebind.test', 'rebind.test']);
  });

  test('a name that resolves to several addresses is refused when any is not allowed', async () => {
    const both: LookupAll = (_h, _o, cb) => cb(null, [{ address: '93.184.215.14', family: 4 }, { address: '169.254.169.254', family: 4 }]);
    const f = guardedFetch({ allow: parseOutboundAllowList(''), lookup: both });
    const err = await f('http://both.test/x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutboundRefusedError);
    expect((err as OutboundRefusedError).range).toBe('metadata');
  });

  test('a data connector to a loopback target fails HookwaitOutboundRefused, not retried, and sends nothing', async () => {
    const p = defineProcedure({
      name: 'p',
      waits: { w: { title: 'w', attributes: ['a'], timeout: '1h', onTimeout: 'branch' } },
      connectors: { local: { url: `http://localhost:${port}/x`, body: { a: 1 } } },
    });
    const before = hits;
    const local: LookupAll = (_h, _o, cb) => cb(null, [{ address: '127.0.0.1', family: 4 }]);
    const err = await callConnector(p.connectors.local, {}, { fetch: guardedFetch({ allow: parseOutboundAllowList(''), lookup: local }), env: {}, logger: silentLogger }).catch((e: unknown) => e);
    expect(err).toMatchObject({ type: OUTBOUND_REFUSED, nonRetryable: true, message: expect.stringMatching(/connector local: POST http:\/\/localhost:\d+\/x: refused to connect to localhost \(127\.0\.0\.1\): a loopback address/) });
    expect(hits).toBe(before);
  });

  test('a name allowed by host name connects to its private address', async () => {
    const local: LookupAll = (_h, _o, cb) => cb(null, [{ address: '127.0.0.1', family: 4 }]);
    const f = guardedFetch({ allow: parseOutboundAllowList('mock.internal'), lookup: local });
    const res = await f(`http://mock.internal:${port}/x`);
    expect(res.status).toBe(200);
  });
});
