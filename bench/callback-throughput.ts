/**
 * Callback throughput and latency: parks N procedures at a wait, completes them through the gateway, then N more
 * through a direct client signal, on one real Temporal dev server, and prints callbacks/s and p50/p99 from
 * sending the callback to the procedure resuming. Run by hand: `npm run bench -- --n 200 [--concurrency 32] [--db memory|sqlite]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { findTemporalCli } from '../src/dev/temporal-cli';
import { callbackSignal, stateQuery } from '../src/workflows/messages';
import { startHarness, type Harness } from '../test/helpers/harness';
import { procedures } from './bench-procedures';
import type { benchWait } from './bench-workflows';

interface Row {
  mode: string;
  n: number;
  concurrency: number;
  perSecond: number;
  p50: number;
  p99: number;
}

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function park(h: Harness, n: number, concurrency: number, prefix: string): Promise<{ handle: WorkflowHandle<typeof benchWait>; url: string }[]> {
  const parked: { handle: WorkflowHandle<typeof benchWait>; url: string }[] = [];
  await pool(
    Array.from({ length: n }, (_, i) => i),
    concurrency,
    async (i) => {
      const handle = await h.env.client.workflow.start<typeof benchWait>('benchWait', { taskQueue: h.taskQueue, workflowId: `${prefix}-${i}`, args: [{}] });
      for (let tries = 0; tries < 600; tries++) {
        const s = await handle.query(stateQuery).catch(() => undefined);
        const url = s?.waits.done?.status === 'waiting' ? s.callbackUrls.done : undefined;
        if (url) {
          parked.push({ handle, url });
          return;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`${prefix}-${i} never reached its wait`);
    },
  );
  return parked;
}

async function complete(
  mode: string,
  parked: { handle: WorkflowHandle<typeof benchWait>; url: string }[],
  concurrency: number,
  send: (p: { handle: WorkflowHandle<typeof benchWait>; url: string }) => Promise<void>,
): Promise<Row> {
  const sentAt = new Map<string, number>();
  const first = Date.now();
  await pool(parked, concurrency, async (p) => {
    sentAt.set(p.handle.workflowId, Date.now());
    await send(p);
  });
  const accepted = Date.now();
  const latencies: number[] = [];
  await pool(parked, concurrency, async (p) => {
    const result = await p.handle.result();
    if (result.status !== 'completed') throw new Error(`${p.handle.workflowId} ended ${result.status}`);
    latencies.push(result.output.resumedAt - (sentAt.get(p.handle.workflowId) ?? NaN));
  });
  latencies.sort((a, b) => a - b);
  return {
    mode,
    n: parked.length,
    concurrency,
    perSecond: parked.length / ((accepted - first) / 1000),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { n: { type: 'string', default: '200' }, concurrency: { type: 'string', default: '32' }, db: { type: 'string', default: 'memory' } } });
  const n = Number(values.n);
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(n) || n < 1 || n > 20_000) throw new Error('--n must be a whole number from 1 to 20000');
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 1_000) throw new Error('--concurrency must be from 1 to 1000');
  if (values.db !== 'memory' && values.db !== 'sqlite') throw new Error('--db must be memory or sqlite');

  Runtime.install({ logger: new DefaultLogger('WARN') });
  process.env.TEMPORAL_CLI_PATH = await findTemporalCli();
  const dir = values.db === 'sqlite' ? mkdtempSync(join(tmpdir(), 'hookwait-bench-')) : undefined;
  const h = await startHarness({ procedures, workflowsPath: require.resolve('./bench-workflows'), ...(dir ? { dbFilename: join(dir, 'temporal.db') } : {}) });
  const rows: Row[] = [];
  try {
    await h.startWorker();
    const viaGateway = await park(h, n, concurrency, 'gw');
    rows.push(
      await complete('gateway (HTTP → describe → signal)', viaGateway, concurrency, async (p) => {
        const res = await fetch(p.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"value":"x"}' });
        await res.arrayBuffer();
        if (res.status !== 202) throw new Error(`callback answered ${res.status}`);
      }),
    );
    const viaSignal = await park(h, n, concurrency, 'sig');
    rows.push(
      await complete('direct client signal', viaSignal, concurrency, (p) =>
        p.handle.signal(callbackSignal, { wait: 'done', attributes: { value: 'x' }, receivedAt: new Date().toISOString(), source: { kind: 'client' } }),
      ),
    );
  } finally {
    await h.teardown();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
  const mb = (b: number): string => `${Math.round(b / 1024 / 1024)} MiB`;
  process.stdout.write(
    `\nhookwait callback benchmark: ${cpus().length} cores, ${mb(totalmem())}, Node ${process.version}, Temporal dev server (${values.db})\n\n`,
  );
  process.stdout.write('| mode | N | concurrency | callbacks/s | p50 ms | p99 ms |\n|---|---|---|---|---|---|\n');
  for (const r of rows) process.stdout.write(`| ${r.mode} | ${r.n} | ${r.concurrency} | ${r.perSecond.toFixed(0)} | ${r.p50} | ${r.p99} |\n`);
  process.stdout.write(`\npeak RSS of the benchmark process (client, gateway and worker): ${mb(process.resourceUsage().maxRSS * 1024)}\n`);
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`bench: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
