import { randomUUID } from 'node:crypto';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { type Cluster, startCluster } from '../src/dev/cluster';
import { CLUSTER_TOPOLOGY_VARIABLES, composeEnvironment, readComposeFile } from '../src/dev/compose-env';
import { stateQuery } from '../src/workflows/messages';
import type { approval } from './fixtures/workflows';
import { sleep, tokenOf, within } from './helpers/fault-processes';
import { TEST_SECRETS } from './helpers/harness';

// `npm run cluster`'s topology, for real: PostgreSQL, the Temporal server 1.29.1 on it, 2 gateways and 2 workers
// (`node lib/src/{api,worker}/main.js` with docker-compose.yml's environment). 200 runs park; their callbacks go to
// both gateways; one worker is SIGKILLed mid-way (restarted by the cluster, as compose's restart policy does) and the
// Temporal server is stopped and started again while callbacks arrive. Every run completes exactly once with the payload of the
// callback that was answered 2xx.

const RUNS = 200;
const body = (n: number) => ({ decision: 'approved', refund: { amount: n }, approver: { email: `a${n}@example.com` } });
const expected = (n: number) => ({ decision: 'approved', amount: n, approver: `a${n}@example.com` });
type ApprovalHandle = WorkflowHandle<typeof approval>;

/** At most `limit` of `fn` at once over `items`. */
async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i] as T, i);
      }
    }),
  );
  return out;
}

/** Retries `fn` while Temporal is away (a server restart), up to `timeoutMs`. */
async function retrying<T>(what: string, fn: () => Promise<T>, timeoutMs = 120_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > end) throw new Error(`${what}: ${String(err)}`);
      await sleep(500);
    }
  }
}

interface Delivery {
  readonly gateway: number;
  /** Every answer, in order: a status, or a network error's message. */
  readonly answers: (number | string)[];
}

