import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
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
import { simulateCommand } from './commands/simulate';
import { connectorCommand, statsCommand, webhookCommand } from './commands/outbound';
import { startCommand } from './commands/start';
import { triggerCommand, triggersCommand } from './commands/triggers';

export { EXIT, type CliIo } from './cli-support';

/** Global options, before or after the command name; each overrides its environment variable (and the profile). */
const GLOBAL_OPTIONS: Readonly<Record<string, string>> = {
  '--address': 'TEMPORAL_ADDRESS',
  '--namespace': 'TEMPORAL_NAMESPACE',
  '--api-key': 'TEMPORAL_API_KEY',
  '--profile': 'TEMPORAL_PROFILE',
  '--config-file': 'TEMPORAL_CONFIG_FILE',
};

const GLOBAL_HELP = `Global options (before or after the command; they override the environment and the profile):
  --address <host:port>   Temporal frontend (TEMPORAL_ADDRESS)
  --namespace <name>      Temporal namespace (TEMPORAL_NAMESPACE)
  --api-key <key>         Temporal Cloud API key, turns TLS on (TEMPORAL_API_KEY)
  --profile <name>        profile of the Temporal config file (TEMPORAL_PROFILE)
  --config-file <path>    the Temporal config file, temporal.toml (TEMPORAL_CONFIG_FILE)
  -h, --help              show help (of a command: hookwait <command> --help)
  --version               print hookwait's version
`;

const USAGE = `Usage: hookwait [global options] <command> [options]

Commands:
  start <procedure> --input <json> [--id <workflowId>] [--json]
        Start a run; prints its workflow id, run id and callback URLs.
  list [--status waiting] [--procedure NAME] [--trigger NAME] [--limit N] [--json]
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
  simulate <procedure> --input <json> [--callback <wait>=…]... [--connector <name>=…]... [--webhook <name>=…]... [--expect <outcome>]
           [--expect-path <steps>] [--json]
        Run a procedure on the time-skipping test server with mock callbacks and connectors; check the outcome.
  webhook test <procedure> <name> --input <json> [--vars <json>] [--dry-run] [--json]
  connector test <procedure> <name> --input <json> [--vars <json>] [--dry-run] [--json]
        Render a webhook's or connector's request with sample data, send it once, print what came back.
  stats [--procedure NAME] [--since 24h] [--json]
        Sent / Failed per webhook and connector, from the history of runs started since then.
  triggers [--json]
        The webhook triggers: each one's full URL, methods, sender auth, procedure and response.
  trigger test <name> --data <json> [--header k=v]... [--query k=v]... [--method M] [--json]
        Send a sample request through a trigger's checks (no sender: auth is not checked); prints the answer and the run.

${GLOBAL_HELP}
Exit codes: 0 done, 1 runtime failure, 2 bad usage or input, 3 unknown workflow/procedure/wait, 4 wait no longer open
(webhook/connector test: the target did not answer 2xx, or was not reached).
The connection comes from the environment and temporal.toml profiles as for the \`temporal\` CLI (TEMPORAL_ADDRESS,
TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS*, TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE), the task queue from
TEMPORAL_TASK_QUEUE; see the README.
`;

