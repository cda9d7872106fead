import { ConfigError, loadConfig } from '../../src/config';
import { createRunStatusCache } from '../../src/service/run-status-cache';
import { DEFAULT_MAX_CACHED_WORKFLOWS, defaultMaxCachedWorkflows, workerOptionsOf, workerV8Flags, workflowHeapMbOf } from '../../src/worker/run-worker';
import type { HookwaitMemo } from '../../src/core/run-state';

const KEYS = `k1:${Buffer.alloc(32, 1).toString('base64')}`;
const env = (extra: Record<string, string> = {}) => ({ HOOKWAIT_TOKEN_KEYS: KEYS, ...extra });
const noFiles = { temporalConfigFile: false, readFile: (p: string): Buffer => { throw new Error(`unexpected read of ${p}`); } };

describe('worker tuning', () => {
  test('the standalone worker always bounds its workflow cache: the SDK\'s heap-derived default, at most 50', () => {
    expect(DEFAULT_MAX_CACHED_WORKFLOWS).toBe(50);
    expect(workerOptionsOf(loadConfig(env(), noFiles).worker)).toEqual({ maxCachedWorkflows: defaultMaxCachedWorkflows() });
    expect(defaultMaxCachedWorkflows(4096 * 1024 * 1024)).toBe(50);
    expect(defaultMaxCachedWorkflows(300 * 1024 * 1024)).toBe(50);
    expect(defaultMaxCachedWorkflows(250 * 1024 * 1024)).toBe(29);
    expect(defaultMaxCachedWorkflows(128 * 1024 * 1024)).toBe(10);
  });

  test('the workflow thread\'s heap follows the cache (64 MiB + 0.5 MiB per cached run, at least 128) unless HOOKWAIT_WORKER_HEAP_MB is set', () => {
    expect(workflowHeapMbOf({ maxCachedWorkflows: 50 })).toBe(128);
    expect(workflowHeapMbOf({ maxCachedWorkflows: 300 })).toBe(214);
    expect(workflowHeapMbOf({ maxCachedWorkflows: 10 })).toBe(128);
    expect(workflowHeapMbOf({ maxCachedWorkflows: 1000 })).toBe(564);
    const c = loadConfig(env({ HOOKWAIT_MAX_CACHED_WORKFLOWS: '200' }), noFiles);
    expect(workerV8Flags(c.worker)).toEqual(['--no-opt', '--max-semi-space-size=2', '--max-old-space-size=164', '--heap-growing-percent=10']);
    const set = loadConfig(env({ HOOKWAIT_WORKER_HEAP_MB: '128', HOOKWAIT_MAX_CACHED_WORKFLOWS: '40', HOOKWAIT_WORKER_SEMI_SPACE_MB: '8' }), noFiles);
    expect(workerOptionsOf(set.worker)).toEqual({ maxCachedWorkflows: 40 });
    expect(workerV8Flags(set.worker)).toEqual(['--no-opt', '--max-semi-space-size=8', '--max-old-space-size=128', '--heap-growing-percent=10']);
  });

  test('HOOKWAIT_MAX_CACHED_WORKFLOWS, HOOKWAIT_MAX_CONCURRENT_WORKFLOW_TASKS and HOOKWAIT_WORKFLOW_TASK_POLLERS reach the worker options', () => {
    const c = loadConfig(env({ HOOKWAIT_MAX_CACHED_WORKFLOWS: '250', HOOKWAIT_MAX_CONCURRENT_WORKFLOW_TASKS: '20', HOOKWAIT_WORKFLOW_TASK_POLLERS: '10' }), noFiles);
    expect(workerOptionsOf(c.worker)).toEqual({
      maxCachedWorkflows: 250,
      maxConcurrentWorkflowTaskExecutions: 20,
      workflowTaskPollerBehavior: { type: 'simple-maximum', maximum: 10 },
    });
  });

  test('the standalone worker turns V8\'s optimizing compiler off unless HOOKWAIT_WORKER_V8_OPTIMIZER=true', () => {
    const heap = `--max-old-space-size=${workflowHeapMbOf({})}`;
    expect(workerV8Flags(loadConfig(env(), noFiles).worker)).toEqual(['--no-opt', '--max-semi-space-size=2', heap, '--heap-growing-percent=10']);
    expect(workerV8Flags(loadConfig(env({ HOOKWAIT_WORKER_V8_OPTIMIZER: 'false' }), noFiles).worker)).toEqual(['--no-opt', '--max-semi-space-size=2', heap, '--heap-growing-percent=10']);
    expect(workerV8Flags(loadConfig(env({ HOOKWAIT_WORKER_V8_OPTIMIZER: 'true' }), noFiles).worker)).toEqual(['--max-semi-space-size=2', heap, '--heap-growing-percent=10']);
    // The flag is not a Worker option: the worker options stay the SDK's.
    expect(workerOptionsOf(loadConfig(env({ HOOKWAIT_WORKER_V8_OPTIMIZER: 'true' }), noFiles).worker)).toEqual({ maxCachedWorkflows: defaultMaxCachedWorkflows() });
  });

  test.each([
    ['HOOKWAIT_WORKER_V8_OPTIMIZER', 'maybe'],
    ['HOOKWAIT_WORKER_HEAP_MB', '32'],
    ['HOOKWAIT_WORKER_SEMI_SPACE_MB', '0'],
    ['HOOKWAIT_MAX_CACHED_WORKFLOWS', '-1'],
    ['HOOKWAIT_MAX_CACHED_WORKFLOWS', 'many'],
    ['HOOKWAIT_MAX_CONCURRENT_WORKFLOW_TASKS', '0'],
    ['HOOKWAIT_WORKFLOW_TASK_POLLERS', '1'],
    ['HOOKWAIT_STATUS_CHECK', 'guess'],
    ['HOOKWAIT_STATUS_CACHE_SIZE', '0'],
  ])('%s=%j is refused, naming the setting', (name, value) => {
    let err: unknown;
    try {
      loadConfig(env({ [name]: value }), noFiles);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).settings).toEqual([name]);
  });

  test('the gateway status check defaults to update; describe and signal-first are accepted', () => {
    expect(loadConfig(env(), noFiles)).toMatchObject({ statusCheck: 'update', callbackUpdateTimeoutMs: 2_000 });
    expect(loadConfig(env({ HOOKWAIT_STATUS_CHECK: 'describe', HOOKWAIT_CALLBACK_UPDATE_TIMEOUT_MS: '2000' }), noFiles)).toMatchObject({ statusCheck: 'describe', callbackUpdateTimeoutMs: 2_000 });
    expect(loadConfig(env({ HOOKWAIT_STATUS_CHECK: 'signal-first', HOOKWAIT_STATUS_CACHE_SIZE: '50' }), noFiles)).toMatchObject({ statusCheck: 'signal-first', statusCacheSize: 50 });
  });
});

