import { redactFields, redactSensitiveIn } from './redact-fields';

/**
 * Structured JSON logs, one object per line. Callback tokens and secrets are never passed in whole; as a last
 * guard, a token that reaches a line anyway (a message text, a URL in an error) is redacted there.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

/**
 * hookwait's logger: pino's method signature, the fields first and the message second. A pino logger is one as it
 * is, and so is anything with the same `(fields, msg)` methods and `child(bindings)`. Wherever hookwait takes a
 * `logger` option, it redacts callback tokens (in the message, in any field, nested or not) and turns errors into
 * `{ name, message }` before the call reaches that logger.
 *
 * @example
 * ```ts
 * import pino from 'pino';
 * const logger: Logger = pino();
 * logger.child({ component: 'billing' }).info({ workflowId: 'wf-1' }, 'refund approved');
 * ```
 */
export interface Logger {
  debug(fields: LogFields, msg?: string): void;
  info(fields: LogFields, msg?: string): void;
  warn(fields: LogFields, msg?: string): void;
  error(fields: LogFields, msg?: string): void;
  child(bindings: LogFields): Logger;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export interface LoggerOptions {
  readonly level?: LogLevel;
  /** Where lines go; default: stdout. */
  readonly write?: (line: string) => void;
  readonly bindings?: LogFields;
}

/** Loggers that redact by themselves: ours. {@link hookwaitLogger} passes them through unchanged. */
const redacting = new WeakSet<Logger>();

/**
 * A call made with the message alone (`info('text')`, as pino and plain JavaScript allow) still logs the message:
 * the arguments are read in either order.
 */
export function argumentsOf(fields: unknown, msg: unknown): { fields: LogFields; msg: string | undefined } {
  if (typeof fields === 'string') return { fields: typeof msg === 'object' && msg !== null ? (msg as LogFields) : {}, msg: fields };
  return { fields: typeof fields === 'object' && fields !== null ? (fields as LogFields) : {}, msg: typeof msg === 'string' ? msg : undefined };
}

/**
 * hookwait's own logger: JSON lines, in pino's argument order.
 *
 * @example
 * ```ts
 * const logger = createLogger({ level: 'debug', bindings: { service: 'gateway' } });
 * logger.info({ requestId: 'r-1', outcome: 'accepted' }, 'callback accepted');
 * // {"time":"…","level":"info","msg":"callback accepted","service":"gateway","requestId":"r-1","outcome":"accepted"}
 * ```
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const min = ORDER[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const bindings = options.bindings ?? {};
  const log = (level: LogLevel, fieldsArg: unknown, msgArg: unknown): void => {
    if (ORDER[level] < min) return;
    const { fields, msg } = argumentsOf(fieldsArg, msgArg);
    const entry: LogFields = { time: new Date().toISOString(), level, msg: msg ?? '', ...bindings };
    for (const [k, v] of Object.entries(fields)) entry[k] = v instanceof Error ? { name: v.name, message: v.message } : v;
    write(redactSensitiveIn(JSON.stringify(entry)));
  };
  const logger: Logger = {
    debug: (f, m) => log('debug', f, m),
    info: (f, m) => log('info', f, m),
    warn: (f, m) => log('warn', f, m),
    error: (f, m) => log('error', f, m),
    child: (more) => createLogger({ ...options, bindings: { ...bindings, ...more } }),
  };
  redacting.add(logger);
  return logger;
}

/** A logger that drops everything (tests, embedding). */
export const silentLogger: Logger = createLogger({ write: () => undefined });

/**
 * The logger hookwait uses for a `logger` option: the given one (a pino logger, or anything with its signature)
 * behind hookwait's guard, which redacts callback tokens in the message and in every field and turns errors into
 * `{ name, message }` (pino would print an error under any key but `err` as `{}`); no option: {@link silentLogger}.
 *
 * @example
 * ```ts
 * const log = hookwaitLogger(pino()).child({ component: 'gateway' });
 * log.warn({ url: `https://x/callbacks/${token}` }, 'slow');   // the token arrives as its first 12 characters
 * ```
 */
export function hookwaitLogger(logger: Logger | undefined): Logger {
  if (logger === undefined) return silentLogger;
  if (redacting.has(logger)) return logger;
  const guarded = {} as Record<LogLevel, (fields: LogFields, msg?: string) => void>;
  for (const level of LEVELS) {
    guarded[level] = (fieldsArg, msgArg) => {
      const { fields, msg } = argumentsOf(fieldsArg, msgArg);
      const safe = redactFields(fields) as LogFields;
      if (msg === undefined) logger[level](safe);
      else logger[level](safe, redactSensitiveIn(msg));
    };
  }
  const wrapped: Logger = { ...guarded, child: (bindings) => hookwaitLogger(logger.child(redactFields(bindings) as LogFields)) };
  redacting.add(wrapped);
  return wrapped;
}
