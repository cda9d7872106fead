import { z } from 'zod';
import { ConfigError } from '../config';
import { createLogger, type Logger, type LogLevel, silentLogger } from '../logging/logger';

/** LOG_LEVEL as pino names levels, mapped onto ours: `trace` logs as `debug`, `fatal` as `error`, `silent` logs nothing. */
const LOG_LEVELS = { trace: 'debug', debug: 'debug', info: 'info', warn: 'warn', error: 'error', fatal: 'error', silent: 'silent' } as const;

/** A standalone process's log level: one of the logger's levels, or `silent`. */
export type ProcessLogLevel = LogLevel | 'silent';

/**
 * The variables only the standalone processes read (`npm run gateway`, `npm run worker`, `npm run dev`), never the
 * library: a host app that calls `loadConfig()` keeps these names for its own purposes.
 */
export const processEnvSchema = z.object({
  PORT: z
    .string()
    .regex(/^\d+$/, { error: 'must be a whole number' })
    .transform(Number)
    .pipe(z.number().max(65535, { error: 'must be at most 65535' }))
    .default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  HOOKWAIT_ADMIN_PORT: z
    .string()
    .regex(/^\d+$/, { error: 'must be a whole number' })
    .transform(Number)
    .pipe(z.number().max(65535, { error: 'must be at most 65535' }))
    .optional(),
  HOOKWAIT_ADMIN_HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: z
    .string()
    .transform((v) => v.toLowerCase())
    .pipe(z.enum(Object.keys(LOG_LEVELS) as (keyof typeof LOG_LEVELS)[], { error: `must be one of ${Object.keys(LOG_LEVELS).join(', ')}` }))
    .transform((v): ProcessLogLevel => LOG_LEVELS[v])
    .default('info'),
});

/** The standalone gateway's admin port when `HOOKWAIT_ADMIN_PORT` is unset (Prometheus exporters' usual port). */
export const DEFAULT_ADMIN_PORT = 9464;

/** The gateway's listeners and the log level of a standalone process. */
export interface ProcessConfig {
  readonly port: number;
  readonly host: string;
  /**
   * The gateway's admin listener (`/metrics`, `/healthz`, `/readyz`): `HOOKWAIT_ADMIN_PORT` (0: any free port). Unset:
   * the standalone gateway uses {@link DEFAULT_ADMIN_PORT}; `npm run dev` opens none.
   */
  readonly adminPort?: number;
  /** `HOOKWAIT_ADMIN_HOST`, default `127.0.0.1`: reached from this machine (or container) only. */
  readonly adminHost: string;
  readonly logLevel: ProcessLogLevel;
}

/**
 * Reads `PORT`, `HOST`, `HOOKWAIT_ADMIN_PORT`, `HOOKWAIT_ADMIN_HOST` and `LOG_LEVEL` (empty means unset).
 * @throws {@link ConfigError} naming every bad setting.
 */
export function loadProcessConfig(env: Record<string, string | undefined> = process.env): ProcessConfig {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = processEnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    const settings = [...new Set(parsed.error.issues.map((i) => String(i.path[0])))];
    throw new ConfigError(settings, `invalid configuration: ${parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`).join('; ')}`);
  }
  return {
    port: parsed.data.PORT,
    host: parsed.data.HOST,
    ...(parsed.data.HOOKWAIT_ADMIN_PORT !== undefined ? { adminPort: parsed.data.HOOKWAIT_ADMIN_PORT } : {}),
    adminHost: parsed.data.HOOKWAIT_ADMIN_HOST,
    logLevel: parsed.data.LOG_LEVEL,
  };
}

/** The process's JSON-lines logger at its configured level (`silent`: nothing at all). */
export function processLogger(config: Pick<ProcessConfig, 'logLevel'>, service: string): Logger {
  if (config.logLevel === 'silent') return silentLogger;
  return createLogger({ level: config.logLevel, bindings: { service } });
}
