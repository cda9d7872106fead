import { resolve } from 'node:path';
import type { AnyProcedure } from '../definitions/procedure';
import type { WaitPoint } from '../definitions/wait-point';

/** Where the standalone worker and gateway find procedures; defaults to the bundled demo. */
export interface ProcedureModules {
  /**
   * A module exporting `procedures: AnyProcedure[]` (pure definitions), and optionally `waits: WaitDefinition[]`
   * (`defineWait` declarations used with `createCallback` in plain workflows).
   */
  readonly proceduresModule: string;
  /** The workflows module the worker bundles (exports one workflow per procedure, under its name). */
  readonly workflowsModule: string;
}

export function procedureModules(env: NodeJS.ProcessEnv = process.env): ProcedureModules {
  const demo = resolve(__dirname, '../../examples/identity-verification');
  return {
    proceduresModule: env.HOOKWAIT_PROCEDURES_MODULE ? resolve(env.HOOKWAIT_PROCEDURES_MODULE) : resolve(demo, 'procedures'),
    // The bundler needs the file itself (with its extension), not a module id.
    workflowsModule: require.resolve(env.HOOKWAIT_WORKFLOWS_MODULE ? resolve(env.HOOKWAIT_WORKFLOWS_MODULE) : resolve(demo, 'workflows')),
  };
}

export function loadProcedures(modulePath: string): AnyProcedure[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(modulePath) as { procedures?: unknown };
  if (!Array.isArray(mod.procedures)) {
    throw new Error(`HOOKWAIT_PROCEDURES_MODULE: ${modulePath} must export 'procedures', an array of defineProcedure(...) results`);
  }
  return mod.procedures as AnyProcedure[];
}

/** The module's optional `waits` (plain workflows' waits): the CLI checks an operator's data against them. */
export function loadWaits(modulePath: string): WaitPoint[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(modulePath) as { waits?: unknown };
  if (mod.waits === undefined) return [];
  if (!Array.isArray(mod.waits)) throw new Error(`HOOKWAIT_PROCEDURES_MODULE: ${modulePath} exports 'waits', which must be an array of defineWait(...) results`);
  return mod.waits as WaitPoint[];
}
