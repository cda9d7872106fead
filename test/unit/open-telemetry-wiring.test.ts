import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import { OpenTelemetryActivityInboundInterceptor, OpenTelemetryActivityOutboundInterceptor, OpenTelemetryPlugin } from '@temporalio/interceptors-opentelemetry';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { WorkerOptions } from '@temporalio/worker';
import { LoggingConversationChannel } from '../../src/activities/conversation-channel';
import { createHookwaitActivities } from '../../src/activities/create-activities';
import { withRequestTraceContext } from '../../src/api/trace-context';
import { silentLogger } from '../../src/logging/logger';
import { hookwaitPlugin, type OpenTelemetryWorkerPlugin } from '../../src/plugin';
import { generateKeyringSpec, parseKeyring } from '../../src/security/callback-token';
import { connectorProcedure, testProcedures } from '../fixtures/procedures';

const spanProcessor = new SimpleSpanProcessor(new InMemorySpanExporter());
const provider = new BasicTracerProvider({ spanProcessors: [spanProcessor] });
provider.register({ contextManager: new AsyncLocalStorageContextManager().enable(), propagator: new W3CTraceContextPropagator() });
afterAll(() => provider.shutdown());

const base = { procedures: testProcedures, keyring: parseKeyring(generateKeyringSpec('u1')), publicBaseUrl: 'http://gw', channel: new LoggingConversationChannel(silentLogger), logger: silentLogger };
const workflowModule = require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');

describe('hookwaitPlugin({ openTelemetry })', () => {
  const openTelemetry: OpenTelemetryWorkerPlugin = new OpenTelemetryPlugin({ resource: new Resource({}), spanProcessor });

  test("with workflowsPath, the worker gets hookwait's activities, the SDK's activity interceptors, workflow module and span sink", () => {
    const options = hookwaitPlugin({ ...base, openTelemetry }).configureWorker({ taskQueue: 'q', workflowsPath: '/app/workflows.js' } as WorkerOptions);
    expect(Object.keys(options.activities ?? {})).toEqual(expect.arrayContaining(['hookwaitMintCallbackUrls', 'hookwaitCallConnector']));
    expect(options.interceptors?.workflowModules).toEqual([workflowModule]);
    expect(options.interceptors?.activity).toHaveLength(1);
    expect(Object.keys(options.sinks ?? {})).toEqual(['exporter']);
  });

  test('with a prebuilt bundle, the workflow module comes in at bundling time', () => {
    const plugin = hookwaitPlugin({ ...base, openTelemetry });
    expect(plugin.configureBundler({ workflowsPath: '/app/workflows.js' }).workflowInterceptorModules).toEqual([workflowModule]);
    const worker = plugin.configureWorker({ taskQueue: 'q', workflowBundle: { code: '' } } as WorkerOptions);
    expect(worker.interceptors?.workflowModules ?? []).toEqual([]);
    expect(Object.keys(worker.sinks ?? {})).toEqual(['exporter']);
  });

  test('without it, nothing of tracing is added', () => {
    const plugin = hookwaitPlugin(base);
    const options = plugin.configureWorker({ taskQueue: 'q', workflowsPath: '/app/workflows.js' } as WorkerOptions);
    expect(options.interceptors?.workflowModules ?? []).toEqual([]);
    expect(options.interceptors?.activity ?? []).toEqual([]);
    expect(options.sinks).toBeUndefined();
    expect(plugin.configureBundler({ workflowsPath: '/app/workflows.js' }).workflowInterceptorModules).toBeUndefined();
  });
});

test("with the SDK's activity interceptors, hookwait's activity log lines carry the activity span's trace id", async () => {
  const lines: { message: string; meta: LogMetadata }[] = [];
  const push = (message: string, meta: LogMetadata = {}) => void lines.push({ message, meta });
  const log: TemporalLogger = { log: (_l, m, meta) => push(m, meta), trace: push, debug: push, info: push, warn: push, error: push };
  const env = new MockActivityEnvironment(
    { activityType: 'hookwaitCallConnector' },
    { logger: log, interceptors: [(ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) })] },
  );
  const fetchStub: typeof fetch = async () => new Response('{"id":"x"}', { status: 200, headers: { 'content-type': 'application/json' } });
  const activities = createHookwaitActivities({ ...base, procedures: [connectorProcedure], env: { TEST_PEER_URL: 'http://peer.test', TEST_PEER_KEY: 'k' }, fetch: fetchStub });
  await env.run(activities.hookwaitCallConnector, { procedure: 'connectorCall', connector: 'peer', variables: { vars: { path: 'p', n: 1 }, input: { customerId: 'c' }, callbackUrls: { done: 'u' } } });
  const called = lines.find((l) => l.message === 'connector called');
  expect(called?.meta).toMatchObject({ connector: 'peer', trace_id: expect.stringMatching(/^[0-9a-f]{32}$/), span_id: expect.stringMatching(/^[0-9a-f]{16}$/) });
});

describe('withRequestTraceContext', () => {
  const traceId = '0af7651916cd43dd8448eb211c80319c';
  const headers = { traceparent: `00-${traceId}-b7ad6b7169203331-01`, tracestate: 'vendor=1' };

  test("runs the function in the request's trace context", async () => {
    const seen = await withRequestTraceContext(headers, async () => {
      await new Promise((r) => setTimeout(r, 1));
      return trace.getSpanContext(context.active());
    });
    expect(seen).toMatchObject({ traceId, spanId: 'b7ad6b7169203331', isRemote: true });
    expect(seen?.traceState?.get('vendor')).toBe('1');
    expect(trace.getSpanContext(context.active())).toBeUndefined();
  });

  test('keeps a span already active for the request (an HTTP instrumentation made it)', () => {
    const tracer = trace.getTracer('test');
    tracer.startActiveSpan('http server', (span) => {
      const seen = withRequestTraceContext(headers, () => trace.getSpanContext(context.active()));
      expect(seen?.spanId).toBe(span.spanContext().spanId);
      span.end();
    });
  });

  test('without trace headers, or with a malformed one, the context is left as it is', () => {
    expect(withRequestTraceContext({}, () => context.active())).toBe(context.active());
    expect(withRequestTraceContext({ traceparent: 'garbage' }, () => trace.getSpanContext(context.active()))).toBeUndefined();
  });

  test('with no propagator registered, nothing is read', () => {
    propagation.disable();
    try {
      expect(withRequestTraceContext(headers, () => trace.getSpanContext(context.active()))).toBeUndefined();
    } finally {
      propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    }
  });
});
