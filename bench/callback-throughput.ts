/**
 * hookwait's benchmark (`npm run bench`): the targets of the speed and memory work, each next to its measured figure,
 * in one run on one Temporal server. Starts a Temporal dev server (unless `--address`/TEMPORAL_ADDRESS names one),
 * a worker in a child process (measured alone: hookwait plugin, a one-wait procedure and a bare workflow), and in
 * this process the Temporal client and three gateways on 127.0.0.1 (status check `update`, `signal-first`, `describe`), whose
 * clients count every call they make to Temporal. For each path it parks N runs, resumes `--idle` of them one at a
 * time (idle send → resumed latency), then the rest with `--concurrency` in flight (runs resumed per second):
 * - gateway, update (the default): HTTP → token → update (the run answers);
 * - gateway, signal-first: HTTP → token → signal;
 * - gateway, describe: HTTP → token → describe → signal;
 * - direct `handle.signal()` to the same procedure;
 * - a bare Temporal workflow resumed by async activity completion (no hookwait).
 * Then the edge (forged tokens from a load generator in another process: answers per second, Temporal calls made),
 * and with `--parked N` the memory phase (N procedures parked, held, then all resumed through the gateway).
 *
 * Prints one markdown report (what goes into the README's "Benchmarks") and writes the figures as JSON
 * (`--json`, default bench/results/latest.json).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Client, Connection, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';

type WorkflowHandle = WorkflowHandleWithFirstExecutionRunId;
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode } from '@temporalio/worker';
import { createGatewayApp } from '../src/api/gateway-app';
import { callbackUrl } from '../src/activities/create-activities';
import { findTemporalCli } from '../src/dev/temporal-cli';
import { silentLogger } from '../src/logging/logger';
import type { StatusCheck } from '../src/service/callback-service';
import { generateKeyringSpec, mintCallbackToken, parseKeyring } from '../src/security/callback-token';
import { DEFAULT_WORKFLOW_SEMI_SPACE_MB, defaultMaxCachedWorkflows, workflowHeapMbOf } from '../src/worker/run-worker';
import { callbackSignal } from '../src/workflows/messages';
import { HOOKWAIT_PRELOAD_MODULES } from '../src/plugin';
import { HOOKWAIT_SEARCH_ATTRIBUTES } from '../src/workflows/search-attributes';
import { benchProcedure, procedures } from './bench-procedures';

/** The issue's figure for "runs resumed per second under load" through the gateway before this work (2 cores, SQLite). */
const BASELINE_RESUMED_PER_SECOND = 83;
/** The issue's "300 MB", in bytes (decimal: 286 MiB). */
const RSS_TARGET_BYTES = 300_000_000;
const EDGE_TARGET_PER_CORE = 5_000;