/** Each command's `--help`. */
const COMMAND_HELP: Readonly<Record<string, string>> = {
  start: `Usage: hookwait start <procedure> --input <json> [--id <workflowId>] [--json]

Checks the input against the procedure's schema, starts a run (on TEMPORAL_TASK_QUEUE, with a static summary) and
prints its workflow id, run id and callback URLs (once a worker has minted them).

Options:
  --input <json>      the run's input (default {})
  --id <workflowId>   the workflow id (default <procedure>-<uuid>)
  --json              print JSON
`,
  list: `Usage: hookwait list [--status <status>] [--procedure <name>] [--trigger <name>] [--limit <n>] [--json]

Lists runs through the hookwait search attributes, with what each waits for and until when.

Options:
  --status <status>   running, waiting, completed, escalated or failed
  --procedure <name>  only runs of this procedure
  --trigger <name>    only runs this webhook trigger started
  --limit <n>         at most this many runs, 1 to 10000 (default 100)
  --json              print JSON
`,
  show: `Usage: hookwait show <workflowId> [--json]

Shows a run's status, its waits (with deadlines), the captured attributes and the callback ledger.

Options:
  --json              print JSON
`,
  complete: `Usage: hookwait complete <workflowId> <wait> --data <json> [--key <key>] [--json]

Completes a wait as an operator. The data is checked like a callback (declared attributes, their types); the ledger
records the operator (HOOKWAIT_OPERATOR, else USER).

Options:
  --data <json>       the wait's attributes
  --key <key>         the key, for a keyed wait
  --json              print JSON
`,
  expire: `Usage: hookwait expire <workflowId> <wait> [--key <key>] [--json]

Takes the wait's timeout path now (escalate or branch, as declared); recorded on the ledger.

Options:
  --key <key>         the key, for a keyed wait
  --json              print JSON
`,
  revoke: `Usage: hookwait revoke <workflowId> [wait] [--key <key>] [--json]

Makes the run's callback URLs (or one wait's, or one key's) answer 410 from now on; recorded on the ledger.

Options:
  --key <key>         one key of a keyed wait (name the wait too)
  --json              print JSON
`,
  simulate: `Usage: hookwait simulate <procedure> --input <json> [--callback <wait>=<mock>]... [--connector <name>=<mock>]... [--webhook <name>=<mock>]...
         [--expect completed|escalated|failed] [--expect-path <step>,<step>,...] [--json]

Runs the procedure end to end on Temporal's time-skipping test server (hookwait/testing): its real workflow code from
the workflows module (HOOKWAIT_WORKFLOWS_MODULE; in a clone, the demo), mocked connectors and channel, and mock
callbacks checked by the gateway's own rules. A timeout takes no wall time. Needs @temporalio/testing and the test
server (TEMPORAL_TEST_SERVER_PATH, else the cached copy, else fetched with pip). Sender-auth secrets are read from the
environment, as the gateway reads them.

Options:
  --input <json>                 the run's input (default {}), checked against the procedure's schema
  --callback <wait>=<json>       a mock callback for the wait: its body, or { "body": …, "after": "3m", "headers": {…},
  --callback <wait>=@file.json     "contentType": "…", "key": "…", "method": "GET", "query": { "code": "…" } } (an
                                 object with "body", or "query" and "method", and only these fields); repeat for several
                                 callbacks to one wait (in order; keyed waits: each "key")
  --callback <wait>=timeout      send nothing: the wait times out
  --connector <name>=<json>      the connector's response body, or { "status": 503, "body": … }
  --connector <name>=@file.json
  --connector <name>=<a>,<b>,…   answers in turn, one per call (each retry and each poll check is a call; the last
                                 repeats); each is JSON, @file.json or error (a network error, retried), e.g.
                                 --connector check=error,error,@ok.json; repeating the flag for a connector appends
  --webhook <name>=<json>        the webhook receiver's answer: a body (200), or { "status": 500, "body": … }
  --webhook <name>=@file.json
  --expect <outcome>             completed, escalated or failed: how the run must end
  --expect-path <steps>          the exact path, steps separated by commas, e.g.
                                 message,connector:startVerification,wait:idVerification,timeout:idVerification,...
                                 (steps: message, connector:<name>, webhook:<name>:sent|failed, assigned:team <t>,
                                 activity:<type>, wait:<id>, callback:<id>:<outcome>, timeout:<id>, poll:<connector>,
                                 poll:<id>:accepted, progress:<id>:<n>, sleep:<duration>, then completed, escalated or
                                 failed)
  --json                         print { ok, path, result, failure?, expected?, differences? }

Exit codes: 0 as expected (without --expect/--expect-path: the run did not fail), 1 not as expected, or a mock
callback the gateway refused (the reason and fields are printed), 2 bad usage (unknown flag, wait or connector, bad
JSON, an unreadable @file, input that does not fit the schema), 3 unknown procedure.
`,
  webhook: `Usage: hookwait webhook test <procedure> <name> --input <json> [--vars <json>] [--attributes <json>] [--dry-run] [--json]

The webhook's "Test" button: renders its request with the sample data, signs it (HOOKWAIT_WEBHOOK_SIGNING_SECRET, or
the webhook's own secret), sends it once through the same SSRF guard (HOOKWAIT_OUTBOUND_ALLOW) and encoder as a
worker, and prints the request (credentials, signature and {{env.*}} values redacted), then the status, headers and
body received (escaped). No retries; nothing is recorded in Temporal. {{env.*}} values come from this environment.

Options:
  --input <json>        the sample input (default {}), checked against the procedure's schema
  --vars <json>         the send's vars (default {})
  --attributes <json>   sample captured attributes by wait, e.g. {"idVerification":{"status":"verified"}}
  --dry-run             print the request only; send nothing
  --json                print { kind, procedure, name, request, sent, response?, error?, ok }

Exit codes: 0 the target answered 2xx (a dry run: the request renders), 2 bad usage (unknown webhook, bad JSON,
input that does not fit), 3 unknown procedure, 4 not 2xx, or not sent (refused by the SSRF guard, network error,
a template value missing).
`,
  connector: `Usage: hookwait connector test <procedure> <name> --input <json> [--vars <json>] [--attributes <json>] [--dry-run] [--json]

A data connector's "Test" button: renders its request with the sample data ({{callbackUrls.*}} are sample URLs, never
live ones), sends it once through the same SSRF guard and encoder as a worker, and prints the request (secrets
redacted), the status, headers and body received (escaped) and the response mapping through the connector's schema.

Options:
  --input <json>        the sample input (default {}), checked against the procedure's schema
  --vars <json>         the call's vars (default {})
  --attributes <json>   sample captured attributes by wait
  --dry-run             print the request only; send nothing
  --json                print { kind, procedure, name, request, sent, response?, mapping?, error?, ok }

Exit codes: 0 the target answered 2xx and the response fits the schema, 2 bad usage, 3 unknown procedure, 4 otherwise.
`,
  stats: `Usage: hookwait stats [--procedure <name>] [--since <duration>] [--max-runs <n>] [--json]

Sent / Failed per webhook and connector, counted from run history: the runs started within --since (visibility),
and in each, every webhook send (sent: a 2xx; failed: its last attempt failed) and connector call (sent: it
completed; failed: it failed after its retries). Works across workers and restarts. Live per-attempt counters
(retries, 429s) are the worker's metrics (hookwait_outbound_total), not this.

Options:
  --procedure <name>    only runs of this procedure (workflow type)
  --since <duration>    runs started this long ago or later, e.g. 30m, 24h, 7d (default 24h)
  --max-runs <n>        read at most this many runs, newest first (default 1000)
  --json                print { rows: [{ kind, procedure, name, sent, failed }], runs, truncated, since }
`,
  triggers: `Usage: hookwait triggers [--json]

Lists the webhook triggers of the procedures module (HOOKWAIT_PROCEDURES_MODULE, its \`triggers\` export): each
one's full URL (HOOKWAIT_PUBLIC_BASE_URL/hooks/<path>), methods, sender auth (type, header, the secret's variable),
procedure, idempotency key and response.

Options:
  --json              print JSON
`,
  trigger: `Usage: hookwait trigger test <name> --data <json> [--header <name>=<value>]... [--query <name>=<value>]...
                             [--method <method>] [--json]

Sends a sample request through the trigger's own checks (method, content type, expected headers, query and body,
input mapping, idempotency key) as the gateway would, without a sender: sender auth is not checked. A request that
passes starts the run (on TEMPORAL_TASK_QUEUE). Prints the answer the sender would get and the run started.

Options:
  --data <json>            the body (sent as application/json unless --header content-type=… says otherwise)
  --header <name>=<value>  a request header (repeat the flag for several)
  --query <name>=<value>   a query parameter (repeat the flag for several)
  --method <method>        default: the trigger's first method
  --json                   print { status, outcome, headers, body, run }

Exit codes: 0 a 2xx answer, 1 Temporal unavailable (5xx), 2 bad usage or a 4xx answer (the sample does not pass the
checks), 3 unknown trigger.
`,
  setup: `Usage: hookwait setup

Registers hookwait's search attributes on the namespace (those missing only), on any cluster.
`,
};

