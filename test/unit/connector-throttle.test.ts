import { ApplicationFailure } from '@temporalio/common';
import { callConnector, CONNECTOR_UNAVAILABLE, type ConnectorThrottledEvent } from '../../src/activities/data-connector';
import { normalizeConnector } from '../../src/definitions/connector';
import { createLogger } from '../../src/logging/logger';

describe('a 429 from the target is counted', () => {
  const point = normalizeConnector('kyc', { method: 'GET', url: 'https://kyc.example.com/x' }, 'connectors.kyc');
  const answer = (status: number, headers: Record<string, string> = {}): typeof fetch => (async () => new Response('slow down', { status, headers })) as typeof fetch;

  test('the hook hears of it with the Retry-After asked for; the log line says throttled; the call is retried after it', async () => {
    const events: ConnectorThrottledEvent[] = [];
    const lines: string[] = [];
    const err = await callConnector(point, {}, { fetch: answer(429, { 'retry-after': '7' }), env: {}, logger: createLogger({ write: (l) => lines.push(l) }), onThrottled: (e) => events.push(e) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).type).toBe(CONNECTOR_UNAVAILABLE);
    expect((err as ApplicationFailure).nonRetryable).toBe(false);
    expect(events).toEqual([{ connector: 'kyc', retryAfterMs: 7_000 }]);
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.throttled === true);
    expect(logged).toMatchObject({ connector: 'kyc', status: 429, throttled: true, retryAfterMs: 7_000, msg: 'connector throttled by its target' });
  });

  test('a 503 is not a throttle; a failing hook does not change the call', async () => {
    const events: ConnectorThrottledEvent[] = [];
    await expect(callConnector(point, {}, { fetch: answer(503), env: {}, logger: createLogger({ write: () => {} }), onThrottled: (e) => events.push(e) })).rejects.toMatchObject({ type: CONNECTOR_UNAVAILABLE });
    expect(events).toEqual([]);
    await expect(
      callConnector(point, {}, { fetch: answer(429), env: {}, logger: createLogger({ write: () => {} }), onThrottled: () => { throw new Error('metrics down'); } }),
    ).rejects.toMatchObject({ type: CONNECTOR_UNAVAILABLE });
  });
});
