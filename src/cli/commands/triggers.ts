import { parseArgs } from 'node:util';
import { loadTriggers, procedureModules } from '../../app/procedure-modules';
import { forTerminal, jsonForTerminal } from '../../core/escape';
import type { Trigger } from '../../definitions/trigger';
import { createTriggerService, type TriggerAnswer } from '../../service/trigger-service';
import { type CliContext, EXIT, NotFoundError, UsageError } from '../cli-support';

function triggersOf(ctx: CliContext): Trigger[] {
  return loadTriggers(procedureModules(ctx.env).proceduresModule);
}

function authLabel(t: Trigger): string {
  if (!t.auth) return 'none';
  return t.auth.type === 'standardWebhooks' ? `standardWebhooks (${t.auth.secret})` : `${t.auth.type} in ${t.auth.header} (${t.auth.secret})`;
}

/** `triggers [--json]`: each trigger with its full URL, methods, auth, procedure and response. */
export async function triggersCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' } } });
  const triggers = triggersOf(ctx);
  const rows = triggers.map((t) => ({
    name: t.name,
    title: t.title,
    url: `${ctx.config.publicBaseUrl}/hooks/${t.path}`,
    methods: t.methods,
    auth: t.auth ? { type: t.auth.type, secret: t.auth.secret, ...('header' in t.auth ? { header: t.auth.header } : {}) } : null,
    procedure: t.procedure.name,
    idempotencyKey: t.idempotencyKey ? [t.idempotencyKey.source, ...t.idempotencyKey.path].join('.') : null,
    response: t.response.type === 'static' ? { type: 'static', status: t.response.spec.status } : { type: 'fromProcedure', timeoutMs: t.response.timeoutMs, fallbackStatus: t.response.fallback.status },
  }));
  if (values.json) {
    ctx.io.out(`${JSON.stringify(rows)}\n`);
    return EXIT.ok;
  }
  if (rows.length === 0) {
    ctx.io.out('No triggers: the procedures module (HOOKWAIT_PROCEDURES_MODULE) exports no `triggers`.\n');
    return EXIT.ok;
  }
  for (const [i, r] of rows.entries()) {
    const t = triggers[i] as Trigger;
    ctx.io.out(
      `${forTerminal(r.name)}  ${forTerminal(r.title)}\n` +
        `  ${r.methods.join(', ')} ${forTerminal(r.url)}\n` +
        `  starts ${forTerminal(r.procedure)} · auth ${forTerminal(authLabel(t))} · idempotency key ${forTerminal(r.idempotencyKey ?? 'none')} · ` +
        `response ${t.response.type === 'static' ? t.response.spec.status : `fromProcedure (timeout ${t.response.timeoutMs} ms, fallback ${t.response.fallback.status})`}\n`,
    );
  }
  return EXIT.ok;
}

function pairs(values: readonly string[] | undefined, flag: string): [string, string][] {
  return (values ?? []).map((v) => {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new UsageError(`trigger test: ${flag} takes name=value, got ${JSON.stringify(v)}`);
    return [v.slice(0, eq), v.slice(eq + 1)];
  });
}

/**
 * `trigger test <name> --data <json> [--header k=v]... [--query k=v]... [--method M] [--json]`: a sample request
 * through the trigger's own checks (sender auth aside: there is no sender), printing the answer the sender would get
 * and the run it started.
 */
export async function triggerCommand(args: string[], ctx: CliContext): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'test') throw new UsageError('trigger: the only subcommand is `test`: hookwait trigger test <name> --data <json>');
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { data: { type: 'string' }, header: { type: 'string', multiple: true }, query: { type: 'string', multiple: true }, method: { type: 'string' }, json: { type: 'boolean' } },
  });
  const name = positionals[0];
  if (!name) throw new UsageError('trigger test: name the trigger (see `hookwait triggers`)');
  const triggers = triggersOf(ctx);
  const trigger = triggers.find((t) => t.name === name);
  if (!trigger) throw new NotFoundError(`trigger test: no trigger '${forTerminal(name)}' (known: ${triggers.map((t) => t.name).join(', ') || 'none'})`);
  if (values.data !== undefined) {
    try {
      JSON.parse(values.data);
    } catch (err) {
      throw new UsageError(`trigger test: --data is not valid JSON: ${(err as Error).message}`);
    }
  }
  const headers = Object.fromEntries(pairs(values.header, '--header').map(([k, v]) => [k.toLowerCase(), v]));
  const query = pairs(values.query, '--query');
  const method = (values.method ?? trigger.methods[0] ?? 'POST').toUpperCase();
  const configured = (ctx.env.HOOKWAIT_TOKEN_KEYS ?? '') !== '';
  const service = createTriggerService({
    client: await ctx.client(),
    namespace: ctx.config.temporal.namespace,
    taskQueue: ctx.config.temporal.taskQueue,
    triggers: [trigger],
    verifySenders: false,
    searchAttributes: ctx.config.searchAttributes,
    temporalTimeoutMs: ctx.config.temporal.callTimeoutMs,
    rateLimits: false,
    ...(configured ? { keyring: ctx.config.keyring, publicBaseUrl: ctx.config.publicBaseUrl } : {}),
  });
  const contentType = headers['content-type'] ?? (values.data !== undefined ? 'application/json' : undefined);
  const a: TriggerAnswer = await service.deliverTrigger(
    {
      method,
      path: trigger.path,
      requestId: `cli-${Date.now().toString(36)}`,
      ...(contentType !== undefined ? { contentType } : {}),
      body: Buffer.from(values.data ?? '', 'utf8'),
      headers: { ...headers, 'user-agent': 'hookwait-cli' },
      query,
    },
    { skipAuth: true },
  );
  const body = a.raw ? a.raw.text : a.body;
  if (values.json) {
    ctx.io.out(`${jsonForTerminal({ status: a.status, outcome: a.outcome, headers: a.headers, body: body ?? null, run: a.run ?? null })}\n`);
  } else {
    ctx.io.out(`${method} /hooks/${trigger.path}${trigger.auth ? ` (sender auth ${trigger.auth.type} not checked: there is no sender)` : ''}\n`);
    ctx.io.out(`  answer  ${a.status} (${a.outcome})\n`);
    for (const [k, v] of Object.entries(a.headers)) ctx.io.out(`  header  ${forTerminal(k)}: ${forTerminal(v)}\n`);
    if (body !== undefined) ctx.io.out(`  body    ${typeof body === 'string' ? forTerminal(body) : jsonForTerminal(body)}\n`);
    if (a.run) ctx.io.out(`  run     workflow id ${forTerminal(a.run.workflowId)}${a.run.runId ? `, run id ${forTerminal(a.run.runId)}` : ''}\n`);
  }
  if (a.status >= 500) return EXIT.failure;
  if (a.status >= 400) return EXIT.usage;
  return EXIT.ok;
}
