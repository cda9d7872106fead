import { z } from 'zod';
import { checkCapturedAttributes, extractAttributes, normalizeAttributes } from '../../src/definitions/attributes';

const attrs = normalizeAttributes(
  {
    status: z.enum(['ok', 'failed']),
    reference: { path: 'data.reference.id' },
    sku: { path: 'items.0.sku' },
    score: { schema: z.number() },
    flagged: { schema: z.boolean().optional() },
  },
  'test',
);
const good = { status: 'ok', data: { reference: { id: 'r-1' } }, items: [{ sku: 'A1' }], score: 7, extra: { big: 'x' } };

describe('extracting declared attributes from a payload', () => {
  test('nested paths, array indexes and types; undeclared fields dropped', () => {
    expect(extractAttributes(attrs, good)).toEqual({ ok: true, inputs: expect.any(Object), attributes: { status: 'ok', reference: 'r-1', sku: 'A1', score: 7 } });
  });
  test('string attributes take numbers and booleans as strings', () => {
    const a = normalizeAttributes(['id'], 't');
    expect(extractAttributes(a, { id: 42 })).toEqual({ ok: true, inputs: expect.any(Object), attributes: { id: '42' } });
    expect(extractAttributes(a, { id: true })).toEqual({ ok: true, inputs: expect.any(Object), attributes: { id: 'true' } });
  });
  test('objects and arrays where a scalar is declared, missing and mistyped fields: one error per field, named', () => {
    const r = extractAttributes(attrs, { status: ['ok'], data: { reference: { id: { deep: 1 } } }, score: 'high' });
    expect(r.ok).toBe(false);
    const errors = r.ok ? [] : r.errors;
    expect(errors.map((e) => e.field)).toEqual(['status', 'reference', 'sku', 'score']);
    expect(errors[0]?.message).toMatch(/scalar.*array/);
    expect(errors[1]).toMatchObject({ path: 'data.reference.id', message: expect.stringMatching(/scalar.*object/) });
    expect(errors[2]).toMatchObject({ path: 'items.0.sku', message: 'is required' });
  });
  test('forms: typed values read from strings; dotted field names reach nested paths', () => {
    const r = extractAttributes(attrs, { status: 'failed', 'data.reference.id': 'r-2', 'items.0.sku': 'B', score: '3.5', flagged: 'true' }, { source: 'form' });
    expect(r).toEqual({ ok: true, inputs: expect.any(Object), attributes: { status: 'failed', reference: 'r-2', sku: 'B', score: 3.5, flagged: true } });
    expect(extractAttributes(attrs, { ...good, score: '3.5' }).ok).toBe(false); // JSON gets no such help
  });
  test('__proto__ and constructor keys neither pollute prototypes nor resolve paths', () => {
    const a = normalizeAttributes({ x: { path: 'constructor.name' } }, 't');
    const payload = JSON.parse('{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":2}}}') as unknown;
    const r = extractAttributes(a, payload);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(r.ok).toBe(false);
    expect(extractAttributes(normalizeAttributes({ y: { path: 'toString' } }, 't'), {}).ok).toBe(false);
  });
  test('a body that is not an object is refused', () => {
    expect(extractAttributes(attrs, [1, 2]).ok).toBe(false);
    expect(extractAttributes(attrs, 'text').ok).toBe(false);
  });
  test('captured attributes (signals, operators) are checked by name', () => {
    expect(checkCapturedAttributes(attrs, { status: 'ok', reference: 'r', sku: 's', score: 1, extra: 'dropped' })).toEqual({
      ok: true,
      inputs: { status: 'ok', reference: 'r', sku: 's', score: 1 },
      attributes: { status: 'ok', reference: 'r', sku: 's', score: 1 },
    });
    expect(checkCapturedAttributes(attrs, { status: 'nope' }).ok).toBe(false);
  });
  test('schemas that transform: the signal carries what each schema accepted, so the workflow captures the same values', () => {
    const a = normalizeAttributes(
      {
        approved: z.string().transform((v) => v === 'yes'),
        amount: { schema: z.coerce.number().transform((n) => Math.round(n * 100)), path: 'refund.amount' },
        ref: z.string().trim().toUpperCase(),
        count: { schema: z.number().int() },
      },
      't',
    );
    for (const [payload, source] of [
      [{ approved: 'yes', refund: { amount: '12.34' }, ref: ' ab-1 ', count: 3 }, 'json'],
      [{ approved: 'yes', 'refund.amount': '12.34', ref: ' ab-1 ', count: '3' }, 'form'],
    ] as const) {
      const atEdge = extractAttributes(a, payload, { source });
      expect(atEdge).toMatchObject({ ok: true, attributes: { approved: true, amount: 1234, ref: 'AB-1', count: 3 } });
      if (!atEdge.ok) continue;
      // What the workflow does with the signal: the same schemas over the inputs, once.
      expect(checkCapturedAttributes(a, atEdge.inputs)).toEqual({ ok: true, inputs: atEdge.inputs, attributes: atEdge.attributes });
      // The outputs themselves would not pass again: sending them would have failed in the workflow.
      expect(checkCapturedAttributes(a, atEdge.attributes).ok).toBe(false);
    }
  });
});
