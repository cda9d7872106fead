import { validateHeaderValue } from 'node:http';
import { headerValue, procedureResponse, renderResponse, safeHeaders } from '../../src/service/http-response';

/** Node's own check, as `res.setHeader` applies it: a throw here is a throw in the gateway. */
const sendable = (headers: Readonly<Record<string, string>>): void => {
  for (const [k, v] of Object.entries(headers)) validateHeaderValue(k, v);
};

describe('header values an answer carries (review finding 1)', () => {
  test.each([
    ['a euro sign', '5 €', '5 %E2%82%AC'],
    ['a Latin-1 letter', 'café', 'caf%C3%A9'],
    ['a control character', 'a\u0001b\u007fc', 'a%01b%7Fc'],
    ['a line break', 'a\r\nb', 'a%0D%0Ab'],
    ['an emoji', 'ok 🎉', 'ok %F0%9F%8E%89'],
    ['a lone surrogate', 'x\ud800y', 'x%EF%BF%BDy'],
    ['a tab and printable ASCII', 'a\tb ~', 'a\tb ~'],
  ])('%s is percent-encoded, never thrown on', (_what, given, expected) => {
    expect(headerValue(given)).toBe(expected);
    expect(() => validateHeaderValue('x', headerValue(given))).not.toThrow();
  });

  test('a long value is cut at 4096 characters without half an escape', () => {
    const v = headerValue('€'.repeat(2000));
    expect(v.length).toBeLessThanOrEqual(4096);
    expect(v).toMatch(/(%[0-9A-F]{2})+$/);
    expect(v.length % 3).toBe(0);
  });

  test('a declared response header filled with a sender value is sendable (trigger and callback wait)', () => {
    const r = renderResponse({ status: 201, headers: { 'x-a': '{{input.a}}' }, body: { ok: true } }, { input: { a: '€\u0007' } });
    expect(r.headers).toEqual({ 'x-a': '%E2%82%AC%07' });
    expect(() => sendable(r.headers)).not.toThrow();
  });

  test("a procedure's run.respond header is sendable; one with a line break is dropped", () => {
    const r = procedureResponse({ status: 200, headers: { x: '€', 'x-split': 'a\r\nb' }, body: 'ok' });
    expect(r?.headers).toEqual({ x: '%E2%82%AC' });
    expect(() => sendable(r?.headers ?? {})).not.toThrow();
    expect(safeHeaders({ y: 'ü' })).toEqual({ y: '%C3%BC' });
  });
});
