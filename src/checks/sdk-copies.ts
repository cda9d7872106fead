/**
 * Start-up check: hookwait and the app must share one copy of the Temporal SDK. With two copies (an app on another
 * @temporalio version than hookwait's, or hookwait linked from another checkout) the workflow bundle holds two
 * `@temporalio/workflow` modules and every run fails with `Cannot read private member #cancelRequested`.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The SDK packages that must be one copy: the workflow sandbox's, the worker's, and what activities use. */
export const SHARED_SDK_PACKAGES = ['@temporalio/workflow', '@temporalio/worker', '@temporalio/common', '@temporalio/activity'] as const;

/** One installed copy of a package. */
export interface PackageCopy {
  /** The package's directory, symlinks resolved. */
  readonly path: string;
  readonly version: string;
}

/** A package that hookwait and the app resolve to two different copies. */
export interface DuplicatePackage {
  readonly name: string;
  /** The copy hookwait's own code loads. */
  readonly hookwait: PackageCopy;
  /** The copy the app loads (resolved from its workflows module's directory, or its working directory). */
  readonly app: PackageCopy;
}

/** Where `name` resolves from `fromDir`, as Node and the workflow bundler resolve it; undefined when it does not. */
export function resolvePackage(name: string, fromDir: string): PackageCopy | undefined {
  let manifest: string;
  try {
    manifest = require.resolve(`${name}/package.json`, { paths: [fromDir] });
  } catch {
    // A package whose `exports` hide package.json: from its entry point up to its manifest.
    try {
      let dir = dirname(require.resolve(name, { paths: [fromDir] }));
      for (;;) {
        const candidate = join(dir, 'package.json');
        if (nameOf(candidate) === name) {
          manifest = candidate;
          break;
        }
        const parent = dirname(dir);
        if (parent === dir) return undefined;
        dir = parent;
      }
    } catch {
      return undefined;
    }
  }
  const path = realpathSync(dirname(manifest));
  const version = (JSON.parse(readFileSync(join(path, 'package.json'), 'utf8')) as { version?: unknown }).version;
  return { path, version: typeof version === 'string' ? version : 'unknown' };
}

function nameOf(manifest: string): string | undefined {
  try {
    const name = (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name;
    return typeof name === 'string' ? name : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The SDK packages that resolve to different copies from hookwait's directory and from the app's. A package the app
 * cannot resolve at all is not compared (the bundler would fail on it with its own message).
 */
export function findDuplicateSdkCopies(
  hookwaitDir: string,
  appDir: string,
  packages: readonly string[] = SHARED_SDK_PACKAGES,
): DuplicatePackage[] {
  const duplicates: DuplicatePackage[] = [];
  for (const name of packages) {
    const ours = resolvePackage(name, hookwaitDir);
    const theirs = resolvePackage(name, appDir);
    if (ours && theirs && ours.path !== theirs.path) duplicates.push({ name, hookwait: ours, app: theirs });
  }
  return duplicates;
}

/** Thrown at worker start when hookwait and the app load different copies of the Temporal SDK. */
export class DuplicateTemporalSdkError extends Error {
  override readonly name = 'DuplicateTemporalSdkError';
  constructor(readonly duplicates: readonly DuplicatePackage[], appDir: string) {
    super(describeDuplicates(duplicates, appDir));
  }
}

/** A message that names every duplicate, both paths and versions, and what to do. */
export function describeDuplicates(duplicates: readonly DuplicatePackage[], appDir: string): string {
  const lines = duplicates.flatMap((d) => [
    `  ${d.name}: hookwait loads ${d.hookwait.version} from ${d.hookwait.path}`,
    `  ${' '.repeat(d.name.length)}  the app loads ${d.app.version} from ${d.app.path} (resolved from ${appDir})`,
  ]);
  return [
    'hookwait: two copies of the Temporal SDK in this worker; every workflow run would fail (e.g. "Cannot read private member #cancelRequested"):',
    ...lines,
    "Install one copy: the app's @temporalio/* packages at one version that satisfies hookwait's peer dependencies " +
      '(`npm ls @temporalio/workflow` lists the copies; `npm dedupe` may merge them). A linked hookwait (npm link, file:) ' +
      'must not bring its own node_modules/@temporalio.',
  ].join('\n');
}
