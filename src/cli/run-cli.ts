import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import { loadProcedures, procedureModules } from '../app/procedure-modules';
import { ensureSearchAttributes } from '../app/search-attribute-setup';
import { connectClient } from '../app/temporal-connection';
import { ConfigError, type HookwaitConfig, loadConfig } from '../config';
import type { AnyProcedure } from '../definitions/procedure';
import { formatZodIssues } from '../definitions/zod-issues';
import { generateKeyringSpec } from '../security/callback-token';
import { type ProcedureState, stateQuery } from '../workflows/messages';

/** Exit codes: 0 done, 1 Temporal or another runtime failure, 2 bad usage or input, 3 unknown workflow or wait. */
export const EXIT = { ok: 0, failure: 1, usage: 2, notFound: 3 } as const;

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

const USAGE = `Usage: hookwait <command> [options]

Commands:
  start <procedure> --input <json> [--id <workflowId>] [--json]
        Start a run; prints its workflow id, run id and callback URLs.
  show <workflowId> [--json]
        Status, waits and captured attributes of a run.
  setup
        Register hookwait's search attributes on the namespace.

Configuration comes from the environment (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TASK_QUEUE, …; see README).
`;

class UsageError extends Error {}
class NotFoundError extends Error {}

function cliConfig(env: NodeJS.ProcessEnv): HookwaitConfig {
  // The CLI never mints tokens, so it needs no signing key of its own.
  return loadConfig({ ...env, HOOKWAIT_TOKEN_KEYS: env.HOOKWAIT_TOKEN_KEYS || generateKeyringSpec('cli') });
}

async function queryState(client: Client, workflowId: string, runId?: string, timeoutMs = 5_000): Promise<ProcedureState | undefined> {
  try {
    return await client.connection.withDeadline(Date.now() + timeoutMs, () => client.workflow.getHandle(workflowId, runId).query(stateQuery));
  } catch {
    return undefined;
  }
}

async function start(args: string[], config: HookwaitConfig, client: () => Promise<Client>, io: CliIo, procedures: AnyProcedure[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { input: { type: 'string' }, id: { type: 'string' }, json: { type: 'boolean' } } });
  const name = positionals[0];
  if (!name) throw new UsageError('start: name the procedure, e.g. `hookwait start identityVerification --input \'{…}\'`');
  const procedure = procedures.find((p) => p.name === name);
  if (!procedure) throw new NotFoundError(`start: unknown procedure '${name}' (known: ${procedures.map((p) => p.name).join(', ') || 'none'})`);
  let raw: unknown = {};
  if (values.input !== undefined) {
    try {
      raw = JSON.parse(values.input);
    } catch (err) {
      throw new UsageError(`start: --input is not valid JSON: ${(err as Error).message}`);
    }
  }
  const parsed = procedure.input.safeParse(raw);
  if (!parsed.success) throw new UsageError(`start: invalid --input: ${formatZodIssues(parsed.error, 'input')}`);
  const c = await client();
  const workflowId = values.id ?? `${procedure.name}-${randomUUID()}`;
  const handle = await c.workflow.start(procedure.name, {
    taskQueue: config.temporal.taskQueue,
    workflowId,
    args: [raw],
    staticSummary: `${procedure.title} (started from the CLI)`,
  });
  // The URLs are minted by the run itself; a worker answers within moments.
  let state: ProcedureState | undefined;
  const deadline = Date.now() + 10_000;
  while (!state?.callbackUrls || Object.keys(state.callbackUrls).length === 0) {
    if (Date.now() > deadline) break;
    state = await queryState(c, workflowId, handle.firstExecutionRunId, 2_000);
    if (!state?.callbackUrls || Object.keys(state.callbackUrls).length === 0) await new Promise((r) => setTimeout(r, 200));
  }
  const urls = state?.callbackUrls ?? {};
  if (values.json) {
    io.out(`${JSON.stringify({ workflowId, runId: handle.firstExecutionRunId, callbackUrls: urls })}\n`);
  } else {
    io.out(`Started ${procedure.name}\n  workflow id  ${workflowId}\n  run id       ${handle.firstExecutionRunId}\n`);
    if (Object.keys(urls).length === 0) io.out('  callback URLs: not yet available (is a worker running on the task queue?)\n');
    for (const [wait, url] of Object.entries(urls)) io.out(`  callback URL (${wait})\n    ${url}\n`);
  }
  return EXIT.ok;
}

async function show(args: string[], client: () => Promise<Client>, io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' } } });
  const workflowId = positionals[0];
  if (!workflowId) throw new UsageError('show: name the workflow id');
  const c = await client();
  let description;
  try {
    description = await c.workflow.getHandle(workflowId).describe();
  } catch (err) {
    if ((err as Error).name === 'WorkflowNotFoundError') throw new NotFoundError(`show: no workflow '${workflowId}'`);
    throw err;
  }
  const state = await queryState(c, workflowId, description.runId);
  const summary = {
    workflowId,
    runId: description.runId,
    procedure: description.type,
    temporalStatus: description.status.name,
    status: state?.status ?? (description.memo?.hookwait as { status?: string } | undefined)?.status ?? 'unknown',
    waits: state?.waits ?? {},
    customerMessages: state?.customerMessages.length ?? 0,
    ledger: state?.ledger ?? [],
  };
  if (values.json) {
    io.out(`${JSON.stringify(summary)}\n`);
    return EXIT.ok;
  }
  io.out(`${summary.procedure} ${workflowId}\n  status       ${summary.status} (Temporal: ${summary.temporalStatus})\n`);
  if (!state) io.out('  (no worker answered the state query: waits and attributes are not shown)\n');
  for (const [name, w] of Object.entries(summary.waits)) {
    io.out(`  wait ${name}: ${w.status}${w.deadline && w.status === 'waiting' ? ` until ${w.deadline}` : ''}\n`);
    for (const [k, v] of Object.entries(w.attributes ?? {})) io.out(`    ${k} = ${String(v)}\n`);
  }
  for (const e of summary.ledger) io.out(`  callback ${e.at} ${e.wait} ${e.outcome} (${e.source.kind}${e.source.ip ? ` ${e.source.ip}` : ''})\n`);
  return EXIT.ok;
}

/** Runs one CLI command; returns the exit code. */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    io.out(USAGE);
    return command ? EXIT.ok : EXIT.usage;
  }
  let connected: Client | undefined;
  try {
    const config = cliConfig(env);
    const client = async (): Promise<Client> => (connected ??= await connectClient(config.temporal));
    switch (command) {
      case 'start':
        return await start(rest, config, client, io, loadProcedures(procedureModules(env).proceduresModule));
      case 'show':
        return await show(rest, client, io);
      case 'setup': {
        const added = await ensureSearchAttributes(await client(), config.temporal.namespace);
        io.out(added.length ? `Registered: ${added.join(', ')}\n` : 'Search attributes already registered.\n');
        return EXIT.ok;
      }
      default:
        throw new UsageError(`unknown command '${command}'\n\n${USAGE}`);
    }
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      io.err(`hookwait: ${(err as Error).message}\n`);
      return EXIT.usage;
    }
    if (err instanceof ConfigError) {
      io.err(`hookwait: ${err.message}\n`);
      return EXIT.usage;
    }
    if (err instanceof NotFoundError) {
      io.err(`hookwait: ${err.message}\n`);
      return EXIT.notFound;
    }
    io.err(`hookwait: ${(err as Error).message}\n`);
    return EXIT.failure;
  } finally {
    await connected?.connection.close();
  }
}
