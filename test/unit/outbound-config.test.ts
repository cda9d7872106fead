import { generateKeyringSpec } from '../../src/security/callback-token';
import { ConfigError, loadConfig } from '../../src/config';
import { createOutboundMetrics } from '../../src/activities/outbound-metrics';
import { serveOutboundMetrics } from '../../src/worker/outbound-metrics-server';
import { silentLogger } from '../../src/logging/logger';
import type { AddressInfo } from 'node:net';

const base = { HOOKWAIT_TOKEN_KEYS: generateKeyringSpec('k1') };
const load = (env: Record<string, string>) => loadConfig({ ...base, ...env }, { temporalConfigFile: false });

describe('outbound configuration', () => {
  test('HOOKWAIT_OUTBOUND_ALLOW, HOOKWAIT_WEBHOOK_SIGNING_SECRET and the metrics port are read', () => {
    const c = load({ HOOKWAIT_OUTBOUND_ALLOW: 'crm.internal:8080, 10.0.0.0/8', HOOKWAIT_WEBHOOK_SIGNING_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', HOOKWAIT_OUTBOUND_METRICS_PORT: '9465' });
    expect(c.outboundAllow).toBe('crm.internal:8080, 10.0.0.0/8');
    expect(c.webhookSigningSecret).toMatch(/^whsec_/);
    expect(c.outboundMetrics).toEqual({ port: 9465, host: '127.0.0.1' });
    expect(load({})).not.toHaveProperty('outboundAllow');
  });
  test.each([
    ['HOOKWAIT_OUTBOUND_ALLOW', '10.0.0.0/40', /HOOKWAIT_OUTBOUND_ALLOW: '10\.0\.0\.0\/40' is not a CIDR range/],
    ['HOOKWAIT_WEBHOOK_SIGNING_SECRET', 'not-a-secret', /HOOKWAIT_WEBHOOK_SIGNING_SECRET: must be a Standard Webhooks secret/],
    ['HOOKWAIT_OUTBOUND_METRICS_PORT', '70000', /HOOKWAIT_OUTBOUND_METRICS_PORT/],
  ])('a bad %s stops start-up naming it', (name, value, message) => {
    const err = (() => {
      try {
        load({ [name]: value });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(message);
  });
});

describe("the standalone worker's outbound metrics listener", () => {
  test('serves hookwait_outbound_* at /metrics, 404 elsewhere', async () => {
    const metrics = createOutboundMetrics();
    metrics.total.inc({ procedure: 'p', name: 'crm', kind: 'webhook', outcome: 'sent' });
    const server = await serveOutboundMetrics(metrics, { port: 0, host: '127.0.0.1' }, silentLogger);
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const res = await fetch(`${url}/metrics`);
      expect(res.status).toBe(200);
      expect(await res.text()).toMatch(/hookwait_outbound_total\{procedure="p",name="crm",kind="webhook",outcome="sent"\} 1/);
      expect((await fetch(`${url}/other`)).status).toBe(404);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
