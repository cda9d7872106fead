import { parseOutboundAllowList } from './security/outbound-guard';
import { readFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/client';
import { type ClientConfigProfile, type ClientConfigTLS, loadClientConfigProfile, toClientOptions } from '@temporalio/envconfig';
import { z } from 'zod';
import { parseKeyring, type TokenKeyring } from './security/callback-token';
import { parseMaxWaitTimeout } from './definitions/duration';

/** Raised at start-up when a setting is missing or wrong; the message names the setting. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly settings: readonly string[], message: string) {
    super(message);
  }
}

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: "must be 'true' or 'false'" })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { error: 'must be a whole number' })
    .transform(Number)
    .pipe(z.number().min(min, { error: `must be at least ${min}` }).max(max, { error: `must be at most ${max}` }));
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

/** The largest `HOOKWAIT_BODY_LIMIT` accepted: well under Temporal's 2 MB payload limit. */
export const MAX_BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * hookwait's own environment variables, with their defaults. The connection to Temporal is read by the Temporal
 * SDK's environment configuration instead ({@link TEMPORAL_CONNECTION_ENV}); the standalone processes' listener and
 * log level are theirs (`src/app/process-config.ts`). The README's "Configuration" mirrors these.
 */
export const envSchema = z.object({
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('hookwait'),
  HOOKWAIT_PUBLIC_BASE_URL: httpUrl.default('http://localhost:3000'),
  HOOKWAIT_TOKEN_KEYS: z.string().min(1, { error: 'is required: kid:base64secret[,kid:base64secret…]' }),
  HOOKWAIT_BODY_LIMIT: int(1, Number.MAX_SAFE_INTEGER)
    .pipe(z.number().max(MAX_BODY_LIMIT_BYTES, { error: `must be at most ${MAX_BODY_LIMIT_BYTES} (1 MiB): what a callback carries goes to Temporal, which refuses payloads over 2 MB` }))
    .default(256 * 1024),
  HOOKWAIT_TEMPORAL_TIMEOUT_MS: int(100, 120_000).default(5_000),
  HOOKWAIT_HELPDESK_URL: httpUrl.optional(),
  HOOKWAIT_HELPDESK_TOKEN: z.string().min(1).optional(),
  HOOKWAIT_SEARCH_ATTRIBUTES: bool.default(true),
  HOOKWAIT_WORKER_METRICS_PORT: int(1, 65535).optional(),
  HOOKWAIT_RATE_LIMIT_PER_IP: int(0, 1_000_000).default(600),
  HOOKWAIT_RATE_LIMIT_PER_TOKEN: int(0, 1_000_000).default(60),
  HOOKWAIT_RATE_LIMIT_WINDOW_MS: int(1_000, 3_600_000).default(60_000),
  HOOKWAIT_TRUST_PROXY: int(0, 10).default(0),
  HOOKWAIT_HEADERS_TIMEOUT_MS: int(1_000, 120_000).default(10_000),
  HOOKWAIT_REQUEST_TIMEOUT_MS: int(1_000, 600_000).default(30_000),
  HOOKWAIT_OUTBOUND_ALLOW: z
    .string()
    .optional()
    .superRefine((value, ctx) => {
      try {
        parseOutboundAllowList(value);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message.replace(/^HOOKWAIT_OUTBOUND_ALLOW: /, '') });
      }
    }),
  HOOKWAIT_WEBHOOK_SIGNING_SECRET: z
    .string()
    .regex(/^whsec_[A-Za-z0-9+/=]{16,}$/, { error: 'must be a Standard Webhooks secret: whsec_ followed by base64 (at least 16 characters)' })
    .optional(),
  HOOKWAIT_OUTBOUND_METRICS_PORT: int(1, 65535).optional(),
  HOOKWAIT_OUTBOUND_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  HOOKWAIT_MAX_WAIT_TIMEOUT: z
    .string()
    .optional()
    .transform((v, ctx) => {
      try {
        return parseMaxWaitTimeout(v);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message.replace(/^HOOKWAIT_MAX_WAIT_TIMEOUT: /, '') });
        return z.NEVER;
      }
    }),
  HOOKWAIT_STATUS_CHECK: z.enum(['update', 'describe', 'signal-first'], { error: "must be 'update', 'describe' or 'signal-first'" }).default('update'),
  // Under the standalone gateway's 25 s drain, so a request waiting on a worker still ends before it is cut off.
  HOOKWAIT_CALLBACK_UPDATE_TIMEOUT_MS: int(100, 20_000).default(2_000),
  HOOKWAIT_STATUS_CACHE_SIZE: int(1, 10_000_000).default(10_000),
  HOOKWAIT_MAX_CACHED_WORKFLOWS: int(0, 1_000_000).optional(),
  HOOKWAIT_MAX_CONCURRENT_WORKFLOW_TASKS: int(1, 10_000).optional(),
  HOOKWAIT_WORKFLOW_TASK_POLLERS: int(2, 1_000).optional(),
  HOOKWAIT_WORKER_V8_OPTIMIZER: bool.optional(),
  HOOKWAIT_WORKER_HEAP_MB: int(64, 65_536).optional(),
  HOOKWAIT_WORKER_SEMI_SPACE_MB: int(1, 1_024).optional(),
});

