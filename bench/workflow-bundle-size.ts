/**
 * Workflow bundle size: what `hookwait/workflow` adds to a worker's workflow bundle. Bundles (with the worker's own
 * bundler, bundleWorkflowCode) an empty workflow module, a plain workflow that uses only createCallback, and the
 * identity-verification example, each importing the package as an app does (here: the compiled lib/ through the
 * package's self-reference). Prints each bundle's size, without its inline source map too, and what it holds by package.
 *
 * Run by hand: `npm run bench:bundle-size` (builds first).
 */
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

const MODULES: Record<string, string> = {
  'empty workflow module': join(__dirname, 'bundle-size/empty-workflows.js'),
  'createCallback only': join(__dirname, 'bundle-size/callback-workflows.js'),
  'identity-verification example': resolve(__dirname, '../examples/identity-verification/workflows.js'),
};
const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
const kib = (n: number): string => `${(n / 1024).toFixed(0)} KiB`;

/** The package a bundled module comes from: `zod`, `@temporalio/workflow`, `hookwait`, … */
function packageOf(modulePath: string): string {
  const nm = modulePath.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const [a, b] = modulePath.slice(nm + 'node_modules/'.length).split('/');
    return a?.startsWith('@') ? `${a}/${b}` : String(a);
  }
  if (/(^|\/)lib\/src\//.test(modulePath)) return 'hookwait';
  return '(the workflows module and the bundler)';
}

async function main(): Promise<void> {
  console.log(`node ${process.version}, ${cpus().length} cores`);
  for (const [name, workflowsPath] of Object.entries(MODULES)) {
    const started = Date.now();
    const { code } = await bundleWorkflowCode({ workflowsPath, logger: quiet });
    const ms = Date.now() - started;
    const map = code.indexOf('//# sourceMappingURL=data:');
    const withoutMap = map >= 0 ? code.slice(0, map) : code;
    // Development-mode webpack output: one `/***/ "<path>"` entry per module.
    const byPackage = new Map<string, { bytes: number; modules: number }>();
    const parts = withoutMap.split(/\n\/\*\*\*\/ "([^"]+)"\n/);
    for (let i = 1; i < parts.length; i += 2) {
      const pkg = packageOf(String(parts[i]));
      const entry = byPackage.get(pkg) ?? { bytes: 0, modules: 0 };
      entry.bytes += String(parts[i + 1]).length;
      entry.modules += 1;
      byPackage.set(pkg, entry);
    }
    const rows = [...byPackage.entries()].sort((a, b) => b[1].bytes - a[1].bytes).map(([p, e]) => `${p} ${kib(e.bytes)} (${e.modules})`);
    console.log(`${name}: ${kib(code.length)} (${kib(withoutMap.length)} without the inline source map), bundled in ${ms} ms`);
    console.log(`  ${rows.join(', ')}`);
  }
}

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
