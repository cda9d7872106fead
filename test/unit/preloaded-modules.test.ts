import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { createContext, runInContext, Script } from 'node:vm';
import { bundleWorkflowCode } from '@temporalio/worker';
import ts from 'typescript';
import { HOOKWAIT_PRELOAD_MODULES, withPreloadedModules } from '../../src/plugin';
import { resolveHookwaitToSources } from '../helpers/workflow-bundle';

/**
 * The modules a worker shares across the runs in its workflow cache (`HOOKWAIT_PRELOAD_MODULES`, which names
 * src/workflows/preloaded.ts). The SDK evaluates them once, before any run exists, and freezes what they export; a
 * module kept per-run state there would leak it from one run into every other run of the worker (and from a run into
 * its replay), so these tests hold every preloaded module to the rules written in src/workflows/preloaded.ts.
 */

const ROOT = resolve(__dirname, '../..');
const ENTRY = join(ROOT, 'src/workflows/preloaded.ts');

/** Every hookwait module the preload brings in: a module added here is shared by all runs, so it is a decision. */
const EXPECTED = [
  'src/core/escape.ts',
  'src/core/run-binding.ts',
  'src/core/run-state.ts',
  'src/core/wait-machine.ts',
  'src/definitions/attributes.ts',
  'src/definitions/connector.ts',
  'src/definitions/definition-error.ts',
  'src/definitions/duration.ts',
  'src/definitions/outbound-env.ts',
  'src/definitions/poll.ts',
  'src/definitions/procedure.ts',
  'src/definitions/sender-auth.ts',
  'src/definitions/template-placeholders.ts',
  'src/definitions/trigger.ts',
  'src/definitions/unsafe-number.ts',
  'src/definitions/wait-point.ts',
  'src/definitions/webhook.ts',
  'src/definitions/zod-issues.ts',
  'src/workflows/preloaded.ts',
  'src/workflows/search-attributes.ts',
];
/** Packages a preloaded module may import (values): zod, and what the SDK already shares itself. */
const ALLOWED_PACKAGES = new Set(['zod', '@temporalio/common', '@temporalio/common/lib/time']);
/** Modules that hold per-run state, or export what the SDK's freeze would break: never shared. */
const NEVER_SHARED = ['src/workflows/runtime.ts', 'src/definitions/index.ts', 'src/definitions/wait-timeout-input.ts', 'src/workflow.ts'];

const source = (file: string): ts.SourceFile => ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);

/** The module specifiers a file imports or re-exports as values (`import type` / `export type` are erased). */
function valueImports(sf: ts.SourceFile): string[] {
  const out: string[] = [];
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st) && !st.importClause?.isTypeOnly) out.push((st.moduleSpecifier as ts.StringLiteral).text);
    if (ts.isExportDeclaration(st) && st.moduleSpecifier && !st.isTypeOnly) out.push((st.moduleSpecifier as ts.StringLiteral).text);
  }
  return out;
}

/** The hookwait modules the preload loads (relative to the repository), and the packages they import. */
function closure(): { modules: string[]; packages: Set<string> } {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of valueImports(source(file))) {
      if (!spec.startsWith('.')) {
        packages.add(spec);
        continue;
      }
      const base = resolve(dirname(file), spec);
      const next = [`${base}.ts`, join(base, 'index.ts')].find((f) => existsSync(f));
      if (!next) throw new Error(`${relative(ROOT, file)}: cannot resolve ${spec}`);
      visit(next);
    }
  };
  visit(ENTRY);
  return { modules: [...seen].map((f) => relative(ROOT, f)).sort(), packages };
}

const MUTATORS = new Set(['add', 'set', 'delete', 'clear', 'push', 'pop', 'shift', 'unshift', 'splice', 'sort', 'reverse', 'fill', 'copyWithin']);

