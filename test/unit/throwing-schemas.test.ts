import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { extractAttributes, normalizeAttributes } from '../../src/definitions/attributes';
import { defineProcedure } from '../../src/definitions/procedure';
import { defineTrigger } from '../../src/definitions/trigger';
import { safeParseGuarded } from '../../src/definitions/zod-issues';
import { silentLogger } from '../../src/logging/logger';
import { createTriggerService } from '../../src/service/trigger-service';

const throws = z.string().transform((): string => {
  throw new Error('author bug');
});
const isAsync = z.string().refine(async () => true);

describe("an author's schema that throws or is async (review finding 2)", () => {
  test('safeParseGuarded turns a throw into a failure at the root', () => {
    const thrown = safeParseGuarded(throws, 'a');
    expect(thrown.success).toBe(false);
    expect(thrown.error?.issues[0]).toMatchObject({ path: [], message: expect.stringMatching(/threw/) });
    const asyncResult = safeParseGuarded(isAsync, 'a');
    expect(asyncResult.success).toBe(false);
    expect(asyncResult.error?.issues[0]?.message).toMatch(/async/);
    expect(safeParseGuarded(z.string(), 'ok')).toEqual({ success: true, data: 'ok' });
  });

  test('a wait attribute whose schema throws: an error naming the attribute, no throw', () => {
    const attrs = normalizeAttributes({ ref: throws, later: isAsync }, 'test');
    const r = extractAttributes(attrs, { ref: 'x', later: 'y' });
    expect(r.ok).toBe(false);
    expect(r.ok ? [] : r.errors.map((e) => e.field)).toEqual(['ref', 'later']);
  });

  // No call reaches Temporal: every request here is refused before the start (the client is never used).
  const neverCalled = {} as Client;
  const procedure = defineProcedure({
    name: 'p',
    input: z.object({ id: z.string().transform((): string => { throw new Error('author bug'); }) }),
    waits: { w: { title: 'W', attributes: ['x'], timeout: '1h', onTimeout: 'branch' } },
  });
  const service = createTriggerService({
    client: neverCalled,
    namespace: 'default',
    taskQueue: 'tq',
    logger: silentLogger,
    rateLimits: false,
    triggers: [
      defineTrigger({ name: 'expectThrows', path: 'a', procedure, expect: { body: z.object({ id: throws }) } }),
      defineTrigger({ name: 'expectAsync', path: 'b', procedure, expect: { query: z.object({ q: isAsync }) } }),
      defineTrigger({ name: 'inputThrows', path: 'c', procedure }),
    ],
  });
  const post = (path: string, body: unknown, query: [string, string][] = []) =>
    service.deliverTrigger({ method: 'POST', path, requestId: 'r1', contentType: 'application/json', body: Buffer.from(JSON.stringify(body)), headers: {}, query });

  test.each([
    ['an expect.body schema that throws', 'a', [], 'body'],
    ['an async expect.query schema', 'b', [['q', 'x']], 'query'],
    ["the procedure's input schema that throws", 'c', [], 'input'],
  ] as const)('%s: 422 naming the part, never a throw', async (_what, path, query, field) => {
    const a = await post(path, { id: 'x' }, [...query] as [string, string][]);
    expect(a.status).toBe(422);
    expect(a.outcome).toBe('invalid-request');
    expect((a.body as { errors: { field: string }[] }).errors.map((e) => e.field)).toEqual([field]);
  });
});
