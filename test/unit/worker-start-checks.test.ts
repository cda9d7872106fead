import { missingRunSearchAttributes } from '../../src/workflows/search-attributes';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { createHookwaitActivities } from '../../src/activities/create-activities';
import { procedureExportProblems, ProcedureExportError } from '../../src/checks/procedure-exports';
import { DuplicateTemporalSdkError, findDuplicateSdkCopies, resolvePackage } from '../../src/checks/sdk-copies';
import { checkWorkerStart } from '../../src/checks/worker-start';
import { createLogger } from '../../src/logging/logger';
import { hookwaitPlugin } from '../../src/plugin';
import { generateKeyringSpec, parseKeyring } from '../../src/security/callback-token';
import { procedureDefinitionOf } from '../../src/workflows/procedure-runtime';
import { approvalProcedure, testProcedures } from '../fixtures/procedures';
import * as fixtureWorkflows from '../fixtures/workflows';

const keyring = parseKeyring(generateKeyringSpec('u1'));
const recordingLogger = (): { lines: Record<string, unknown>[]; logger: ReturnType<typeof createLogger> } => {
  const lines: Record<string, unknown>[] = [];
  return { lines, logger: createLogger({ level: 'debug', write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) }) };
};

describe('the plugin without a conversation channel', () => {
  test('logs every message and assignment as a warning that it was not delivered, once per idempotency key', async () => {
    const { lines, logger } = recordingLogger();
    const activities = createHookwaitActivities({ keyring, publicBaseUrl: 'http://localhost:3000', logger });
    await activities.hookwaitSendMessage({ conversationId: 'c1', text: 'hello', idempotencyKey: 'k1' });
    await activities.hookwaitSendMessage({ conversationId: 'c1', text: 'hello', idempotencyKey: 'k1' });
    await activities.hookwaitAssign({ conversationId: 'c1', assignee: { team: 'ops' }, idempotencyKey: 'k2' });
    expect(lines).toEqual([
      expect.objectContaining({ level: 'warn', msg: expect.stringMatching(/^message to customer NOT delivered: no conversation channel is configured/), conversationId: 'c1', text: 'hello' }),
      expect.objectContaining({ level: 'warn', msg: expect.stringMatching(/^conversation assignment NOT delivered/), assignee: 'team ops' }),
    ]);
  });

  test('needs only the keyring and the public base URL (procedures, channel and logger are optional)', () => {
    const plugin = hookwaitPlugin({ keyring, publicBaseUrl: 'http://localhost:3000' });
    expect(plugin.name).toBe('hookwait');
  });
});