/** hookwait's version, from the package.json above this file (in src/ or in lib/src/ alike). */
function packageVersion(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'hookwait' && typeof pkg.version === 'string') return pkg.version;
    }
    if (dirname(dir) === dir) return 'unknown';
  }
}

interface ParsedArgv {
  /** The command and its own arguments, global options removed. */
  readonly args: string[];
  /** Environment variables set by global options. */
  readonly overrides: Readonly<Record<string, string>>;
  readonly help: boolean;
  readonly version: boolean;
}

/** Takes the global options out of argv, wherever they are (up to a `--`). */
function parseGlobalOptions(argv: readonly string[]): ParsedArgv {
  const args: string[] = [];
  const overrides: Record<string, string> = {};
  let help = false;
  let version = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      args.push(...argv.slice(i));
      break;
    }
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (arg === '--version') {
      version = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const variable = Object.prototype.hasOwnProperty.call(GLOBAL_OPTIONS, flag) ? GLOBAL_OPTIONS[flag] : undefined;
    if (!variable) {
      args.push(arg);
      continue;
    }
    let value: string | undefined;
    if (eq > 0) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      if (value === undefined || value.startsWith('-')) throw new UsageError(`${flag} needs a value (${flag} <${flag.slice(2)}>)`);
      i++;
    }
    if (value === '') throw new UsageError(`${flag} must not be empty`);
    overrides[variable] = value;
  }
  return { args, overrides, help, version };
}

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
  simulate: simulateCommand,
  webhook: webhookCommand,
  connector: connectorCommand,
  stats: statsCommand,
  triggers: triggersCommand,
  trigger: triggerCommand,
};

