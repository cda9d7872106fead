import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { Logger } from '../logging/logger';

function isOurs(sdkComponent: unknown, level: string): boolean {
  return sdkComponent === 'workflow' || (sdkComponent === 'activity' && level === 'INFO');
}

/**
 * Installs the Temporal SDK runtime (once, before any connection): its logs, workflow logs included (they carry
 * the gateway's request id for each callback), go through our structured logger; with `metricsPort`, the SDK's
 * own metrics are served for Prometheus at `http://0.0.0.0:<port>/metrics`.
 */
export function installTemporalRuntime(logger: Logger, options: { readonly metricsPort?: number } = {}): void {
  const sdk = logger.child({ component: 'temporal-sdk' });
  Runtime.install({
    logger: new DefaultLogger('INFO', (entry) => {
      const fields = { ...(entry.meta ?? {}) };
      if (entry.level === 'ERROR') sdk.error(fields, entry.message);
      else if (entry.level === 'WARN') sdk.warn(fields, entry.message);
      // Workflow logs (each applied callback, with its request id) and activity logs at info (hookwait's connector
      // calls, through the activity's logger) are ours; the SDK's own chatter is debug.
      else if (isOurs((fields as { sdkComponent?: unknown }).sdkComponent, entry.level)) sdk.info(fields, entry.message);
      else sdk.debug(fields, entry.message);
    }),
    ...(options.metricsPort !== undefined
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: `0.0.0.0:${options.metricsPort}` } } } }
      : {}),
  });
}
