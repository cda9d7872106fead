import type { Client } from '@temporalio/client';
import { lazyClient } from '../src/app/temporal-connection';
import { startGateway, type StartedGateway } from '../src/api/start-gateway';
import { loadConfig } from '../src/config';
import { silentLogger } from '../src/logging/logger';
import { generateKeyringSpec } from '../src/security/callback-token';
import { testProcedures } from './fixtures/procedures';
import { TEST_SECRETS } from './helpers/harness';

// The standalone gateway's two listeners, and what /readyz costs Temporal. Temporal is unreachable here (nothing
// listens on port 1): every readiness call fails fast, and each one is counted.

/** The client, with its `getSystemInfo` calls (the readiness call) counted. */
function countingReadiness(client: Client): { client: Client; calls: () => number } {
  let calls = 0;
  const service = new Proxy(client.workflowService, {
    get: (t, p) => {
      const v = Reflect.get(t, p) as unknown;
      if (p === 'getSystemInfo' && typeof v === 'function') return (...args: unknown[]) => (calls++, (v as (...a: unknown[]) => unknown).apply(t, args));
      return v;
    },
  });
  return { client: new Proxy(client, { get: (t, p) => (p === 'workflowService' ? service : (Reflect.get(t, p) as unknown)) }), calls: () => calls };
}

describe('the standalone gateway: admin listener and readiness', () => {
  let gateway: StartedGateway;
  let counting: ReturnType<typeof countingReadiness>;
  beforeAll(async () => {
    const config = loadConfig({ HOOKWAIT_TOKEN_KEYS: generateKeyringSpec('a1'), TEMPORAL_ADDRESS: '127.0.0.1:1', HOOKWAIT_TEMPORAL_TIMEOUT_MS: '500', ...TEST_SECRETS });
    process.env = { ...process.env, ...TEST_SECRETS };
    counting = countingReadiness(lazyClient(config.temporal));
    gateway = await startGateway(config, counting.client, testProcedures, silentLogger, { port: 0, host: '127.0.0.1', adminPort: 0 });
  });
  afterAll(async () => {
    await gateway?.stop({ drainTimeoutMs: 100 });
    await counting?.client.connection.close().catch(() => undefined);
  });

  test('/metrics is on the admin listener (loopback) only: the public one answers 404 problem+json', async () => {
    expect(gateway.adminUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const pub = await fetch(`${gateway.url}/metrics`);
    expect(pub.status).toBe(404);
    expect(pub.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await pub.text()).not.toMatch(/nodejs_version_info|hookwait_callbacks_total/);
    // A refused callback on the public listener is counted on the admin one.
    expect((await fetch(`${gateway.url}/callbacks/forged`, { method: 'POST' })).status).toBe(404);
    const admin = await fetch(`${gateway.adminUrl}/metrics`);
    expect(admin.status).toBe(200);
    const text = await admin.text();
    expect(text).toMatch(/hookwait_callbacks_total\{outcome="not-found"\} [1-9]/);
    expect(text).toContain('hookwait_gateway_nodejs_version_info');
    expect((await fetch(`${gateway.adminUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${gateway.adminUrl}/nowhere`)).status).toBe(404);
    expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
  });

  test('50 concurrent /readyz cost Temporal one call, shared and then cached; the next period makes one more', async () => {
    await new Promise((r) => setTimeout(r, 2_100)); // past any answer cached by an earlier test
    const before = counting.calls();
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => fetch(`${i % 2 ? gateway.url : gateway.adminUrl}/readyz`)));
    expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 50 }, () => 503));
    expect(answers[0]?.headers.get('retry-after')).toBe('5');
    expect(counting.calls() - before).toBe(1);
    // Still within the cache period: no call at all.
    for (let i = 0; i < 20; i++) expect((await fetch(`${gateway.url}/readyz`)).status).toBe(503);
    expect(counting.calls() - before).toBe(1);
    await new Promise((r) => setTimeout(r, 2_100));
    await Promise.all(Array.from({ length: 10 }, () => fetch(`${gateway.url}/readyz`)));
    expect(counting.calls() - before).toBe(2);
  }, 20_000);
});