/**
 * The connection variables that `@temporalio/envconfig` reads (as the `temporal` CLI does), plus
 * `TEMPORAL_GRPC_META_<HEADER>` for gRPC headers. They override the selected profile of the Temporal config file.
 */
export const TEMPORAL_CONNECTION_ENV = [
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'TEMPORAL_API_KEY',
  'TEMPORAL_TLS',
  'TEMPORAL_TLS_CLIENT_CERT_PATH',
  'TEMPORAL_TLS_CLIENT_CERT_DATA',
  'TEMPORAL_TLS_CLIENT_KEY_PATH',
  'TEMPORAL_TLS_CLIENT_KEY_DATA',
  'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  'TEMPORAL_TLS_SERVER_CA_CERT_DATA',
  'TEMPORAL_TLS_SERVER_NAME',
  'TEMPORAL_PROFILE',
  'TEMPORAL_CONFIG_FILE',
] as const;

/** hookwait's former names of the mTLS variables, still accepted (deprecated) when the standard name is unset. */
const DEPRECATED_ALIASES = { TEMPORAL_TLS_CERT_PATH: 'TEMPORAL_TLS_CLIENT_CERT_PATH', TEMPORAL_TLS_KEY_PATH: 'TEMPORAL_TLS_CLIENT_KEY_PATH' } as const;

/** How hookwait reaches Temporal: the SDK's environment configuration (profile, then environment) plus hookwait's own settings. */
export interface TemporalSettings {
  /** `host:port` of the frontend; `localhost:7233` when neither a profile nor the environment names one. */
  readonly address: string;
  readonly namespace: string;
  /** hookwait's own `TEMPORAL_TASK_QUEUE`: the workers' task queue. */
  readonly taskQueue: string;
  readonly apiKey?: string;
  /** `true` for TLS with the system's roots, an object for mTLS, a custom CA or a server name, `false` for none. */
  readonly tls?: TLSConfig | boolean;
  /** gRPC headers sent with every call (a profile's `grpc_meta`, `TEMPORAL_GRPC_META_*`). */
  readonly metadata?: Readonly<Record<string, string>>;
  /** Deadline for each call the gateway makes to Temporal. */
  readonly callTimeoutMs: number;
}

/** The library's configuration: hookwait's settings and the connection to Temporal. */
export interface HookwaitConfig {
  readonly temporal: TemporalSettings;
  readonly publicBaseUrl: string;
  readonly keyring: TokenKeyring;
  readonly bodyLimitBytes: number;
  readonly helpdesk?: { readonly url: string; readonly token?: string };
  readonly searchAttributes: boolean;
  /** Requests per window per client address and per callback URL; 0 turns a limit off. */
  readonly rateLimits: { readonly perIp: number; readonly perToken: number; readonly windowMs: number };
  /** How many proxy hops to trust for the client address (X-Forwarded-For); 0 = the socket's address. */
  readonly trustProxyHops: number;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  /** The longest wait a declaration or a run may ask for (`HOOKWAIT_MAX_WAIT_TIMEOUT`, default 30 days). */
  readonly maxWaitTimeoutMs: number;
  /** Where the worker serves the Temporal SDK's Prometheus metrics (`/metrics`); off when unset. */
  readonly workerMetricsPort?: number;
  /** Targets outbound calls may reach although not public (`HOOKWAIT_OUTBOUND_ALLOW`, as written). */
  readonly outboundAllow?: string;
  /** The default Standard Webhooks secret of outbound webhooks (`HOOKWAIT_WEBHOOK_SIGNING_SECRET`). */
  readonly webhookSigningSecret?: string;
  /** Where the worker serves its outbound metrics (`hookwait_outbound_*`, `/metrics`); off when unset. */
  readonly outboundMetrics?: { readonly port: number; readonly host: string };
  /** How the gateway learns whether a callback still applies: see `StatusCheck` in the callback service. */
  readonly statusCheck: 'update' | 'describe' | 'signal-first';
  /** With `statusCheck: 'update'`: how long a worker has to answer a callback before the gateway signals instead (`HOOKWAIT_CALLBACK_UPDATE_TIMEOUT_MS`). */
  readonly callbackUpdateTimeoutMs: number;
  /** How many closed runs and quiet waits a gateway replica remembers. */
  readonly statusCacheSize: number;
  /** The standalone worker's tuning; unset fields keep the Temporal SDK's defaults (see {@link workerTuning}). */
  readonly worker: WorkerTuning;
}

