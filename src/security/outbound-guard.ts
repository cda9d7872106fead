/**
 * The SSRF guard of outbound calls (webhooks and data connectors): a target whose address is loopback, private,
 * link-local, CGNAT, unspecified, multicast, reserved or a cloud metadata address is refused, unless the allow-list
 * (`HOOKWAIT_OUTBOUND_ALLOW`) names it. The check runs on the address the connection is about to use: a host name is
 * resolved by the guard's own `lookup`, which the socket then connects to, so a name that resolves to a public address
 * when checked and to a private one when connecting (DNS rebinding) cannot pass. Redirects are never followed.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import * as http from 'node:http';
import * as https from 'node:https';
import { isIP, isIPv4, isIPv6 } from 'node:net';
import { Readable } from 'node:stream';

/** Why an address is refused: the range it falls in. */
export type BlockedRange =
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'cgnat'
  | 'unspecified'
  | 'metadata'
  | 'multicast'
  | 'reserved'
  | 'benchmarking'
  | 'ietf-special';

interface Range {
  readonly bytes: Uint8Array;
  readonly prefix: number;
  readonly range: BlockedRange;
}

function v4Bytes(ip: string): Uint8Array {
  return Uint8Array.from(ip.split('.').map(Number));
}

/** The 16 bytes of an IPv6 address (with `::` and a dotted IPv4 tail), or undefined when it is not one. */
export function ipv6Bytes(input: string): Uint8Array | undefined {
  const ip = input.replace(/%.*$/, ''); // a zone id (fe80::1%eth0) names an interface, not an address
  if (!isIPv6(ip)) return undefined;
  // A dotted IPv4 tail (::ffff:1.2.3.4) becomes its two hex groups (::ffff:102:304).
  const text = ip.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_m, a: string, b: string, c: string, d: string) =>
    `${((Number(a) << 8) | Number(b)).toString(16)}:${((Number(c) << 8) | Number(d)).toString(16)}`,
  );
  const [head, rest] = text.includes('::') ? (text.split('::') as [string, string]) : [text, undefined];
  const parse = (s: string): number[] => (s === '' ? [] : s.split(':').map((h) => parseInt(h, 16)));
  const left = parse(head);
  const right = rest === undefined ? [] : parse(rest);
  if (rest !== undefined && left.length + right.length > 7) return undefined;
  const groups = rest === undefined ? left : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  if (groups.length !== 8 || groups.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff)) return undefined;
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  return out;
}

function cidr(spec: string, range: BlockedRange): Range {
  const [addr, bits] = spec.split('/') as [string, string];
  const bytes = isIPv4(addr) ? v4Bytes(addr) : ipv6Bytes(addr);
  if (!bytes) throw new Error(`bad range ${spec}`);
  return { bytes, prefix: Number(bits), range };
}

function inPrefix(ip: Uint8Array, net: Uint8Array, prefix: number): boolean {
  if (ip.length !== net.length) return false;
  for (let bit = 0; bit < prefix; bit++) {
    const mask = 0x80 >> (bit % 8);
    if ((ip[bit >> 3]! & mask) !== (net[bit >> 3]! & mask)) return false;
  }
  return true;
}

// Most specific first: the metadata addresses sit inside link-local and ULA.
const V4: readonly Range[] = [
  cidr('169.254.169.254/32', 'metadata'),
  cidr('100.100.100.200/32', 'metadata'),
  cidr('0.0.0.0/8', 'unspecified'),
  cidr('10.0.0.0/8', 'private'),
  cidr('100.64.0.0/10', 'cgnat'),
  cidr('127.0.0.0/8', 'loopback'),
  cidr('169.254.0.0/16', 'link-local'),
  cidr('172.16.0.0/12', 'private'),
  cidr('192.0.0.0/24', 'ietf-special'),
  cidr('192.168.0.0/16', 'private'),
  cidr('198.18.0.0/15', 'benchmarking'),
  cidr('224.0.0.0/4', 'multicast'),
  cidr('240.0.0.0/4', 'reserved'),
];
const V6: readonly Range[] = [
  cidr('fd00:ec2::254/128', 'metadata'),
  cidr('::/128', 'unspecified'),
  cidr('::1/128', 'loopback'),
  cidr('fc00::/7', 'private'),
  cidr('fe80::/10', 'link-local'),
  cidr('fec0::/10', 'link-local'),
  cidr('ff00::/8', 'multicast'),
  cidr('100::/64', 'reserved'),
];
/** IPv6 ranges that carry an IPv4 address, and where: mapped, IPv4-compatible, NAT64 (last 4 bytes), 6to4 (bytes 2-5). */
const EMBEDDING: readonly { readonly net: Range; readonly at: number }[] = [
  { net: cidr('::ffff:0:0/96', 'reserved'), at: 12 },
  { net: cidr('::/96', 'reserved'), at: 12 },
  { net: cidr('64:ff9b::/96', 'reserved'), at: 12 },
  { net: cidr('64:ff9b:1::/48', 'reserved'), at: 12 },
  { net: cidr('2002::/16', 'reserved'), at: 2 },
];

