import { SimplePlugin } from '@temporalio/plugin';
import { createHookwaitActivities, type HookwaitActivitiesOptions } from './activities/create-activities';
import { withWorkerStartChecks } from './checks/worker-start';
import { createLogger } from './logging/logger';

export type HookwaitPluginOptions = HookwaitActivitiesOptions;

/**
 * Adds hookwait to a worker you already run: it contributes hookwait's activities (callback URL minting,
 * data connectors, the conversation channel). It leaves `workflowsPath` alone: your workflows import
 * `procedure` or `createCallback` from `hookwait/workflow` themselves.
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
  const plugin = new SimplePlugin({ name: 'hookwait', activities: createHookwaitActivities(options) });
  // At Worker.create: one copy of the Temporal SDK, procedures exported under their names (src/checks).
  return withWorkerStartChecks(plugin, { procedures: options.procedures ?? [], logger: options.logger ?? createLogger() });
}