/** The standalone worker's settings that trade memory for speed. */
export interface WorkerTuning {
  /** Workflow runs kept in the worker's cache (`maxCachedWorkflows`); a run evicted from it replays its history on its next task. */
  readonly maxCachedWorkflows?: number;
  /** Workflow tasks run at once (`maxConcurrentWorkflowTaskExecutions`). */
  readonly maxConcurrentWorkflowTaskExecutions?: number;
  /** Pollers of the workflow task queue (`workflowTaskPollerBehavior: { type: 'simple-maximum' }`). */
  readonly workflowTaskPollers?: number;
  /**
   * Whether V8's optimizing compiler (TurboFan) runs in the standalone worker (default false: `--no-opt`). Its
   * compile zones, allocated and freed on background threads, are what grew a worker's RSS by hundreds of MiB while
   * it created and evicted workflow sandboxes; the workflow code gains little from it.
   */
  readonly v8Optimizer?: boolean;
  /**
   * The V8 old-space limit (MiB, `--max-old-space-size`) of the isolate the worker creates for its workflow thread,
   * where every cached run's sandbox lives. Default: Node's (or NODE_OPTIONS').
   */
  readonly workflowHeapMb?: number;
  /** The young-generation semi-space (MiB, `--max-semi-space-size`) of that isolate. Default 2. */
  readonly workflowSemiSpaceMb?: number;
}

/** How {@link loadConfig} reads files and profiles. */
export interface LoadConfigOptions {
  /** Reads the files the configuration names (`TEMPORAL_CONFIG_FILE`, TLS certificates and keys). Default: `fs.readFileSync`. */
  readonly readFile?: (path: string) => Buffer;
  /**
   * `false` ignores the Temporal config file (`temporal.toml` profiles): the connection comes from the environment
   * alone. Default `true`.
   */
  readonly temporalConfigFile?: boolean;
}

interface Issue {
  readonly setting: string;
  readonly message: string;
}

type Env = Record<string, string>;

/** Empty strings mean "unset", as in most deployment tools (except `TEMPORAL_GRPC_META_*`, where empty removes a header). */
function cleanEnv(env: Record<string, string | undefined>): Env {
  const out: Env = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && (v !== '' || k.startsWith('TEMPORAL_GRPC_META_'))) out[k] = v;
  return out;
}

const TLS_FILES = [
  { field: 'clientCert', env: 'TEMPORAL_TLS_CLIENT_CERT_PATH', toml: 'tls.client_cert_path' },
  { field: 'clientKey', env: 'TEMPORAL_TLS_CLIENT_KEY_PATH', toml: 'tls.client_key_path' },
  { field: 'serverCACert', env: 'TEMPORAL_TLS_SERVER_CA_CERT_PATH', toml: 'tls.server_ca_cert_path' },
] as const;

/** An empty TLS object means "TLS with defaults", which `true` says more plainly; unset fields are dropped. */
function tidyTls(tls: TLSConfig | boolean | null | undefined): TLSConfig | boolean | undefined {
  if (tls === null || tls === undefined || typeof tls === 'boolean') return tls ?? undefined;
  const out = Object.fromEntries(Object.entries(tls).filter(([, v]) => v !== undefined)) as TLSConfig;
  return Object.keys(out).length === 0 ? true : out;
}

