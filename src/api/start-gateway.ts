import { createRunStatusCache } from '../service/run-status-cache';
import { answerClientError } from './client-error-answer';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Client } from '@temporalio/client';
import type { HookwaitConfig } from '../config';
import type { AnyProcedure } from '../definitions/procedure';
import type { WaitPoint } from '../definitions/wait-point';
import type { Trigger } from '../definitions/trigger';
import type { Logger } from '../logging/logger';
import { createGatewayApps } from './gateway-app';
import { PROBLEM_CONTENT_TYPE } from './problem';
import { problemOf, RETRY_AFTER_SECONDS } from '../service/outcomes';

/**
 * How long `stop()` lets requests in flight finish (they await Temporal, each call bounded by
 * `HOOKWAIT_TEMPORAL_TIMEOUT_MS`) before it closes their connections. Below the 30 s that orchestrators
 * usually grant between SIGTERM and SIGKILL, so the process still exits by itself.
 */
export const DRAIN_TIMEOUT_MS = 25_000;

/**
 * How long a connection may stay open after the gateway decided to close it (a 408, 431 or 400 written by the
 * `clientError` answer, or an answer sent with `Connection: close`): time for the sender to read the answer, then the
 * socket is destroyed whatever the sender does. Node's HTTP server lets a half-closed socket live on as long as the
 * peer keeps its side open, so without this a sender that never closes (or keeps sending) holds the connection forever.
 */
export const CLOSE_GRACE_MS = 1_000;

