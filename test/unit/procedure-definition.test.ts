import { definitionError, escalatingWait } from '../helpers/definitions';
import { z } from 'zod';
import { defineProcedure, findWait } from '../../src/definitions/procedure';

const wait = escalatingWait;


describe('defineProcedure: escalation errors name the wait', () => {
  test('missing escalation message', () => {
    const err = definitionError(() => defineProcedure({ name: 'p', waits: { x: wait({ escalation: { assignee: { team: 't' } } }) } }));
    expect(err).toBeInstanceOf(Error);
    expect(err.field).toBe('waits.x.escalation.message');
    expect(err.message).toMatch(/^waits\.x\.escalation\.message: /);
    expect(err.message).toContain('missing: waits.x.escalation.message');
  });

  test('missing escalation assignee', () => {
    const err = definitionError(() => defineProcedure({ name: 'p', waits: { x: wait({ escalation: { message: 'm' } }) } }));
    expect(err.field).toBe('waits.x.escalation.assignee');
    expect(err.message).toMatch(/^waits\.x\.escalation\.assignee: /);
    expect(err.message).toContain('missing: waits.x.escalation.assignee');
  });

  test('missing both', () => {
    const err = definitionError(() => defineProcedure({ name: 'p', waits: { x: wait({ escalation: undefined }) } }));
    expect(err.field).toBe('waits.x.escalation.message');
    expect(err.message).toContain('missing: waits.x.escalation.message, waits.x.escalation.assignee');
  });

  test('the error names the offending wait among several', () => {
    const err = definitionError(() =>
      defineProcedure({ name: 'p', waits: { good: wait(), bad: wait({ escalation: { message: 'm' } }), later: wait() } }),
    );
    expect(err.field).toBe('waits.bad.escalation.assignee');
  });

  test("onTimeout 'branch' needs no escalation", () => {
    const p = defineProcedure({ name: 'p', waits: { x: wait({ onTimeout: 'branch', escalation: undefined }) } });
    expect(p.waits.x.onTimeout).toBe('branch');
    expect(p.waits.x.escalation).toBeUndefined();
  });
});

describe('defineProcedure: other checks', () => {
  test('timeout below 1s', () => {
    const err = definitionError(() => defineProcedure({ name: 'p', waits: { x: wait({ timeout: '999ms' }) } }));
    expect(err.field).toBe('waits.x.timeout');
    expect(err.message).toContain('at least 1s');
  });

  test('more than 50 attributes', () => {
    const attributes = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`a${i}`, z.string()]));
    const err = definitionError(() => defineProcedure({ name: 'p', waits: { x: wait({ attributes }) } }));
    expect(err.field).toBe('waits.x.attributes');
    expect(err.message).toContain('got 51');
  });

  test('bad attribute name and bad path', () => {
    expect(definitionError(() => defineProcedure({ name: 'p', waits: { x: wait({ attributes: ['has-dash'] }) } })).field).toBe(
      'waits.x.attributes.has-dash',
    );
    expect(definitionError(() => defineProcedure({ name: 'p', waits: { x: wait({ attributes: { a: { path: '__proto__.polluted' } } }) } })).field).toBe(
      'waits.x.attributes.a.path',
    );
  });

  test.each(['', 'not a name', '1abc', 'a-b', 'a'.repeat(129), 5, undefined])('procedure name %p is refused', (name) => {
    const err = definitionError(() => defineProcedure({ name: name as never, waits: { x: wait() } }));
    expect(err.field).toBe('name');
  });

  test.each(['refundApproval', '_p', '$p', 'a'.repeat(128)])('procedure name %p is accepted', (name) => {
    expect(defineProcedure({ name, waits: { x: wait() } }).name).toBe(name);
  });

  test('the declaration must be an object with at least one wait', () => {
    expect(definitionError(() => defineProcedure(null as never)).field).toBe('procedure');
    expect(definitionError(() => defineProcedure({ name: 'p', waits: {} })).field).toBe('waits');
    expect(definitionError(() => defineProcedure({ name: 'p', waits: undefined as never })).field).toBe('waits');
    expect(definitionError(() => defineProcedure({ name: 'p', waits: null as never })).field).toBe('waits');
  });

  test('wait names are checked', () => {
    expect(definitionError(() => defineProcedure({ name: 'p', waits: { '9lives': wait() } })).field).toBe('waits.9lives');
  });

  test('connector errors are named under connectors.<name>', () => {
    expect(definitionError(() => defineProcedure({ name: 'p', waits: { x: wait() }, connectors: { c: { url: ' ' } } })).field).toBe('connectors.c.url');
    expect(definitionError(() => defineProcedure({ name: 'p', waits: { x: wait() }, connectors: { '-c': { url: 'http://x' } } })).field).toBe(
      'connectors.-c',
    );
    expect(
      definitionError(() => defineProcedure({ name: 'p', waits: { x: wait() }, connectors: { c: { method: 'GET', url: 'http://x', body: { a: 1 } } } })).field,
    ).toBe('connectors.c.body');
  });
});

describe('defineProcedure: the result', () => {
  test('title defaults to the name; input defaults to a record schema', () => {
    const p = defineProcedure({ name: 'refundApproval', waits: { x: wait() } });
    expect(p.title).toBe('refundApproval');
    expect(p.input.safeParse({ any: 'thing' }).success).toBe(true);
    expect(p.input.safeParse('text').success).toBe(false);
    expect(p.input.safeParse(null).success).toBe(false);
    expect(p.connectors).toEqual({});
  });

  test('a declared title and input schema are kept', () => {
    const input = z.object({ orderId: z.string() });
    const p = defineProcedure({ name: 'p', title: 'Refund approval', input, waits: { x: wait() } });
    expect(p.title).toBe('Refund approval');
    expect(p.input).toBe(input);
  });

  test('every wait and connector is normalized under its own name', () => {
    const p = defineProcedure({
      name: 'p',
      waits: { first: wait({ timeout: '2s' }), second: wait({ onTimeout: 'branch', escalation: undefined, timeout: '1h' }) },
      connectors: { notify: { url: 'https://example.test/{{input.id}}', method: 'PUT', timeout: '3s' } },
    });
    expect(Object.keys(p.waits)).toEqual(['first', 'second']);
    expect(p.waits.first).toMatchObject({ name: 'first', timeoutMs: 2000, onTimeout: 'escalate' });
    expect(p.waits.second).toMatchObject({ name: 'second', timeoutMs: 3_600_000, onTimeout: 'branch' });
    expect(p.connectors.notify).toMatchObject({ name: 'notify', method: 'PUT', timeoutMs: 3000, url: 'https://example.test/{{input.id}}' });
  });
});

describe('findWait', () => {
  const p = defineProcedure({ name: 'p', waits: { kyc: wait() } });
  test('finds a declared wait', () => {
    expect(findWait(p, 'kyc')?.name).toBe('kyc');
  });
  test.each(['nope', 'toString', 'constructor', '__proto__', 'hasOwnProperty', ''])('does not resolve %j', (name) => {
    expect(findWait(p, name)).toBeUndefined();
  });
});