/** The Temporal connection, through `@temporalio/envconfig`: the selected profile of the config file, then the environment. */
function temporalConnection(
  given: Env,
  readFile: (path: string) => Buffer,
  useConfigFile: boolean,
): { issues: Issue[]; value?: Omit<TemporalSettings, 'taskQueue' | 'callTimeoutMs'> } {
  const env: Env = { ...given };
  const named: Record<string, string> = {}; // standard name → the (deprecated) name the user set
  for (const [old, standard] of Object.entries(DEPRECATED_ALIASES)) {
    const value = env[old];
    if (value !== undefined && env[standard] === undefined) {
      env[standard] = value;
      named[standard] = old;
    }
  }
  const name = (setting: string): string => named[setting] ?? setting;
  // envconfig reads anything but 'true' and '1' as false; refuse what it would misread rather than turn TLS off.
  if (env.TEMPORAL_TLS !== undefined && !['true', 'false', '1', '0'].includes(env.TEMPORAL_TLS)) {
    return { issues: [{ setting: 'TEMPORAL_TLS', message: "must be 'true' or 'false'" }] };
  }
  const file = useConfigFile ? env.TEMPORAL_CONFIG_FILE : undefined;
  let data: Buffer | undefined;
  if (file !== undefined) {
    try {
      data = readFile(file);
    } catch (err) {
      return { issues: [{ setting: 'TEMPORAL_CONFIG_FILE', message: `cannot read ${file}: ${(err as Error).message}` }] };
    }
  }
  const where = file ?? 'the Temporal config file (temporalio/temporal.toml in your config directory)';
  let profile: ClientConfigProfile;
  try {
    profile = loadClientConfigProfile({ ...(data ? { configSource: { data } } : {}), disableFile: !useConfigFile, overrideEnvVars: env });
  } catch (err) {
    const message = (err as Error).message;
    if (/^Profile '.*' not found/.test(message)) {
      return { issues: [{ setting: 'TEMPORAL_PROFILE', message: `no profile '${env.TEMPORAL_PROFILE}' in ${where}` }] };
    }
    return { issues: [{ setting: 'TEMPORAL_CONFIG_FILE', message: `${where}: ${message}` }] };
  }

  const issues: Issue[] = [];
  const tls: ClientConfigTLS | undefined = profile.tls ? { ...profile.tls } : undefined;
  if (tls && !tls.disabled && (tls.clientCert === undefined) !== (tls.clientKey === undefined)) {
    const settings = [name('TEMPORAL_TLS_CLIENT_CERT_PATH'), name('TEMPORAL_TLS_CLIENT_KEY_PATH')];
    return { issues: settings.map((setting) => ({ setting, message: `a client certificate and its key go together (${settings.join(', ')}, or tls.client_cert_* and tls.client_key_* in a profile)` })) };
  }
  // The files a profile or the environment names are read here, so that an unreadable one names its setting.
  for (const f of TLS_FILES) {
    const source = tls?.[f.field];
    if (!tls || !source || !('path' in source)) continue;
    try {
      tls[f.field] = { data: readFile(source.path) };
    } catch (err) {
      const setting = env[f.env] === source.path ? name(f.env) : `${f.toml} (profile '${env.TEMPORAL_PROFILE ?? 'default'}' in ${where})`;
      issues.push({ setting, message: `cannot read ${source.path}: ${(err as Error).message}` });
    }
  }
  if (issues.length > 0) return { issues };

  const { connectionOptions, namespace } = toClientOptions({ ...profile, ...(tls ? { tls } : {}) });
  const tidy = tidyTls(connectionOptions.tls);
  const apiKey = connectionOptions.apiKey;
  return {
    issues,
    value: {
      address: connectionOptions.address || 'localhost:7233',
      namespace: namespace || 'default',
      ...(apiKey ? { apiKey } : {}),
      ...(tidy !== undefined ? { tls: tidy } : {}),
      ...(profile.grpcMeta && Object.keys(profile.grpcMeta).length > 0 ? { metadata: profile.grpcMeta } : {}),
    },
  };
}

