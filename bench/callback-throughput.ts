/**
 * Callback throughput and latency. Starts its own Temporal dev server, a gateway on 127.0.0.1 and one worker with
 * the hookwait plugin, all in this process (the server is a child process); parks N procedures at a wait and
 * completes them through the gateway (HTTP → token → describe → signal), then parks N more and completes them with a
 * direct client signal. Prints callbacks/s and p50/p99 from sending a callback to the procedure resuming.
 *
 * Run by hand: `npm run bench -- [--n 200] [--concurrency 32] [--db memory|sqlite]`.
 *
 * Self-contained on purpose (no test helpers): nothing logs per request, rate limits are off, and the figures do
 * not move when the test harness changes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import type { ConversationChannel } from '../src/activities/conversation-channel';
import { createGatewayApp } from '../src/api/gateway-app';
import { findTemporalCli } from '../src/dev/temporal-cli';
import { silentLogger } from '../src/logging/logger';
import { hookwaitPlugin } from '../src/plugin';
import { generateKeyringSpec, parseKeyring } from '../src/security/callback-token';
import { callbackSignal, stateQuery } from '../src/workflows/messages';
import { HOOKWAIT_SEARCH_ATTRIBUTES } from '../src/workflows/search-attributes';
import { benchProcedure, procedures } from './bench-procedures';
import type { benchWait } from './bench-workflows';

type Handle = WorkflowHandle<typeof benchWait>;
interface Parked {
  readonly handle: Handle;
  readonly url: string;
}
interface Row {
  readonly mode: string;
  readonly n: number;
  readonly concurrency: number;
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
}

/** The bench procedure never talks to a conversation; a channel that does nothing keeps the plugin's contract. */
const nullChannel: ConversationChannel = {
  async sendMessage() {},
  async assign() {},
};

