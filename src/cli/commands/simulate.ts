import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import { procedureModules } from '../../app/procedure-modules';
import { findTemporalTestServer } from '../../app/temporal-test-server';
import { checkProcedureInput, ProcedureInputError } from '../../client/start-procedure';
import { ConfigError } from '../../config';
import { forTerminal as t, jsonForTerminal } from '../../core/escape';
import type { AnyProcedure } from '../../definitions/procedure';
import type { ConnectorMock, ConnectorSequence, MockCallback, MockCallbacks, SimulateOptions, Simulation, WebhookMock } from '../../testing';
import { procedureDefinitionOf } from '../../workflows/procedure-runtime';
import { type CliContext, EXIT, NotFoundError, UsageError } from '../cli-support';

const OUTCOMES = ['completed', 'escalated', 'failed'] as const;
type Outcome = (typeof OUTCOMES)[number];

/** The fields of a `--callback` value that make it a whole mock callback rather than a body. */
const MOCK_FIELDS = new Set(['body', 'query', 'after', 'headers', 'contentType', 'method', 'key']);

/**
 * The workflow bundle resolves `hookwait` and `hookwait/workflow` to this very copy of hookwait: the one whose
 * definitions and gateway checks the simulation uses. Compiled (an installed package, `npx hookwait` in a clone) that
 * is `lib/src/*.js`, where the package's self-reference leads anyway; run from the TypeScript sources (the tests), the
 * sources, not a `lib/` that may be older.
 */
const EXT = extname(__filename);
const THIS_HOOKWAIT = { hookwait$: resolve(__dirname, `../../index${EXT}`), 'hookwait/workflow$': resolve(__dirname, `../../workflow${EXT}`) };
const bundleThisHookwait: NonNullable<SimulateOptions<unknown>['webpackConfigHook']> = (config) => {
  const alias = config.resolve?.alias;
  if (Array.isArray(alias)) throw new Error('expected the Temporal bundler to configure resolve.alias as an object');
  return { ...config, resolve: { ...config.resolve, alias: { ...alias, ...THIS_HOOKWAIT } } };
};

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The SDK's own logs (worker state changes, the test server's missing capabilities) are not the simulation's output:
 * errors only. Installed once per process, before the first connection; a runtime already installed (an embedding
 * process, the tests) is left as it is.
 */
function quietTemporalRuntime({ DefaultLogger, Runtime }: typeof import('@temporalio/worker')): void {
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } } });
  } catch {
    // already installed
  }
}

/** `<name>=<json>` or `<name>=@file.json`: the name and the parsed JSON (or `'timeout'` where allowed). */
function namedValue(flag: string, given: string, allowTimeout: boolean): { name: string; value: unknown } {
  const eq = given.indexOf('=');
  if (eq <= 0) throw new UsageError(`simulate: ${flag} takes <name>=<json> or <name>=@file.json${allowTimeout ? ' or <name>=timeout' : ''} (got '${t(given)}')`);
  const name = given.slice(0, eq);
  const raw = given.slice(eq + 1);
  if (allowTimeout && raw === 'timeout') return { name, value: 'timeout' };
  let text = raw;
  let from = 'JSON';
  if (raw.startsWith('@')) {
    from = raw.slice(1);
    try {
      text = readFileSync(from, 'utf8');
    } catch (err) {
      throw new UsageError(`simulate: ${flag} ${t(name)}: cannot read ${t(from)}: ${(err as Error).message}`);
    }
  }
  try {
    return { name, value: JSON.parse(text) as unknown };
  } catch (err) {
    throw new UsageError(`simulate: ${flag} ${t(name)}: ${from === 'JSON' ? 'not valid JSON' : `${t(from)} is not valid JSON`}: ${(err as Error).message}`);
  }
}

/**
 * A `--callback` value: `{ body?, query?, after?, headers?, contentType?, method?, key? }` (an object with `body` or
 * `query` and only those fields), else the body itself (an object is sent as JSON, any other JSON value as its JSON
 * text).
 */
