import { z } from 'zod';
import { parseKeyring, type TokenKeyring } from './security/callback-token';

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

/** Every environment variable hookwait reads, with its default. The README's "Configuration" mirrors this. */
export const envSchema = z.object({
  TEMPORAL_ADDRESS: z.string().min(1).default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('hookwait'),
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  TEMPORAL_TLS: bool.optional(),
  TEMPORAL_TLS_CERT_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_KEY_PATH: z.string().min(1).optional(),
  HOOKWAIT_PUBLIC_BASE_URL: httpUrl.default('http://localhost:3000'),
  HOOKWAIT_TOKEN_KEYS: z.string().min(1, { error: 'is required: kid:base64secret[,kid:base64secret…]' }),
  HOOKWAIT_BODY_LIMIT: int(1, 64 * 1024 * 1024).default(256 * 1024),
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
  PORT: int(0, 65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
});

export interface HookwaitConfig {
  readonly temporal: {
    readonly address: string;
    readonly namespace: string;
    readonly taskQueue: string;
    readonly apiKey?: string;
    readonly tls?: { readonly clientCertPair?: { readonly crt: Buffer; readonly key: Buffer } } | boolean;
    /** Deadline for each call the gateway makes to Temporal. */
    readonly callTimeoutMs: number;
  };
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
  /** Where the worker serves the Temporal SDK's Prometheus metrics (`/metrics`); off when unset. */
  readonly workerMetricsPort?: number;
  readonly port: number;
  readonly host: string;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
}

/**
 * Reads and validates the configuration once, at start-up.
 * @throws {@link ConfigError} naming every bad setting.
 */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  readFile: (path: string) => Buffer = (p) => require('node:fs').readFileSync(p),
): HookwaitConfig {
  // Empty strings mean "unset", as in most deployment tools.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const settings = [...new Set(parsed.error.issues.map((i) => String(i.path[0])))];
    const detail = parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`).join('; ');
    throw new ConfigError(settings, `invalid configuration: ${detail}`);
  }
  const e = parsed.data;
  let keyring: TokenKeyring;
  try {
    keyring = parseKeyring(e.HOOKWAIT_TOKEN_KEYS);
  } catch (err) {
    throw new ConfigError(['HOOKWAIT_TOKEN_KEYS'], `invalid configuration: HOOKWAIT_TOKEN_KEYS: ${(err as Error).message}`);
  }
  if ((e.TEMPORAL_TLS_CERT_PATH === undefined) !== (e.TEMPORAL_TLS_KEY_PATH === undefined)) {
    throw new ConfigError(
      ['TEMPORAL_TLS_CERT_PATH', 'TEMPORAL_TLS_KEY_PATH'],
      'invalid configuration: TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH go together',
    );
  }
  let tls: HookwaitConfig['temporal']['tls'];
  if (e.TEMPORAL_TLS_CERT_PATH && e.TEMPORAL_TLS_KEY_PATH) {
    const read = (setting: string, path: string): Buffer => {
      try {
        return readFile(path);
      } catch (err) {
        throw new ConfigError([setting], `invalid configuration: ${setting}: cannot read ${path}: ${(err as Error).message}`);
      }
    };
    tls = { clientCertPair: { crt: read('TEMPORAL_TLS_CERT_PATH', e.TEMPORAL_TLS_CERT_PATH), key: read('TEMPORAL_TLS_KEY_PATH', e.TEMPORAL_TLS_KEY_PATH) } };
  } else if (e.TEMPORAL_TLS !== undefined) tls = e.TEMPORAL_TLS;
  else if (e.TEMPORAL_API_KEY) tls = true; // Temporal Cloud API keys need TLS.
  return {
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      ...(e.TEMPORAL_API_KEY ? { apiKey: e.TEMPORAL_API_KEY } : {}),
      ...(tls !== undefined ? { tls } : {}),
      callTimeoutMs: e.HOOKWAIT_TEMPORAL_TIMEOUT_MS,
    },
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
    ...(e.HOOKWAIT_WORKER_METRICS_PORT !== undefined ? { workerMetricsPort: e.HOOKWAIT_WORKER_METRICS_PORT } : {}),
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
  };
}
