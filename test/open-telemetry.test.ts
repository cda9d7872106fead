import { randomBytes } from 'node:crypto';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { defaultPayloadConverter } from '@temporalio/common';
import { OpenTelemetryPlugin } from '@temporalio/interceptors-opentelemetry';
import { verifyCustomer } from './fixtures/plain-workflows';
import { startHarness, type Harness } from './helpers/harness';
import { eventually, postCallback } from './helpers/http';
import { callbackUrlOf, uniqueId, untilWaitStatus } from './helpers/runs';

// The application's OpenTelemetry set-up, as a user would make it: a tracer provider with an in-memory exporter,
// async context across awaits, and W3C trace context propagation.
const exporter = new InMemorySpanExporter();
const spanProcessor = new SimpleSpanProcessor(exporter);
const provider = new BasicTracerProvider({ spanProcessors: [spanProcessor] });
provider.register({ contextManager: new AsyncLocalStorageContextManager().enable(), propagator: new W3CTraceContextPropagator() });
const openTelemetry = new OpenTelemetryPlugin({ resource: new Resource({ 'service.name': 'hookwait-test' }), spanProcessor });

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ openTelemetry });
  await h.startWorker();
});
afterAll(async () => {
  await h?.teardown();
  await provider.shutdown();
});

const spansNamed = (name: string): ReadableSpan[] => exporter.getFinishedSpans().filter((s) => s.name === name);

describe('OpenTelemetry, opted in with hookwaitPlugin({ openTelemetry })', () => {
  test("one trace from the HTTP callback to the workflow's update handler: the sender's traceparent is carried into the update", async () => {
    const handle = await h.env.client.workflow.start(verifyCustomer, { taskQueue: h.taskQueue, workflowId: uniqueId('otel'), args: [{}] });
    const url = await callbackUrlOf(handle, 'idVerified');
    await untilWaitStatus(handle, 'idVerified', 'waiting');

    const traceId = randomBytes(16).toString('hex');
    const senderSpanId = randomBytes(8).toString('hex');
    const res = await postCallback(url, { status: 'verified', data: { reference: { id: 'ref-otel' } } }, { headers: { traceparent: `00-${traceId}-${senderSpanId}-01`, tracestate: 'vendor=1' } });
    expect(res.status).toBe(202);
    expect(await handle.result()).toMatchObject({ status: 'verified', reference: 'ref-otel' });

    // Client side: the gateway's update (the default status check), a child of the sender's span.
    const signal = await eventually(async () => spansNamed('StartWorkflowUpdate:hookwait.deliver').find((s) => s.spanContext().traceId === traceId));
    expect(signal.parentSpanId).toBe(senderSpanId);
    expect(signal.spanContext().traceState?.get('vendor')).toBe('1');
    // Workflow side (exported through the worker's sink): the update handler, a child of the gateway's update span.
    const handled = await eventually(async () => spansNamed('HandleUpdate:hookwait.deliver').find((s) => s.spanContext().traceId === traceId));
    expect(handled.parentSpanId).toBe(signal.spanContext().spanId);

    // What travels with the update in history: the trace context, in the header the SDK's interceptors use.
    const history = await handle.fetchHistory();
    const accepted = (history.events ?? []).find((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'hookwait.deliver');
    const header = accepted?.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.header?.fields?.['_tracer-data'];
    expect(header).toBeDefined();
    const carried = defaultPayloadConverter.fromPayload<Record<string, string>>(header!);
    expect(carried.traceparent).toBe(`00-${traceId}-${signal.spanContext().spanId}-01`);
  });

  test('workflow and activity spans are produced', async () => {
    const handle = await h.env.client.workflow.start(verifyCustomer, { taskQueue: h.taskQueue, workflowId: uniqueId('otel-spans'), args: [{ timeout: '1s' }] });
    expect(await handle.result()).toBe('timeout');
    const names = await eventually(async () => {
      const all = new Set(exporter.getFinishedSpans().map((s) => s.name));
      return all.has('RunWorkflow:verifyCustomer') && all.has('RunActivity:hookwaitMintCallbackUrls') ? all : undefined;
    });
    expect([...names]).toEqual(expect.arrayContaining(['RunWorkflow:verifyCustomer', 'RunActivity:hookwaitMintCallbackUrls']));
  });

  test('a callback without trace headers is still accepted, in a trace of its own', async () => {
    const handle = await h.env.client.workflow.start(verifyCustomer, { taskQueue: h.taskQueue, workflowId: uniqueId('otel-none'), args: [{}] });
    const url = await callbackUrlOf(handle, 'idVerified');
    await untilWaitStatus(handle, 'idVerified', 'waiting');
    const before = new Set(spansNamed('StartWorkflowUpdate:hookwait.deliver').map((s) => s.spanContext().spanId));
    expect((await postCallback(url, { status: 'rejected', data: { reference: { id: 'r' } } })).status).toBe(202);
    expect(await handle.result()).toMatchObject({ status: 'rejected' });
    const signal = await eventually(async () => spansNamed('StartWorkflowUpdate:hookwait.deliver').find((s) => !before.has(s.spanContext().spanId)));
    expect(signal.parentSpanId).toBeUndefined();
  });
});