/** Why a module breaks the rules for shared modules (empty when it keeps them). */
function ruleBreaches(file: string): string[] {
  const sf = source(file);
  const problems: string[] = [];
  const where = (n: ts.Node): string => `${relative(ROOT, file)}:${sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1}`;
  const moduleConsts = new Set<string>();
  const statefulRegexes = new Set<string>();
  const exported = new Set<string>();
  for (const st of sf.statements) {
    if (ts.isVariableStatement(st)) {
      if ((st.declarationList.flags & ts.NodeFlags.Const) === 0) problems.push(`${where(st)}: a module-level let/var`);
      const isExported = st.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) === true;
      for (const d of st.declarationList.declarations) {
        if (!ts.isIdentifier(d.name)) continue;
        moduleConsts.add(d.name.text);
        if (isExported) exported.add(d.name.text);
        const init = d.initializer;
        const flags =
          init && ts.isRegularExpressionLiteral(init)
            ? init.text.slice(init.text.lastIndexOf('/') + 1)
            : init && ts.isNewExpression(init) && init.expression.getText(sf) === 'RegExp'
              ? (init.arguments?.[1]?.getText(sf) ?? '')
              : '';
        if (/[gy]/.test(flags)) statefulRegexes.add(d.name.text);
      }
    } else if (ts.isExpressionStatement(st)) {
      // Only the warm-up in preloaded.ts itself (zod's configuration, before the freeze).
      if (relative(ROOT, file) !== 'src/workflows/preloaded.ts') problems.push(`${where(st)}: a statement run at load`);
    } else if (
      !ts.isImportDeclaration(st) &&
      !ts.isExportDeclaration(st) &&
      !ts.isFunctionDeclaration(st) &&
      !ts.isClassDeclaration(st) &&
      !ts.isInterfaceDeclaration(st) &&
      !ts.isTypeAliasDeclaration(st)
    ) {
      problems.push(`${where(st)}: a module-level ${ts.SyntaxKind[st.kind]}`);
    }
  }
  for (const name of statefulRegexes) if (exported.has(name)) problems.push(`${relative(ROOT, file)}: exports ${name}, a regular expression with the g or y flag`);
  const visit = (n: ts.Node): void => {
    // NAME.add(…), NAME.push(…), …: a module-level collection written after load.
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && ts.isIdentifier(n.expression.expression) && moduleConsts.has(n.expression.expression.text)) {
      const method = n.expression.name.text;
      if (MUTATORS.has(method)) problems.push(`${where(n)}: ${n.expression.getText(sf)}() writes a module-level value`);
      if ((method === 'test' || method === 'exec') && statefulRegexes.has(n.expression.expression.text)) problems.push(`${where(n)}: ${n.expression.getText(sf)}() moves a shared regular expression's lastIndex`);
    }
    // NAME.x = …, NAME[x] = …, NAME.x++ …
    if (ts.isBinaryExpression(n) && n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && n.operatorToken.kind <= ts.SyntaxKind.LastAssignment) {
      let target: ts.Expression = n.left;
      while (ts.isPropertyAccessExpression(target) || ts.isElementAccessExpression(target)) target = target.expression;
      if (ts.isIdentifier(target) && moduleConsts.has(target.text) && target !== n.left) problems.push(`${where(n)}: assigns into module-level ${target.text}`);
    }
    if ((ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) && (n.operator === ts.SyntaxKind.PlusPlusToken || n.operator === ts.SyntaxKind.MinusMinusToken)) {
      let target: ts.Expression = n.operand;
      while (ts.isPropertyAccessExpression(target) || ts.isElementAccessExpression(target)) target = target.expression;
      if (ts.isIdentifier(target) && moduleConsts.has(target.text)) problems.push(`${where(n)}: increments module-level ${target.text}`);
    }
    if (ts.isDeleteExpression(n)) {
      let target: ts.Expression = n.expression;
      while (ts.isPropertyAccessExpression(target) || ts.isElementAccessExpression(target)) target = target.expression;
      if (ts.isIdentifier(target) && moduleConsts.has(target.text)) problems.push(`${where(n)}: deletes from module-level ${target.text}`);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return problems;
}

/** Exported values the SDK's deep freeze would break: zod schemas (zod adds members on first use), g/y regexes. */
function frozenHazards(moduleName: string, exports: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const seen = new Set<unknown>();
  const walk = (value: unknown, path: string): void => {
    if (value === null || typeof value !== 'object' || seen.has(value)) return;
    seen.add(value);
    if ('_zod' in value) {
      problems.push(`${moduleName}: ${path} is a zod schema`);
      return;
    }
    if (value instanceof RegExp) {
      if (value.global || value.sticky) problems.push(`${moduleName}: ${path} is a regular expression with the g or y flag`);
      return;
    }
    if (value instanceof Map || value instanceof Set) {
      for (const [k, v] of value.entries()) walk(v, `${path}[${String(k)}]`);
      return;
    }
    for (const key of Object.getOwnPropertyNames(value)) walk((value as Record<string, unknown>)[key], `${path}.${key}`);
  };
  for (const [key, value] of Object.entries(exports)) walk(value, key);
  return problems;
}

