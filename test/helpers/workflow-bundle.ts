import { resolve } from 'node:path';
import type { BundleOptions } from '@temporalio/worker';

// Run by jest from test/ (TypeScript) or compiled to lib/test/ (the histories capture): the sources beside it.
const EXT = __filename.endsWith('.ts') ? '.ts' : '.js';
const SOURCES = {
  hookwait$: resolve(__dirname, `../../src/index${EXT}`),
  'hookwait/workflow$': resolve(__dirname, `../../src/workflow${EXT}`),
};

/**
 * For workflow bundles built by the tests: resolves `hookwait` and `hookwait/workflow` (as the examples import them)
 * to this repository's sources, as jest's moduleNameMapper does in Node. Without it webpack follows the package's
 * self-reference to `lib/`, which may be older than `src/`, and a bundle could hold both.
 */
export const resolveHookwaitToSources: NonNullable<BundleOptions['webpackConfigHook']> = (config) => {
  const alias = config.resolve?.alias;
  if (Array.isArray(alias)) throw new Error('expected the Temporal bundler to configure resolve.alias as an object');
  return { ...config, resolve: { ...config.resolve, alias: { ...alias, ...SOURCES } } };
};