/**
 * Reads and validates hookwait's configuration once, at start-up: its `HOOKWAIT_*` settings, `TEMPORAL_TASK_QUEUE`,
 * and the connection to Temporal through `@temporalio/envconfig` (`TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`,
 * `TEMPORAL_API_KEY`, `TEMPORAL_TLS*`, `TEMPORAL_PROFILE`, `TEMPORAL_CONFIG_FILE` and `temporal.toml` profiles,
 * as the `temporal` CLI reads them). Variables it does not own (`PORT`, `LOG_LEVEL`, …) are ignored.
 * @throws {@link ConfigError} naming every bad setting.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env, options: LoadConfigOptions = {}): HookwaitConfig {
  const cleaned = cleanEnv(env);
  const readFile = options.readFile ?? ((p: string) => readFileSync(p));
  const issues: Issue[] = [];
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) issues.push(...parsed.error.issues.map((i) => ({ setting: String(i.path[0]), message: i.message })));
  let keyring: TokenKeyring | undefined;
  if (parsed.success) {
    try {
      keyring = parseKeyring(parsed.data.HOOKWAIT_TOKEN_KEYS);
    } catch (err) {
      issues.push({ setting: 'HOOKWAIT_TOKEN_KEYS', message: (err as Error).message });
    }
  }
  const connection = temporalConnection(cleaned, readFile, options.temporalConfigFile !== false);
  issues.push(...connection.issues);
  if (!parsed.success || !keyring || !connection.value || issues.length > 0) {
    const settings = [...new Set(issues.map((i) => i.setting))];
    throw new ConfigError(settings, `invalid configuration: ${issues.map((i) => `${i.setting}: ${i.message}`).join('; ')}`);
  }
  const e = parsed.data;
  return {
    temporal: { ...connection.value, taskQueue: e.TEMPORAL_TASK_QUEUE, callTimeoutMs: e.HOOKWAIT_TEMPORAL_TIMEOUT_MS },
    publicBaseUrl: e.HOOKWAIT_PUBLIC_BASE_URL.replace(/\/+$/, ''),
    keyring,
    bodyLimitBytes: e.HOOKWAIT_BODY_LIMIT,
    ...(e.HOOKWAIT_HELPDESK_URL
      ? { helpdesk: { url: e.HOOKWAIT_HELPDESK_URL.replace(/\/+$/, ''), ...(e.HOOKWAIT_HELPDESK_TOKEN ? { token: e.HOOKWAIT_HELPDESK_TOKEN } : {}) } }
      : {}),
    searchAttributes: e.HOOKWAIT_SEARCH_ATTRIBUTES,
    rateLimits: { perIp: e.HOOKWAIT_RATE_LIMIT_PER_IP, perToken: e.HOOKWAIT_RATE_LIMIT_PER_TOKEN, windowMs: e.HOOKWAIT_RATE_LIMIT_WINDOW_MS },
    trustProxyHops: e.HOOKWAIT_TRUST_PROXY,
    headersTimeoutMs: e.HOOKWAIT_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: e.HOOKWAIT_REQUEST_TIMEOUT_MS,
    maxWaitTimeoutMs: e.HOOKWAIT_MAX_WAIT_TIMEOUT,
    ...(e.HOOKWAIT_WORKER_METRICS_PORT !== undefined ? { workerMetricsPort: e.HOOKWAIT_WORKER_METRICS_PORT } : {}),
    ...(e.HOOKWAIT_OUTBOUND_ALLOW !== undefined ? { outboundAllow: e.HOOKWAIT_OUTBOUND_ALLOW } : {}),
    ...(e.HOOKWAIT_WEBHOOK_SIGNING_SECRET !== undefined ? { webhookSigningSecret: e.HOOKWAIT_WEBHOOK_SIGNING_SECRET } : {}),
    ...(e.HOOKWAIT_OUTBOUND_METRICS_PORT !== undefined ? { outboundMetrics: { port: e.HOOKWAIT_OUTBOUND_METRICS_PORT, host: e.HOOKWAIT_OUTBOUND_METRICS_HOST } } : {}),
    statusCheck: e.HOOKWAIT_STATUS_CHECK,
    callbackUpdateTimeoutMs: e.HOOKWAIT_CALLBACK_UPDATE_TIMEOUT_MS,
    statusCacheSize: e.HOOKWAIT_STATUS_CACHE_SIZE,
    worker: {
      ...(e.HOOKWAIT_MAX_CACHED_WORKFLOWS !== undefined ? { maxCachedWorkflows: e.HOOKWAIT_MAX_CACHED_WORKFLOWS } : {}),
      ...(e.HOOKWAIT_MAX_CONCURRENT_WORKFLOW_TASKS !== undefined ? { maxConcurrentWorkflowTaskExecutions: e.HOOKWAIT_MAX_CONCURRENT_WORKFLOW_TASKS } : {}),
      ...(e.HOOKWAIT_WORKFLOW_TASK_POLLERS !== undefined ? { workflowTaskPollers: e.HOOKWAIT_WORKFLOW_TASK_POLLERS } : {}),
      ...(e.HOOKWAIT_WORKER_V8_OPTIMIZER !== undefined ? { v8Optimizer: e.HOOKWAIT_WORKER_V8_OPTIMIZER } : {}),
      ...(e.HOOKWAIT_WORKER_HEAP_MB !== undefined ? { workflowHeapMb: e.HOOKWAIT_WORKER_HEAP_MB } : {}),
      ...(e.HOOKWAIT_WORKER_SEMI_SPACE_MB !== undefined ? { workflowSemiSpaceMb: e.HOOKWAIT_WORKER_SEMI_SPACE_MB } : {}),
    },
  };
}