describe('modules shared across the runs in a worker\'s workflow cache (HOOKWAIT_PRELOAD_MODULES)', () => {
  test('the plugin preloads src/workflows/preloaded, and a bundler given other preloads keeps them', () => {
    // A path without its extension (the bundler resolves it): importing hookwait never resolves it itself.
    expect(HOOKWAIT_PRELOAD_MODULES.map((m) => relative(ROOT, m))).toEqual(['src/workflows/preloaded']);
    expect(withPreloadedModules({ workflowsPath: 'w', preloadModules: ['mine'] }).preloadModules).toEqual(['mine', ...HOOKWAIT_PRELOAD_MODULES]);
    expect(withPreloadedModules({ workflowsPath: 'w', ignoreModules: [...HOOKWAIT_PRELOAD_MODULES] }).preloadModules).toEqual([]);
  });

  test('they are exactly the listed modules, none of them holding a run (runtime) or importing @temporalio/workflow', () => {
    const { modules, packages } = closure();
    expect(modules).toEqual(EXPECTED);
    for (const never of NEVER_SHARED) expect(modules).not.toContain(never);
    expect([...packages].filter((p) => !ALLOWED_PACKAGES.has(p))).toEqual([]);
  });

  test('each keeps no state: only const at module level, no collection written after load, no shared lastIndex', () => {
    expect(EXPECTED.flatMap((m) => ruleBreaches(join(ROOT, m)))).toEqual([]);
  });

  test('the rules catch what they are for', () => {
    const file = join(ROOT, 'test/fixtures/stateful-module.ts');
    expect(ruleBreaches(file)).toEqual([
      'test/fixtures/stateful-module.ts:4: a module-level let/var',
      'test/fixtures/stateful-module.ts:8: a statement run at load',
      'test/fixtures/stateful-module.ts: exports STATEFUL, a regular expression with the g or y flag',
      'test/fixtures/stateful-module.ts:8: increments module-level runs',
      'test/fixtures/stateful-module.ts:11: SEEN.add() writes a module-level value',
      'test/fixtures/stateful-module.ts:12: STATEFUL.test() moves a shared regular expression\'s lastIndex',
      'test/fixtures/stateful-module.ts:13: assigns into module-level COUNTS',
    ]);
    expect(frozenHazards('fixture', require(file) as Record<string, unknown>)).toEqual([
      'fixture: STATEFUL is a regular expression with the g or y flag',
      'fixture: nested.schema is a zod schema',
    ]);
  });

  test('none exports a value the worker\'s freeze would break (a zod schema, a regular expression with g or y)', () => {
    const problems = EXPECTED.flatMap((m) => frozenHazards(m, require(join(ROOT, m)) as Record<string, unknown>));
    expect(problems).toEqual([]);
  });

  test('in a bundle, the preload shares zod and exactly these modules; the runtime and @temporalio/workflow stay per run', async () => {
    const { code } = await bundleWorkflowCode(
      withPreloadedModules({
        workflowsPath: require.resolve('../fixtures/workflows'),
        logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
        webpackConfigHook: resolveHookwaitToSources,
      }),
    );
    // As the SDK's reusable context does: the module cache the bundle reads, then the preload, before any run.
    const cache: Record<string, unknown> = {};
    const context = createContext({ __webpack_module_cache__: cache });
    new Script(code).runInContext(context);
    const atLoad = new Set(Object.keys(cache));
    runInContext('__TEMPORAL__.preloadModules()', context);
    const preloaded = Object.keys(cache).filter((k) => !atLoad.has(k));
    const ours = preloaded.filter((k) => k.startsWith('./src/')).map((k) => k.slice(2)).sort();
    expect(ours).toEqual(EXPECTED);
    expect(preloaded.filter((k) => k.includes('node_modules/zod/')).length).toBeGreaterThan(10);
    const shared = Object.keys(cache);
    expect(shared.filter((k) => k.endsWith('src/workflows/runtime.ts') || k.endsWith('@temporalio/workflow/lib/index.js'))).toEqual([]);
    // zod's global configuration was completed before the freeze (else every run's first schema throws).
    expect(runInContext('Object.keys(globalThis.__zod_globalConfig).sort()', context)).toEqual(expect.arrayContaining(['localeError', 'memoizer']));
  });
});
