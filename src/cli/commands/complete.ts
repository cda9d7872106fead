import { parseArgs } from 'node:util';
import { type CliContext, EXIT, hookwaitClient, operatorName, reportOutcome, UsageError, viaClient } from '../cli-support';

/** `complete <workflowId> <wait> --data <json> [--key <key>] [--json]`: an operator completes a wait; the ledger says so. */
export async function completeCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { data: { type: 'string' }, key: { type: 'string' }, json: { type: 'boolean' } },
  });
  const [workflowId, waitName] = positionals;
  if (!workflowId || !waitName) throw new UsageError('complete: name the workflow id and the wait');
  if (values.data === undefined) throw new UsageError('complete: --data <json> gives the wait\'s attributes');
  let payload: unknown;
  try {
    payload = JSON.parse(values.data);
  } catch (err) {
    throw new UsageError(`complete: --data is not valid JSON: ${(err as Error).message}`);
  }
  const hookwait = await hookwaitClient(ctx);
  const r = await viaClient('complete', () =>
    hookwait.complete(workflowId, waitName, payload, { operator: operatorName(ctx.env), ...(values.key !== undefined ? { key: values.key } : {}) }),
  );
  // The same checks as a callback passed here; the run may still refuse it (a callback that came first wins).
  reportOutcome('complete', r.wait, r.outcome, r.errors);
  if (values.json) {
    const status = r.applied ? r.outcome : 'sent';
    ctx.io.out(`${JSON.stringify({ workflowId, runId: r.runId, wait: r.wait, status, attributes: r.attributes, applied: r.applied })}\n`);
  } else if (r.applied) ctx.io.out(`Completed wait '${r.wait}' of ${workflowId}.\n`);
  else ctx.io.out(`Completed wait '${r.wait}' of ${workflowId}: recorded in Temporal; no worker has applied it yet (it will be when one runs the workflow).\n`);
  return EXIT.ok;
}
