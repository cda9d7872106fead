import { parseArgs } from 'node:util';
import { forTerminal as t, jsonForTerminal } from '../../core/escape';
import { type CliContext, EXIT, hookwaitClient, UsageError, viaClient } from '../cli-support';

/** `show <workflowId> [--json]`: status, waits, captured attributes and the callback ledger. */
export async function showCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' } } });
  const workflowId = positionals[0];
  if (!workflowId) throw new UsageError('show: name the workflow id');
  const hookwait = await hookwaitClient(ctx);
  const summary = await viaClient('show', () => hookwait.show(workflowId, { timeoutMs: 5_000 }));
  if (values.json) {
    ctx.io.out(`${jsonForTerminal(summary)}\n`);
    return EXIT.ok;
  }
  const out = ctx.io.out;
  // Values come from senders (attributes, User-Agents) and authors (wait keys): escaped for the terminal.
  out(`${t(summary.procedure)} ${t(workflowId)}\n  status       ${t(summary.status)} (Temporal: ${t(summary.temporalStatus)})\n`);
  if (summary.trigger) out(`  trigger      ${t(summary.trigger.name)}${summary.trigger.deliveryId !== undefined ? ` (delivery ${t(summary.trigger.deliveryId)})` : ''}\n`);
  if (summary.stateFrom === 'memo') out('  (no worker answered the state query: wait statuses are from the run\'s memo; attributes and the ledger are not shown)\n');
  if (summary.stateFrom === 'none') out('  (no worker answered the state query: waits and attributes are not shown)\n');
  for (const [name, w] of Object.entries(summary.waits)) {
    const revoked = w.revoked ? ' (URL revoked)' : '';
    out(`  wait ${t(name)}: ${t(w.status.replace('_', ' '))}${w.deadline && w.status === 'waiting' ? ` until ${t(w.deadline)}` : ''}${revoked}\n`);
    for (const [k, v] of Object.entries(w.attributes ?? {})) out(`    ${t(k)} = ${t(v)}\n`);
  }
  if (summary.customerMessages > 0) out(`  customer messages while waiting: ${summary.customerMessages}\n`);
  for (const e of summary.ledger) {
    const who = e.source.operator ? `operator ${e.source.operator}` : `${e.source.kind}${e.source.ip ? ` ${e.source.ip}` : ''}`;
    out(`  callback ${t(e.at)} ${t(e.wait)} ${t(e.outcome)} (${t(who)}${e.source.userAgent ? `, ${t(e.source.userAgent)}` : ''})\n`);
  }
  return EXIT.ok;
}
