import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { formatZodIssues } from '../../definitions/zod-issues';
import type { ProcedureState } from '../../workflows/messages';
import { type CliContext, EXIT, NotFoundError, queryState, UsageError } from '../cli-support';

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
  const parsed = procedure.input.safeParse(raw);
  if (!parsed.success) throw new UsageError(`start: invalid --input: ${formatZodIssues(parsed.error, 'input')}`);
  const client = await ctx.client();
  const workflowId = values.id ?? `${procedure.name}-${randomUUID()}`;
  const handle = await client.workflow.start(procedure.name, {
    taskQueue: ctx.config.temporal.taskQueue,
    workflowId,
    args: [raw],
    staticSummary: `${procedure.title} (started from the CLI)`,
  });
  // The URLs are minted by the run itself; a worker answers within moments.
  let state: ProcedureState | undefined;
  const deadline = Date.now() + 10_000;
  const minted = (): boolean => !!state && Object.keys(state.callbackUrls).length > 0;
  while (!minted() && Date.now() < deadline) {
    state = await queryState(client, workflowId, handle.firstExecutionRunId, 2_000);
    if (!minted()) await new Promise((r) => setTimeout(r, 200));
  }
  const urls = state?.callbackUrls ?? {};
  if (values.json) {
    ctx.io.out(`${JSON.stringify({ workflowId, runId: handle.firstExecutionRunId, callbackUrls: urls })}\n`);
    return EXIT.ok;
  }
  ctx.io.out(`Started ${procedure.name}\n  workflow id  ${workflowId}\n  run id       ${handle.firstExecutionRunId}\n`);
  if (Object.keys(urls).length === 0) ctx.io.out('  callback URLs: not yet available (is a worker running on the task queue?)\n');
  for (const [wait, url] of Object.entries(urls)) ctx.io.out(`  callback URL (${wait})\n    ${url}\n`);
  return EXIT.ok;
}
