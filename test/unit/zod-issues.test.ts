import { z } from 'zod';
import { formatZodIssues } from '../../src/definitions/zod-issues';

function issues(schema: z.ZodType, value: unknown): z.ZodError {
  const r = schema.safeParse(value);
  if (r.success) throw new Error('expected a failure');
  return r.error;
}

describe('formatZodIssues', () => {
  const schema = z.object({ kyc: z.object({ mode: z.enum(['auto', 'manual']) }), items: z.array(z.object({ sku: z.string() })) });

  test('one issue per entry, each led by its dotted path, with array indexes', () => {
    const text = formatZodIssues(issues(schema, { kyc: { mode: 'x' }, items: [{ sku: 'a' }, { sku: 1 }] }));
    const parts = text.split('; ');
    expect(parts).toHaveLength(2);
    expect(parts[0]).toMatch(/^kyc\.mode: /);
    expect(parts[1]).toMatch(/^items\.1\.sku: /);
  });

  test('a prefix goes before every path', () => {
    expect(formatZodIssues(issues(schema, { kyc: { mode: 'x' }, items: [] }), 'input')).toMatch(/^input\.kyc\.mode: /);
  });

  test('a root issue is (root) without a prefix, the prefix with one', () => {
    expect(formatZodIssues(issues(z.string(), 5))).toMatch(/^\(root\): /);
    expect(formatZodIssues(issues(z.string(), 5), 'response')).toMatch(/^response: /);
  });
});
