import type { Client } from '@temporalio/client';
import { loadProcedures, procedureModules } from '../app/procedure-modules';
import { ensureSearchAttributes } from '../app/search-attribute-setup';
import { connectClient } from '../app/temporal-connection';
import { ConfigError, type HookwaitConfig, loadConfig } from '../config';
import type { AnyProcedure } from '../definitions/procedure';
import { generateKeyringSpec } from '../security/callback-token';
import { type CliContext, type CliIo, ConflictError, EXIT, NotFoundError, UsageError } from './cli-support';
import { completeCommand } from './commands/complete';
import { expireCommand } from './commands/expire';
import { listCommand } from './commands/list';
import { revokeCommand } from './commands/revoke';
import { showCommand } from './commands/show';
import { startCommand } from './commands/start';

export { EXIT, type CliIo } from './cli-support';

const USAGE = `Usage: hookwait <command> [options]

Commands:
  start <procedure> --input <json> [--id <workflowId>] [--json]
        Start a run; prints its workflow id, run id and callback URLs.
  list [--status waiting] [--procedure NAME] [--limit N] [--json]
        Runs, by the hookwait search attributes.
  show <workflowId> [--json]
        Status, waits, captured attributes and the callback ledger of a run.
  complete <workflowId> <wait> --data <json> [--key <key>] [--json]
        Complete a wait (one key of a keyed wait) as an operator (the data is checked like a callback).
  expire <workflowId> <wait> [--key <key>] [--json]
        Take a wait's timeout path now.
  revoke <workflowId> [wait] [--key <key>] [--json]
        Revoke the run's callback URLs (or one wait's, or one key's): they answer 410 from now on.
  setup
        Register hookwait's search attributes on the namespace.

Exit codes: 0 done, 1 runtime failure, 2 bad usage or input, 3 unknown workflow/procedure/wait, 4 wait no longer open.
Configuration comes from the environment (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TASK_QUEUE, …; see README).
`;

function cliConfig(env: NodeJS.ProcessEnv): HookwaitConfig {
  // Without HOOKWAIT_TOKEN_KEYS the CLI mints nothing (the URLs come from a worker): a throwaway key only satisfies
  // the loader, and hookwaitClient() passes a keyring on only when one is configured.
  return loadConfig({ ...env, HOOKWAIT_TOKEN_KEYS: env.HOOKWAIT_TOKEN_KEYS || generateKeyringSpec('cli') });
}

async function setupCommand(_args: string[], ctx: CliContext): Promise<number> {
  const added = await ensureSearchAttributes(await ctx.client(), ctx.config.temporal.namespace);
  ctx.io.out(added.length ? `Registered: ${added.join(', ')}\n` : 'Search attributes already registered.\n');
  return EXIT.ok;
}

const COMMANDS: Record<string, (args: string[], ctx: CliContext) => Promise<number>> = {
  start: startCommand,
  list: listCommand,
  show: showCommand,
  complete: completeCommand,
  expire: expireCommand,
  revoke: revokeCommand,
  setup: setupCommand,
};

/** Runs one CLI command; returns the exit code. */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    io.out(USAGE);
    return command ? EXIT.ok : EXIT.usage;
  }
  let connected: Client | undefined;
  try {
    const run = Object.prototype.hasOwnProperty.call(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (!run) throw new UsageError(`unknown command '${command}'\n\n${USAGE}`);
    const config = cliConfig(env);
    let procedures: AnyProcedure[] | undefined;
    const ctx: CliContext = {
      config,
      env,
      io,
      client: async () => (connected ??= await connectClient(config.temporal)),
      procedures: () => (procedures ??= loadProcedures(procedureModules(env).proceduresModule)),
    };
    return await run(rest, ctx);
  } catch (err) {
    const message = `hookwait: ${(err as Error).message}\n`;
    if (err instanceof UsageError || err instanceof ConfigError || (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      io.err(message);
      return EXIT.usage;
    }
    if (err instanceof NotFoundError) {
      io.err(message);
      return EXIT.notFound;
    }
    if (err instanceof ConflictError) {
      io.err(message);
      return EXIT.conflict;
    }
    io.err(message);
    return EXIT.failure;
  } finally {
    await connected?.connection.close();
  }
}
