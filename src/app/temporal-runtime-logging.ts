import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { Logger } from '../logging/logger';

/** Sends the Temporal SDK's own logs (warnings and errors) through our structured logger. Call once, first. */
export function installTemporalRuntimeLogging(logger: Logger): void {
  const sdk = logger.child({ component: 'temporal-sdk' });
  Runtime.install({
    logger: new DefaultLogger('WARN', (entry) => {
      const fields = { ...(entry.meta ?? {}) };
      if (entry.level === 'ERROR') sdk.error(entry.message, fields);
      else sdk.warn(entry.message, fields);
    }),
  });
}
