import { SimplePlugin } from '@temporalio/plugin';
import { createHookwaitActivities, type HookwaitActivitiesOptions } from './activities/create-activities';

export type HookwaitPluginOptions = HookwaitActivitiesOptions;

/**
 * Adds hookwait to a worker you already run: it contributes hookwait's activities (callback URL minting,
 * data connectors, the conversation channel). It leaves `workflowsPath` alone: your workflows import
 * `procedure` from hookwait's workflow API themselves.
 *
 * @example
 * const worker = await Worker.create({
 *   connection, taskQueue: 'support', workflowsPath: require.resolve('./workflows'),
 *   plugins: [hookwaitPlugin({ procedures: [identityVerification], keyring, publicBaseUrl, channel, logger })],
 * });
 */
export function hookwaitPlugin(options: HookwaitPluginOptions): SimplePlugin {
  return new SimplePlugin({ name: 'hookwait', activities: createHookwaitActivities(options) });
}
