/**
 * Start-up check: every `procedure(...)` a workflows module exports is exported under its definition's name (Temporal
 * names the workflow type after the export, and `startProcedure` starts the definition's name), and one with data
 * connectors is registered with the plugin (its activities look the connectors up there). Caught when the worker
 * starts instead of when a run starts.
 */
import type { AnyProcedure } from '../definitions/procedure';
import { procedureDefinitionOf } from '../workflows/procedure-runtime';

/** One mistake in a workflows module's procedure exports. */
export interface ProcedureExportProblem {
  /** The export's name, which Temporal uses as the workflow type. */
  readonly exportName: string;
  /** The definition's name. */
  readonly procedure: string;
  readonly kind: 'name-mismatch' | 'not-registered';
  readonly message: string;
}

/** The mistakes in a workflows module's exports (empty when there are none). */
export function procedureExportProblems(exports: Readonly<Record<string, unknown>>, registered: readonly AnyProcedure[]): ProcedureExportProblem[] {
  const names = new Set(registered.map((p) => p.name));
  const problems: ProcedureExportProblem[] = [];
  for (const [exportName, value] of Object.entries(exports)) {
    const definition = procedureDefinitionOf(value);
    if (!definition) continue;
    if (exportName !== definition.name) {
      problems.push({
        exportName,
        procedure: definition.name,
        kind: 'name-mismatch',
        message:
          `export '${exportName}' is procedure '${definition.name}': export it as '${definition.name}' ` +
          `(the workflow type is the export's name; runs of '${definition.name}' would find no workflow, and runs of '${exportName}' would fail)`,
      });
    }
    if (Object.keys(definition.connectors).length > 0 && !names.has(definition.name)) {
      problems.push({
        exportName,
        procedure: definition.name,
        kind: 'not-registered',
        message: `procedure '${definition.name}' declares data connectors but is not in hookwaitPlugin({ procedures }): its connector calls would fail`,
      });
    }
  }
  return problems;
}

/** Thrown at worker start when the workflows module's procedure exports have mistakes. */
export class ProcedureExportError extends Error {
  override readonly name = 'ProcedureExportError';
  constructor(
    readonly workflowsPath: string,
    readonly problems: readonly ProcedureExportProblem[],
  ) {
    super(`hookwait: the workflows module ${workflowsPath}:\n${problems.map((p) => `  ${p.message}`).join('\n')}`);
  }
}
