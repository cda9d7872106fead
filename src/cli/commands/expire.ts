import { parseArgs } from 'node:util';
import { expireSignal } from '../../workflows/messages';
import { type CliContext, describeRun, EXIT, operatorName, requireOpenWait, resolveWait, UsageError } from '../cli-support';

/** `expire <workflowId> <wait>`: take the wait's timeout path now (escalate or branch, as declared). */
export async function expireCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' } } });
  const [workflowId, waitName] = positionals;
  if (!workflowId) throw new UsageError('expire: name the workflow id and the wait');
  const client = await ctx.client();
  const description = await describeRun(client, workflowId);
  const { wait } = resolveWait(ctx, description, waitName);
  requireOpenWait(description, wait.name);
  await client.workflow
    .getHandle(workflowId, description.runId)
    .signal(expireSignal, { wait: wait.name, at: new Date().toISOString(), source: { kind: 'operator', operator: operatorName(ctx.env) } });
  if (values.json) ctx.io.out(`${JSON.stringify({ workflowId, wait: wait.name, status: 'expired', onTimeout: wait.onTimeout })}\n`);
  else ctx.io.out(`Expired wait '${wait.name}' of ${workflowId}: it takes its timeout path (${wait.onTimeout}) now.\n`);
  return EXIT.ok;
}