/** Runs fn over items with at most `concurrency` calls in flight. */
async function pool<T>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i] as T, i);
      }
    }),
  );
}

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      n: { type: 'string', default: '200' },
      concurrency: { type: 'string', default: '32' },
      db: { type: 'string', default: 'memory' },
    },
    strict: true,
  });
  const n = Number(values.n);
  const concurrency = Number(values.concurrency);
  const db = values.db;
  if (!Number.isInteger(n) || n < 1 || n > 20_000) throw new Error('--n must be a whole number from 1 to 20000');
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 1_000) throw new Error('--concurrency must be a whole number from 1 to 1000');
  if (db !== 'memory' && db !== 'sqlite') throw new Error('--db must be memory or sqlite');

  // Before anything creates the SDK's runtime: the worker (and the bundler) log warnings and errors only.
  const sdkLogger = new DefaultLogger('WARN');
  Runtime.install({ logger: sdkLogger });

  /** Every wait in the benchmark is bounded by this; generous, so only a real hang trips it. */
  const phaseTimeoutMs = Math.max(120_000, n * 200);
  const cli = await findTemporalCli();
  const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('./bench-workflows'), logger: sdkLogger });
  const dir = db === 'sqlite' ? mkdtempSync(join(tmpdir(), 'hookwait-bench-')) : undefined;

  let env: TestWorkflowEnvironment | undefined;
  let server: Server | undefined;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  const rows: Row[] = [];
  try {
    env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: cli },
        ip: '127.0.0.1',
        searchAttributes: [...HOOKWAIT_SEARCH_ATTRIBUTES],
        // SQLite as `npm run dev` runs it (src/dev/dev-server.ts): a file, in WAL mode.
        ...(dir ? { dbFilename: join(dir, 'temporal.db'), extraArgs: ['--sqlite-pragma', 'journal_mode=WAL'] } : {}),
      },
    });
    const client = env.client;
    const namespace = env.namespace ?? 'default';
    const keyring = parseKeyring(generateKeyringSpec('bench'));

    const app = createGatewayApp({ client, namespace, procedures, keyring, logger: silentLogger, secrets: {}, rateLimits: false });
    server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
      s.once('error', reject);
    });
    const gatewayUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const taskQueue = 'hookwait-bench';
    worker = await Worker.create({
      connection: env.nativeConnection,
      namespace,
      taskQueue,
      workflowBundle: bundle,
      plugins: [hookwaitPlugin({ procedures, keyring, publicBaseUrl: gatewayUrl, channel: nullChannel, logger: silentLogger })],
    });
    running = worker.run();

    /** Starts n runs, then polls each one's state until it waits at `done` and has its callback URL. */
    const park = async (prefix: string): Promise<Parked[]> => {
      const deadline = Date.now() + phaseTimeoutMs;
      const handles: Handle[] = new Array(n);
      await pool(Array.from({ length: n }, (_, i) => i), concurrency, async (i) => {
        handles[i] = await client.workflow.start<typeof benchWait>(benchProcedure.name, {
          taskQueue,
          workflowId: `${prefix}-${i}`,
          args: [{}],
        });
      });
      const parked: Parked[] = new Array(n);
      await pool(handles, concurrency, async (handle, i) => {
        while (Date.now() < deadline) {
          const state = await handle.query(stateQuery).catch(() => undefined);
          const url = state?.waits.done?.status === 'waiting' ? state.callbackUrls.done : undefined;
          if (url) {
            if (!url.startsWith('http://127.0.0.1:')) throw new Error(`unexpected callback URL ${url}`);
            parked[i] = { handle, url };
            return;
          }
          await sleep(50);
        }
        throw new Error(`${handle.workflowId} did not reach its wait within ${phaseTimeoutMs} ms`);
      });
      return parked;
    };

    /** Completes every parked run with `send`, C at a time; then reads each result for its resume time. */
    const complete = async (mode: string, parked: readonly Parked[], send: (p: Parked) => Promise<void>): Promise<Row> => {
      const sentAt: number[] = new Array(parked.length);
      const startedAt = performance.now();
      let lastAck = startedAt;
      await pool(parked, concurrency, async (p, i) => {
        sentAt[i] = Date.now();
        await send(p);
        lastAck = Math.max(lastAck, performance.now());
      });
      const latencies: number[] = new Array(parked.length);
      const deadline = Date.now() + phaseTimeoutMs;
      await pool(parked, concurrency, async (p, i) => {
        const result = await client.connection.withDeadline(deadline, () => p.handle.result());
        if (result.status !== 'completed') throw new Error(`${p.handle.workflowId} ended ${result.status}`);
        latencies[i] = result.output.resumedAt - (sentAt[i] as number);
      });
      latencies.sort((a, b) => a - b);
      return {
        mode,
        n: parked.length,
        concurrency,
        perSecond: parked.length / ((lastAck - startedAt) / 1000),
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
      };
    };

    // Phase A: through the gateway.
    const viaGateway = await park('gateway');
    rows.push(
      await complete('gateway', viaGateway, async (p) => {
        const res = await fetch(p.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"value":"x"}',
          signal: AbortSignal.timeout(30_000),
        });
        const text = await res.text();
        if (res.status !== 202) throw new Error(`callback for ${p.handle.workflowId} answered ${res.status}: ${text.slice(0, 300)}`);
      }),
    );

    // Phase B: a direct signal from the Temporal client, as an in-process integration would send it.
    const viaSignal = await park('signal');
    rows.push(
      await complete('direct signal', viaSignal, (p) =>
        client.connection.withDeadline(Date.now() + 30_000, () =>
          p.handle.signal(callbackSignal, { wait: 'done', attributes: { value: 'x' }, receivedAt: new Date().toISOString(), source: { kind: 'client' } }),
        ),
      ),
    );
  } finally {
    if (worker && worker.getState() === 'RUNNING') worker.shutdown();
    await running?.catch(() => undefined);
    if (server) {
      const s = server;
      await new Promise<void>((resolve) => {
        s.close(() => resolve());
        s.closeAllConnections();
      });
    }
    await env?.teardown();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }

  const mib = (bytes: number): string => `${Math.round(bytes / 1024 / 1024)} MiB`;
  const head = ['mode', 'N', 'concurrency', 'callbacks/s', 'p50 ms', 'p99 ms'];
  const body = rows.map((r) => [r.mode, String(r.n), String(r.concurrency), r.perSecond.toFixed(0), String(Math.round(r.p50)), String(Math.round(r.p99))]);
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((row) => (row[c] as string).length)));
  const line = (cells: readonly string[]): string => `| ${cells.map((cell, c) => cell.padEnd(widths[c] as number)).join(' | ')} |`;
  const out = [
    '',
    `hookwait callback benchmark: Temporal dev server (${db === 'sqlite' ? 'SQLite file, WAL' : 'in memory'}), one worker, gateway on 127.0.0.1`,
    `machine: ${cpus().length} cores, ${mib(totalmem())} RAM, Node ${process.version}`,
    '',
    line(head),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...body.map(line),
    '',
    // maxRSS is in kilobytes.
    `peak RSS of this process (client, gateway, worker): ${mib(process.resourceUsage().maxRSS * 1024)}`,
    '',
  ];
  process.stdout.write(out.join('\n'));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
