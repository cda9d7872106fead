import { parseArgs } from 'node:util';
import { type CliContext, EXIT, hookwaitClient, operatorName, UsageError, viaClient } from '../cli-support';

/** `revoke <workflowId> [wait] [--key <key>] [--json]`: that run's callback URLs (or one wait's, or one key's) answer 410 from now on. */
export async function revokeCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { key: { type: 'string' }, json: { type: 'boolean' } } });
  const [workflowId, waitName] = positionals;
  if (!workflowId) throw new UsageError('revoke: name the workflow id (and optionally one wait)');
  if (values.key !== undefined && waitName === undefined) throw new UsageError('revoke: --key names one key of a wait: name the wait too');
  const hookwait = await hookwaitClient(ctx);
  const r = await viaClient('revoke', () =>
    hookwait.revoke(workflowId, {
      operator: operatorName(ctx.env),
      ...(waitName !== undefined ? { wait: waitName } : {}),
      ...(values.key !== undefined ? { key: values.key } : {}),
    }),
  );
  const what = r.revoked === 'all' ? 'every callback URL' : `the callback URL of wait '${r.revoked}'`;
  if (values.json) ctx.io.out(`${JSON.stringify({ workflowId, revoked: r.revoked, applied: r.applied })}\n`);
  else if (r.applied) ctx.io.out(`Revoked ${what} of ${workflowId}: it answers 410 from now on.\n`);
  // Recorded in Temporal already: a callback signalled after it is never applied, whatever the gateway answered.
  else ctx.io.out(`Revoked ${what} of ${workflowId}. No worker has applied it yet; until one does, the gateway may still answer 202, but no callback sent from now on is applied.\n`);
  return EXIT.ok;
}
