import { parseArgs } from 'node:util';
import { type CliContext, EXIT, hookwaitClient, operatorName, reportOutcome, UsageError, viaClient } from '../cli-support';

/** `expire <workflowId> <wait> [--key <key>] [--json]`: take the wait's timeout path now (escalate or branch, as declared). */
export async function expireCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { key: { type: 'string' }, json: { type: 'boolean' } } });
  const [workflowId, waitName] = positionals;
  if (!workflowId || !waitName) throw new UsageError('expire: name the workflow id and the wait');
  const hookwait = await hookwaitClient(ctx);
  const r = await viaClient('expire', () =>
    hookwait.expire(workflowId, waitName, { operator: operatorName(ctx.env), ...(values.key !== undefined ? { key: values.key } : {}) }),
  );
  reportOutcome('expire', r.wait, r.outcome);
  if (values.json) {
    const status = r.applied ? r.outcome : 'sent';
    ctx.io.out(`${JSON.stringify({ workflowId, runId: r.runId, wait: r.wait, status, onTimeout: r.onTimeout, applied: r.applied })}\n`);
  } else if (r.applied) ctx.io.out(`Expired wait '${r.wait}' of ${workflowId}: it takes its timeout path (${r.onTimeout}) now.\n`);
  else ctx.io.out(`Expired wait '${r.wait}' of ${workflowId}: recorded in Temporal; no worker has applied it yet. It takes its timeout path (${r.onTimeout}) when one runs the workflow.\n`);
  return EXIT.ok;
}
