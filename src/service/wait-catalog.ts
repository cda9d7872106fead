import { DefinitionError } from '../definitions/definition-error';
import { type AnyProcedure, findWait } from '../definitions/procedure';
import type { WaitPoint } from '../definitions/wait-point';

/** One wait the gateway knows, with the scope its sender check is filed under. */
export interface CatalogEntry {
  /** `<procedure>/<wait>` for a procedure's wait, `~/<wait>` for a wait made with `defineWait`. */
  readonly scope: string;
  /** For messages: `procedure.wait` or the wait's name. */
  readonly label: string;
  readonly point: WaitPoint;
}

/** The waits a gateway (or a client) knows: procedures' waits, and waits declared with `defineWait`. */
export interface WaitCatalog {
  /** The wait a token names: the procedure's own wait first, else a `defineWait` wait of that name. */
  find(workflowType: string, wait: string): CatalogEntry | undefined;
  entries(): readonly CatalogEntry[];
  procedure(name: string): AnyProcedure | undefined;
}

export function waitCatalog(procedures: readonly AnyProcedure[] = [], waits: readonly WaitPoint[] = []): WaitCatalog {
  const byProcedure = new Map(procedures.map((p) => [p.name, p]));
  const standalone = new Map<string, WaitPoint>();
  for (const w of waits) {
    const other = standalone.get(w.name);
    if (other && other !== w) throw new DefinitionError(`waits.${w.name}`, 'two different waits have this name; wait names must be unique among the waits a gateway serves');
    standalone.set(w.name, w);
  }
  const entries: CatalogEntry[] = [
    ...procedures.flatMap((p) => Object.values(p.waits).map((w) => ({ scope: `${p.name}/${w.name}`, label: `${p.name}.${w.name}`, point: w }))),
    ...[...standalone.values()].map((w) => ({ scope: `~/${w.name}`, label: w.name, point: w })),
  ];
  const byScope = new Map(entries.map((e) => [e.scope, e]));
  return {
    find(workflowType, wait) {
      const p = byProcedure.get(workflowType);
      const own = p ? findWait(p, wait) : undefined;
      if (own) return byScope.get(`${workflowType}/${own.name}`);
      return standalone.has(wait) ? byScope.get(`~/${wait}`) : undefined;
    },
    entries: () => entries,
    procedure: (name) => byProcedure.get(name),
  };
}
