import { parseArgs } from 'node:util';
import { extractAttributes } from '../../definitions/attributes';
import { callbackSignal, type CallbackSignalArgs } from '../../workflows/messages';
import { type CliContext, describeRun, EXIT, operatorName, requireOpenWait, resolveWait, UsageError } from '../cli-support';

/** `complete <workflowId> <wait> --data <json>`: an operator completes a wait; the ledger says so. */
export async function completeCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { data: { type: 'string' }, json: { type: 'boolean' } } });
  const [workflowId, waitName] = positionals;
  if (!workflowId) throw new UsageError('complete: name the workflow id and the wait');
  if (values.data === undefined) throw new UsageError('complete: --data <json> gives the wait\'s attributes');
  let payload: unknown;
  try {
    payload = JSON.parse(values.data);
  } catch (err) {
    throw new UsageError(`complete: --data is not valid JSON: ${(err as Error).message}`);
  }
  const client = await ctx.client();
  const description = await describeRun(client, workflowId);
  const { wait } = resolveWait(ctx, description, waitName);
  // The same edge checks as an HTTP callback: declared attributes only, typed.
  const check = extractAttributes(wait.attributes, payload);
  if (!check.ok) throw new UsageError(`complete: --data does not fit wait '${wait.name}': ${check.errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`);
  requireOpenWait(description, wait.name);
  const signal: CallbackSignalArgs = {
    wait: wait.name,
    attributes: check.inputs,
    receivedAt: new Date().toISOString(),
    source: { kind: 'operator', operator: operatorName(ctx.env) },
  };
  await client.workflow.getHandle(workflowId, description.runId).signal(callbackSignal, signal);
  if (values.json) ctx.io.out(`${JSON.stringify({ workflowId, wait: wait.name, status: 'accepted', attributes: check.attributes })}\n`);
  else ctx.io.out(`Completed wait '${wait.name}' of ${workflowId}.\n`);
  return EXIT.ok;
}
