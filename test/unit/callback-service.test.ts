import { Client, Connection } from '@temporalio/client';
import { createCallbackService } from '../../src/service/callback-service';
import { OUTCOMES, problemOf } from '../../src/service/outcomes';
import { generateKeyringSpec, mintCallbackToken, parseKeyring } from '../../src/security/callback-token';
import { testProcedures } from '../fixtures/procedures';
import { testWaits } from '../fixtures/waits';
import { TEST_SECRETS } from '../helpers/harness';

// The decisions made before Temporal is called, framework-free. (The client is never used: nothing listens there.)
const keyring = parseKeyring(generateKeyringSpec('u1'));
const client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }), namespace: 'default' });
const service = createCallbackService({
  client,
  namespace: 'default',
  procedures: testProcedures,
  waits: testWaits,
  keyring,
  secrets: TEST_SECRETS,
  rateLimits: { perIp: 3, perToken: 1000, windowMs: 60_000 },
});
afterAll(() => client.connection.close().catch(() => undefined));

const token = (claims: { procedure: string; wait: string; key?: string; namespace?: string }) =>
  mintCallbackToken(keyring, { namespace: claims.namespace ?? 'default', workflowId: 'wf', runId: 'run', procedure: claims.procedure, wait: claims.wait, ...(claims.key ? { key: claims.key } : {}) });
const head = (t: string, extra: Partial<{ method: string; contentType: string; ip: string }> = {}) => ({
  method: 'POST',
  token: t,
  requestId: 'rid',
  contentType: 'application/json',
  ip: `10.0.0.${Math.floor(Math.random() * 250)}`,
  ...extra,
});

describe('callback service: before the body', () => {
  test("a procedure's wait, a defineWait wait (by any workflow type) and a keyed one are found", () => {
    const a = service.inspect(head(token({ procedure: 'approval', wait: 'approval' })));
    expect('target' in a && a.target.scope).toBe('approval/approval');
    const b = service.inspect(head(token({ procedure: 'anyWorkflow', wait: 'lineApproved', key: 'sku-1' })));
    expect('target' in b && { scope: b.target.scope, key: b.target.claims.key }).toEqual({ scope: '~/lineApproved', key: 'sku-1' });
  });

  test.each([
    ['an unknown wait', token({ procedure: 'approval', wait: 'nope' })],
    ['another namespace', token({ procedure: 'approval', wait: 'approval', namespace: 'other' })],
    ['a forged token', `hw1.u1.${'A'.repeat(20)}.${'B'.repeat(43)}`],
    ['garbage', '../../etc/passwd'],
  ])('%s: 404 not-found, problem+json', (_name, t) => {
    const r = service.inspect(head(t));
    expect('answer' in r && r.answer).toMatchObject({ outcome: 'not-found', status: 404, body: { type: 'urn:hookwait:problem:not-found', requestId: 'rid' } });
  });

  test('method, content type and rate are decided from the outcome table', () => {
    const t = token({ procedure: 'approval', wait: 'approval' });
    const m = service.inspect(head(t, { method: 'DELETE' }));
    expect('answer' in m && m.answer).toMatchObject({ outcome: 'method-not-allowed', status: 405, headers: { Allow: 'POST, PUT' } });
    const c = service.inspect(head(t, { contentType: 'text/plain' }));
    expect('answer' in c && c.answer).toMatchObject({ outcome: 'unsupported-media-type', status: 415 });
    const answers = [1, 2, 3, 4].map(() => service.inspect(head(t, { ip: '192.0.2.1' })));
    expect(answers.map((x) => ('answer' in x ? x.answer.status : 'passed'))).toEqual(['passed', 'passed', 'passed', 429]);
  });

  test('IPv6 clients are limited by /64: rotating addresses inside one prefix gains nothing', () => {
    const t = token({ procedure: 'approval', wait: 'approval' });
    const answers = [1, 2, 3, 4].map((i) => service.inspect(head(t, { ip: `2001:db8:77:1:${i}::${i}` })));
    expect(answers.map((x) => ('answer' in x ? x.answer.status : 'passed'))).toEqual(['passed', 'passed', 'passed', 429]);
    // Another /64 has its own window.
    const other = service.inspect(head(t, { ip: '2001:db8:77:2::1' }));
    expect('target' in other).toBe(true);
  });

  test('sender auth and the body are checked before Temporal (401, 400), via deliverCallback()', async () => {
    const key = token({ procedure: 'secured', wait: 'byKey' });
    const noKey = await service.deliverCallback({ ...head(key), body: Buffer.from('{"v":"1"}'), header: () => undefined });
    expect(noKey).toMatchObject({ outcome: 'unauthorized', status: 401 });
    const bad = await service.deliverCallback({ ...head(token({ procedure: 'approval', wait: 'approval' })), body: Buffer.from('{"a":1,"a":2}'), header: () => undefined });
    expect(bad).toMatchObject({ outcome: 'bad-body', status: 400, body: { detail: expect.stringMatching(/duplicate/) } });
  });
});

describe('the outcome table', () => {
  test('every outcome has a status, and every non-2xx one a problem type', () => {
    for (const [name, spec] of Object.entries(OUTCOMES)) {
      expect(spec.status).toBeGreaterThanOrEqual(200);
      if (spec.status >= 300) expect(problemOf(name as keyof typeof OUTCOMES).type).toMatch(/^urn:hookwait:problem:[a-z-]+$/);
    }
    expect(OUTCOMES.late).toMatchObject({ status: 410, ledger: 'late' });
    expect(OUTCOMES.revoked).toMatchObject({ status: 410, ledger: 'revoked' });
    expect(OUTCOMES.unavailable.status).toBe(503);
  });
});
