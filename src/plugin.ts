import { join } from 'node:path';
import { SimplePlugin } from '@temporalio/plugin';
import type { BundleOptions, ReplayWorkerOptions, Worker, WorkerOptions } from '@temporalio/worker';
import { createHookwaitActivities, type HookwaitActivitiesOptions } from './activities/create-activities';
import { withWorkerStartChecks } from './checks/worker-start';
import { createLogger, hookwaitLogger } from './logging/logger';
import { createConnectorWorkers, limitedConnectors } from './worker/connector-workers';

/**
 * What the `openTelemetry` option takes: the Temporal SDK's OpenTelemetry plugin, `new OpenTelemetryPlugin({ resource,
 * spanProcessor })` from `@temporalio/interceptors-opentelemetry` (the version of your `@temporalio` packages). It
 * brings the SDK's interceptors: activity spans (`RunActivity:…`), workflow spans (`RunWorkflow:…`,
 * `HandleSignal:hookwait.callback`, …) exported through a sink, and the workflow interceptor module. hookwait only
 * names the methods it calls, so it does not depend on that package.
 *
 * @example
 * ```ts
 * import { OpenTelemetryPlugin } from '@temporalio/interceptors-opentelemetry';
 * const openTelemetry: OpenTelemetryWorkerPlugin = new OpenTelemetryPlugin({ resource, spanProcessor });
 * ```
 */
export interface OpenTelemetryWorkerPlugin {
  readonly name: string;
  configureWorker(options: WorkerOptions): WorkerOptions;
  configureReplayWorker(options: ReplayWorkerOptions): ReplayWorkerOptions;
  configureBundler(options: BundleOptions): BundleOptions;
}

export interface HookwaitPluginOptions extends HookwaitActivitiesOptions {
  /**
   * Opt-in tracing: the SDK's OpenTelemetry plugin (see {@link OpenTelemetryWorkerPlugin}), applied together with
   * hookwait's. With a prebuilt workflow bundle, pass this plugin to `bundleWorkflowCode({ plugins })` too: the
   * workflow interceptor module is added at bundling time. Default: no tracing.
   */
  readonly openTelemetry?: OpenTelemetryWorkerPlugin;
  /**
   * Run a connector worker beside the worker for each connector declared with `limits` (its own task queue,
   * `maxConcurrentActivityTaskExecutions` and `maxTaskQueueActivitiesPerSecond`); they start and stop with it.
   * Default true. Set false when other processes serve them (`createConnectorWorkers`).
   */
  readonly connectorWorkers?: boolean;
}

/**
 * Modules a hookwait worker evaluates once and shares across all the workflow runs it keeps in its cache, instead of
 * once per run: hookwait's stateless, deterministic workflow modules (its declarations, its pure state machine) and
 * zod, gathered in one module (`src/workflows/preloaded.ts`). Shared, they cost a cached run about 0.1 MiB of the
 * workflow thread's heap instead of 0.7 MiB. A worker created with the hookwait plugin (or a bundle made with
 * `bundleWorkflowCode({ plugins })`) preloads them; with a bundle made another way, pass
 * `preloadModules: HOOKWAIT_PRELOAD_MODULES` to the bundler. The entry is a path (resolved where this package is
 * installed), not `'zod'`: zod declares itself free of side effects, so the bundler drops a bare `require('zod')`, and
 * zod must build its global configuration before the worker freezes the preloaded modules.
 *
 * @example
 * ```ts
 * const { code } = await bundleWorkflowCode({ workflowsPath, preloadModules: [...HOOKWAIT_PRELOAD_MODULES] });
 * ```
 */
// A path, not require.resolve: importing hookwait must not fail where the module is bundled away (a gateway-only app).
export const HOOKWAIT_PRELOAD_MODULES: readonly string[] = [join(__dirname, 'workflows', 'preloaded')];

