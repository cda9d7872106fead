import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { Worker, type WorkerOptions } from '@temporalio/worker';
import type { HookwaitConfig, WorkerTuning } from '../config';
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

/**
 * The most workflow runs the standalone worker keeps in its cache unless `HOOKWAIT_MAX_CACHED_WORKFLOWS` says
 * otherwise. A cached run costs the worker its sandbox (about 2 MiB for a hookwait procedure: every workflow module
 * but the preloaded ones is its own copy); a run evicted from the cache replays its history on its next workflow
 * task, so the bound trades memory for the time of one replay.
 */
export const DEFAULT_MAX_CACHED_WORKFLOWS = 1_000;

/** The Temporal SDK's own default for the cache (from the V8 heap limit), capped at {@link DEFAULT_MAX_CACHED_WORKFLOWS}. */
export function defaultMaxCachedWorkflows(heapLimitBytes = getHeapStatistics().heap_size_limit): number {
  const heapMiB = heapLimitBytes / 1024 / 1024;
  return Math.min(DEFAULT_MAX_CACHED_WORKFLOWS, Math.max(Math.floor((Math.max(heapMiB - 200, 0) * 600) / 1024), 10));
}

/**
 * The Temporal worker options the standalone worker passes for its tuning: the workflow cache always bounded
 * (default {@link defaultMaxCachedWorkflows}: the SDK's, from the heap limit, at most 1,000), the other settings only
 * when set.
 *
 * @example
 * ```ts
 * workerOptionsOf({ maxCachedWorkflows: 200 }); // { maxCachedWorkflows: 200 }
 * workerOptionsOf({});                          // { maxCachedWorkflows: 1000 } with a heap limit of 2 GiB or more
 * ```
 */
export function workerOptionsOf(tuning: WorkerTuning): Pick<WorkerOptions, 'maxCachedWorkflows' | 'maxConcurrentWorkflowTaskExecutions' | 'workflowTaskPollerBehavior'> {
  return {
    maxCachedWorkflows: tuning.maxCachedWorkflows ?? defaultMaxCachedWorkflows(),
    ...(tuning.maxConcurrentWorkflowTaskExecutions !== undefined ? { maxConcurrentWorkflowTaskExecutions: tuning.maxConcurrentWorkflowTaskExecutions } : {}),
    ...(tuning.workflowTaskPollers !== undefined ? { workflowTaskPollerBehavior: { type: 'simple-maximum', maximum: tuning.workflowTaskPollers } } : {}),
  };
}

/**
 * The V8 flags the standalone worker sets for itself before it creates its Temporal Worker (and so its workflow
 * thread, whose isolate runs every workflow sandbox): `--no-opt` unless `v8Optimizer` is true. V8's optimizing
 * compiler allocates its compile zones with malloc on background threads; a worker that keeps creating and evicting
 * sandboxes keeps recompiling the same workflow modules, and those zones left hundreds of MiB of freed but unreturned
 * memory in the process (see DEVELOPERS.md, "Where a worker's memory goes"). Without it the worker used less CPU too.
 *
 * @example
 * ```ts
 * workerV8Flags({});                     // ['--no-opt']
 * workerV8Flags({ v8Optimizer: true });  // []
 * ```
 */
export function workerV8Flags(tuning: WorkerTuning): string[] {
  return tuning.v8Optimizer === true ? [] : ['--no-opt'];
}

/**
 * Sets {@link workerV8Flags} on this process's V8 (flags are process-wide: the main thread's functions not yet
 * optimized stay unoptimized too). Call it before `Worker.create`.
 *
 * @example
 * ```ts
 * applyWorkerV8Flags(config.worker);
 * const worker = await Worker.create({ ... });
 * ```
 */
export function applyWorkerV8Flags(tuning: WorkerTuning): void {
  for (const flag of workerV8Flags(tuning)) setFlagsFromString(flag);
}

/** Creates and runs the standalone worker: the given workflows module plus the hookwait plugin. */
export async function startWorker(
  config: HookwaitConfig,
  procedures: readonly AnyProcedure[],
  workflowsPath: string,
  logger: Logger,
  extra: { readonly metrics?: OutboundMetrics } = {},
): Promise<StartedWorker> {
  applyWorkerV8Flags(config.worker);
  const connection = await connectWorker(config.temporal, logger);
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    workflowsPath,
    ...workerOptionsOf(config.worker),
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
  logger.info({ taskQueue: config.temporal.taskQueue, namespace: config.temporal.namespace, procedures: procedures.map((p) => p.name), ...workerOptionsOf(config.worker), v8Flags: workerV8Flags(config.worker) }, 'worker running');
  return {
    worker,
    done,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}
