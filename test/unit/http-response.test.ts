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
    const r = procedureResponse({ status: 200, headers: { x: '€', 'x-split': 'a\r\nb' }, body: { ok: true } });
    expect(r?.headers).toEqual({ x: '%E2%82%AC' });
    expect(() => sendable(r?.headers ?? {})).not.toThrow();
    expect(safeHeaders({ y: 'ü' })).toEqual({ y: '%C3%BC' });
  });
});

describe('text bodies filled with sender values (review finding 7)', () => {
  const evil = { input: { name: '<svg onload=alert(1)>' } };
  test.each(['image/svg+xml', 'application/xml', 'text/xml; charset=utf-8', 'text/html', 'application/xhtml+xml', 'text/markdown'])('%s: values are escaped', (type) => {
    const r = renderResponse({ status: 200, headers: { 'content-type': type }, body: '<x>{{input.name}}</x>' }, evil);
    expect(r.raw?.text).toBe('<x>&lt;svg onload=alert(1)&gt;</x>');
  });
  test.each([undefined, 'text/plain; charset=utf-8', 'application/json', 'application/problem+json'])('%s: values as they are', (type) => {
    const r = renderResponse({ status: 200, headers: type ? { 'content-type': type } : {}, body: '{{input.name}}' }, evil);
    expect(r.raw?.text).toBe('<svg onload=alert(1)>');
  });
  test('a text body is sent with nosniff and a sandboxing CSP, unless the answer declares its own', () => {
    const r = renderResponse({ status: 200, headers: { 'content-type': 'text/html' }, body: '<p>hi</p>' }, {});
    expect(r.headers).toEqual({ 'x-content-type-options': 'nosniff', 'content-security-policy': "default-src 'none'; sandbox" });
    const own = renderResponse({ status: 200, headers: { 'content-type': 'text/html', 'content-security-policy': "default-src 'self'" }, body: '<p>hi</p>' }, {});
    expect(own.headers['content-security-policy']).toBe("default-src 'self'");
    expect(procedureResponse({ status: 200, body: '<p>procedure</p>' })?.headers).toMatchObject({ 'x-content-type-options': 'nosniff' });
  });
});