describe('the run status cache', () => {
  const memo = (extra: Partial<HookwaitMemo> = {}): HookwaitMemo => ({ v: 2, procedure: 'p', status: 'completed', waits: { a: 'received' }, digests: { a: 'd1' }, ...extra });

  test('keeps a closed run with the digest its wait accepted, and nothing about an open run but its quiet waits', () => {
    const cache = createRunStatusCache();
    cache.rememberDescription('w', 'r', 'a', 'RUNNING', memo({ status: 'waiting' }), 'duplicate');
    expect(cache.wait('w', 'r', 'a')).toBeUndefined();
    cache.rememberDescription('w', 'r', 'a', 'RUNNING', memo({ status: 'waiting', quiet: ['a'] }), 'duplicate');
    expect(cache.wait('w', 'r', 'a')).toEqual({ kind: 'quiet', answer: 'duplicate' });
    cache.rememberDescription('w', 'r', 'a', 'COMPLETED', memo());
    expect(cache.wait('w', 'r', 'a')).toEqual({ kind: 'closed', runStatus: 'COMPLETED', digest: 'd1' });
    cache.rememberDescription('w', 'r', 'b', 'COMPLETED', memo());
    expect(cache.wait('w', 'r', 'b')).toEqual({ kind: 'closed', runStatus: 'COMPLETED' });
    // What an update's validator refused as a repeat past the quota.
    cache.rememberQuiet('w', 'r2', 'a', 'late');
    expect(cache.wait('w', 'r2', 'a')).toEqual({ kind: 'quiet', answer: 'late' });
  });

  test('is bounded: the least recently used entry goes first', () => {
    const cache = createRunStatusCache({ maxEntries: 2 });
    cache.rememberDescription('w', 'r1', 'a', 'COMPLETED', undefined);
    cache.rememberDescription('w', 'r2', 'a', 'COMPLETED', undefined);
    expect(cache.wait('w', 'r1', 'a')).toBeDefined();
    cache.rememberDescription('w', 'r3', 'a', 'COMPLETED', undefined);
    expect(cache.wait('w', 'r2', 'a')).toBeUndefined();
    expect(cache.wait('w', 'r1', 'a')).toBeDefined();
    expect(cache.wait('w', 'r3', 'a')).toBeDefined();
    expect(cache.size()).toBe(2);
  });

  test('keeps a run\'s bound digests once published', () => {
    const cache = createRunStatusCache();
    cache.rememberDescription('w', 'r', 'a', 'RUNNING', memo({ status: 'waiting', bound: { a: 'x' } }));
    expect(cache.bound('w', 'r')).toEqual({ a: 'x' });
  });
});
