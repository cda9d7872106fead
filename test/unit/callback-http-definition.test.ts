import { fieldOf } from '../helpers/definitions';
import { z } from 'zod';
import { checkProcedureInput, ProcedureInputError } from '../../src/client/start-procedure';
import { defineProcedure } from '../../src/definitions/procedure';
import { parseMaxWaitTimeout } from '../../src/definitions/duration';
import { waitTimeoutInput } from '../../src/definitions/wait-timeout-input';
import { defineWait, type WaitDecl } from '../../src/definitions/wait-point';
import { declaredSuccess } from '../../src/service/callback-http';
import { redactSensitiveIn } from '../../src/logging/redact-fields';

const base = { name: 'w', title: 'W', attributes: ['x'], timeout: '1h', onTimeout: 'branch' } as const;


describe('a wait’s HTTP contract, checked at definition', () => {
  test.each([
    ['an unknown method', { methods: ['DELETE'] }, 'w.methods[0]'],
    ['an authorization header as an attribute', { attributes: { a: { from: 'header', path: 'Authorization' } } }, 'w.attributes.a.path'],
    ['a cookie as an attribute', { attributes: { a: { from: 'header', path: 'cookie' } } }, 'w.attributes.a.path'],
    ['the wait’s own auth header as an attribute', { auth: { type: 'apiKey', secret: 'K', header: 'x-key' }, attributes: { a: { from: 'header', path: 'X-Key' } } }, 'w.attributes.a.path'],
    ['an unknown source', { attributes: { a: { from: 'cookie' } } }, 'w.attributes.a.from'],
    ['a redirect with a placeholder in the host', { redirect: 'https://{{x}}.example.com/' }, 'w.redirect'],
    ['a protocol-relative redirect', { redirect: '//evil.example/' }, 'w.redirect'],
    ['a backslash redirect a browser reads as protocol-relative (review finding 11)', { redirect: '/\\evil.example/' }, 'w.redirect'],
    ['a backslash after the slash, in the middle', { redirect: '/\\/evil.example/' }, 'w.redirect'],
    ['a javascript: redirect', { redirect: 'javascript:alert(1)' }, 'w.redirect'],
    ['a redirect naming no attribute', { redirect: '/done?s={{nope}}' }, 'w.redirect'],
    ['a 5xx response', { response: { status: 500 } }, 'w.response.status'],
    ['a redirect and a response', { redirect: '/done', response: { status: 200 } }, 'w.response'],
    ['a timeout over 30 days', { timeout: '31d' }, 'w.timeout'],
  ])('%s is a definition error naming the field', (_what, change, field) => {
    expect(fieldOf(() => defineWait({ ...base, ...(change as object) } as WaitDecl & { name: 'w' }))).toBe(field);
  });

  test('HOOKWAIT_MAX_WAIT_TIMEOUT lowers the limit for declarations and run inputs', () => {
    const before = process.env.HOOKWAIT_MAX_WAIT_TIMEOUT;
    process.env.HOOKWAIT_MAX_WAIT_TIMEOUT = '2h';
    try {
      expect(fieldOf(() => defineProcedure({ name: 'p', waits: { a: { ...base, timeout: '3h' } } }))).toBe('waits.a.timeout');
      const p = defineProcedure({ name: 'p', input: z.object({ waitTimeout: waitTimeoutInput.optional() }), waits: { a: base } });
      let err: unknown;
      try {
        checkProcedureInput(p, { waitTimeout: '3h' });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ProcedureInputError);
      expect((err as ProcedureInputError).fields).toEqual(['waitTimeout']);
      expect((err as ProcedureInputError).message).toContain('at most 2h');
    } finally {
      if (before === undefined) delete process.env.HOOKWAIT_MAX_WAIT_TIMEOUT;
      else process.env.HOOKWAIT_MAX_WAIT_TIMEOUT = before;
    }
    expect(() => parseMaxWaitTimeout('soon')).toThrow(/HOOKWAIT_MAX_WAIT_TIMEOUT/);
    expect(parseMaxWaitTimeout(undefined)).toBe(30 * 86_400_000);
  });

  test('the redirect URL-encodes the captured values; a declared response fills them in', () => {
    const w = defineWait({ ...base, attributes: { state: { from: 'query' } }, methods: ['GET'], redirect: 'https://app.example/done?s={{state}}' });
    expect(declaredSuccess(w, { state: 'a&b=c d' })).toEqual({ status: 303, headers: { Location: 'https://app.example/done?s=a%26b%3Dc%20d' } });
    const r = defineWait({ ...base, response: { status: 201, body: { got: '{{x}}' } } });
    expect(declaredSuccess(r, { x: 'v' })).toEqual({ status: 201, headers: {}, body: { got: 'v' } });
    expect(declaredSuccess(defineWait(base), { x: 'v' })).toBeUndefined();
  });

  test('query strings of gateway URLs never reach a log line', () => {
    expect(redactSensitiveIn('GET /callbacks/abc?code=s3cret&state=x done')).toBe('GET /callbacks/abc?[redacted] done');
    expect(redactSensitiveIn('{"url":"https://h/hooks/kyc/start?token=t"}')).toBe('{"url":"https://h/hooks/kyc/start?[redacted]"}');
    expect(redactSensitiveIn('is this a question?')).toBe('is this a question?');
  });
});