describe('a real Temporal cluster (PostgreSQL, 2 gateways, 2 workers)', () => {
  let cluster: Cluster | undefined;
  let client: Client | undefined;
  // What compose would read from the shell: the test fixtures' modules (built by npm run build) instead of the demo.
  const hostEnv = { HOOKWAIT_PROCEDURES_MODULE: 'lib/test/fixtures/procedures.js', HOOKWAIT_WORKFLOWS_MODULE: 'lib/test/fixtures/workflows.js' };

  beforeAll(async () => {
    const server = process.env.TEMPORAL_SERVER_PATH;
    const sqlTool = process.env.TEMPORAL_SQL_TOOL_PATH;
    if (!server || !sqlTool) throw new Error('TEMPORAL_SERVER_PATH / TEMPORAL_SQL_TOOL_PATH are not set: run through jest (test/global-setup.ts)');
    cluster = await startCluster({
      binaries: { server, sqlTool },
      hostEnv,
      extraEnv: TEST_SECRETS,
    });
    client = new Client({ connection: await Connection.connect({ address: cluster.temporalAddress }), namespace: cluster.namespace });
  }, 300_000);

  afterAll(async () => {
    await client?.connection.close().catch(() => undefined);
    await cluster?.stop();
  }, 120_000);

  test('200 parked runs survive a worker SIGKILL and a Temporal restart; every 2xx-answered callback completes its run exactly once', async () => {
    const c = cluster!;
    const prefix = `cluster-${randomUUID().slice(0, 8)}`;
    // Every gateway and worker runs compose's environment, topology aside (plus PATH, HOME and the fixtures' secrets).
    const compose = readComposeFile();
    for (const p of [...c.gateways, ...c.workers]) {
      const expectedEnv = composeEnvironment(compose, p.role, { ...hostEnv, HOOKWAIT_TOKEN_KEYS: c.tokenKeys, HOOKWAIT_PUBLIC_BASE_URL: c.publicBaseUrl });
      const own = Object.fromEntries(Object.entries(p.env).filter(([k]) => !['PATH', 'HOME', ...Object.keys(TEST_SECRETS)].includes(k) && !(p.role === 'gateway' && k === 'HOST')));
      if (p.role === 'gateway') expect(p.env.HOST).toBe('127.0.0.1');
      expect(Object.keys(own).sort()).toEqual(Object.keys(expectedEnv).sort());
      for (const [k, v] of Object.entries(expectedEnv)) if (!(CLUSTER_TOPOLOGY_VARIABLES as readonly string[]).includes(k)) expect({ [k]: own[k] }).toEqual({ [k]: v });
      expect(p.env).toMatchObject({ TEMPORAL_ADDRESS: c.temporalAddress, TEMPORAL_NAMESPACE: 'default', TEMPORAL_TASK_QUEUE: 'hookwait' });
    }

    // Park 200 runs, each reading its callback URL from the run itself.
    const parked = await pool(Array.from({ length: RUNS }, (_, n) => n), 16, async (n) => {
      const handle: ApprovalHandle = await client!.workflow.start<typeof approval>('approval', { taskQueue: c.taskQueue, workflowId: `${prefix}-${n}`, args: [{}] });
      for (let i = 0; ; i++) {
        const s = await handle.query(stateQuery).catch(() => undefined);
        const url = s?.waits.approval?.status === 'waiting' ? s.callbackUrls.approval : undefined;
        if (url) {
          expect(url.startsWith(`${c.publicBaseUrl}/callbacks/`)).toBe(true);
          return { n, handle, token: tokenOf(url) };
        }
        if (i > 600) throw new Error(`${handle.workflowId} never reached its wait`);
        await sleep(100);
      }
    });

    // Each callback goes to gateway n % 2 and is retried until a gateway answers 2xx (503 while Temporal is away).
    const deliveries: Delivery[] = [];
    const deliver = async ({ n, token }: { n: number; token: string }): Promise<void> => {
      const d: Delivery = { gateway: n % c.gatewayUrls.length, answers: [] };
      deliveries[n] = d;
      const end = Date.now() + 180_000;
      for (;;) {
        try {
          const res = await fetch(`${c.gatewayUrls[d.gateway]}/callbacks/${token}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-request-id': `${prefix}-${n}-${d.answers.length}` },
            body: JSON.stringify(body(n)),
            signal: AbortSignal.timeout(30_000),
          });
          await res.text();
          d.answers.push(res.status);
          if (res.status >= 200 && res.status < 300) return;
          // Only "Temporal unavailable" and rate limits are worth a retry; anything else is an answer to check.
          if (res.status !== 503 && res.status !== 429 && res.status !== 504) return;
        } catch (err) {
          d.answers.push(String((err as Error).message));
        }
        if (Date.now() > end) return;
        await sleep(300 + Math.random() * 400);
      }
    };

    const first = parked.slice(0, 70);
    const second = parked.slice(70, 140);
    const third = parked.slice(140);
    await pool(first, 16, deliver);

    // One worker dies mid-way, without a chance to say goodbye.
    const victim = c.workers[0]!;
    const victimPid = victim.child.pid;
    victim.child.kill('SIGKILL');
    await pool(second, 16, deliver);

    // The PostgreSQL-backed server is stopped; the last third of the callbacks start arriving while it is down (the
    // gateways answer 503 and the senders retry), and it is started again under them.
    await within(60_000, 'stopping the Temporal server', c.stopTemporal());
    const lastThird = pool(third, 16, deliver);
    await sleep(3_000);
    await within(180_000, 'starting the Temporal server again', c.startTemporal());
    await lastThird;
    // Some of them were refused (or failed) while it was down, and retried: the restart happened under them.
    expect(third.some(({ n }) => (deliveries[n]?.answers.length ?? 0) > 1)).toBe(true);

    // Every callback was answered 2xx in the end (202 accepted, or 200 when an earlier answer was lost but its signal
    // landed). A retry may also find the run already finished by that earlier delivery (410): its result shows it below.
    const finals = deliveries.map((d, n) => ({ n, answers: d.answers }));
    const settled = (a: readonly (number | string)[]): boolean => {
      const last = a.at(-1);
      return typeof last === 'number' && ((last >= 200 && last < 300) || (last === 410 && a.length > 1));
    };
    expect(finals.filter((f) => !settled(f.answers))).toEqual([]);
    // Both gateways took callbacks, and the killed worker was replaced by a new process.
    expect(new Set(deliveries.map((d) => d.gateway))).toEqual(new Set([0, 1]));
    expect(victim.restarts).toBeGreaterThanOrEqual(1);
    expect(victim.child.pid).not.toBe(victimPid);

    // Every run completes with the payload of its own callback: nothing answered 2xx was dropped.
    const results = await pool(parked, 20, ({ handle }) => within(240_000, `${handle.workflowId} result`, retrying(`${handle.workflowId} result`, () => handle.result(), 240_000)));
    const wrong = results.map((r, n) => ({ n, r })).filter(({ r, n }) => JSON.stringify(r) !== JSON.stringify({ status: 'completed', output: expected(n), attributes: { approval: expected(n) } }));
    expect(wrong).toEqual([]);

    // Exactly once: one execution per workflow id, closed as completed, with one accepted callback in its ledger.
    const ledgers = await pool(parked, 20, async ({ handle }) => {
      const history = await retrying('history', () => handle.fetchHistory());
      const events = history.events ?? [];
      const completed = events.filter((e) => e.workflowExecutionCompletedEventAttributes).length;
      const state = await retrying('query', () => handle.query(stateQuery));
      return { completed, accepted: state.ledger.filter((e) => e.outcome === 'accepted').length };
    });
    expect(ledgers.filter((l) => l.completed !== 1 || l.accepted !== 1)).toEqual([]);
    // Visibility (PostgreSQL) lists each run once, completed; it is eventually consistent, so wait for it.
    await within(120_000, 'visibility to list every run as completed', (async () => {
      for (;;) {
        const seen = new Map<string, number>();
        let completed = 0;
        for await (const w of client!.workflow.list({ query: `WorkflowType = 'approval' AND TaskQueue = '${c.taskQueue}'` })) {
          if (!w.workflowId.startsWith(`${prefix}-`)) continue;
          seen.set(w.workflowId, (seen.get(w.workflowId) ?? 0) + 1);
          if (w.status.name === 'COMPLETED') completed++;
        }
        if (seen.size === RUNS && completed === RUNS) {
          expect([...seen.values()].every((count) => count === 1)).toBe(true);
          return;
        }
        await sleep(1_000);
      }
    })());
  }, 900_000);
});