describe('procedure exports, checked when the worker starts', () => {
  test('procedure() marks its workflow function with the definition', () => {
    expect(procedureDefinitionOf(fixtureWorkflows.approval)).toBe(approvalProcedure);
    expect(procedureDefinitionOf(fixtureWorkflows.verifyCustomer)).toBeUndefined();
    expect(procedureDefinitionOf('approval')).toBeUndefined();
  });

  test('a module whose procedures are exported under their names, and registered, passes', () => {
    expect(procedureExportProblems(fixtureWorkflows, testProcedures)).toEqual([]);
  });

  test('Worker.create refuses a procedure exported under another name, naming both', async () => {
    const workflowsPath = require.resolve('../fixtures/misnamed-workflows');
    const err = await Worker.create({
      taskQueue: 'never-polled',
      workflowsPath,
      plugins: [hookwaitPlugin({ procedures: testProcedures, keyring, publicBaseUrl: 'http://localhost:3000', logger: createLogger({ write: () => undefined }) })],
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProcedureExportError);
    expect((err as Error).message).toContain(workflowsPath);
    expect((err as Error).message).toContain("export 'approvalFlow' is procedure 'approval': export it as 'approval'");
    expect((err as ProcedureExportError).problems).toEqual([expect.objectContaining({ exportName: 'approvalFlow', procedure: 'approval', kind: 'name-mismatch' })]);
  });

  test('Worker.create refuses a procedure with connectors that the plugin does not know', async () => {
    const err = await Worker.create({
      taskQueue: 'never-polled',
      workflowsPath: require.resolve('../fixtures/workflows'),
      plugins: [hookwaitPlugin({ keyring, publicBaseUrl: 'http://localhost:3000', logger: createLogger({ write: () => undefined }) })],
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProcedureExportError);
    expect((err as ProcedureExportError).problems).toEqual([expect.objectContaining({ procedure: 'connectorCall', kind: 'not-registered' })]);
  });
});

describe('one copy of the Temporal SDK', () => {
  let root: string;
  const pkg = (dir: string, name: string, version: string): void => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version, main: 'index.js' }));
    writeFileSync(join(dir, 'index.js'), '');
  };
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'hookwait-sdk-copies-'));
    // The app has 1.24.0; hookwait, installed under it, brought its own 1.23.1 of @temporalio/workflow only.
    pkg(join(root, 'app/node_modules/@temporalio/workflow'), '@temporalio/workflow', '1.24.0');
    pkg(join(root, 'app/node_modules/@temporalio/worker'), '@temporalio/worker', '1.24.0');
    pkg(join(root, 'app/node_modules/hookwait/node_modules/@temporalio/workflow'), '@temporalio/workflow', '1.23.1');
    mkdirSync(join(root, 'app/node_modules/hookwait/lib/src/checks'), { recursive: true });
    mkdirSync(join(root, 'app/src/workflows'), { recursive: true });
    writeFileSync(join(root, 'app/src/workflows/index.js'), 'exports.hello = async () => "hi";');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  test('finds the duplicate, with both paths and versions; a package both resolve to one copy is fine', () => {
    const hookwaitDir = join(root, 'app/node_modules/hookwait/lib/src/checks');
    const duplicates = findDuplicateSdkCopies(hookwaitDir, join(root, 'app/src/workflows'));
    expect(duplicates).toEqual([
      {
        name: '@temporalio/workflow',
        hookwait: { path: expect.stringContaining(join('hookwait', 'node_modules', '@temporalio', 'workflow')), version: '1.23.1' },
        app: { path: expect.stringMatching(/app[\\/]node_modules[\\/]@temporalio[\\/]workflow$/), version: '1.24.0' },
      },
    ]);
    expect(resolvePackage('@temporalio/activity', hookwaitDir)).toBeUndefined();
  });

  test('with a workflowsPath the worker does not start: the error names both copies and what to do', () => {
    const { logger } = recordingLogger();
    const hookwaitDir = join(root, 'app/node_modules/hookwait/lib/src/checks');
    let err: unknown;
    try {
      checkWorkerStart({ workflowsPath: join(root, 'app/src/workflows/index.js') }, { procedures: [], logger, hookwaitDir });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DuplicateTemporalSdkError);
    const message = (err as Error).message;
    expect(message).toContain('two copies of the Temporal SDK');
    expect(message).toContain('#cancelRequested');
    expect(message).toMatch(/@temporalio\/workflow: hookwait loads 1\.23\.1 from \S+hookwait[\\/]node_modules[\\/]@temporalio[\\/]workflow/);
    expect(message).toMatch(/the app loads 1\.24\.0 from \S+app[\\/]node_modules[\\/]@temporalio[\\/]workflow/);
    expect(message).toContain('npm ls @temporalio/workflow');
  });

  test('with a prebuilt bundle it only warns (the bundle was made elsewhere)', () => {
    const { lines, logger } = recordingLogger();
    const hookwaitDir = join(root, 'app/node_modules/hookwait/lib/src/checks');
    checkWorkerStart({ workflowBundle: { code: '' } }, { procedures: [], logger, hookwaitDir, cwd: join(root, 'app') });
    expect(lines).toEqual([expect.objectContaining({ level: 'warn', msg: expect.stringContaining('two copies of the Temporal SDK') })]);
  });

  test("this repository's own install has one copy", () => {
    expect(findDuplicateSdkCopies(join(__dirname, '../../src/checks'), process.cwd())).toEqual([]);
  });
});

describe("the worker's search-attribute check (review finding 5)", () => {
  test('checks only the attributes a run upserts: a namespace lacking only HookwaitTrigger lacks none of them', () => {
    expect(missingRunSearchAttributes({ HookwaitProcedure: 1, HookwaitStatus: 1, HookwaitWaitingFor: 1, HookwaitDeadline: 5 })).toEqual([]);
    expect(missingRunSearchAttributes({ HookwaitProcedure: 1, HookwaitTrigger: 1 })).toEqual(['HookwaitStatus', 'HookwaitWaitingFor', 'HookwaitDeadline']);
    expect(missingRunSearchAttributes(undefined)).toHaveLength(4);
  });
});