/**
 * Runs one CLI command; returns the exit code. Global options (`--address`, `--namespace`, `--api-key`,
 * `--profile`, `--config-file`) may come before or after the command and override the environment.
 */
export async function runCli(argv: string[], givenEnv: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  let parsed: ParsedArgv;
  try {
    parsed = parseGlobalOptions(argv);
  } catch (err) {
    io.err(`hookwait: ${(err as Error).message}\n`);
    return EXIT.usage;
  }
  if (parsed.version) {
    io.out(`hookwait ${packageVersion()}\n`);
    return EXIT.ok;
  }
  let [command, ...rest] = parsed.args;
  if (command === 'help') {
    [command, ...rest] = rest;
    if (!command) {
      io.out(USAGE);
      return EXIT.ok;
    }
    parsed = { ...parsed, help: true };
  }
  if (!command) {
    io.out(USAGE);
    return parsed.help ? EXIT.ok : EXIT.usage;
  }
  const help = Object.prototype.hasOwnProperty.call(COMMAND_HELP, command) ? COMMAND_HELP[command] : undefined;
  if (parsed.help && help) {
    io.out(`${help}\n${GLOBAL_HELP}`);
    return EXIT.ok;
  }
  const env: NodeJS.ProcessEnv = { ...givenEnv, ...parsed.overrides };
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
    let message = `hookwait: ${(err as Error).message}\n`;
    // A setting given as a global option is named as the user wrote it.
    if (err instanceof ConfigError) {
      for (const [flag, variable] of Object.entries(GLOBAL_OPTIONS)) if (parsed.overrides[variable] !== undefined) message = message.split(`${variable}:`).join(`${flag}:`);
    }
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
