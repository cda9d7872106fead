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
 * otherwise. A cached run costs the worker its sandbox in the workflow thread's V8 heap: about 0.1 MiB for a
 * hookwait procedure, the modules it does not share with other runs (`@temporalio/workflow`'s entry, hookwait's
 * runtime, your workflows module; see `HOOKWAIT_PRELOAD_MODULES`) and its state, plus the SDK core's copy of its
 * history. A run evicted from the cache holds nothing in the worker and replays its history on its next workflow
 * task, so the bound trades memory for the time of one replay: on our machine a cache of 300 resumed a 300-run load
 * about twice as fast as 50, and 10,000 parked runs stayed under 300 MB with 50 but not with 200 or 300
 * (README, Benchmarks).
 */
export const DEFAULT_MAX_CACHED_WORKFLOWS = 50;

/**
 * V8's heap growing factor for the standalone worker's isolates, as a percentage over the live heap
 * (`--heap-growing-percent`). V8 otherwise lets an old generation grow up to 4 times its live size between two full
 * collections when it is far from its limit, and the main thread's limit is Node's (from the machine's memory): its
 * heap reached 160 MiB with 30 MiB live while the worker parked runs. The flag is read at every collection, so it
 * applies to the main thread's isolate, created before the worker could set it.
 */
export const DEFAULT_HEAP_GROWING_PERCENT = 10;

/** The V8 young-generation semi-space (MiB) of the workflow thread's isolate unless `HOOKWAIT_WORKER_SEMI_SPACE_MB` says otherwise. */
export const DEFAULT_WORKFLOW_SEMI_SPACE_MB = 2;

/**
 * The Temporal SDK's own default for the cache (from the main thread's V8 heap limit), capped at
 * {@link DEFAULT_MAX_CACHED_WORKFLOWS}.
 *
 * @example
 * ```ts
 * defaultMaxCachedWorkflows(4096 * 1024 * 1024); // 50
 * defaultMaxCachedWorkflows(128 * 1024 * 1024);  // 10 (the SDK's minimum)
 * ```
 */
export function defaultMaxCachedWorkflows(heapLimitBytes = getHeapStatistics().heap_size_limit): number {
  const heapMiB = heapLimitBytes / 1024 / 1024;
  return Math.min(DEFAULT_MAX_CACHED_WORKFLOWS, Math.max(Math.floor((Math.max(heapMiB - 200, 0) * 600) / 1024), 10));
}

/** The cache bound: `HOOKWAIT_MAX_CACHED_WORKFLOWS`, else {@link defaultMaxCachedWorkflows}. */
function maxCachedWorkflowsOf(tuning: WorkerTuning): number {
  return tuning.maxCachedWorkflows ?? defaultMaxCachedWorkflows();
}

/**
 * The old-space limit (MiB) of the workflow thread's isolate: `HOOKWAIT_WORKER_HEAP_MB`, else 64 MiB plus 0.5 MiB
 * per cached run, at least 128 (128 with the default cache of 50). A cached procedure holds about 0.1 MiB of it and
 * the bundle about 30 MiB, so the margin is for runs with large state; the heap grows only as far as what it holds
 * ({@link DEFAULT_HEAP_GROWING_PERCENT}). Too small a limit for what the cache holds stops the worker (out of memory).
 *
 * @example
 * ```ts
 * workflowHeapMbOf({ maxCachedWorkflows: 300 });  // 214
 * workflowHeapMbOf({ maxCachedWorkflows: 1000 }); // 564
 * ```
 */
export function workflowHeapMbOf(tuning: WorkerTuning): number {
  return tuning.workflowHeapMb ?? Math.max(128, 64 + Math.ceil(maxCachedWorkflowsOf(tuning) / 2));
}

/**
 * The Temporal worker options the standalone worker passes for its tuning: the workflow cache always bounded
 * (default {@link defaultMaxCachedWorkflows}: the SDK's, from the heap limit, at most 50), the other settings only
 * when set.
 *
 * @example
 * ```ts
 * workerOptionsOf({ maxCachedWorkflows: 200 }); // { maxCachedWorkflows: 200 }
 * workerOptionsOf({});                          // { maxCachedWorkflows: 50 } with a heap limit of 300 MiB or more
 * ```
 */
export function workerOptionsOf(tuning: WorkerTuning): Pick<WorkerOptions, 'maxCachedWorkflows' | 'maxConcurrentWorkflowTaskExecutions' | 'workflowTaskPollerBehavior'> {
  return {
    maxCachedWorkflows: maxCachedWorkflowsOf(tuning),
    ...(tuning.maxConcurrentWorkflowTaskExecutions !== undefined ? { maxConcurrentWorkflowTaskExecutions: tuning.maxConcurrentWorkflowTaskExecutions } : {}),
    ...(tuning.workflowTaskPollers !== undefined ? { workflowTaskPollerBehavior: { type: 'simple-maximum', maximum: tuning.workflowTaskPollers } } : {}),
  };
}

/**
 * The V8 flags the standalone worker sets for itself before it creates its Temporal Worker (and so its workflow
 * thread, whose isolate runs every workflow sandbox): `--no-opt` unless `v8Optimizer` is true, the semi-space
 * (`--max-semi-space-size`, default {@link DEFAULT_WORKFLOW_SEMI_SPACE_MB}) and the old-space limit
 * (`--max-old-space-size`, {@link workflowHeapMbOf}), which size isolates created from then on (the workflow
 * thread's), and `--heap-growing-percent` ({@link DEFAULT_HEAP_GROWING_PERCENT}), which both isolates read at every
 * collection. V8's optimizing compiler allocates its compile zones with malloc on background threads; a worker that
 * kept creating and evicting sandboxes kept recompiling the same workflow modules, and those zones left hundreds of
 * MiB of freed but unreturned memory in the process (see DEVELOPERS.md, "Where a worker's memory goes").
 *
 * @example
 * ```ts
 * workerV8Flags({ maxCachedWorkflows: 300 });                  // ['--no-opt', '--max-semi-space-size=2', '--max-old-space-size=214', '--heap-growing-percent=10']
 * workerV8Flags({ v8Optimizer: true, workflowHeapMb: 128 });   // ['--max-semi-space-size=2', '--max-old-space-size=128', '--heap-growing-percent=10']
 * ```
 */
export function workerV8Flags(tuning: WorkerTuning): string[] {
  return [
    ...(tuning.v8Optimizer === true ? [] : ['--no-opt']),
    `--max-semi-space-size=${tuning.workflowSemiSpaceMb ?? DEFAULT_WORKFLOW_SEMI_SPACE_MB}`,
    `--max-old-space-size=${workflowHeapMbOf(tuning)}`,
    `--heap-growing-percent=${DEFAULT_HEAP_GROWING_PERCENT}`,
  ];
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
