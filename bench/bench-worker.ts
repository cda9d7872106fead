/**
 * The benchmark's worker, in a process of its own so that its memory is measured alone: the hookwait plugin, the
 * bench workflows (a procedure and a bare workflow) and the bare workflow's activity, which completes asynchronously.
 * Configured by the parent through its environment (see callback-throughput.ts); answers `{ type: 'stats' }` messages
 * with its RSS, peak RSS and how many bare activities are parked.
 */
import { readFileSync } from 'node:fs';
import { CompleteAsyncError } from '@temporalio/common';
import { NativeConnection, Runtime, DefaultLogger, Worker } from '@temporalio/worker';
import type { ConversationChannel } from '../src/activities/conversation-channel';
import { silentLogger } from '../src/logging/logger';
import { hookwaitPlugin } from '../src/plugin';
import { parseKeyring } from '../src/security/callback-token';
import { applyWorkerV8Flags, workerOptionsOf } from '../src/worker/run-worker';
import { procedures } from './bench-procedures';

const nullChannel: ConversationChannel = {
  async sendMessage() {},
  async assign() {},
};

/** The kernel's view of this process's memory (KiB): VmRSS, VmHWM (peak RSS), RssAnon, RssFile, threads. */
function procStatus(): Record<string, number> {
  const out: Record<string, number> = {};
  try {
    for (const line of readFileSync('/proc/self/status', 'utf8').split('\n')) {
      const m = /^(VmRSS|VmHWM|RssAnon|RssFile|Threads):\s+(\d+)/.exec(line);
      if (m) out[m[1] as string] = Number(m[2]);
    }
  } catch {
    // not Linux
  }
  return out;
}

async function main(): Promise<void> {
  const env = (name: string): string => {
    const v = process.env[name];
    if (v === undefined) throw new Error(`${name} is not set`);
    return v;
  };
  Runtime.install({ logger: new DefaultLogger('WARN') });
  // Experiments: extra Worker options as JSON (e.g. {"debugMode":true}); the bench's own figures never set it.
  const extra = process.env.BENCH_EXTRA_WORKER_OPTIONS ? (JSON.parse(process.env.BENCH_EXTRA_WORKER_OPTIONS) as Record<string, unknown>) : {};
  let parked = 0;
  const connection = await NativeConnection.connect({ address: env('BENCH_TEMPORAL_ADDRESS') });
  const maxCached = process.env.BENCH_MAX_CACHED_WORKFLOWS;
  // The standalone worker's V8 flags (`--no-opt` unless BENCH_WORKER_V8_OPTIMIZER=true), set the same way.
  applyWorkerV8Flags({
    v8Optimizer: process.env.BENCH_WORKER_V8_OPTIMIZER === 'true',
    ...(maxCached !== undefined ? { maxCachedWorkflows: Number(maxCached) } : {}),
    ...(process.env.BENCH_WORKFLOW_HEAP_MB ? { workflowHeapMb: Number(process.env.BENCH_WORKFLOW_HEAP_MB) } : {}),
    ...(process.env.BENCH_WORKFLOW_SEMI_SPACE_MB ? { workflowSemiSpaceMb: Number(process.env.BENCH_WORKFLOW_SEMI_SPACE_MB) } : {}),
  });
  const worker = await Worker.create({
    connection,
    namespace: env('BENCH_NAMESPACE'),
    taskQueue: env('BENCH_TASK_QUEUE'),
    // Bundled by the parent: webpack's memory is not the worker's.
    workflowBundle: { codePath: env('BENCH_BUNDLE_PATH') },
    ...workerOptionsOf({ ...(maxCached !== undefined ? { maxCachedWorkflows: Number(maxCached) } : {}) }),
    ...extra,
    activities: {
      async benchPark(): Promise<string> {
        parked++;
        throw new CompleteAsyncError();
      },
    },
    plugins: [
      hookwaitPlugin({ procedures, keyring: parseKeyring(env('BENCH_TOKEN_KEYS')), publicBaseUrl: env('BENCH_PUBLIC_BASE_URL'), channel: nullChannel, logger: silentLogger }),
    ],
  });
  let peak = 0;
  const sample = (): number => {
    const rss = process.memoryUsage.rss();
    peak = Math.max(peak, rss);
    return rss;
  };
  setInterval(sample, 100).unref();
  process.on('message', (m: { type?: string }) => {
    if (m?.type === 'stats') {
      const u = process.memoryUsage();
      process.send?.({ type: 'stats', rss: sample(), peak, maxRss: process.resourceUsage().maxRSS * 1024, heapUsed: u.heapUsed, heapTotal: u.heapTotal, external: u.external, arrayBuffers: u.arrayBuffers, proc: procStatus(), parked });
    }
    if (m?.type === 'reset-peak') {
      peak = 0;
      sample();
    }
    if (m?.type === 'stop' && worker.getState() === 'RUNNING') worker.shutdown();
  });
  process.on('disconnect', () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
  });
  const running = worker.run();
  process.send?.({ type: 'ready' });
  await running;
  await connection.close();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench worker: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