/** Destroys `socket` once `graceMs` have passed, unless it closed by itself before. */
function closeAfterGrace(socket: Socket, graceMs: number): void {
  if (socket.destroyed) return;
  const timer = setTimeout(() => socket.destroy(), graceMs);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

export interface StartedGateway {
  readonly server: Server;
  readonly url: string;
  /** The admin listener (`/metrics`, `/healthz`, `/readyz`), when one was asked for (`adminPort`). */
  readonly adminServer?: Server;
  /** Its local URL. */
  readonly adminUrl?: string;
  /** Requests being handled now. */
  inFlight(): number;
  /** Whether `stop()` ran out of drain time and closed connections with requests still in flight. */
  forced(): boolean;
  /**
   * Graceful stop: stops accepting connections, closes idle keep-alive connections, lets requests in flight
   * finish (their answers carry `Connection: close`), answers any request that still arrives on an open
   * connection with 503, `Retry-After` and `Connection: close`, and after `drainTimeoutMs` closes whatever is
   * left. Resolves once every connection is closed; calling it again returns the same promise.
   */
  stop(options?: { readonly drainTimeoutMs?: number }): Promise<void>;
}

/** The answer to a request that arrives while the gateway drains: nothing was sent to Temporal, retry elsewhere. */
function refuseWhileDraining(_req: IncomingMessage, res: ServerResponse): void {
  const requestId = randomUUID();
  const body = JSON.stringify(problemOf('shutting-down', 'this gateway is shutting down; retry later', { requestId }));
  res.writeHead(503, {
    'content-type': PROBLEM_CONTENT_TYPE,
    'content-length': Buffer.byteLength(body),
    'retry-after': String(RETRY_AFTER_SECONDS),
    'x-request-id': requestId,
    connection: 'close',
  });
  res.end(body);
}

/** Where the standalone gateway listens (`PORT`, `HOST`, `HOOKWAIT_ADMIN_PORT`, `HOOKWAIT_ADMIN_HOST` of the standalone processes). */
export interface GatewayListen {
  readonly port: number;
  readonly host: string;
  /** The admin listener's port (`/metrics`); 0 picks a free one; unset: no admin listener. */
  readonly adminPort?: number;
  /** The admin listener's host; default `127.0.0.1`, reached from this machine only. */
  readonly adminHost?: string;
}

/** Listens on `port`/`host`; rejects if it cannot. */
async function listenOn(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/** The local URL of a listener on `host:port`; a wildcard host (`0.0.0.0`, `::`) is reached as `localhost`. */
export function gatewayUrl(host: string, port: number): string {
  const name = host === '0.0.0.0' || host === '::' || host === '' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `http://${name}:${port}`;
}

/**
 * Listens with webhook-friendly timeouts; `stop()` drains gracefully (see {@link StartedGateway.stop}).
 * @param waits the `defineWait` waits of plain workflows (`createCallback`) the gateway accepts callbacks for.
 * @param triggers the webhook triggers (`defineTrigger`) served at `/hooks/<path>`.
 */
export async function startGateway(
  config: HookwaitConfig,
  client: Client,
  procedures: readonly AnyProcedure[],
  logger: Logger,
  listen: GatewayListen,
  waits: readonly WaitPoint[] = [],
  triggers: readonly Trigger[] = [],
): Promise<StartedGateway> {
  const { app, admin } = createGatewayApps({
    client,
    namespace: config.temporal.namespace,
    procedures,
    waits,
    keyring: config.keyring,
    bodyLimitBytes: config.bodyLimitBytes,
    temporalTimeoutMs: config.temporal.callTimeoutMs,
    rateLimits: config.rateLimits,
    trustProxyHops: config.trustProxyHops,
    statusCheck: config.statusCheck,
    updateTimeoutMs: config.callbackUpdateTimeoutMs,
    runStatusCache: createRunStatusCache({ maxEntries: config.statusCacheSize }),
    logger,
    ...(triggers.length > 0
      ? { triggers, taskQueue: config.temporal.taskQueue, publicBaseUrl: config.publicBaseUrl, searchAttributes: config.searchAttributes }
      : {}),
  });
  const log = logger.child({ component: 'gateway' });
  let draining = false;
  const active = new Set<ServerResponse>();

  // Timeouts are enforced when connections are checked: every second, so a slow sender is cut close to its limit.
  const server = createServer({ connectionsCheckingInterval: 1_000 }, (req, res) => {
    if (draining) return refuseWhileDraining(req, res);
    active.add(res);
    res.once('finish', () => {
      // An answer that closes its connection: Node ends the socket, but a sender that keeps its side open would
      // keep it alive (the socket is half-open); the grace bounds that.
      if (!res.shouldKeepAlive || /close/i.test(String(res.getHeader('connection') ?? ''))) closeAfterGrace(req.socket, CLOSE_GRACE_MS);
    });
    res.once('close', () => {
      active.delete(res);
      // An answer sent with keep-alive before the drain began leaves its connection idle: close it now.
      if (draining) setImmediate(() => server.closeIdleConnections());
    });
    app(req, res);
  });
  // Slow or malformed requests are answered by Node's parser path (408, 431, 400), then cut off after the grace.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    answerClientError(err, socket);
    closeAfterGrace(socket, CLOSE_GRACE_MS);
  });
  server.headersTimeout = config.headersTimeoutMs;
  server.requestTimeout = config.requestTimeoutMs;
  const port = await listenOn(server, listen.port, listen.host);
  const url = gatewayUrl(listen.host, port);
  let adminServer: Server | undefined;
  let adminUrl: string | undefined;
  if (listen.adminPort !== undefined) {
    const adminHost = listen.adminHost ?? '127.0.0.1';
    adminServer = createServer({ connectionsCheckingInterval: 1_000 }, admin);
    adminServer.headersTimeout = config.headersTimeoutMs;
    adminServer.requestTimeout = config.requestTimeoutMs;
    try {
      adminUrl = gatewayUrl(adminHost, await listenOn(adminServer, listen.adminPort, adminHost));
    } catch (err) {
      server.close();
      throw err;
    }
  }
  logger.info({ url, publicBaseUrl: config.publicBaseUrl, ...(adminUrl ? { adminUrl } : {}) }, 'gateway listening');

  let stopping: Promise<void> | undefined;
  let forced = false;
  const stop = (options: { readonly drainTimeoutMs?: number } = {}): Promise<void> => {
    if (stopping) return stopping;
    draining = true;
    // Answers not yet begun close their connection, so the sender does not reuse it.
    for (const res of active) if (!res.headersSent) res.setHeader('connection', 'close');
    stopping = new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        forced = true;
        log.warn({ remaining: active.size, drainTimeoutMs: options.drainTimeoutMs ?? DRAIN_TIMEOUT_MS }, 'drain timeout: closing the remaining connections');
        server.closeAllConnections();
      }, options.drainTimeoutMs ?? DRAIN_TIMEOUT_MS);
      const adminClosed = new Promise<void>((r) => {
        if (!adminServer) return r();
        adminServer.close(() => r());
        adminServer.closeAllConnections();
      });
      server.close(() => {
        clearTimeout(timer);
        void adminClosed.then(() => resolve());
      });
      server.closeIdleConnections();
    });
    return stopping;
  };

  return { server, url, ...(adminServer && adminUrl ? { adminServer, adminUrl } : {}), inFlight: () => active.size, forced: () => forced, stop };
}
