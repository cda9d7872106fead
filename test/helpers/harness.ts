import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { Client, type ClientPlugin } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createGatewayApps } from '../../src/api/gateway-app';
import type { RateLimits } from '../../src/api/callback-route';
import type { ConversationChannel } from '../../src/activities/conversation-channel';
import type { ConnectorPoint } from '../../src/definitions/connector';
import type { AnyProcedure } from '../../src/definitions/procedure';
import { HOOKWAIT_PRELOAD_MODULES, hookwaitPlugin, type OpenTelemetryWorkerPlugin } from '../../src/plugin';
import { generateKeyringSpec, parseKeyring, type TokenKeyring } from '../../src/security/callback-token';
import { HOOKWAIT_SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes';
import { createLogger, silentLogger } from '../../src/logging/logger';
import { testProcedures } from '../fixtures/procedures';
import { testWaits } from '../fixtures/waits';
import type { WaitPoint } from '../../src/definitions/wait-point';
import type { Trigger } from '../../src/definitions/trigger';
import { RecordingChannel } from './recording-channel';
import type { OutboundMetrics } from '../../src/activities/outbound-metrics';
import { resolveHookwaitToSources } from './workflow-bundle';

export interface Harness {
  readonly env: TestWorkflowEnvironment;
  readonly gatewayUrl: string;
  /** The gateway's admin app (`/metrics`), on a listener of its own. */
  readonly adminUrl: string;
  readonly keyring: TokenKeyring;
  readonly channel: RecordingChannel;
  readonly taskQueue: string;
  /** Every JSON line the gateway logged. */
  readonly gatewayLog: string[];
  /** Starts a worker with the hookwait plugin; stop it with the returned function. */
  /** Starts a worker with the plugin (on the harness's task queue unless told another); resolves to its stop. */
  startWorker(options?: {
    channel?: ConversationChannel;
    env?: Record<string, string | undefined>;
    taskQueue?: string;
    /** The SSRF guard's allow-list (default: loopback, where the tests' peers listen). */
    outboundAllow?: string | readonly string[];
    webhookSigningSecret?: string;
    metrics?: OutboundMetrics;
    /** Connectors made by `defineConnector` that the workflows call or poll. */
    connectors?: readonly ConnectorPoint[];
  }): Promise<() => Promise<void>>;
  teardown(): Promise<void>;
}

const bundles = new Map<string, Promise<WorkflowBundleWithSourceMap>>();
const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

export interface HarnessOptions {
  readonly procedures?: readonly AnyProcedure[];
  /** Waits for plain workflows (default: the fixtures'). */
  readonly waits?: readonly WaitPoint[];
  readonly workflowsPath?: string;
  /** Serve the dev server's Web UI on this port. */
  readonly uiPort?: number;
  /** Persist to this SQLite file (default: in memory). */
  readonly dbFilename?: string;
  /** The gateway's rate limits (default: off, so tests are not throttled by each other). */
  readonly rateLimits?: RateLimits;
  /** The identity of the harness's client (and so of the gateway's signals) and of its workers (default: the SDK's pid@host). */
  readonly identity?: string;
  /**
   * The SDK's OpenTelemetry plugin: given to the workers' hookwaitPlugin (and to their workflow bundle), and to the
   * gateway's client, whose signals then carry the trace context.
   */
  readonly openTelemetry?: OpenTelemetryWorkerPlugin & ClientPlugin;
  /** Webhook triggers the gateway serves at `/hooks/<path>` (their runs start on the harness's task queue). */
  readonly triggers?: readonly Trigger[];
}

/** What the harness's workers may call although not public: loopback, where the tests' HTTP peers listen. */
export const HARNESS_OUTBOUND_ALLOW = '127.0.0.1,::1,localhost';

/** Sender-auth secrets of the secured fixture procedure, as the gateway's environment would hold them. */
export const TEST_SECRETS = {
  TEST_API_KEYS: 'old-api-key-0123456789-abcdef,new-api-key-9876543210-fedcba',
  TEST_WHSEC: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  TEST_HMAC_SECRET: 'hmac-secret-for-tests',
};

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const procedures = options.procedures ?? testProcedures;
  const workflowsPath = options.workflowsPath ?? require.resolve('../fixtures/workflows');
  const path = process.env.TEMPORAL_CLI_PATH;
  if (!path) throw new Error('TEMPORAL_CLI_PATH is not set: run through jest (test/global-setup.ts)');
  const openTelemetry = options.openTelemetry;
  const keyring = parseKeyring(generateKeyringSpec('t1'));
  const channel = new RecordingChannel();
  const bundleKey = `${workflowsPath}${openTelemetry ? '#otel' : ''}`;
  if (!bundles.has(bundleKey)) {
    // With OpenTelemetry, the workflow interceptor module comes in at bundling time, through hookwait's plugin.
    const plugins = openTelemetry ? [hookwaitPlugin({ procedures, keyring, publicBaseUrl: 'http://bundling.invalid', channel, logger: silentLogger, openTelemetry })] : [];
    // Modules shared across cached runs as a worker created with the plugin shares them (HOOKWAIT_PRELOAD_MODULES).
    bundles.set(bundleKey, bundleWorkflowCode({ workflowsPath, logger: quiet, plugins, preloadModules: [...HOOKWAIT_PRELOAD_MODULES], webpackConfigHook: resolveHookwaitToSources }));
  }
  const bundle = bundles.get(bundleKey);
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path },
      searchAttributes: [...HOOKWAIT_SEARCH_ATTRIBUTES],
      ...(options.uiPort !== undefined ? { uiPort: options.uiPort } : {}),
      ...(options.dbFilename !== undefined ? { dbFilename: options.dbFilename, extraArgs: ['--sqlite-pragma', 'journal_mode=WAL'] } : {}),
    },
    ...(options.identity !== undefined ? { client: { identity: options.identity } } : {}),
  });
  const taskQueue = `tq-${randomUUID()}`;
  const gatewayLog: string[] = [];
  const logger = createLogger({ level: 'debug', write: (line) => gatewayLog.push(line) });
  const gatewayClient = openTelemetry
    ? new Client({ connection: env.connection, namespace: env.namespace ?? 'default', plugins: [openTelemetry], ...(options.identity !== undefined ? { identity: options.identity } : {}) })
    : env.client;
  const { app, admin } = createGatewayApps({
    client: gatewayClient,
    namespace: env.namespace ?? 'default',
    procedures,
    waits: options.waits ?? testWaits,
    keyring,
    logger,
    secrets: TEST_SECRETS,
    rateLimits: options.rateLimits ?? false,
    ...(options.triggers ? { triggers: options.triggers, taskQueue, publicBaseUrl: 'http://gateway.invalid' } : {}),
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const gatewayUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const adminServer: Server = await new Promise((resolve) => {
    const s = admin.listen(0, '127.0.0.1', () => resolve(s));
  });
  const adminUrl = `http://127.0.0.1:${(adminServer.address() as AddressInfo).port}`;
  const workers = new Set<() => Promise<void>>();
  const identity = options.identity;

  return {
    env,
    gatewayUrl,
    adminUrl,
    keyring,
    channel,
    taskQueue,
    gatewayLog,
    async startWorker(options = {}) {
      const worker = await Worker.create({
        connection: env.nativeConnection,
        namespace: env.namespace ?? 'default',
        taskQueue: options.taskQueue ?? taskQueue,
        workflowBundle: await bundle!,
        ...(identity !== undefined ? { identity } : {}),
        plugins: [
          hookwaitPlugin({
            procedures,
            keyring,
            publicBaseUrl: gatewayUrl,
            channel: options.channel ?? channel,
            logger: silentLogger,
            ...(options.env ? { env: options.env } : {}),
            ...(options.connectors ? { connectors: options.connectors } : {}),
            // The tests' HTTP peers listen on loopback, which the SSRF guard refuses unless allowed.
            outboundAllow: options.outboundAllow ?? HARNESS_OUTBOUND_ALLOW,
            ...(options.webhookSigningSecret ? { webhookSigningSecret: options.webhookSigningSecret } : {}),
            ...(options.metrics ? { metrics: options.metrics } : {}),
            ...(openTelemetry ? { openTelemetry } : {}),
          }),
        ],
      });
      const running = worker.run();
      const stop = async (): Promise<void> => {
        workers.delete(stop);
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running;
      };
      workers.add(stop);
      return stop;
    },
    async teardown() {
      for (const stop of [...workers]) await stop();
      await new Promise((resolve) => server.close(resolve));
      await new Promise((resolve) => adminServer.close(resolve));
      await env.teardown();
    },
  };
}
