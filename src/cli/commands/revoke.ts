import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import { type HookwaitMemo, MEMO_KEY, revokeSignal } from '../../workflows/messages';
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
  const handle = client.workflow.getHandle(workflowId, description.runId);
  await handle.signal(revokeSignal, { ...(wait ? { wait } : {}), at: new Date().toISOString(), source: { kind: 'operator', operator: operatorName(ctx.env) } });
  const procedure = ctx.procedures().find((p) => p.name === description.type);
  const names = wait ? [wait] : Object.keys(procedure?.waits ?? (description.memo?.[MEMO_KEY] as HookwaitMemo | undefined)?.waits ?? {});
  const applied = await appliedByRun(client, workflowId, description.runId, names);
  const what = wait ? `the callback URL of wait '${wait}'` : 'every callback URL';
  if (values.json) ctx.io.out(`${JSON.stringify({ workflowId, revoked: wait ?? 'all', applied })}\n`);
  else if (applied) ctx.io.out(`Revoked ${what} of ${workflowId}: it answers 410 from now on.\n`);
  // Recorded in Temporal already: a callback signalled after it is never applied, whatever the gateway answered.
  else ctx.io.out(`Revoked ${what} of ${workflowId}. No worker has applied it yet; until one does, the gateway may still answer 202, but no callback sent from now on is applied.\n`);
  return EXIT.ok;
}

/** Waits (briefly) until the run's memo lists the waits as revoked: from then on the gateway answers 410. */
async function appliedByRun(client: Client, workflowId: string, runId: string, names: string[], timeoutMs = 10_000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const memo = (await client.workflow.getHandle(workflowId, runId).describe()).memo?.[MEMO_KEY] as HookwaitMemo | undefined;
    if (names.every((n) => memo?.revoked?.includes(n))) return true;
    if (Date.now() >= end) return false;
    await new Promise((r) => setTimeout(r, 200));
  }
}