/**
 * The range a literal IP address falls in when outbound calls must not reach it, or undefined for a public address.
 * IPv6 forms that carry an IPv4 address (`::ffff:127.0.0.1`, `::ffff:7f00:1`, `::127.0.0.1`, NAT64, 6to4) are
 * judged by the IPv4 address they carry. Anything that is not an IP address is `reserved` (refused).
 *
 * @example
 * ```ts
 * classifyAddress('10.1.2.3'); // 'private'
 * classifyAddress('::ffff:169.254.169.254'); // 'metadata'
 * classifyAddress('93.184.215.14'); // undefined: public
 * ```
 */
export function classifyAddress(address: string): BlockedRange | undefined {
  if (isIPv4(address)) {
    const b = v4Bytes(address);
    return V4.find((r) => inPrefix(b, r.bytes, r.prefix))?.range;
  }
  const b = ipv6Bytes(address);
  if (!b) return 'reserved';
  const direct = V6.find((r) => inPrefix(b, r.bytes, r.prefix));
  if (direct) return direct.range;
  for (const { net, at } of EMBEDDING) {
    if (inPrefix(b, net.bytes, net.prefix)) return classifyAddress(Array.from(b.slice(at, at + 4)).join('.'));
  }
  return undefined;
}

/** An IPv4-mapped IPv6 address as its IPv4 form, so that allow-list entries match either way. */
function canonicalIp(address: string): string {
  const b = ipv6Bytes(address);
  if (b && inPrefix(b, EMBEDDING[0]!.net.bytes, 96)) return Array.from(b.slice(12)).join('.');
  return address.replace(/%.*$/, '').toLowerCase();
}

type AllowEntry =
  | { readonly kind: 'host'; readonly host: string; readonly port?: number }
  | { readonly kind: 'ip'; readonly ip: string; readonly port?: number }
  | { readonly kind: 'cidr'; readonly net: Uint8Array; readonly prefix: number; readonly text: string };

/** The parsed `HOOKWAIT_OUTBOUND_ALLOW`: targets the guard lets through even though their addresses are not public. */
export interface OutboundAllowList {
  readonly entries: readonly AllowEntry[];
  /** The list as configured, for messages. */
  readonly text: string;
}

/**
 * A bad `HOOKWAIT_OUTBOUND_ALLOW` entry; the message names it.
 *
 * @example
 * ```ts
 * parseOutboundAllowList('10.0.0.0/33'); // throws OutboundAllowListError: '10.0.0.0/33' is not a CIDR range
 * ```
 */
export class OutboundAllowListError extends Error {
  override readonly name = 'OutboundAllowListError';
}

function port(text: string, entry: string): number {
  const n = Number(text);
  if (!/^\d{1,5}$/.test(text) || n < 1 || n > 65535) throw new OutboundAllowListError(`HOOKWAIT_OUTBOUND_ALLOW: '${entry}' has a bad port`);
  return n;
}

/**
 * Parses an allow-list: entries separated by commas or spaces, each a host name (`mock.internal`), an IP address
 * (`127.0.0.1`, `::1`), a CIDR range (`10.0.0.0/8`, `fd00::/8`), or a host or IP with a port (`localhost:4000`,
 * `127.0.0.1:4000`, `[::1]:4000`), which then allows that port only.
 *
 * @throws {@link OutboundAllowListError} naming the entry.
 * @example
 * ```ts
 * const allow = parseOutboundAllowList('localhost:4000, 10.20.0.0/16');
 * ```
 */
