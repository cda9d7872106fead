import { type NativeConnection, Worker } from '@temporalio/worker';
import { createHookwaitActivities, type HookwaitActivitiesOptions } from '../activities/create-activities';
import { type ConnectorLimits, type ConnectorPoint, connectorTaskQueue } from '../definitions/connector';

/** A connector declared with `limits`, and the task queue its calls run on. */
export interface LimitedConnector {
  readonly procedure?: string;
  readonly connector: string;
  readonly limits: ConnectorLimits;
  readonly taskQueue: string;
}

/**
 * The connectors with `limits` among the procedures' and the defined ones, each with its task queue (see
 * `connectorTaskQueue`) beside `taskQueue`, the queue the workflows run on.
 *
 * @example
 * ```ts
 * limitedConnectors('support', { procedures: [identityVerification] });
 * // [{ procedure: 'identityVerification', connector: 'startVerification', limits: { concurrency: 1 }, taskQueue: 'support-connector-identityVerification-startVerification' }]
 * ```
 */
export function limitedConnectors(taskQueue: string, options: Pick<HookwaitActivitiesOptions, 'procedures' | 'connectors'>): LimitedConnector[] {
  const out: LimitedConnector[] = [];
  for (const p of options.procedures ?? []) {
    for (const c of Object.values(p.connectors) as ConnectorPoint[]) {
      if (c.limits) out.push({ procedure: p.name, connector: c.name, limits: c.limits, taskQueue: connectorTaskQueue(taskQueue, p.name, c.name) });
    }
  }
  for (const c of options.connectors ?? []) if (c.limits) out.push({ connector: c.name, limits: c.limits, taskQueue: connectorTaskQueue(taskQueue, undefined, c.name) });
  return out;
}

/** What {@link createConnectorWorkers} needs: where to connect, the workflows' task queue, and the plugin's options. */
export interface ConnectorWorkersOptions extends HookwaitActivitiesOptions {
  readonly connection?: NativeConnection;
  readonly namespace?: string;
  /** The task queue your workflows run on: each limited connector's queue is named after it. */
  readonly taskQueue: string;
}

/**
 * Creates one activity-only Worker per connector declared with `limits`, polling that connector's own task queue
 * with `maxConcurrentActivityTaskExecutions: concurrency` (in flight at once, per worker process) and
 * `maxTaskQueueActivitiesPerSecond: perSecond` (enforced by the server across all workers of the queue).
 * `hookwaitPlugin` already runs these beside the worker it is given (option `connectorWorkers`); use this function
 * when you run activities in processes of their own. Run them with `Promise.all(workers.map((w) => w.run()))`.
 *
 * For a cluster-wide concurrency of N, serve a limited connector from one process (its calls queue in Temporal until
 * that process takes them): every process that runs a connector worker adds its own `concurrency`.
 *
 * @example
 * ```ts
 * import { createConnectorWorkers } from 'hookwait';
 *
 * const workers = await createConnectorWorkers({ connection, taskQueue: 'support', procedures, keyring, publicBaseUrl });
 * await Promise.all(workers.map((w) => w.run()));
 * ```
 */
export async function createConnectorWorkers(options: ConnectorWorkersOptions): Promise<Worker[]> {
  const limited = limitedConnectors(options.taskQueue, options);
  if (limited.length === 0) return [];
  const activities = createHookwaitActivities(options);
  return Promise.all(
    limited.map((c) =>
      Worker.create({
        ...(options.connection ? { connection: options.connection } : {}),
        ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
        taskQueue: c.taskQueue,
        activities,
        ...(c.limits.concurrency !== undefined ? { maxConcurrentActivityTaskExecutions: c.limits.concurrency } : {}),
        ...(c.limits.perSecond !== undefined ? { maxTaskQueueActivitiesPerSecond: c.limits.perSecond } : {}),
      }),
    ),
  );
}
