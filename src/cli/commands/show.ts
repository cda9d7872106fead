import { parseArgs } from 'node:util';
import { type HookwaitMemo, MEMO_KEY } from '../../workflows/messages';
import { type CliContext, describeRun, EXIT, queryState, UsageError } from '../cli-support';

/** `show <workflowId> [--json]`: status, waits, captured attributes and the callback ledger. */
export async function showCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' } } });
  const workflowId = positionals[0];
  if (!workflowId) throw new UsageError('show: name the workflow id');
  const client = await ctx.client();
  const description = await describeRun(client, workflowId);
  const state = await queryState(client, workflowId, description.runId);
  const memo = description.memo?.[MEMO_KEY] as HookwaitMemo | undefined;
  const summary = {
    workflowId,
    runId: description.runId,
    procedure: description.type,
    temporalStatus: description.status.name,
    status: state?.status ?? memo?.status ?? 'unknown',
    waits: state?.waits ?? {},
    customerMessages: state?.customerMessages.length ?? 0,
    ledger: state?.ledger ?? [],
  };
  if (values.json) {
    ctx.io.out(`${JSON.stringify(summary)}\n`);
    return EXIT.ok;
  }
  const out = ctx.io.out;
  out(`${summary.procedure} ${workflowId}\n  status       ${summary.status} (Temporal: ${summary.temporalStatus})\n`);
  if (!state) out('  (no worker answered the state query: waits and attributes are not shown)\n');
  for (const [name, w] of Object.entries(summary.waits)) {
    out(`  wait ${name}: ${w.status.replace('_', ' ')}${w.deadline && w.status === 'waiting' ? ` until ${w.deadline}` : ''}\n`);
    for (const [k, v] of Object.entries(w.attributes ?? {})) out(`    ${k} = ${String(v)}\n`);
  }
  if (summary.customerMessages > 0) out(`  customer messages while waiting: ${summary.customerMessages}\n`);
  for (const e of summary.ledger) {
    const who = e.source.operator ? `operator ${e.source.operator}` : `${e.source.kind}${e.source.ip ? ` ${e.source.ip}` : ''}`;
    out(`  callback ${e.at} ${e.wait} ${e.outcome} (${who}${e.source.userAgent ? `, ${e.source.userAgent}` : ''})\n`);
  }
  return EXIT.ok;
}
