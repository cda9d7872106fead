import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { History } from '@temporalio/common/lib/proto-utils';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { historyFromJson } from './histories/history-json';
import { resolveHookwaitToSources } from './helpers/workflow-bundle';
import { HOOKWAIT_PRELOAD_MODULES } from '../src/plugin';

/**
 * Durable runs wait for days: a worker running new code must resume every run parked by the old code. Each file
 * in test/histories/ is the full history of a real run of the code as it was when the file was captured (see
 * test/histories/README.md); every one must replay against the current workflow code without a determinism
 * error or any other failure. No Temporal server is needed.
 */

const HISTORIES = join(__dirname, 'histories');
/**
 * The workflows modules the worker bundles; each history's workflow type must be exported by exactly one. The
 * fixtures module holds the procedures and, re-exported from test/fixtures/plain-workflows.ts, the plain workflows
 * that use `createCallback`.
 */
const MODULES = {
  'examples/identity-verification/workflows': require.resolve('../examples/identity-verification/workflows'),
  'test/fixtures/workflows': require.resolve('./fixtures/workflows'),
  'test/fixtures/async-workflows': require.resolve('./fixtures/async-workflows'),
  'test/fixtures/outbound-procedure-workflow': require.resolve('./fixtures/outbound-procedure-workflow'),
  'test/fixtures/trigger-workflows': require.resolve('./fixtures/trigger-workflows'),
} as const;
type ModuleName = keyof typeof MODULES;
const CHANGED = require.resolve('./histories/changed-workflows');

interface Captured {
  readonly file: string;
  readonly workflowType: string;
  readonly workflowId: string;
  readonly history: History;
}

function load(file: string): Captured {
  const history = historyFromJson(JSON.parse(readFileSync(join(HISTORIES, file), 'utf8')));
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  const workflowType = started?.workflowType?.name;
  if (!workflowType) throw new Error(`${file}: the first event is not a WorkflowExecutionStarted with a workflow type`);
  // The workflow id is part of what the workflow reads (idempotency keys, conversation id): replay under the real one.
  const workflowId = started?.workflowId || `replay-${basename(file, '.json').replace('--', '-')}`;
  return { file, workflowType, workflowId, history };
}

const files = readdirSync(HISTORIES).filter((f) => f.endsWith('.json')).sort();
const captured = files.map(load);
/** The workflow functions each module exports (not its other exports, such as signal definitions). */
const exportsOf = Object.fromEntries(
  Object.entries(MODULES).map(([name, path]) => [
    name,
    Object.entries(require(path) as Record<string, unknown>).flatMap(([k, v]) => (typeof v === 'function' ? [k] : [])),
  ]),
) as Record<ModuleName, string[]>;
function moduleOf(workflowType: string): ModuleName {
  const holders = (Object.keys(MODULES) as ModuleName[]).filter((m) => exportsOf[m].includes(workflowType));
  if (holders.length !== 1) throw new Error(`workflow type '${workflowType}' is exported by ${holders.length === 0 ? 'no' : holders.length} workflows module(s): ${holders.join(', ')}`);
  return holders[0] as ModuleName;
}

const bundles = new Map<string, Promise<WorkflowBundleWithSourceMap>>();
/**
 * Bundled once per module, as a worker with the hookwait plugin would (its modules preloaded, shared across runs). Workflow code that imports a Node module (or anything else the
 * sandbox refuses) fails here, at bundling, with webpack's reasons in the error.
 */
function bundleOf(workflowsPath: string): Promise<WorkflowBundleWithSourceMap> {
  let bundle = bundles.get(workflowsPath);
  if (!bundle) {
    const problems: string[] = [];
    const keep = (message: string, meta?: Record<string, unknown>): void => {
      problems.push(meta ? `${message} ${JSON.stringify(meta)}` : message);
    };
    const logger = { log() {}, trace() {}, debug() {}, info() {}, warn: keep, error: keep };
    bundle = bundleWorkflowCode({ workflowsPath, logger, preloadModules: [...HOOKWAIT_PRELOAD_MODULES], webpackConfigHook: resolveHookwaitToSources }).catch((err: unknown) => {
      throw new Error(`bundling ${workflowsPath} failed: ${String(err)}\n${problems.join('\n')}`);
    });
    bundles.set(workflowsPath, bundle);
  }
  return bundle;
}
const replay = async (workflowsPath: string, c: Captured): Promise<void> =>
  Worker.runReplayHistory({ workflowBundle: await bundleOf(workflowsPath), replayName: basename(c.file, '.json') }, c.history, c.workflowId);

describe('captured histories replay against the current workflow code', () => {
  test('there are histories of every workflow type of every module', () => {
    const types = new Set(captured.map((c) => c.workflowType));
    const procedures = ['identityVerification', 'approval', 'stockCheck', 'connectorCall', 'secured', 'refundLines'];
    const plain = ['verifyCustomer', 'approveLines', 'declareLate', 'escalatePlain'];
    for (const t of [...procedures, ...plain]) expect(types).toContain(t);
    // And every workflow either module exports has at least one: a new workflow needs its histories captured.
    for (const m of Object.keys(MODULES) as ModuleName[]) {
      expect(exportsOf[m].length).toBeGreaterThan(0);
      for (const t of exportsOf[m]) expect(types).toContain(t);
    }
    // Every history names a workflow type that exactly one module exports.
    for (const c of captured) expect(() => moduleOf(c.workflowType)).not.toThrow();
  });

  test.each(captured.map((c) => [c.file, c] as const))('%s', async (_file, c) => {
    await expect(replay(MODULES[moduleOf(c.workflowType)], c)).resolves.toBeUndefined();
  }, 120_000);
});

describe('negative control: a change in command order breaks a parked run', () => {
  test.each(captured.filter((c) => c.workflowType === 'approval').map((c) => [c.file, c] as const))(
    '%s does not replay with an extra activity before the wait',
    async (_file, c) => {
      const err = await replay(CHANGED, c).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(DeterminismViolationError);
      expect(String((err as Error).message)).toMatch(/[Nn]ondeterminism/);
    },
    120_000,
  );
});
