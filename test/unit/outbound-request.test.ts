import { encodeBody, redactOutboundRequest, renderOutboundRequest } from '../../src/activities/outbound-request';
import { DefinitionError, defineProcedure, defineWebhook } from '../../src/definitions';

describe('outbound request rendering', () => {
  test('a form body is sent form-encoded; a JSON one as JSON', () => {
    expect(encodeBody({ a: 'x y', n: 7, b: true, z: null }, 'form')).toEqual({ body: 'a=x+y&n=7&b=true&z=', contentType: 'application/x-www-form-urlencoded' });
    expect(encodeBody({ a: 1 }, 'json')).toEqual({ body: '{"a":1}', contentType: 'application/json' });
  });

  test('a webhook renders over input, attributes and vars; env values are redacted for display', () => {
    const hook = defineWebhook({
      name: 'crm',
      url: 'https://crm.example.com/hooks/{{vars.id}}?key={{env.CRM_KEY}}',
      headers: { authorization: 'Bearer {{env.CRM_KEY}}', 'x-trace': '{{env.CRM_KEY}}-t' },
      body: { customer: '{{input.customer}}', status: '{{attributes.kyc.status}}', n: '{{vars.n}}' },
      contentType: 'form',
      env: ['CRM_KEY'],
    });
    const req = renderOutboundRequest(hook, { input: { customer: 'c 1' }, attributes: { kyc: { status: 'ok' } }, vars: { id: 'o-1', n: 3 } }, { CRM_KEY: 's3cr3t-key', OTHER: 'x' }, 'webhook crm');
    expect(req.url).toBe('https://crm.example.com/hooks/o-1?key=s3cr3t-key');
    expect(req.shownUrl).toBe('https://crm.example.com/hooks/o-1?…');
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(req.body).toBe('customer=c+1&status=ok&n=3');
    const shown = redactOutboundRequest(req, { CRM_KEY: 's3cr3t-key' });
    expect(shown.headers.authorization).toBe('[redacted]');
    expect(shown.headers['x-trace']).toBe('[env.CRM_KEY]-t');
    expect(shown.url).not.toContain('s3cr3t');
  });

  test('definition errors name the field', () => {
    const bad = (decl: Record<string, unknown>) => () => defineWebhook({ name: 'h', url: 'https://x.test', ...decl } as never);
    expect(bad({ method: 'GET' })).toThrow(/webhook h\.method: must be 'POST' or 'PUT'/);
    expect(bad({ headers: { authorization: '{{env.SECRET}}' } })).toThrow(/headers\.authorization.*SECRET/);
    expect(bad({ headers: { a: '{{env.HOOKWAIT_TOKEN_KEYS}}' }, env: ['HOOKWAIT_TOKEN_KEYS'] })).toThrow(DefinitionError);
    expect(bad({ contentType: 'form', body: { a: { nested: 1 } } })).toThrow(/body\.a: a form field is a string/);
    expect(bad({ retry: { maximumAttempts: 0 } })).toThrow(/retry\.maximumAttempts/);
    expect(bad({ signing: { secretEnv: 'WHSEC' } })).toThrow(/signing\.secretEnv/);
    expect(bad({ bogus: 1 })).toThrow(/webhook h\.bogus: is not a webhook option/);
    expect(bad({ url: 'ftp://x' })).toThrow(/url: must be an http\(s\) URL/);
    expect(bad({ headers: { 'webhook-signature': 'x' } })).toThrow(/set by hookwait/);
    expect(() =>
      defineProcedure({ name: 'p', waits: { w: { title: 'w', attributes: ['a'], timeout: '1h', onTimeout: 'branch' } }, webhooks: { x: { url: 'https://x.test', body: { a: '{{env.NOPE}}' } } } }),
    ).toThrow(/webhooks\.x\.body\.a/);
  });

  test('defaults: POST, JSON, 3 attempts, signed with the worker secret if any', () => {
    const hook = defineWebhook({ url: 'https://x.test' });
    expect(hook).toMatchObject({ name: 'webhook', method: 'POST', contentType: 'json', retry: { maximumAttempts: 3 }, required: false, signing: 'default' });
  });

  test('a connector with a declared form content-type header gets a form body (it was sent as JSON)', () => {
    const p = defineProcedure({
      name: 'p',
      waits: { w: { title: 'w', attributes: ['a'], timeout: '1h', onTimeout: 'branch' } },
      connectors: { c: { url: 'https://x.test/c', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: { a: '{{vars.a}}', b: 2 } } },
    });
    expect(p.connectors.c.contentType).toBe('form');
    const req = renderOutboundRequest(p.connectors.c, { vars: { a: 'x&y' } }, {}, 'connector c');
    expect(req.body).toBe('a=x%26y&b=2');
    expect(req.headers['Content-Type']).toBe('application/x-www-form-urlencoded');
  });
});