interface PathResult {
  readonly path: string;
  readonly n: number;
  readonly idleSamples: number;
  readonly idleP50Ms: number;
  readonly idleP99Ms: number;
  readonly loadRuns: number;
  readonly resumedPerSecond: number;
  readonly loadP50Ms: number;
  /** Calls the gateway made to Temporal per callback answered 202 (gateway paths only). */
  readonly temporalCallsPerCallback?: number;
  /** History events from the one that resumed the run to its completion, by type (one run sampled). */
  readonly eventsPerResume: number;
  readonly eventBreakdown: Readonly<Record<string, number>>;
  readonly workerPeakRssBytes: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

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

/**
 * Node flags for the worker process: `--main-heap-mb` and `--main-semi-space-mb` (the main thread's
 * `--max-old-space-size` and `--max-semi-space-size`, what an operator sets with NODE_OPTIONS) and BENCH_WORKER_EXECARGV (experiments). The workflow thread's heap is sized by the worker
 * itself, as the standalone worker does (`--worker-heap-mb`, `--worker-semi-space-mb`).
 */
function heapArgs(env: Record<string, string>): string[] {
  const extra = (process.env.BENCH_WORKER_EXECARGV ?? '').split(' ').filter((a) => a !== '');
  return [
    ...(env.BENCH_MAIN_HEAP_MB ? [`--max-old-space-size=${env.BENCH_MAIN_HEAP_MB}`] : []),
    ...(env.BENCH_MAIN_SEMI_SPACE_MB ? [`--max-semi-space-size=${env.BENCH_MAIN_SEMI_SPACE_MB}`] : []),
    ...extra,
  ];
}

/** What the worker child reports of its memory (bytes; `proc`: /proc/self/status in KiB). */
interface WorkerStats {
  readonly rss: number;
  readonly peak: number;
  readonly maxRss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
  readonly arrayBuffers: number;
  readonly proc: Readonly<Record<string, number>>;
  readonly parked: number;
}

/** One line on stderr with the worker's memory, for following the memory phase. */
function traceLine(label: string, s: WorkerStats): string {
  const k = (v: number | undefined): string => (v === undefined ? '?' : `${(v / 1024).toFixed(0)}`);
  return `bench: ${label}: rss ${mib(s.rss)} (anon ${k(s.proc.RssAnon)} MiB, file ${k(s.proc.RssFile)} MiB, hwm ${k(s.proc.VmHWM)} MiB, ${s.proc.Threads ?? '?'} threads); main heap ${mib(s.heapUsed)}/${mib(s.heapTotal)}, external ${mib(s.external)}\n`;
}

/** The worker child: started, asked for its memory figures, stopped. */
class WorkerProcess {
  private constructor(private readonly child: ChildProcess) {}
  static async start(env: Record<string, string>): Promise<WorkerProcess> {
    const child = fork(join(__dirname, 'bench-worker.js'), [], { env: { ...process.env, ...env }, execArgv: heapArgs(env), stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    await new Promise<void>((resolveReady, reject) => {
      child.once('message', () => resolveReady());
      child.once('exit', (code) => reject(new Error(`bench worker exited (${code}) before it was ready`)));
    });
    return new WorkerProcess(child);
  }
  stats(): Promise<WorkerStats> {
    return new Promise((resolveStats) => {
      const on = (m: WorkerStats & { type?: string }): void => {
        if (m?.type !== 'stats') return;
        this.child.off('message', on);
        resolveStats(m);
      };
      this.child.on('message', on);
      this.child.send({ type: 'stats' });
    });
  }
  resetPeak(): void {
    this.child.send({ type: 'reset-peak' });
  }
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.send({ type: 'stop' });
    await Promise.race([exited, sleep(30_000)]);
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

/** A client whose connection counts every WorkflowService call it makes. */
function countingClient(connection: Connection, namespace: string): { client: Client; calls: () => number; reset: () => void } {
  let calls = 0;
  const service = new Proxy(connection.workflowService, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls++;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  const counted = Object.create(connection, { workflowService: { value: service } }) as Connection;
  return { client: new Client({ connection: counted, namespace }), calls: () => calls, reset: () => (calls = 0) };
}

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      n: { type: 'string', default: '300' },
      idle: { type: 'string', default: '30' },
      concurrency: { type: 'string', default: '32' },
      db: { type: 'string', default: 'sqlite' },
      parked: { type: 'string', default: '0' },
      hold: { type: 'string', default: '10' },
      'edge-seconds': { type: 'string', default: '5' },
      'edge-connections': { type: 'string', default: '16' },
      'max-cached-workflows': { type: 'string' },
      'worker-heap-mb': { type: 'string' },
      'worker-semi-space-mb': { type: 'string' },
      'main-heap-mb': { type: 'string' },
      'main-semi-space-mb': { type: 'string' },
      'worker-v8-optimizer': { type: 'boolean', default: false },
      address: { type: 'string' },
      cluster: { type: 'boolean', default: false },
      namespace: { type: 'string' },
      json: { type: 'string', default: 'bench/results/latest.json' },
      paths: { type: 'string', default: 'gateway-update,gateway-signal-first,gateway-describe,direct-signal,bare-workflow' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(
      [
        'npm run bench -- [options]',
        '  --n N                   runs parked per path (default 300); --idle M of them resumed one at a time (default 30)',
        '  --concurrency C         callbacks in flight for the rest (default 32)',
        '  --db sqlite|memory      the dev server\'s store (default sqlite, a file in WAL mode, as `npm run dev`)',
        '  --parked N              also park N procedures, hold them --hold seconds (default 10), resume them all',
        '  --max-cached-workflows  the worker\'s workflow cache (default: the standalone worker\'s, ' + defaultMaxCachedWorkflows() + ' here)',
        '  --worker-heap-mb MB     the workflow thread\'s V8 old-space limit (HOOKWAIT_WORKER_HEAP_MB; default the standalone worker\'s)',
        '  --worker-semi-space-mb MB  its young-generation semi-space (HOOKWAIT_WORKER_SEMI_SPACE_MB; default 2)',
        '  --main-heap-mb MB       the worker process\'s main-thread old-space limit (--max-old-space-size; default Node\'s)',
        '  --main-semi-space-mb MB its main-thread semi-space (--max-semi-space-size; default Node\'s)',
        '  --worker-v8-optimizer   let V8\'s optimizing compiler run in the worker (default off, as the standalone worker)',
        '  --edge-seconds S        forged-token load for S seconds (default 5; 0 skips it)',
        '  --address host:port     an external Temporal (also TEMPORAL_ADDRESS; --cluster requires one); no dev server',
        '  --namespace NS          its namespace (also TEMPORAL_NAMESPACE; default "default")',
        '  --paths a,b             which paths to measure (default all five: gateway-update, gateway-signal-first, gateway-describe, direct-signal, bare-workflow)',
        '  --json FILE             where the figures go (default bench/results/latest.json)',
        '',
      ].join('\n'),
    );
    return;
  }
  const int = (name: string, v: string | undefined, min: number, max: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be a whole number from ${min} to ${max}`);
    return n;
  };
  const n = int('n', values.n, 1, 20_000);
  const idle = int('idle', values.idle, 0, n);
  const concurrency = int('concurrency', values.concurrency, 1, 1_000);
  const parkedN = int('parked', values.parked, 0, 100_000);
  const holdSeconds = int('hold', values.hold, 0, 3_600);
  const edgeSeconds = int('edge-seconds', values['edge-seconds'], 0, 600);
  const edgeConnections = int('edge-connections', values['edge-connections'], 1, 1_000);
  const maxCached = values['max-cached-workflows'] !== undefined ? int('max-cached-workflows', values['max-cached-workflows'], 0, 1_000_000) : defaultMaxCachedWorkflows();
  const workerHeapMb = values['worker-heap-mb'] !== undefined ? int('worker-heap-mb', values['worker-heap-mb'], 64, 65_536) : undefined;
  const workerSemiSpaceMb = values['worker-semi-space-mb'] !== undefined ? int('worker-semi-space-mb', values['worker-semi-space-mb'], 1, 1_024) : undefined;
  const mainHeapMb = values['main-heap-mb'] !== undefined ? int('main-heap-mb', values['main-heap-mb'], 64, 65_536) : undefined;
  const mainSemiSpaceMb = values['main-semi-space-mb'] !== undefined ? int('main-semi-space-mb', values['main-semi-space-mb'], 1, 1_024) : undefined;
  const workerV8Optimizer = values['worker-v8-optimizer'];
  const db = values.db;
  if (db !== 'memory' && db !== 'sqlite') throw new Error('--db must be memory or sqlite');
  const external = values.address ?? process.env.TEMPORAL_ADDRESS;
  if (values.cluster && !external) throw new Error('--cluster needs --address host:port or TEMPORAL_ADDRESS (start the cluster with `npm run cluster`)');
  const paths = values.paths.split(',').map((p) => p.trim());
  for (const p of paths) if (!['gateway-update', 'gateway-signal-first', 'gateway-describe', 'direct-signal', 'bare-workflow'].includes(p)) throw new Error(`--paths: unknown path ${p}`);

  const loadAtStart = loadavg()[0] ?? 0;
  const phaseTimeoutMs = Math.max(180_000, (n + parkedN) * 100);
  const dir = !external && db === 'sqlite' ? mkdtempSync(join(tmpdir(), 'hookwait-bench-')) : undefined;
  let env: TestWorkflowEnvironment | undefined;
  let connection: Connection | undefined;
  let worker: WorkerProcess | undefined;
  const servers: Server[] = [];
  const results: PathResult[] = [];
  let edge: { perSecond: number; perCpuSecond: number; temporalCalls: number; statuses: Record<string, number>; requests: number } | undefined;
  let parked: { n: number; completed: number; peakRssBytes: number; baselineRssBytes: number; heldRssBytes: number; perRunBytes: number; resumedPerSecond: number; parkSeconds: number } | undefined;
  let server: string;
  let bundleDir: string | undefined;
  try {
    let address: string;
    let namespace = values.namespace ?? process.env.TEMPORAL_NAMESPACE ?? 'default';
    if (external) {
      address = external;
      server = `external Temporal at ${external}`;
    } else {
      env = await TestWorkflowEnvironment.createLocal({
        server: {
          executable: { type: 'existing-path', path: await findTemporalCli() },
          ip: '127.0.0.1',
          searchAttributes: [...HOOKWAIT_SEARCH_ATTRIBUTES],
          ...(dir ? { dbFilename: join(dir, 'temporal.db'), extraArgs: ['--sqlite-pragma', 'journal_mode=WAL'] } : {}),
        },
      });
      address = env.address;
      namespace = env.namespace ?? 'default';
      server = `Temporal CLI dev server (${db === 'sqlite' ? 'SQLite file, WAL' : 'in memory'})`;
    }
    connection = await Connection.connect({ address });
    const client = new Client({ connection, namespace });
    const keySpec = generateKeyringSpec('bench');
    const keyring = parseKeyring(keySpec);

    const gateways = new Map<StatusCheck, { url: string; calls: () => number; reset: () => void }>();
    for (const statusCheck of ['update', 'signal-first', 'describe'] as const) {
      const counted = countingClient(connection, namespace);
      const app = createGatewayApp({ client: counted.client, namespace, procedures, keyring, logger: silentLogger, secrets: {}, rateLimits: false, statusCheck });
      const s = await new Promise<Server>((res, rej) => {
        const srv = app.listen(0, '127.0.0.1', () => res(srv));
        srv.once('error', rej);
      });
      servers.push(s);
      gateways.set(statusCheck, { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, calls: counted.calls, reset: counted.reset });
    }
    const gatewayOf = (check: StatusCheck): { url: string; calls: () => number; reset: () => void } => gateways.get(check) as { url: string; calls: () => number; reset: () => void };

    const taskQueue = `hookwait-bench-${process.pid}`;
    const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
    const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('./bench-workflows'), logger: quiet, preloadModules: [...HOOKWAIT_PRELOAD_MODULES] });
    bundleDir = mkdtempSync(join(tmpdir(), 'hookwait-bench-bundle-'));
    writeFileSync(join(bundleDir, 'workflows.js'), code);
    worker = await WorkerProcess.start({
      BENCH_TEMPORAL_ADDRESS: address,
      BENCH_NAMESPACE: namespace,
      BENCH_TASK_QUEUE: taskQueue,
      BENCH_TOKEN_KEYS: keySpec,
      BENCH_PUBLIC_BASE_URL: gatewayOf('signal-first').url,
      BENCH_MAX_CACHED_WORKFLOWS: String(maxCached),
      ...(workerHeapMb !== undefined ? { BENCH_WORKFLOW_HEAP_MB: String(workerHeapMb) } : {}),
      ...(workerSemiSpaceMb !== undefined ? { BENCH_WORKFLOW_SEMI_SPACE_MB: String(workerSemiSpaceMb) } : {}),
      ...(mainHeapMb !== undefined ? { BENCH_MAIN_HEAP_MB: String(mainHeapMb) } : {}),
      ...(mainSemiSpaceMb !== undefined ? { BENCH_MAIN_SEMI_SPACE_MB: String(mainSemiSpaceMb) } : {}),
      BENCH_WORKER_V8_OPTIMIZER: String(workerV8Optimizer),
      BENCH_BUNDLE_PATH: join(bundleDir, 'workflows.js'),
    });
    const w = worker;

    /** Starts `count` runs of `type` and resolves once all are parked (procedures: waiting per visibility; bare: activity started). */
    const park = async (prefix: string, type: 'benchWait' | 'bareWait', count: number): Promise<WorkflowHandle[]> => {
      const before = (await w.stats()).parked;
      const handles: WorkflowHandle[] = new Array(count);
      await pool(Array.from({ length: count }, (_, i) => i), concurrency, async (i) => {
        handles[i] = await client.workflow.start(type, { taskQueue, workflowId: `${prefix}-${i}`, args: type === 'benchWait' ? [{}] : [] });
      });
      const deadline = Date.now() + phaseTimeoutMs;
      for (;;) {
        const done =
          type === 'bareWait'
            ? (await w.stats()).parked - before
            : (await client.workflow.count(`TaskQueue = '${taskQueue}' AND HookwaitStatus = 'waiting'`)).count;
        if (done >= count) return handles;
        if (Date.now() > deadline) throw new Error(`${prefix}: only ${done} of ${count} runs parked within ${phaseTimeoutMs} ms`);
        await sleep(200);
      }
    };
    const urlOf = (base: string, h: WorkflowHandle): string =>
      callbackUrl(base, mintCallbackToken(keyring, { namespace, procedure: benchProcedure.name, workflowId: h.workflowId, runId: h.firstExecutionRunId, wait: 'done' }));
    const post = async (url: string, id: string): Promise<void> => {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"value":"x"}', signal: AbortSignal.timeout(30_000) });
      const text = await res.text();
      if (res.status !== 202) throw new Error(`callback for ${id} answered ${res.status}: ${text.slice(0, 300)}`);
    };
    const resultOf = async (h: WorkflowHandle, deadline: number): Promise<number> => {
      const r = (await client.connection.withDeadline(deadline, () => h.result())) as { resumedAt: number; status?: string };
      if (r.status !== undefined && r.status !== 'completed') throw new Error(`${h.workflowId} ended ${r.status}`);
      return 'output' in r ? (r as unknown as { output: { resumedAt: number } }).output.resumedAt : r.resumedAt;
    };
    /** Events from the one that resumed the run to its end, by type. */
    const eventsAfterResume = async (h: WorkflowHandle): Promise<{ total: number; byType: Record<string, number> }> => {
      const history = await h.fetchHistory();
      const events = history.events ?? [];
      let resumedAt = events.findIndex((e) => e.workflowExecutionSignaledEventAttributes || e.activityTaskCompletedEventAttributes?.result || e.workflowExecutionUpdateAcceptedEventAttributes);
      // An update is accepted by the workflow task it started: count from that task's scheduling.
      if (events[resumedAt]?.workflowExecutionUpdateAcceptedEventAttributes) {
        while (resumedAt > 0 && !events[resumedAt]?.workflowTaskScheduledEventAttributes) resumedAt--;
      }
      const byType: Record<string, number> = {};
      const after = events.slice(resumedAt);
      for (const e of after) {
        const type = String(e.eventType ?? '?');
        const name = (e.eventType !== undefined && e.eventType !== null ? (Object.keys(e).find((k) => k.endsWith('EventAttributes')) ?? type) : type).replace(/EventAttributes$/, '');
        byType[name] = (byType[name] ?? 0) + 1;
      }
      return { total: after.length, byType };
    };

    const measure = async (path: string, type: 'benchWait' | 'bareWait', send: (h: WorkflowHandle) => Promise<void>, counter?: { calls: () => number; reset: () => void }): Promise<PathResult> => {
      const handles = await park(`${path}-${process.pid}`, type, n);
      w.resetPeak();
      counter?.reset();
      const deadline = Date.now() + phaseTimeoutMs;
      const idleLatencies: number[] = [];
      for (const h of handles.slice(0, idle)) {
        const sent = Date.now();
        await send(h);
        idleLatencies.push((await resultOf(h, deadline)) - sent);
      }
      const rest = handles.slice(idle);
      const sentAt: number[] = new Array(rest.length);
      const loadLatencies: number[] = new Array(rest.length);
      const started = performance.now();
      await Promise.all([
        pool(rest, concurrency, async (h, i) => {
          sentAt[i] = Date.now();
          await send(h);
        }),
        pool(rest, Math.max(concurrency, 64), async (h, i) => {
          const resumedAt = await resultOf(h, deadline);
          loadLatencies[i] = resumedAt - (sentAt[i] ?? resumedAt);
        }),
      ]);
      const elapsed = (performance.now() - started) / 1000;
      idleLatencies.sort((a, b) => a - b);
      loadLatencies.sort((a, b) => a - b);
      const events = await eventsAfterResume(handles[0] as WorkflowHandle);
      return {
        path,
        n,
        idleSamples: idle,
        idleP50Ms: percentile(idleLatencies, 50),
        idleP99Ms: percentile(idleLatencies, 99),
        loadRuns: rest.length,
        resumedPerSecond: rest.length / elapsed,
        loadP50Ms: percentile(loadLatencies, 50),
        ...(counter ? { temporalCallsPerCallback: counter.calls() / n } : {}),
        eventsPerResume: events.total,
        eventBreakdown: events.byType,
        workerPeakRssBytes: (await w.stats()).peak,
      };
    };

    for (const path of paths) {
      process.stderr.write(`bench: ${path}…\n`);
      if (path.startsWith('gateway-')) {
        const g = gatewayOf(path.slice('gateway-'.length) as StatusCheck);
        results.push(await measure(path, 'benchWait', (h) => post(urlOf(g.url, h), h.workflowId), g));
      } else if (path === 'direct-signal') {
        results.push(
          await measure(path, 'benchWait', (h) =>
            client.connection.withDeadline(Date.now() + 30_000, () =>
              h.signal(callbackSignal, { wait: 'done', attributes: { value: 'x' }, receivedAt: new Date().toISOString(), source: { kind: 'client' } }),
            ),
          ),
        );
      } else {
        results.push(await measure(path, 'bareWait', (h) => client.activity.complete({ workflowId: h.workflowId, activityId: 'park' }, 'x')));
      }
    }

    if (edgeSeconds > 0) {
      process.stderr.write('bench: edge…\n');
      const g = gatewayOf('signal-first');
      const real = mintCallbackToken(keyring, { namespace, procedure: benchProcedure.name, workflowId: 'edge', runId: '00000000-0000-0000-0000-000000000000', wait: 'done' });
      const forged = `${real.slice(0, -6)}${real.slice(-6) === 'AAAAAA' ? 'BBBBBB' : 'AAAAAA'}`;
      g.reset();
      const cpuBefore = process.cpuUsage();
      const child = fork(join(__dirname, 'edge-load.js'), [], {
        env: { ...process.env, EDGE_URL: callbackUrl(g.url, forged), EDGE_SECONDS: String(edgeSeconds), EDGE_CONNECTIONS: String(edgeConnections) },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      const report = await new Promise<{ statuses: Record<string, number>; errors: number; seconds: number }>((res, rej) => {
        child.once('message', (m) => res(m as { statuses: Record<string, number>; errors: number; seconds: number }));
        child.once('exit', (code) => code !== 0 && rej(new Error(`edge load generator exited ${code}`)));
      });
      const cpu = process.cpuUsage(cpuBefore);
      const requests = Object.values(report.statuses).reduce((a, b) => a + b, 0);
      const cpuSeconds = (cpu.user + cpu.system) / 1e6;
      edge = { perSecond: requests / report.seconds, perCpuSecond: requests / cpuSeconds, temporalCalls: g.calls(), statuses: report.statuses, requests };
    }

    if (parkedN > 0) {
      process.stderr.write(`bench: parking ${parkedN}…\n`);
      const baselineStats = await w.stats();
      const baseline = baselineStats.rss;
      process.stderr.write(traceLine('before parking', baselineStats));
      let phase = 'parking';
      let completedSoFar = 0;
      const tracer = setInterval(() => {
        void w.stats().then((s) => process.stderr.write(traceLine(`${phase} (${completedSoFar} completed)`, s)));
      }, 15_000);
      tracer.unref();
      w.resetPeak();
      const t0 = performance.now();
      const handles = await park(`parked-${process.pid}`, 'benchWait', parkedN);
      const parkSeconds = (performance.now() - t0) / 1000;
      process.stderr.write(`bench: ${parkedN} parked in ${parkSeconds.toFixed(0)} s; holding ${holdSeconds} s…\n`);
      await sleep(holdSeconds * 1000);
      const heldStats = await w.stats();
      const held = heldStats.rss;
      process.stderr.write(traceLine('held', heldStats));
      phase = 'resuming';
      const g = gatewayOf('update');
      const deadline = Date.now() + phaseTimeoutMs;
      const t1 = performance.now();
      let completed = 0;
      await Promise.all([
        pool(handles, concurrency, (h) => post(urlOf(g.url, h), h.workflowId)),
        pool(handles, Math.max(concurrency, 64), async (h) => {
          await resultOf(h, deadline);
          completed++;
          completedSoFar = completed;
        }),
      ]);
      clearInterval(tracer);
      const resumeSeconds = (performance.now() - t1) / 1000;
      const stats = await w.stats();
      process.stderr.write(traceLine('resumed', stats));
      parked = {
        n: parkedN,
        completed,
        peakRssBytes: stats.peak,
        baselineRssBytes: baseline,
        heldRssBytes: held,
        perRunBytes: Math.max(0, held - baseline) / parkedN,
        resumedPerSecond: parkedN / resumeSeconds,
        parkSeconds,
      };
    }
  } finally {
    await worker?.stop();
    for (const s of servers) {
      await new Promise<void>((r) => {
        s.close(() => r());
        s.closeAllConnections();
      });
    }
    await connection?.close();
    await env?.teardown();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
  }

  // The report.
  const by = (p: string): PathResult | undefined => results.find((r) => r.path === p);
  const sf = by('gateway-update');
  const direct = by('direct-signal');
  const bare = by('bare-workflow');
  const fmt = (v: number | undefined, digits = 0): string => (v === undefined || Number.isNaN(v) ? 'n/a' : v.toFixed(digits));
  const met = (ok: boolean | undefined): string => (ok === undefined ? 'not measured' : ok ? '**met**' : '**not met**');
  const targets: { target: string; goal: string; measured: string; met: boolean | undefined }[] = [
    {
      target: 'One Temporal call per accepted callback',
      goal: '1 call; gateway idle p50 ≤ 1.2 × direct signal',
      measured: sf && direct ? `${fmt(sf.temporalCallsPerCallback, 2)} calls (update, the default); p50 ${fmt(sf.idleP50Ms)} ms vs ${fmt(direct.idleP50Ms)} ms (${fmt(sf.idleP50Ms / direct.idleP50Ms, 2)}×)` : 'n/a',
      met: sf && direct ? sf.temporalCallsPerCallback === 1 && sf.idleP50Ms <= 1.2 * direct.idleP50Ms : undefined,
    },
    {
      target: 'Resume throughput',
      goal: `≥ 2 × ${BASELINE_RESUMED_PER_SECOND}/s (the issue's figure) and ≥ the bare workflow's rate`,
      measured: sf && bare ? `${fmt(sf.resumedPerSecond)}/s through the gateway; bare workflow ${fmt(bare.resumedPerSecond)}/s` : 'n/a',
      met: sf && bare ? sf.resumedPerSecond >= 2 * BASELINE_RESUMED_PER_SECOND && sf.resumedPerSecond >= bare.resumedPerSecond : undefined,
    },
    {
      target: `${parked ? parked.n.toLocaleString('en-US') : '10,000'} parked procedures`,
      goal: 'worker RSS ≤ 300 MB, every run completes',
      measured: parked
        ? `peak ${mib(parked.peakRssBytes)}, ${parked.completed}/${parked.n} completed, ${fmt(parked.perRunBytes / 1024, 1)} KiB per parked run, resumed ${fmt(parked.resumedPerSecond)}/s after eviction (cache ${maxCached})`
        : 'run with --parked 10000',
      met: parked ? parked.peakRssBytes <= RSS_TARGET_BYTES && parked.completed === parked.n : undefined,
    },
    {
      target: 'The edge',
      goal: `≥ ${EDGE_TARGET_PER_CORE.toLocaleString('en-US')} forged-token requests/s per gateway core, 404, 0 Temporal calls`,
      measured: edge
        ? `${fmt(edge.perCpuSecond)} per gateway CPU-second (${fmt(edge.perSecond)}/s wall); ${Object.entries(edge.statuses).map(([s, c]) => `${c} × ${s}`).join(', ')}; ${edge.temporalCalls} Temporal calls`
        : 'n/a',
      met: edge ? edge.perCpuSecond >= EDGE_TARGET_PER_CORE && edge.temporalCalls === 0 && Object.keys(edge.statuses).every((s) => s === '404') : undefined,
    },
  ];
  const table = (head: readonly string[], rows: readonly (readonly string[])[]): string[] => [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
  const names: Record<string, string> = {
    'gateway-update': 'hookwait gateway → update (`update`, the default)',
    'gateway-signal-first': 'hookwait gateway → signal (`signal-first`)',
    'gateway-describe': 'hookwait gateway → describe → signal (`describe`)',
    'direct-signal': 'direct `handle.signal()` to the procedure',
    'bare-workflow': 'bare Temporal workflow, async activity completion',
  };
  const machine = `${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), ${mib(totalmem())} RAM, Node ${process.version}`;
  const out = [
    `hookwait benchmark, ${new Date().toISOString().slice(0, 10)}: ${server}; worker in its own process (workflow cache ${maxCached}, workflow thread heap ${workerHeapMb ?? workflowHeapMbOf({ maxCachedWorkflows: maxCached })} MiB, semi-space ${workerSemiSpaceMb ?? DEFAULT_WORKFLOW_SEMI_SPACE_MB} MiB${mainHeapMb !== undefined ? `, main thread heap ${mainHeapMb} MiB` : ''}${mainSemiSpaceMb !== undefined ? `, main thread semi-space ${mainSemiSpaceMb} MiB` : ''}, V8 optimizer ${workerV8Optimizer ? 'on' : 'off'}); gateways and client in another; ${machine}.`,
    `N=${n} runs parked per path: ${idle} resumed one at a time (idle), the other ${n - idle} with ${concurrency} in flight (load). Load average at the start: ${loadAtStart.toFixed(1)}. One worker serves the paths in turn: its peak RSS includes what the earlier paths left.`,
    '',
    ...table(
      ['target', 'goal', 'measured', ''],
      targets.map((t) => [t.target, t.goal, t.measured, met(t.met)]),
    ),
    '',
    ...table(
      ['path', 'idle send → resumed p50 / p99 ms', 'runs resumed/s under load', 'Temporal calls per callback', 'history events from resume to end', 'worker peak RSS'],
      results.map((r) => [
        names[r.path] ?? r.path,
        `${fmt(r.idleP50Ms)} / ${fmt(r.idleP99Ms)}`,
        fmt(r.resumedPerSecond),
        r.temporalCallsPerCallback !== undefined ? fmt(r.temporalCallsPerCallback, 2) : '-',
        `${r.eventsPerResume} (${Object.entries(r.eventBreakdown).map(([k, v]) => `${v} ${k}`).join(', ')})`,
        mib(r.workerPeakRssBytes),
      ]),
    ),
    '',
  ];
  process.stdout.write(out.join('\n'));
  const jsonPath = resolve(values.json);
  mkdirSync(dirname(jsonPath), { recursive: true });
  writeFileSync(
    jsonPath,
    `${JSON.stringify({ date: new Date().toISOString(), server, machine, loadAverageAtStart: loadAtStart, options: { n, idle, concurrency, db: external ? undefined : db, parked: parkedN, maxCachedWorkflows: maxCached, workerHeapMb, workerSemiSpaceMb, mainHeapMb, mainSemiSpaceMb, workerV8Optimizer, edgeSeconds }, targets, paths: results, edge, parked }, null, 2)}\n`,
  );
  process.stderr.write(`bench: figures written to ${values.json}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
