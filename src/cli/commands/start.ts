import { parseArgs } from 'node:util';
import { ProcedureInputError } from '../../client/start-procedure';
import { type CliContext, EXIT, hookwaitClient, UsageError, viaClient } from '../cli-support';

/** `start <procedure> --input <json> [--id <workflowId>] [--json]` */
export async function startCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { input: { type: 'string' }, id: { type: 'string' }, json: { type: 'boolean' } } });
  const name = positionals[0];
  if (!name) throw new UsageError('start: name the procedure, e.g. `hookwait start identityVerification --input \'{…}\'`');
  let raw: unknown = {};
  if (values.input !== undefined) {
    try {
      raw = JSON.parse(values.input);
    } catch (err) {
      throw new UsageError(`start: --input is not valid JSON: ${(err as Error).message}`);
    }
  }
  const hookwait = await hookwaitClient(ctx);
  const run = await viaClient('start', async () => {
    try {
      return await hookwait.start(name, raw, {
        ...(values.id !== undefined ? { workflowId: values.id } : {}),
        summary: 'started from the CLI',
        searchAttributes: ctx.config.searchAttributes,
      });
    } catch (err) {
      if (err instanceof ProcedureInputError) throw new UsageError(`start: invalid --input: ${err.issues}`);
      throw err;
    }
  });
  if (values.json) {
    ctx.io.out(`${JSON.stringify({ workflowId: run.workflowId, runId: run.runId, callbackUrls: run.callbackUrls, urlsFrom: run.urlsFrom })}\n`);
    return EXIT.ok;
  }
  ctx.io.out(`Started ${name}\n  workflow id  ${run.workflowId}\n  run id       ${run.runId}\n`);
  if (run.urlsFrom === 'none') {
    ctx.io.out(
      `  callback URLs: not available yet: no worker answered on task queue '${ctx.config.temporal.taskQueue}'. The run is started and waits for one;\n` +
        '    start a worker, or set HOOKWAIT_TOKEN_KEYS (the workers\' keys) so that the CLI mints the URLs itself.\n',
    );
  }
  for (const [wait, url] of Object.entries(run.callbackUrls)) ctx.io.out(`  callback URL (${wait})\n    ${url}\n`);
  return EXIT.ok;
}
