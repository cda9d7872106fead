import type { Logger as TemporalLogger } from '@temporalio/common';
import { redactTokensIn } from '../security/callback-token';
import { argumentsOf, type LogFields, type Logger } from './logger';
import { redactFields } from './redact-fields';

/**
 * A hookwait {@link Logger} over one of Temporal's loggers (message first, then fields), such as an activity's
 * `Context.current().log`, which adds the activity's attributes (workflow id, activity type, …) to every line and
 * goes wherever the worker's `Runtime` logger goes. Tokens are redacted and errors flattened on the way, as for any
 * logger hookwait is given.
 *
 * @example
 * ```ts
 * const log = fromTemporalLogger(Context.current().log, { component: 'activities' });
 * log.info({ connector: 'startVerification', status: 200 }, 'connector called');
 * ```
 */
export function fromTemporalLogger(temporal: TemporalLogger, bindings: LogFields = {}): Logger {
  const safeBindings = redactFields(bindings) as LogFields;
  const forward = (level: 'debug' | 'info' | 'warn' | 'error') => (fieldsArg: LogFields, msgArg?: string) => {
    const { fields, msg } = argumentsOf(fieldsArg, msgArg);
    temporal[level](redactTokensIn(msg ?? ''), { ...safeBindings, ...(redactFields(fields) as LogFields) });
  };
  return {
    debug: forward('debug'),
    info: forward('info'),
    warn: forward('warn'),
    error: forward('error'),
    child: (more) => fromTemporalLogger(temporal, { ...safeBindings, ...more }),
  };
}
