import { parseArgs } from 'node:util';
import { outboundStats } from '../../client/outbound-stats';
import { testSend, TestSendUsageError, type TestSendReport } from '../../client/outbound-test-send';
import { forTerminal as t, jsonForTerminal } from '../../core/escape';
import { durationToMs } from '../../definitions/duration';
import { type CliContext, EXIT, NotFoundError, UsageError } from '../cli-support';

function jsonFlag(command: string, flag: string, text: string | undefined, fallback: unknown): unknown {
  if (text === undefined) return fallback;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new UsageError(`${command}: ${flag} is not valid JSON: ${(err as Error).message}`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function printReport(report: TestSendReport, ctx: CliContext, dryRun: boolean): void {
  const out = ctx.io.out;
  const r = report.request;
  // The request is ours (secrets redacted); the answer is the target's: everything is escaped for the terminal.
  out(`${dryRun ? 'Would send' : 'Request'} (${t(report.kind)} ${t(report.name)} of ${t(report.procedure)}; secrets redacted):\n`);
  out(`  ${t(r.method)} ${t(r.url)}\n`);
  for (const [k, v] of Object.entries(r.headers)) out(`  ${t(k)}: ${t(v)}\n`);
  if (r.body !== undefined) out(`\n  ${t(r.body)}\n`);
  if (report.error) out(`\nNot sent: ${t(report.error)}\n`);
  if (report.response) {
    out(`\nResponse: ${report.response.status}\n`);
    for (const [k, v] of Object.entries(report.response.headers)) out(`  ${t(k)}: ${t(v)}\n`);
    if (report.response.body !== '') out(`\n  ${t(report.response.body)}\n`);
  }
  if (report.mapping) out(report.mapping.ok ? `\nResponse mapping: ${jsonForTerminal(report.mapping.value)}\n` : `\nResponse mapping failed: ${t(report.mapping.error)}\n`);
}

/** `webhook test …` and `connector test …`: render with sample data, send once, print what came back. */
function testCommand(kind: 'webhook' | 'connector') {
  return async (args: string[], ctx: CliContext): Promise<number> => {
    const command = `${kind} test`;
    const [sub, ...rest] = args;
    if (sub !== 'test') throw new UsageError(`${kind}: the only subcommand is 'test' (hookwait ${kind} test <procedure> <name> --input <json>)`);
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { input: { type: 'string' }, vars: { type: 'string' }, attributes: { type: 'string' }, 'dry-run': { type: 'boolean' }, json: { type: 'boolean' } },
    });
    const [procedureName, name, extra] = positionals;
    if (!procedureName || !name || extra !== undefined) throw new UsageError(`${command}: name the procedure and the ${kind}: hookwait ${command} <procedure> <name> --input <json>`);
    const input = jsonFlag(command, '--input', values.input, {});
    const vars = jsonFlag(command, '--vars', values.vars, {});
    const attributes = jsonFlag(command, '--attributes', values.attributes, {});
    if (!isObject(vars)) throw new UsageError(`${command}: --vars must be a JSON object`);
    if (!isObject(attributes) || !Object.values(attributes).every(isObject)) throw new UsageError(`${command}: --attributes must be a JSON object of objects, by wait`);
    const procedure = ctx.procedures().find((p) => p.name === procedureName);
    if (!procedure) throw new NotFoundError(`${command}: unknown procedure '${t(procedureName)}'`);
    let report: TestSendReport;
    try {
      report = await testSend({
        procedure,
        kind,
        name,
        input,
        vars,
        attributes: attributes as Record<string, Record<string, unknown>>,
        env: ctx.env,
        dryRun: values['dry-run'] === true,
        publicBaseUrl: ctx.config.publicBaseUrl,
      });
    } catch (err) {
      if (err instanceof TestSendUsageError) throw new UsageError(`${command}: ${err.message}`);
      throw err;
    }
    if (values.json) ctx.io.out(`${jsonForTerminal(report)}\n`);
    else printReport(report, ctx, values['dry-run'] === true);
    return report.ok ? EXIT.ok : EXIT.conflict;
  };
}

export const webhookCommand = testCommand('webhook');
export const connectorCommand = testCommand('connector');

/** `stats [--procedure P] [--since 24h] [--max-runs N] [--json]`: Sent / Failed per webhook and connector, from run history. */
export async function statsCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseArgs({ args, options: { procedure: { type: 'string' }, since: { type: 'string' }, 'max-runs': { type: 'string' }, json: { type: 'boolean' } } });
  let sinceMs: number;
  try {
    sinceMs = durationToMs(values.since ?? '24h', '--since');
  } catch (err) {
    throw new UsageError(`stats: --since must be a duration such as 30m, 24h or 7d (${(err as Error).message})`);
  }
  if (values.procedure !== undefined && !/^[A-Za-z_$][A-Za-z0-9_$]{0,127}$/.test(values.procedure)) throw new UsageError('stats: --procedure must be a procedure name');
  const maxRuns = values['max-runs'] === undefined ? 1000 : Number(values['max-runs']);
  if (!Number.isInteger(maxRuns) || maxRuns < 1 || maxRuns > 100_000) throw new UsageError('stats: --max-runs must be a whole number from 1 to 100000');
  const stats = await outboundStats(await ctx.client(), {
    ...(values.procedure !== undefined ? { procedure: values.procedure } : {}),
    since: new Date(Date.now() - sinceMs),
    maxRuns,
  });
  if (values.json) {
    ctx.io.out(`${jsonForTerminal(stats)}\n`);
    return EXIT.ok;
  }
  const out = ctx.io.out;
  out(`Outbound sends of runs started since ${stats.since} (${stats.runs} run${stats.runs === 1 ? '' : 's'}${stats.truncated ? `, the newest ${maxRuns} only` : ''}):\n`);
  if (stats.rows.length === 0) {
    out('  none\n');
    return EXIT.ok;
  }
  const rows = [['KIND', 'PROCEDURE', 'NAME', 'SENT', 'FAILED'], ...stats.rows.map((r) => [r.kind, t(r.procedure), t(r.name), String(r.sent), String(r.failed)])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows) out(`  ${row.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()}\n`);
  return EXIT.ok;
}
