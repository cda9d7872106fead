import { parseArgs } from 'node:util';
import { callbackUrlsOf, checkProcedureInput, ProcedureInputError, startProcedure } from '../../client/start-procedure';
import { type CliContext, EXIT, NotFoundError, UsageError } from '../cli-support';

/** `start <procedure> --input <json> [--id <workflowId>] [--json]` */
export async function startCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { input: { type: 'string' }, id: { type: 'string' }, json: { type: 'boolean' } } });
  const name = positionals[0];
  if (!name) throw new UsageError('start: name the procedure, e.g. `hookwait start identityVerification --input \'{…}\'`');
  const procedures = ctx.procedures();
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
  try {
    checkProcedureInput(procedure, raw);
  } catch (err) {
    if (err instanceof ProcedureInputError) throw new UsageError(`start: invalid --input: ${err.issues}`);
    throw err;
  }
  const client = await ctx.client();
  const handle = await startProcedure(client, procedure, raw, {
    taskQueue: ctx.config.temporal.taskQueue,
    ...(values.id !== undefined ? { workflowId: values.id } : {}),
    summary: 'started from the CLI',
    searchAttributes: ctx.config.searchAttributes,
  });
  const workflowId = handle.workflowId;
  // The URLs are minted by the run itself; a worker answers within moments.
  const urls = (await callbackUrlsOf(handle, 10_000)) ?? {};
  if (values.json) {
    ctx.io.out(`${JSON.stringify({ workflowId, runId: handle.firstExecutionRunId, callbackUrls: urls })}\n`);
    return EXIT.ok;
  }
  ctx.io.out(`Started ${procedure.name}\n  workflow id  ${workflowId}\n  run id       ${handle.firstExecutionRunId}\n`);
  if (Object.keys(urls).length === 0) ctx.io.out('  callback URLs: not yet available (is a worker running on the task queue?)\n');
  for (const [wait, url] of Object.entries(urls)) ctx.io.out(`  callback URL (${wait})\n    ${url}\n`);
  return EXIT.ok;
}
