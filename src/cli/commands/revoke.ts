import { parseArgs } from 'node:util';
import { revokeSignal } from '../../workflows/messages';
import { ConflictError, type CliContext, describeRun, EXIT, operatorName, resolveWait, UsageError } from '../cli-support';

/** `revoke <workflowId> [wait]`: that run's callback URLs (or one wait's) answer 410 from now on. */
export async function revokeCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' } } });
  const [workflowId, waitName] = positionals;
  if (!workflowId) throw new UsageError('revoke: name the workflow id (and optionally one wait)');
  const client = await ctx.client();
  const description = await describeRun(client, workflowId);
  const wait = waitName === undefined ? undefined : resolveWait(ctx, description, waitName).wait.name;
  if (description.status.name !== 'RUNNING') throw new ConflictError(`workflow '${workflowId}' has finished (${description.status.name}): its URLs already answer 410`);
  await client.workflow
    .getHandle(workflowId, description.runId)
    .signal(revokeSignal, { ...(wait ? { wait } : {}), at: new Date().toISOString(), source: { kind: 'operator', operator: operatorName(ctx.env) } });
  if (values.json) ctx.io.out(`${JSON.stringify({ workflowId, revoked: wait ?? 'all' })}\n`);
  else ctx.io.out(`Revoked ${wait ? `the callback URL of wait '${wait}'` : 'every callback URL'} of ${workflowId}: it answers 410 from now on.\n`);
  return EXIT.ok;
}
