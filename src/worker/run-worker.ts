import { Worker } from '@temporalio/worker';
import type { HookwaitConfig } from '../config';
import type { AnyProcedure } from '../definitions/procedure';
import type { Logger } from '../logging/logger';
import { hookwaitPlugin } from '../plugin';
import type { OutboundMetrics } from '../activities/outbound-metrics';
import { connectWorker } from '../app/temporal-connection';
import { conversationChannelFromConfig } from '../app/conversation-channel-from-config';

export interface StartedWorker {
  readonly worker: Worker;
  /** Resolves when the worker has stopped. */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

/** Creates and runs the standalone worker: the given workflows module plus the hookwait plugin. */
export async function startWorker(
  config: HookwaitConfig,
  procedures: readonly AnyProcedure[],
  workflowsPath: string,
  logger: Logger,
  extra: { readonly metrics?: OutboundMetrics } = {},
): Promise<StartedWorker> {
  const connection = await connectWorker(config.temporal, logger);
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    workflowsPath,
    plugins: [
      hookwaitPlugin({
        procedures,
        keyring: config.keyring,
        publicBaseUrl: config.publicBaseUrl,
        channel: conversationChannelFromConfig(config, logger),
        logger,
        searchAttributes: config.searchAttributes,
        outboundAllow: config.outboundAllow ?? '',
        ...(config.webhookSigningSecret ? { webhookSigningSecret: config.webhookSigningSecret } : {}),
        ...(extra.metrics ? { metrics: extra.metrics } : {}),
      }),
    ],
  });
  const done = worker.run().finally(() => connection.close());
  logger.info({ taskQueue: config.temporal.taskQueue, namespace: config.temporal.namespace, procedures: procedures.map((p) => p.name) }, 'worker running');
  return {
    worker,
    done,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}