export function parseOutboundAllowList(spec: string | readonly string[] | undefined): OutboundAllowList {
  const raw = (typeof spec === 'string' ? spec.split(/[\s,]+/) : [...(spec ?? [])]).map((s) => s.trim()).filter((s) => s !== '');
  const entries = raw.map((entry): AllowEntry => {
    if (entry.includes('/')) {
      const [addr, bits] = entry.split('/') as [string, string];
      const net = isIPv4(addr) ? v4Bytes(addr) : ipv6Bytes(addr);
      const max = isIPv4(addr) ? 32 : 128;
      if (!net || !/^\d{1,3}$/.test(bits ?? '') || Number(bits) > max) throw new OutboundAllowListError(`HOOKWAIT_OUTBOUND_ALLOW: '${entry}' is not a CIDR range`);
      return { kind: 'cidr', net, prefix: Number(bits), text: entry };
    }
    const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
    if (bracket) {
      if (!isIPv6(bracket[1]!)) throw new OutboundAllowListError(`HOOKWAIT_OUTBOUND_ALLOW: '${entry}' is not an IPv6 address`);
      return { kind: 'ip', ip: canonicalIp(bracket[1]!), ...(bracket[2] ? { port: port(bracket[2], entry) } : {}) };
    }
    if (isIPv6(entry)) return { kind: 'ip', ip: canonicalIp(entry) };
    const [host, p, extra] = entry.split(':');
    if (extra !== undefined || !host || !/^[A-Za-z0-9.-]+$/.test(host)) throw new OutboundAllowListError(`HOOKWAIT_OUTBOUND_ALLOW: '${entry}' is not a host, IP address, CIDR range or host:port`);
    const withPort = p !== undefined ? { port: port(p, entry) } : {};
    return isIPv4(host) ? { kind: 'ip', ip: host, ...withPort } : { kind: 'host', host: host.toLowerCase().replace(/\.$/, ''), ...withPort };
  });
  return { entries, text: raw.join(',') };
}

/**
 * Whether the allow-list lets a call to `host` (as in the URL) on `port` connect to `address`.
 *
 * @example
 * ```ts
 * outboundAllowed(parseOutboundAllowList('localhost:3100'), 'localhost', '127.0.0.1', 3100); // true
 * ```
 */
export function outboundAllowed(allow: OutboundAllowList, host: string, address: string, targetPort: number): boolean {
  const name = host.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
  const ip = canonicalIp(address);
  return allow.entries.some((e) => {
    if (e.kind === 'cidr') {
      const b = isIPv4(ip) ? v4Bytes(ip) : ipv6Bytes(ip);
      return b !== undefined && inPrefix(b, e.net, e.prefix);
    }
    if (e.port !== undefined && e.port !== targetPort) return false;
    return e.kind === 'host' ? e.host === name : e.ip === ip;
  });
}

/**
 * An outbound call the guard refused: nothing was sent. `range` says why (`loopback`, `private`, `metadata`, …).
 *
 * @example
 * ```ts
 * try { await guardedFetch({ allow })('http://169.254.169.254/'); }
 * catch (err) { if (err instanceof OutboundRefusedError) console.log(err.range); } // 'metadata'
 * ```
 */
export class OutboundRefusedError extends Error {
  override readonly name = 'OutboundRefusedError';
  readonly code = 'HOOKWAIT_OUTBOUND_REFUSED';
  constructor(
    readonly host: string,
    readonly address: string,
    readonly range: BlockedRange,
  ) {
    super(
      `refused to connect to ${host}${host === address ? '' : ` (${address})`}: a ${range} address; outbound calls reach only public addresses unless HOOKWAIT_OUTBOUND_ALLOW lists the target`,
    );
  }
}

/**
 * Refuses `address` for a call to `host`:`port` unless it is public or allowed.
 *
 * @throws {@link OutboundRefusedError}
 * @example
 * ```ts
 * checkOutboundAddress(parseOutboundAllowList(''), 'db.internal', '10.0.0.5', 5432); // throws: a private address
 * ```
 */
