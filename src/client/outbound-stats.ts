import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';

/** Sent / Failed of one webhook or connector of one procedure (workflow type). */
export interface OutboundStatsRow {
  readonly kind: 'webhook' | 'connector';
  readonly procedure: string;
  readonly name: string;
  /** Sends (webhooks) or calls (connectors) that succeeded, however many attempts each took. */
  readonly sent: number;
  /** Those whose last attempt failed (a webhook's `{ ok: false }`, a connector call that failed the activity). */
  readonly failed: number;
}

export interface OutboundStats {
  readonly rows: readonly OutboundStatsRow[];
  /** Runs read (started since `since`). */
  readonly runs: number;
  /** True when more runs matched than `maxRuns`: the counts cover the newest `maxRuns`. */
  readonly truncated: boolean;
  readonly since: string;
}

export interface OutboundStatsOptions {
  /** Only runs of this procedure (workflow type). */
  readonly procedure?: string;
  /** Runs started at or after this time (default 24 hours ago). */
  readonly since?: Date;
  /** At most this many runs are read (default 1000). */
  readonly maxRuns?: number;
}

const WEBHOOK = 'hookwaitSendWebhook';
const CONNECTORS = new Set(['hookwaitCallConnector', 'hookwaitCallConnectorMinting']);

function decode(payload: temporal.api.common.v1.IPayload | undefined | null): unknown {
  if (!payload) return undefined;
  try {
    return defaultPayloadConverter.fromPayload(payload);
  } catch {
    return undefined; // encrypted or otherwise encoded: counted under '?'
  }
}

/**
 * Counts, from one run's history, each outbound send or call once by how it ended. A webhook's activity completes
 * with `{ ok }` (its last attempt resolves either way); a connector call completes (sent) or fails (failed).
 */
export function countOutbound(history: temporal.api.history.v1.IHistory, workflowType: string, into: Map<string, OutboundStatsRow>): void {
  const scheduled = new Map<string, { kind: 'webhook' | 'connector'; procedure: string; name: string }>();
  const bump = (id: unknown, ok: boolean): void => {
    const s = scheduled.get(String(id));
    if (!s) return;
    const key = `${s.kind}\u0000${s.procedure}\u0000${s.name}`;
    const row = into.get(key) ?? { ...s, sent: 0, failed: 0 };
    into.set(key, { ...row, sent: row.sent + (ok ? 1 : 0), failed: row.failed + (ok ? 0 : 1) });
  };
  for (const e of history.events ?? []) {
    const a = e.activityTaskScheduledEventAttributes;
    if (a) {
      const type = a.activityType?.name ?? '';
      if (type !== WEBHOOK && !CONNECTORS.has(type)) continue;
      const input = decode(a.input?.payloads?.[0]) as { procedure?: unknown; connector?: unknown; webhook?: { name?: unknown } } | undefined;
      const name = type === WEBHOOK ? input?.webhook?.name : input?.connector;
      scheduled.set(String(e.eventId), {
        kind: type === WEBHOOK ? 'webhook' : 'connector',
        procedure: typeof input?.procedure === 'string' ? input.procedure : workflowType,
        name: typeof name === 'string' ? name : '?',
      });
      continue;
    }
    const done = e.activityTaskCompletedEventAttributes;
    if (done) {
      const s = scheduled.get(String(done.scheduledEventId));
      if (s?.kind === 'webhook') bump(done.scheduledEventId, (decode(done.result?.payloads?.[0]) as { ok?: unknown } | undefined)?.ok === true);
      else bump(done.scheduledEventId, true);
      continue;
    }
    const failed = e.activityTaskFailedEventAttributes ?? e.activityTaskTimedOutEventAttributes;
    if (failed) bump(failed.scheduledEventId, false);
  }
}

/**
 * Sent / Failed per webhook and connector, from run history: the runs started since `since` (by visibility), and
 * for each, its history's outbound activities. Works across workers and restarts, needs no metrics endpoint; reading
 * histories costs one call per run, so `maxRuns` bounds it.
 *
 * @example
 * ```ts
 * const stats = await outboundStats(client, { procedure: 'identityVerification', since: new Date(Date.now() - 86_400_000) });
 * for (const r of stats.rows) console.log(r.kind, r.name, r.sent, r.failed);
 * ```
 */
export async function outboundStats(client: Client, options: OutboundStatsOptions = {}): Promise<OutboundStats> {
  const since = options.since ?? new Date(Date.now() - 24 * 3600_000);
  const maxRuns = options.maxRuns ?? 1000;
  const clauses = [`StartTime >= "${since.toISOString()}"`];
  if (options.procedure !== undefined) clauses.push(`WorkflowType = "${options.procedure.replace(/["\\]/g, '')}"`);
  const rows = new Map<string, OutboundStatsRow>();
  let runs = 0;
  let truncated = false;
  for await (const run of client.workflow.list({ query: clauses.join(' AND ') })) {
    if (runs >= maxRuns) {
      truncated = true;
      break;
    }
    runs++;
    const history = await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
    countOutbound(history, run.type, rows);
  }
  const sorted = [...rows.values()].sort((a, b) => a.procedure.localeCompare(b.procedure) || a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
  return { rows: sorted, runs, truncated, since: since.toISOString() };
}
