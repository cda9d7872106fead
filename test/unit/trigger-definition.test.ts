import { fieldOf } from '../helpers/definitions';
import { z } from 'zod';
import { defineProcedure } from '../../src/definitions/procedure';
import { checkTriggers, defineTrigger, type TriggerDecl } from '../../src/definitions/trigger';
import { procedureResponse, renderResponse } from '../../src/service/http-response';
import { triggerWorkflowId } from '../../src/service/trigger-service';

const procedure = defineProcedure({
  name: 'p',
  input: z.object({ id: z.string() }),
  waits: { w: { title: 'W', attributes: ['x'], timeout: '1h', onTimeout: 'branch' } },
});
const base: TriggerDecl = { name: 't', path: 'orders/created', procedure };


describe('defineTrigger', () => {
  test('rateLimit: requests per window, checked', () => {
    expect(defineTrigger({ ...base, rateLimit: { requests: 100, per: '1m' } }).rateLimit).toEqual({ requests: 100, windowMs: 60_000 });
    expect(defineTrigger(base)).not.toHaveProperty('rateLimit');
    expect(fieldOf(() => defineTrigger({ ...base, rateLimit: { requests: 0, per: '1m' } }))).toBe('rateLimit.requests');
    expect(fieldOf(() => defineTrigger({ ...base, rateLimit: { requests: 1.5, per: '1m' } }))).toBe('rateLimit.requests');
    expect(fieldOf(() => defineTrigger({ ...base, rateLimit: { requests: 5, per: '10ms' } }))).toBe('rateLimit.per');
    expect(fieldOf(() => defineTrigger({ ...base, rateLimit: { requests: 5, per: 'soon' as '1m' } }))).toBe('rateLimit.per');
  });

  test('defaults: POST, a 201 with the run ids, the body as input', () => {
    const t = defineTrigger({ ...base, path: '/orders/created/' });
    expect(t).toMatchObject({ name: 't', path: 'orders/created', methods: ['POST'], response: { type: 'static', spec: { status: 201 } } });
    expect(t.input).toBeUndefined();
  });

  test.each([
    ['a path with a space', { path: 'orders/new order' }, 'path'],
    ['a path with a dot segment', { path: 'orders/../x' }, 'path'],
    ['an empty path', { path: '' }, 'path'],
    ['an unknown method', { methods: ['TRACE'] }, 'methods[0]'],
    ['a bad name', { name: '1x' }, 'name'],
    ['a 5xx response', { response: { status: 500 } }, 'response.status'],
    ['a 204 with a body', { response: { status: 204, body: 'x' } }, 'response.body'],
    ['a response header the gateway owns', { response: { status: 200, headers: { 'Set-Cookie': 'a=b' } } }, 'response.headers.Set-Cookie'],
    ['a fromProcedure timeout over 30 s', { response: { type: 'fromProcedure', timeout: '31s', fallback: { status: 202 } } }, 'response.timeout'],
    ['fromProcedure without a fallback', { response: { type: 'fromProcedure', timeout: '5s' } }, 'response.fallback'],
    ['the authorization header in the input', { input: { id: 'headers.authorization' } }, 'input.id'],
    ['a cookie as the idempotency key', { idempotencyKey: 'headers.cookie' }, 'idempotencyKey'],
    ['the auth header in the input', { auth: { type: 'apiKey', secret: 'K', header: 'x-key' }, input: { id: 'headers.x-key' } }, 'input.id'],
    ['an expected authorization header', { expect: { headers: z.object({ Authorization: z.string() }) } }, 'expect.headers.Authorization'],
    ['an input path outside the request', { input: { id: 'env.SECRET' } }, 'input.id'],
    ['a __proto__ input field', { input: { __proto__x: 'body.a', 'a.__proto__': 'body.b' } }, 'input.a.__proto__'],
    ['no procedure', { procedure: undefined }, 'procedure'],
  ])('%s is a definition error naming the field', (_what, change, field) => {
    expect(fieldOf(() => defineTrigger({ ...base, ...(change as object) } as TriggerDecl))).toBe(field);
  });

  test('two triggers on one path, or with one name, are a definition error', () => {
    const a = defineTrigger(base);
    expect(fieldOf(() => checkTriggers([a, defineTrigger({ ...base, name: 'u', path: 'Orders/Created' })]))).toBe('triggers.u.path');
    expect(fieldOf(() => checkTriggers([a, defineTrigger({ ...base, path: 'other' })]))).toBe('triggers.t');
  });
});

describe('trigger responses', () => {
  test('placeholders are filled; a whole-placeholder string keeps its type; missing values are empty', () => {
    expect(renderResponse({ status: 201, headers: { 'x-id': '{{workflowId}}' }, body: { id: '{{workflowId}}', n: '{{input.n}}', s: 'run {{runId}}{{nothing}}' } }, { workflowId: 'w1', runId: 'r1', input: { n: 3 } })).toEqual({
      status: 201,
      headers: { 'x-id': 'w1' },
      json: { id: 'w1', n: 3, s: 'run r1' },
    });
  });

  test('a 204 has no body and no content type', () => {
    expect(renderResponse({ status: 204, headers: { 'content-type': 'text/plain' } }, {})).toEqual({ status: 204, headers: {} });
  });

  test('an HTML body escapes the values it shows', () => {
    const r = renderResponse({ status: 200, headers: { 'content-type': 'text/html' }, body: '<p>{{input.name}}</p>' }, { input: { name: '<script>x</script>' } });
    expect(r.raw).toEqual({ contentType: 'text/html', text: '<p>&lt;script&gt;x&lt;/script&gt;</p>' });
  });

  test("a procedure's answer: 2xx or 4xx only, headers the gateway owns dropped", () => {
    expect(procedureResponse({ status: 503 })).toBeUndefined();
    expect(procedureResponse({ status: 302 })).toBeUndefined();
    expect(procedureResponse({ status: 409, headers: { 'set-cookie': 'a', 'x-ok': 'y', 'x-bad': 'a\r\nb' }, body: { e: 1 } })).toEqual({ status: 409, headers: { 'x-ok': 'y' }, json: { e: 1 } });
  });

  test('the workflow id of a delivery: readable, and fixed by a hash of the whole key', () => {
    const id = triggerWorkflowId('orderCreated', 'msg/../<script>');
    expect(id).toMatch(/^orderCreated-msg_\.\._{1}_script_-[A-Za-z0-9_-]{16}$/);
    expect(triggerWorkflowId('orderCreated', 'a b')).not.toBe(triggerWorkflowId('orderCreated', 'a_b'));
  });
});