function mockCallback(wait: string, value: unknown): MockCallback {
  const where = `simulate: --callback ${t(wait)}`;
  // A body with a field named `query` stays a body: a mock names `body`, or `query` with its `method`.
  if (!(isPlainObject(value) && ('body' in value || ('query' in value && 'method' in value)) && Object.keys(value).every((k) => MOCK_FIELDS.has(k)))) {
    return { body: isPlainObject(value) ? value : JSON.stringify(value) };
  }
  const { body, query, after, headers, contentType, method, key } = value;
  if (query !== undefined && !(isPlainObject(query) && Object.values(query).every((q) => typeof q === 'string'))) {
    throw new UsageError(`${where}: 'query' must be an object of strings`);
  }
  const optionalString = (name: string, v: unknown): void => {
    if (v !== undefined && typeof v !== 'string') throw new UsageError(`${where}: '${name}' must be a string`);
  };
  optionalString('contentType', contentType);
  optionalString('method', method);
  optionalString('key', key);
  if (after !== undefined) {
    try {
      if (typeof after !== 'string' && typeof after !== 'number') throw new Error('not a string or number');
      if (!(msToNumber(after as Duration) >= 0)) throw new Error('negative');
    } catch (err) {
      throw new UsageError(`${where}: 'after' must be a duration such as "3m" or milliseconds (${(err as Error).message})`);
    }
  }
  if (headers !== undefined && !(isPlainObject(headers) && Object.values(headers).every((h) => typeof h === 'string'))) {
    throw new UsageError(`${where}: 'headers' must be an object of strings`);
  }
  return {
    ...(body !== undefined ? { body: isPlainObject(body) || typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    ...(query !== undefined ? { query: query as Record<string, string> } : {}),
    ...(after !== undefined ? { after: after as Duration } : {}),
    ...(headers !== undefined ? { headers: headers as Record<string, string> } : {}),
    ...(contentType !== undefined ? { contentType: contentType as string } : {}),
    ...(method !== undefined ? { method: method as string } : {}),
    ...(key !== undefined ? { key: key as string } : {}),
  };
}

function mockCallbacks(definition: AnyProcedure, given: readonly string[]): MockCallbacks {
  const byWait = new Map<string, MockCallback[] | 'timeout'>();
  for (const flag of given) {
    const { name, value } = namedValue('--callback', flag, true);
    if (!Object.prototype.hasOwnProperty.call(definition.waits, name)) {
      throw new UsageError(`simulate: --callback for unknown wait '${t(name)}' (${definition.name} declares: ${Object.keys(definition.waits).join(', ') || 'none'})`);
    }
    const before = byWait.get(name);
    if (value === 'timeout' || before === 'timeout') {
      if (before !== undefined) throw new UsageError(`simulate: --callback ${t(name)}=timeout cannot be combined with other --callback flags for the same wait`);
      byWait.set(name, value === 'timeout' ? 'timeout' : [mockCallback(name, value)]);
      continue;
    }
    byWait.set(name, [...(before ?? []), mockCallback(name, value)]);
  }
  return Object.fromEntries([...byWait].map(([wait, mocks]) => [wait, mocks === 'timeout' ? 'timeout' : mocks.length === 1 ? (mocks[0] as MockCallback) : mocks]));
}

/** Splits `a,b,c` at commas outside JSON strings, objects and arrays. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/**
 * One `--connector` value: a sequence `a,b,…` of answers, each `error` (a network error, retried), `@file.json` or JSON
 * (a body, or `{ "status": 503, "body": … }`).
 */
function connectorAnswers(name: string, raw: string): Exclude<ConnectorMock, ConnectorSequence>[] {
  return splitTopLevel(raw).map((item) => {
    const text = item.trim();
    if (text === '') throw new UsageError(`simulate: --connector ${t(name)}: an empty answer in '${t(raw)}' (answers are separated by commas)`);
    if (text === 'error') return new Error('simulated network error');
    return namedValue('--connector', `${name}=${text}`, false).value as Exclude<ConnectorMock, ConnectorSequence>;
  });
}

/** `--connector <name>=<answers>`, repeatable: all the answers given for a connector, in order, make its sequence. */
function connectorMocks(definition: AnyProcedure, given: readonly string[], testing: typeof import('../../testing')): Record<string, ConnectorMock> {
  const answers = new Map<string, Exclude<ConnectorMock, ConnectorSequence>[]>();
  for (const flag of given) {
    const eq = flag.indexOf('=');
    if (eq <= 0) throw new UsageError(`simulate: --connector takes <name>=<json>, <name>=@file.json or <name>=<answer>,<answer>,… (got '${t(flag)}')`);
    const name = flag.slice(0, eq);
    if (!Object.prototype.hasOwnProperty.call(definition.connectors, name)) {
      throw new UsageError(`simulate: --connector for unknown connector '${t(name)}' (${definition.name} declares: ${Object.keys(definition.connectors).join(', ') || 'none'})`);
    }
    answers.set(name, [...(answers.get(name) ?? []), ...connectorAnswers(name, flag.slice(eq + 1))]);
  }
  return Object.fromEntries([...answers].map(([name, list]) => [name, list.length === 1 ? (list[0] as ConnectorMock) : testing.connectorSequence(...list)]));
}

function webhookMocks(definition: AnyProcedure, given: readonly string[]): Record<string, WebhookMock> {
  const mocks: Record<string, WebhookMock> = {};
  const declared = definition.webhooks ?? {};
  for (const flag of given) {
    const { name, value } = namedValue('--webhook', flag, false);
    if (!Object.prototype.hasOwnProperty.call(declared, name)) {
      throw new UsageError(`simulate: --webhook for unknown webhook '${t(name)}' (${definition.name} declares: ${Object.keys(declared).join(', ') || 'none'})`);
    }
    if (Object.prototype.hasOwnProperty.call(mocks, name)) throw new UsageError(`simulate: --webhook ${t(name)} given twice`);
    mocks[name] = value as WebhookMock;
  }
  return mocks;
}

/** The procedure's workflow function, from the workflows module (`HOOKWAIT_WORKFLOWS_MODULE`, or the demo's). */
function workflowOf(name: string, env: NodeJS.ProcessEnv): { workflow: (input: never) => Promise<unknown>; workflowsPath: string } {
  const { workflowsModule } = procedureModules(env);
  if (!workflowsModule) {
    throw new ConfigError(['HOOKWAIT_WORKFLOWS_MODULE'], 'simulate: set HOOKWAIT_WORKFLOWS_MODULE to your workflows module (the file the worker bundles)');
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(workflowsModule) as Record<string, unknown>;
  const fn = Object.values(mod).find((v) => procedureDefinitionOf(v)?.name === name);
  if (typeof fn !== 'function') throw new ConfigError(['HOOKWAIT_WORKFLOWS_MODULE'], `simulate: ${workflowsModule} exports no workflow for procedure '${name}'`);
  return { workflow: fn as (input: never) => Promise<unknown>, workflowsPath: workflowsModule };
}

/** What differs from the expectation; empty when it holds. */
function differences(path: readonly string[], expect: Outcome | undefined, expectPath: readonly string[] | undefined): string[] {
  const found: string[] = [];
  const outcome = path[path.length - 1];
  if (expect !== undefined && outcome !== expect) found.push(`expected the run to end ${expect}; it ended ${outcome ?? 'without an outcome'}`);
  if (expectPath !== undefined && (expectPath.length !== path.length || expectPath.some((s, i) => s !== path[i]))) {
    const at = expectPath.findIndex((s, i) => s !== path[i]);
    const i = at === -1 ? Math.min(expectPath.length, path.length) : at;
    found.push(`expected path ${expectPath.join(',')}; got ${path.join(',')} (step ${i + 1}: expected ${expectPath[i] ?? '(the end)'}, got ${path[i] ?? '(the end)'})`);
  }
  return found;
}

/**
 * `simulate <procedure> --input <json> [--callback <wait>=…]… [--connector <name>=…]… [--expect <outcome>]
 * [--expect-path <steps>] [--json]`: runs the procedure on the time-skipping test server (hookwait/testing) and
 * checks the outcome. 0 as expected (no expectation: the run did not fail), 1 not as expected (or a mock callback the
 * gateway refused), 2 bad usage.
 */
export async function simulateCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      input: { type: 'string' },
      callback: { type: 'string', multiple: true },
      connector: { type: 'string', multiple: true },
      webhook: { type: 'string', multiple: true },
      expect: { type: 'string' },
      'expect-path': { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const name = positionals[0];
  if (!name) throw new UsageError('simulate: name the procedure, e.g. `hookwait simulate identityVerification --input \'{…}\' --expect completed`');
  if (positionals.length > 1) throw new UsageError(`simulate: unexpected argument '${t(positionals[1])}'`);
  const expect = values.expect;
  if (expect !== undefined && !(OUTCOMES as readonly string[]).includes(expect)) throw new UsageError(`simulate: --expect must be ${OUTCOMES.join(', ')} (got '${t(expect)}')`);
  const expectPath = values['expect-path']?.split(',').map((s) => s.trim());
  if (expectPath?.some((s) => s === '')) throw new UsageError('simulate: --expect-path takes steps separated by commas, none empty');
  let input: unknown = {};
  if (values.input !== undefined) {
    try {
      input = JSON.parse(values.input);
    } catch (err) {
      throw new UsageError(`simulate: --input is not valid JSON: ${(err as Error).message}`);
    }
  }

  const known = ctx.procedures().find((p) => p.name === name);
  if (!known) throw new NotFoundError(`simulate: unknown procedure '${t(name)}' (known: ${ctx.procedures().map((p) => p.name).join(', ') || 'none'})`);
  const { workflow, workflowsPath } = workflowOf(name, ctx.env);
  const definition = procedureDefinitionOf(workflow) as AnyProcedure;
  try {
    checkProcedureInput(definition, input);
  } catch (err) {
    if (err instanceof ProcedureInputError) throw new UsageError(`simulate: invalid --input: ${err.issues}`);
    throw err;
  }
  const callbacks = mockCallbacks(definition, values.callback ?? []);
  const webhooks = webhookMocks(definition, values.webhook ?? []);

  // @temporalio/testing is an optional peer dependency: loaded only here, so the other commands never need it.
  let testing: typeof import('../../testing');
  try {
    testing = await import('../../testing');
  } catch (err) {
    if ((err as { code?: string }).code === 'MODULE_NOT_FOUND' && /@temporalio\/testing/.test((err as Error).message)) {
      throw new Error('simulate needs @temporalio/testing (an optional peer dependency): npm install -D @temporalio/testing');
    }
    throw err;
  }
  const connectors = connectorMocks(definition, values.connector ?? [], testing);
  quietTemporalRuntime(await import('@temporalio/worker'));
  const testServerPath = await findTemporalTestServer({ env: ctx.env, log: (line) => ctx.io.err(`${line}\n`) });
  const simulator = testing.createSimulator({ testServerPath });
  let run: Simulation<unknown>;
  try {
    run = await simulator.simulate(workflow, { workflowsPath, input: input as never, callbacks, connectors, webhooks, secrets: ctx.env, webpackConfigHook: bundleThisHookwait });
  } catch (err) {
    if (!(err instanceof testing.SimulationError)) throw err;
    // The test data does not hold up (a payload the gateway refuses, a run that never waits for a mocked wait): not as expected.
    if (values.json) {
      const error = { message: err.message, ...(err.reason !== undefined ? { reason: err.reason } : {}), fields: err.fields, ...(err.status !== undefined ? { status: err.status } : {}) };
      ctx.io.out(`${jsonForTerminal({ ok: false, error })}\n`);
    } else ctx.io.err(`hookwait: simulate: ${t(err.message)}\n`);
    return EXIT.failure;
  } finally {
    await simulator.teardown();
  }

  const differed = differences(run.path, expect as Outcome | undefined, expectPath);
  const outcome = run.path[run.path.length - 1];
  const ok = expect === undefined && expectPath === undefined ? outcome !== 'failed' : differed.length === 0;
  if (values.json) {
    const expected = expect !== undefined || expectPath !== undefined ? { ...(expect !== undefined ? { outcome: expect } : {}), ...(expectPath ? { path: expectPath } : {}) } : undefined;
    ctx.io.out(`${jsonForTerminal({ ok, path: run.path, result: run.result, ...(run.failure ? { failure: run.failure } : {}), ...(expected ? { expected } : {}), ...(differed.length > 0 ? { differences: differed } : {}) })}\n`);
    return ok ? EXIT.ok : EXIT.failure;
  }
  const out = ctx.io.out;
  out(`Simulated ${t(name)} (${Math.round(run.clock.elapsedMs / 1000)} s on the workflow's clock)\n`);
  for (const step of run.path) out(`  ${t(step)}\n`);
  if (run.failure) out(`Failure: ${run.failure.type ? `${t(run.failure.type)}: ` : ''}${t(run.failure.message)}\n`);
  else out(`Result: ${jsonForTerminal(run.result)}\n`);
  if (differed.length > 0) {
    out('Not as expected:\n');
    for (const d of differed) out(`  ${t(d)}\n`);
  } else if (expect !== undefined || expectPath !== undefined) out('As expected.\n');
  else if (!ok) out('The run failed.\n');
  return ok ? EXIT.ok : EXIT.failure;
}
