/**
 * The checks the hookwait plugin runs when a worker is created, before anything is bundled or polled: one copy of
 * the Temporal SDK, and procedures exported under their names.
 */
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SimplePlugin } from '@temporalio/plugin';
import type { WorkerOptions } from '@temporalio/worker';
import type { AnyProcedure } from '../definitions/procedure';
import type { Logger } from '../logging/logger';
import { procedureExportProblems, ProcedureExportError } from './procedure-exports';
import { describeDuplicates, DuplicateTemporalSdkError, findDuplicateSdkCopies } from './sdk-copies';

/** What the checks need to know besides the worker's options. */
export interface WorkerStartCheckContext {
  /** The procedures given to the plugin. */
  readonly procedures: readonly AnyProcedure[];
  readonly logger: Logger;
  /** Where hookwait's own code is; default: this package. */
  readonly hookwaitDir?: string;
  /** The app's directory when the worker gets a prebuilt bundle instead of a workflowsPath; default: the working directory. */
  readonly cwd?: string;
}

/**
 * Runs the start checks on a worker's options.
 * - With `workflowsPath`: two SDK copies (hookwait's and the ones resolved from the workflows module's directory,
 *   which is where the bundler resolves them) throw {@link DuplicateTemporalSdkError}; the module is loaded in Node
 *   (as a client that imports a workflow for its type does) and procedure exports under another name, or with
 *   connectors the plugin does not know, throw {@link ProcedureExportError}.
 * - With a prebuilt `workflowBundle`: the bundle was made elsewhere, so SDK copies that differ from the working
 *   directory's are only logged as a warning.
 */
export function checkWorkerStart(options: Pick<WorkerOptions, 'workflowsPath' | 'workflowBundle'>, context: WorkerStartCheckContext): void {
  const hookwaitDir = context.hookwaitDir ?? __dirname;
  const log = context.logger.child({ component: 'plugin' });
  const workflowsPath = options.workflowsPath;
  if (!workflowsPath) {
    const cwd = context.cwd ?? process.cwd();
    const duplicates = findDuplicateSdkCopies(hookwaitDir, cwd);
    if (duplicates.length > 0) log.warn({ cwd }, describeDuplicates(duplicates, cwd));
    return;
  }
  const appDir = isDirectory(workflowsPath) ? workflowsPath : dirname(workflowsPath);
  const duplicates = findDuplicateSdkCopies(hookwaitDir, appDir);
  if (duplicates.length > 0) throw new DuplicateTemporalSdkError(duplicates, appDir);

  let exports: Record<string, unknown>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    exports = require(workflowsPath) as Record<string, unknown>;
  } catch (err) {
    // E.g. an ES module or TypeScript without a loader: the bundler reads it anyway, and procedure() still checks its
    // workflow type when a run starts.
    log.debug({ workflowsPath, error: err }, 'procedure export check skipped: the workflows module does not load in Node');
    return;
  }
  const problems = procedureExportProblems(exports, context.procedures);
  if (problems.length > 0) throw new ProcedureExportError(workflowsPath, problems);
}

function isDirectory(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

/** Makes `plugin` run {@link checkWorkerStart} on every worker it configures, before its own configuration. */
export function withWorkerStartChecks(plugin: SimplePlugin, context: WorkerStartCheckContext): SimplePlugin {
  const configureWorker = plugin.configureWorker.bind(plugin);
  plugin.configureWorker = (options) => {
    checkWorkerStart(options, context);
    return configureWorker(options);
  };
  return plugin;
}
