import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../config';
import type { AnyProcedure } from '../definitions/procedure';
import type { WaitPoint } from '../definitions/wait-point';
import type { Trigger } from '../definitions/trigger';

/** Where the standalone worker, gateway and CLI find an app's procedures and waits. */
export interface ProcedureModules {
  /**
   * A module exporting `procedures` (defineProcedure results) and/or `waits` (defineWait results, used with
   * `createCallback` in plain workflows): pure definitions.
   */
  readonly proceduresModule?: string;
  /** The workflows module the worker bundles (exports one workflow per procedure, under its name). */
  readonly workflowsModule?: string;
}

/** What a procedures module provides. */
export interface LoadedProcedureModule {
  readonly procedures: AnyProcedure[];
  readonly waits: WaitPoint[];
  /** Its optional `triggers` export (defineTrigger results): the gateway serves them at `/hooks/<path>`. */
  readonly triggers: Trigger[];
}

/** The identity-verification demo of a repository checkout: what `npm run dev` serves. Not in the npm package. */
export function demoProcedureModules(): Required<ProcedureModules> {
  const demo = resolve(__dirname, '../../examples/identity-verification');
  return { proceduresModule: resolve(demo, 'procedures'), workflowsModule: require.resolve(resolve(demo, 'workflows')) };
}

function demoAvailable(): boolean {
  const demo = resolve(__dirname, '../../examples/identity-verification');
  return ['procedures.js', 'procedures.ts'].some((f) => existsSync(resolve(demo, f)));
}

/** `HOOKWAIT_PROCEDURES_MODULE` and `HOOKWAIT_WORKFLOWS_MODULE`, resolved against the working directory; unset ones absent. */
export function configuredProcedureModules(env: NodeJS.ProcessEnv = process.env): ProcedureModules {
  return {
    ...(env.HOOKWAIT_PROCEDURES_MODULE ? { proceduresModule: resolve(env.HOOKWAIT_PROCEDURES_MODULE) } : {}),
    // The bundler needs the file itself (with its extension), not a module id.
    ...(env.HOOKWAIT_WORKFLOWS_MODULE ? { workflowsModule: require.resolve(resolve(env.HOOKWAIT_WORKFLOWS_MODULE)) } : {}),
  };
}

/**
 * The modules the CLI reads definitions from: the configured ones; with neither variable set, the demo of a
 * repository checkout (so `npx hookwait start identityVerification` works beside `npm run dev`). In an installed
 * package there is no demo: a {@link ConfigError} says what to set.
 */
export function procedureModules(env: NodeJS.ProcessEnv = process.env): Required<Pick<ProcedureModules, 'proceduresModule'>> & ProcedureModules {
  const configured = configuredProcedureModules(env);
  if (configured.proceduresModule) return { ...configured, proceduresModule: configured.proceduresModule };
  if (!configured.workflowsModule && demoAvailable()) return demoProcedureModules();
  throw noProcedures('cli');
}

/**
 * The standalone worker's modules: `HOOKWAIT_WORKFLOWS_MODULE` is required (and `HOOKWAIT_PROCEDURES_MODULE` gives
 * the procedures whose connectors the worker calls). Never the demo: a worker without procedures fails at start.
 */
export function workerProcedureModules(env: NodeJS.ProcessEnv = process.env): { readonly proceduresModule?: string; readonly workflowsModule: string } {
  const configured = configuredProcedureModules(env);
  if (!configured.workflowsModule) throw noProcedures('worker');
  return { ...configured, workflowsModule: configured.workflowsModule };
}

/** The standalone gateway's module: `HOOKWAIT_PROCEDURES_MODULE` is required. Never the demo. */
export function gatewayProcedureModule(env: NodeJS.ProcessEnv = process.env): string {
  const configured = configuredProcedureModules(env);
  if (!configured.proceduresModule) throw noProcedures('gateway');
  return configured.proceduresModule;
}

const PROCEDURES_MODULE_IS =
  'HOOKWAIT_PROCEDURES_MODULE to the module exporting `procedures` (defineProcedure results) and/or `waits` (defineWait results)';
const DEMO_HINT = 'The bundled identity-verification demo runs with `npm run dev` in a clone of the repository.';

function noProcedures(role: 'cli' | 'worker' | 'gateway'): ConfigError {
  switch (role) {
    case 'worker':
      return new ConfigError(
        ['HOOKWAIT_WORKFLOWS_MODULE'],
        `hookwait worker: no procedures configured. Set HOOKWAIT_WORKFLOWS_MODULE to your workflows module (the file the ` +
          `worker bundles) and ${PROCEDURES_MODULE_IS}, whose connectors the worker calls. ${DEMO_HINT}`,
      );
    case 'gateway':
      return new ConfigError(
        ['HOOKWAIT_PROCEDURES_MODULE'],
        `hookwait gateway: no procedures configured. Set ${PROCEDURES_MODULE_IS}: the gateway checks callbacks against them. ${DEMO_HINT}`,
      );
    case 'cli':
      return new ConfigError(['HOOKWAIT_PROCEDURES_MODULE'], `no procedures configured: set ${PROCEDURES_MODULE_IS}.`);
  }
}

/**
 * Loads a procedures module: its `procedures` and `waits` exports (each optional, at least one of them non-empty).
 * @throws {@link ConfigError} naming HOOKWAIT_PROCEDURES_MODULE when the module provides neither.
 */
export function loadProcedureModule(modulePath: string): LoadedProcedureModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(modulePath) as { procedures?: unknown; waits?: unknown; triggers?: unknown };
  const problems: string[] = [];
  const listOf = <T>(name: 'procedures' | 'waits' | 'triggers', what: string): T[] => {
    const value = mod[name];
    if (value === undefined) return [];
    if (!Array.isArray(value)) {
      problems.push(`'${name}' must be an array of ${what} results`);
      return [];
    }
    return value as T[];
  };
  const procedures = listOf<AnyProcedure>('procedures', 'defineProcedure(...)');
  const waits = listOf<WaitPoint>('waits', 'defineWait(...)');
  const triggers = listOf<Trigger>('triggers', 'defineTrigger(...)');
  if (problems.length === 0 && procedures.length === 0 && waits.length === 0) {
    problems.push("it must export 'procedures' (defineProcedure results) and/or 'waits' (defineWait results)");
  }
  if (problems.length > 0) throw new ConfigError(['HOOKWAIT_PROCEDURES_MODULE'], `HOOKWAIT_PROCEDURES_MODULE: ${modulePath}: ${problems.join('; ')}`);
  return { procedures, waits, triggers };
}

/** The procedures of a procedures module (see {@link loadProcedureModule}). */
export function loadProcedures(modulePath: string): AnyProcedure[] {
  return loadProcedureModule(modulePath).procedures;
}

/** The module's optional `triggers` (defineTrigger results): what `hookwait triggers` lists. */
export function loadTriggers(modulePath: string): Trigger[] {
  return loadProcedureModule(modulePath).triggers;
}

/** The module's optional `waits` (plain workflows' waits): the CLI checks an operator's data against them. */
export function loadWaits(modulePath: string): WaitPoint[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(modulePath) as { waits?: unknown };
  if (mod.waits === undefined) return [];
  if (!Array.isArray(mod.waits)) throw new Error(`HOOKWAIT_PROCEDURES_MODULE: ${modulePath} exports 'waits', which must be an array of defineWait(...) results`);
  return mod.waits as WaitPoint[];
}
