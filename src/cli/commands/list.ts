import { parseArgs } from 'node:util';
import { HookwaitDeadline, HookwaitProcedure, HookwaitStatus, HookwaitTrigger, HookwaitWaitingFor } from '../../workflows/search-attributes';
import { forTerminal as t, jsonForTerminal } from '../../core/escape';
import { type CliContext, EXIT, UsageError } from '../cli-support';

const STATUSES = ['running', 'waiting', 'completed', 'escalated', 'failed'];
const QUOTABLE = /^[A-Za-z0-9_.:-]{1,128}$/;

/** `list [--status waiting] [--procedure NAME] [--trigger NAME] [--limit N] [--json]`, through the hookwait search attributes. */
export async function listCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { status: { type: 'string' }, procedure: { type: 'string' }, trigger: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } },
  });
  const clauses = ['HookwaitProcedure IS NOT NULL'];
  if (values.status !== undefined) {
    if (!STATUSES.includes(values.status)) throw new UsageError(`list: --status must be one of ${STATUSES.join(', ')}`);
    clauses.push(`HookwaitStatus = "${values.status}"`);
    // A plain workflow (createCallback) publishes no end of its own, and a terminated run publishes nothing: only a
    // run Temporal still runs can be running or waiting.
    if (values.status === 'running' || values.status === 'waiting') clauses.push('ExecutionStatus = "Running"');
  }
  if (values.procedure !== undefined) {
    if (!QUOTABLE.test(values.procedure)) throw new UsageError('list: --procedure must be a procedure name');
    clauses.push(`HookwaitProcedure = "${values.procedure}"`);
  }
  if (values.trigger !== undefined) {
    if (!QUOTABLE.test(values.trigger)) throw new UsageError('list: --trigger must be a trigger name');
    clauses.push(`HookwaitTrigger = "${values.trigger}"`);
  }
  const limit = values.limit === undefined ? 100 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new UsageError('list: --limit must be a whole number from 1 to 10000');
  const client = await ctx.client();
  const rows: { workflowId: string; runId: string; procedure?: string; trigger?: string; status?: string; waitingFor?: string; deadline?: string; startTime: string; temporalStatus: string }[] = [];
  for await (const w of client.workflow.list({ query: clauses.join(' AND ') })) {
    const deadline = w.typedSearchAttributes.get(HookwaitDeadline);
    const procedure = w.typedSearchAttributes.get(HookwaitProcedure);
    const status = w.typedSearchAttributes.get(HookwaitStatus);
    const trigger = w.typedSearchAttributes.get(HookwaitTrigger);
    const running = w.status.name === 'RUNNING';
    const waitingFor = running ? w.typedSearchAttributes.get(HookwaitWaitingFor) : undefined;
    rows.push({
      temporalStatus: w.status.name,
      workflowId: w.workflowId,
      runId: w.runId,
      startTime: w.startTime.toISOString(),
      ...(procedure !== undefined ? { procedure } : {}),
      ...(trigger !== undefined ? { trigger } : {}),
      // A run that ended without saying so (a plain workflow, a terminated run) is shown as Temporal sees it.
      ...(status !== undefined ? { status: !running && (status === 'running' || status === 'waiting') ? w.status.name.toLowerCase() : status } : {}),
      ...(waitingFor !== undefined ? { waitingFor } : {}),
      ...(deadline !== undefined && running ? { deadline: deadline.toISOString() } : {}),
    });
    if (rows.length >= limit) break;
  }
  if (values.json) {
    ctx.io.out(`${jsonForTerminal(rows)}\n`);
    return EXIT.ok;
  }
  if (rows.length === 0) {
    ctx.io.out('No runs.\n');
    return EXIT.ok;
  }
  for (const r of rows) {
    const waiting = r.waitingFor ? `  waiting for ${t(r.waitingFor)}${r.deadline ? ` until ${t(r.deadline)}` : ''}` : '';
    ctx.io.out(`${t(r.workflowId)}  ${t(r.procedure ?? '?')}  ${t(r.status ?? '?')}${r.trigger ? `  trigger ${t(r.trigger)}` : ''}${waiting}\n`);
  }
  return EXIT.ok;
}