/** The bundler options with {@link HOOKWAIT_PRELOAD_MODULES} added to those already preloaded (unless ignored). */
export function withPreloadedModules(options: BundleOptions): BundleOptions {
  const ignored = options.ignoreModules ?? [];
  const preload = [...new Set([...(options.preloadModules ?? []), ...HOOKWAIT_PRELOAD_MODULES.filter((m) => !ignored.includes(m))])];
  return { ...options, preloadModules: preload };
}

/** hookwait's activities, and with `openTelemetry`, the SDK's tracing configured after them. */
class HookwaitPlugin extends SimplePlugin {
  private readonly openTelemetry: OpenTelemetryWorkerPlugin | undefined;

  constructor(private readonly hookwaitOptions: HookwaitPluginOptions) {
    super({ name: 'hookwait', activities: createHookwaitActivities(hookwaitOptions) });
    this.openTelemetry = hookwaitOptions.openTelemetry;
  }

  /** Runs the limited connectors' workers (see `connectorWorkers`) for as long as `worker` runs. */
  override async runWorker(worker: Worker, next: (w: Worker) => Promise<void>): Promise<void> {
    const options = this.hookwaitOptions;
    if (options.connectorWorkers === false || limitedConnectors(worker.options.taskQueue, options).length === 0) return super.runWorker(worker, next);
    const connectorWorkers = await createConnectorWorkers({
      ...options,
      ...(worker.connection ? { connection: worker.connection } : {}),
      namespace: worker.options.namespace,
      taskQueue: worker.options.taskQueue,
    });
    const running = connectorWorkers.map((w) => w.run());
    try {
      await super.runWorker(worker, next);
    } finally {
      for (const w of connectorWorkers) if (w.getState() === 'RUNNING') w.shutdown();
      await Promise.allSettled(running);
    }
  }

  override configureWorker(options: WorkerOptions): WorkerOptions {
    const configured = super.configureWorker(options);
    return this.openTelemetry ? this.openTelemetry.configureWorker(configured) : configured;
  }

  override configureReplayWorker(options: ReplayWorkerOptions): ReplayWorkerOptions {
    const configured = super.configureReplayWorker(options);
    return this.openTelemetry ? this.openTelemetry.configureReplayWorker(configured) : configured;
  }

  override configureBundler(options: BundleOptions): BundleOptions {
    const configured = withPreloadedModules(super.configureBundler(options));
    return this.openTelemetry ? this.openTelemetry.configureBundler(configured) : configured;
  }
}

/**
 * Adds hookwait to a worker you already run: it contributes hookwait's activities (callback URL minting,
 * data connectors, the conversation channel). It leaves `workflowsPath` alone: your workflows import
 * `procedure` or `createCallback` from `hookwait/workflow` themselves. With `openTelemetry`, it also applies the
 * SDK's OpenTelemetry plugin, so workflows and activities produce spans.
 *
 * Connectors declared with `limits` get a worker of their own (their own task queue, with the declared concurrency and
 * rate), run beside this worker while it runs (option `connectorWorkers`).
 *
 * When the worker is created it checks that hookwait and your app load one copy of the Temporal SDK
 * (`DuplicateTemporalSdkError` otherwise) and, with `workflowsPath`, that every `procedure(...)` is exported under
 * its definition's name (`ProcedureExportError`).
 *
 * @example
 * const worker = await Worker.create({
 *   connection, taskQueue: 'support', workflowsPath: require.resolve('./workflows'),
 *   plugins: [hookwaitPlugin({ procedures: [identityVerification], keyring, publicBaseUrl, channel, logger })],
 * });
 * // Plain workflows with createCallback only, messages logged (not delivered):
 * const plain = await Worker.create({
 *   connection, taskQueue: 'orders', workflowsPath: require.resolve('./workflows'),
 *   plugins: [hookwaitPlugin({ keyring, publicBaseUrl })],
 * });
 */
export function hookwaitPlugin(options: HookwaitPluginOptions): SimplePlugin {
  // At Worker.create: one copy of the Temporal SDK, procedures exported under their names (src/checks).
  return withWorkerStartChecks(new HookwaitPlugin(options), { procedures: options.procedures ?? [], logger: hookwaitLogger(options.logger ?? createLogger()) });
}