export function checkOutboundAddress(allow: OutboundAllowList, host: string, address: string, targetPort: number): void {
  const range = classifyAddress(address);
  if (range !== undefined && !outboundAllowed(allow, host, address, targetPort)) throw new OutboundRefusedError(host, address, range);
}

/** `dns.lookup`'s shape with `all: true`, the form the guard calls (tests pass their own to play a rebinding DNS). */
export type LookupAll = (hostname: string, options: LookupAllOptions, callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

export interface GuardedFetchOptions {
  readonly allow: OutboundAllowList;
  /** How names resolve; default `dns.lookup`. */
  readonly lookup?: LookupAll;
}

/**
 * The guard's `lookup` for a socket: resolves `hostname`, refuses when any address it got is not allowed, and hands
 * the socket exactly the addresses it checked (so the connection goes to a checked address).
 */
export function guardedLookup(options: GuardedFetchOptions, targetPort: number) {
  const resolve: LookupAll = options.lookup ?? (dnsLookup as unknown as LookupAll);
  return (hostname: string, lookupOptions: { family?: number | string; all?: boolean; hints?: number }, callback: (...args: unknown[]) => void): void => {
    const family = lookupOptions.family === 'IPv4' ? 4 : lookupOptions.family === 'IPv6' ? 6 : typeof lookupOptions.family === 'number' ? lookupOptions.family : 0;
    resolve(hostname, { all: true, family, ...(lookupOptions.hints !== undefined ? { hints: lookupOptions.hints } : {}) }, (err, addresses) => {
      if (err) return callback(err);
      try {
        if (addresses.length === 0) throw Object.assign(new Error(`${hostname} did not resolve`), { code: 'ENOTFOUND' });
        for (const a of addresses) checkOutboundAddress(options.allow, hostname, a.address, targetPort);
      } catch (e) {
        return callback(e);
      }
      if (lookupOptions.all) callback(null, addresses);
      else callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

/**
 * A `fetch` for outbound calls, on `node:http`/`node:https` with the guard's `lookup`: the target's address is checked
 * when the socket connects (an IP literal before), and redirects are returned as they are, never followed. It takes
 * the `fetch` arguments hookwait uses (method, headers, a string body, signal) and answers a standard `Response`.
 *
 * @example
 * ```ts
 * const fetchOut = guardedFetch({ allow: parseOutboundAllowList(process.env.HOOKWAIT_OUTBOUND_ALLOW) });
 * const res = await fetchOut('https://hooks.example.com/x', { method: 'POST', body: '{}' });
 * ```
 */
export function guardedFetch(options: GuardedFetchOptions): typeof fetch {
  const guarded = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`only http(s) URLs are called, got ${url.protocol}`);
    const targetPort = url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
    const host = url.hostname.replace(/^\[|\]$/g, '');
    // A literal address never goes through lookup: checked here.
    if (isIP(host)) checkOutboundAddress(options.allow, host, host, targetPort);
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => {
      headers[name] = value;
    });
    const body = init.body === undefined || init.body === null ? undefined : typeof init.body === 'string' ? init.body : undefined;
    if (init.body !== undefined && init.body !== null && body === undefined) throw new TypeError('guardedFetch sends string bodies only');
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    const client = url.protocol === 'https:' ? https : http;
    init.signal?.throwIfAborted();
    return new Promise<Response>((resolve, reject) => {
      const req = client.request(
        url,
        {
          method: init.method ?? 'GET',
          headers,
          agent: false,
          lookup: guardedLookup(options, targetPort) as never,
          ...(init.signal ? { signal: init.signal } : {}),
        },
        (res) => {
          const status = res.statusCode ?? 0;
          const out = new Headers();
          for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
            try {
              out.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
            } catch {
              // a header value fetch would refuse: left out
            }
          }
          if (status < 200 || status > 599) {
            res.destroy();
            reject(new Error(`answered with HTTP status ${status}`));
            return;
          }
          const noBody = status === 204 || status === 205 || status === 304 || init.method === 'HEAD';
          if (noBody) res.resume();
          resolve(new Response(noBody ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), { status, statusText: res.statusMessage ?? '', headers: out }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  };
  return guarded as typeof fetch;
}
