import { definitionError } from '../helpers/definitions';
import { z } from 'zod';
import { DefinitionError } from '../../src/definitions/definition-error';
import { assigneeLabel, defineWait, normalizeWait, type WaitDecl, WAIT_NAME } from '../../src/definitions/wait-point';

const base = (overrides: Partial<WaitDecl> = {}): WaitDecl => ({
  title: 'Wait for ID verification callback',
  attributes: ['status'],
  timeout: '30m',
  escalation: { message: 'A teammate will follow up.', assignee: { team: 'kyc' } },
  ...overrides,
});


describe('normalizeWait: a complete escalating wait', () => {
  test('is normalized with its escalation, timeout in ms and attributes', () => {
    const w = normalizeWait('kyc', base(), 'waits.kyc');
    expect(w).toEqual({
      name: 'kyc',
      title: 'Wait for ID verification callback',
      attributes: [expect.objectContaining({ name: 'status', path: ['status'] })],
      timeoutMs: 1_800_000,
      onTimeout: 'escalate',
      escalation: { message: 'A teammate will follow up.', assignee: { team: 'kyc' } },
    });
    expect(w.auth).toBeUndefined();
  });

  test('onTimeout defaults to escalate', () => {
    expect(normalizeWait('kyc', base({ onTimeout: undefined }), 'waits.kyc').onTimeout).toBe('escalate');
  });

  test('a teammate assignee is kept; extra assignee fields are dropped', () => {
    const w = normalizeWait('kyc', base({ escalation: { message: 'm', assignee: { teammate: 'ada', extra: 1 } as never } }), 'w');
    expect(w.escalation?.assignee).toEqual({ teammate: 'ada' });
  });
});

describe('normalizeWait: onTimeout escalate needs a message and an assignee', () => {
  test('missing escalation message', () => {
    const err = definitionError(() => normalizeWait('x', base({ escalation: { assignee: { team: 'kyc' } } }), 'waits.x'));
    expect(err).toBeInstanceOf(DefinitionError);
    expect(err.name).toBe('DefinitionError');
    expect(err.field).toBe('waits.x.escalation.message');
    expect(err.message).toContain('missing: waits.x.escalation.message');
    expect(err.message).not.toContain('waits.x.escalation.assignee');
  });

  test('a blank escalation message counts as missing', () => {
    const err = definitionError(() => normalizeWait('x', base({ escalation: { message: '   ', assignee: { team: 'kyc' } } }), 'waits.x'));
    expect(err.field).toBe('waits.x.escalation.message');
  });

  test('missing escalation assignee', () => {
    const err = definitionError(() => normalizeWait('x', base({ escalation: { message: 'We will get back to you.' } }), 'waits.x'));
    expect(err).toBeInstanceOf(DefinitionError);
    expect(err.field).toBe('waits.x.escalation.assignee');
    expect(err.message).toContain('missing: waits.x.escalation.assignee');
    expect(err.message).not.toContain('waits.x.escalation.message');
  });

  test('missing both (no escalation at all): the field is the message, the text names both', () => {
    const err = definitionError(() => normalizeWait('x', base({ escalation: undefined }), 'waits.x'));
    expect(err).toBeInstanceOf(DefinitionError);
    expect(err.field).toBe('waits.x.escalation.message');
    expect(err.message).toContain('waits.x.escalation.message');
    expect(err.message).toContain('waits.x.escalation.assignee');
    expect(err.message).toMatch(/onTimeout 'escalate'/);
  });

  test('missing both with an explicit onTimeout escalate and an empty escalation object', () => {
    const err = definitionError(() => normalizeWait('x', base({ onTimeout: 'escalate', escalation: {} }), 'waits.x'));
    expect(err.message).toMatch(/missing: waits\.x\.escalation\.message, waits\.x\.escalation\.assignee$/);
  });

  test.each([
    [{ squad: 'x' }],
    [{ team: '' }],
    [{ team: '  ' }],
    [{ teammate: 7 }],
    [{ team: 'a', teammate: 'b' }],
    ['billing'],
    [null],
  ])('assignee %j is refused, naming the assignee field', (assignee) => {
    const err = definitionError(() => normalizeWait('x', base({ escalation: { message: 'm', assignee: assignee as never } }), 'waits.x'));
    expect(err.field).toBe('waits.x.escalation.assignee');
    expect(err.message).toMatch(/team.*teammate/);
  });
});

describe("normalizeWait: onTimeout 'branch'", () => {
  test('needs no escalation and keeps none', () => {
    const w = normalizeWait('x', base({ onTimeout: 'branch', escalation: undefined }), 'waits.x');
    expect(w.onTimeout).toBe('branch');
    expect(w).not.toHaveProperty('escalation');
  });

  test('ignores an escalation that is given anyway', () => {
    const w = normalizeWait('x', base({ onTimeout: 'branch', escalation: { message: 'm' } }), 'waits.x');
    expect(w.escalation).toBeUndefined();
  });

  test('other onTimeout values are refused', () => {
    const err = definitionError(() => normalizeWait('x', base({ onTimeout: 'retry' as never }), 'waits.x'));
    expect(err.field).toBe('waits.x.onTimeout');
    expect(err.message).toContain('"retry"');
  });
});

describe('normalizeWait: other checks name their field', () => {
  test.each(['', '1abc', '_x', 'has space', 'a.b', 'a'.repeat(65)])('wait name %j is refused', (name) => {
    expect(WAIT_NAME.test(name)).toBe(false);
    expect(definitionError(() => normalizeWait(name, base(), 'waits.bad')).field).toBe('waits.bad');
  });

  test.each(['a', 'kyc-check', 'Kyc_2', 'a'.repeat(64)])('wait name %j is accepted', (name) => {
    expect(normalizeWait(name, base(), `waits.${name}`).name).toBe(name);
  });

  test('the declaration must be an object', () => {
    expect(definitionError(() => normalizeWait('x', null as never, 'waits.x')).field).toBe('waits.x');
    expect(definitionError(() => normalizeWait('x', 'wait' as never, 'waits.x')).field).toBe('waits.x');
  });

  test.each([undefined, '', '  ', 5])('title %p is refused', (title) => {
    expect(definitionError(() => normalizeWait('x', base({ title: title as never }), 'waits.x')).field).toBe('waits.x.title');
  });

  test('timeout below 1s, missing or malformed is refused', () => {
    expect(definitionError(() => normalizeWait('x', base({ timeout: '999ms' }), 'waits.x')).field).toBe('waits.x.timeout');
    expect(definitionError(() => normalizeWait('x', base({ timeout: 500 }), 'waits.x')).message).toContain('at least 1s');
    expect(definitionError(() => normalizeWait('x', base({ timeout: undefined as never }), 'waits.x')).field).toBe('waits.x.timeout');
    expect(definitionError(() => normalizeWait('x', base({ timeout: 'a while' as never }), 'waits.x')).field).toBe('waits.x.timeout');
    expect(normalizeWait('x', base({ timeout: '1s' }), 'waits.x').timeoutMs).toBe(1000);
  });

  test('attribute errors are prefixed with the wait field', () => {
    expect(definitionError(() => normalizeWait('x', base({ attributes: [] }), 'waits.x')).field).toBe('waits.x.attributes');
    expect(definitionError(() => normalizeWait('x', base({ attributes: { a: { path: 'a.__proto__' } } }), 'waits.x')).field).toBe(
      'waits.x.attributes.a.path',
    );
    const huge = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`a${i}`, { path: 'note', maxLength: 65536 }]));
    const err = definitionError(() => normalizeWait('x', base({ attributes: huge }), 'waits.x'));
    expect(err.field).toBe('waits.x.attributes');
    expect(err.message).toContain('budget of 1,572,864 bytes');
  });

  test('typed attributes keep their zod schema', () => {
    const schema = z.number();
    const w = normalizeWait('x', base({ attributes: { score: schema } }), 'waits.x');
    expect(w.attributes[0]?.schema).toBe(schema);
  });

  test('sender auth is normalized, and its errors are named', () => {
    const w = normalizeWait('x', base({ auth: { type: 'apiKey', secret: 'KYC_KEY', header: 'X-Key' } }), 'waits.x');
    expect(w.auth).toEqual({ type: 'apiKey', secret: 'KYC_KEY', header: 'x-key' });
    const b = normalizeWait('x', base({ onTimeout: 'branch', escalation: undefined, auth: { type: 'hmacSha256', secret: 'S' } }), 'waits.x');
    expect(b.auth).toEqual({ type: 'hmacSha256', secret: 'S', header: 'x-hub-signature-256' });
    expect(definitionError(() => normalizeWait('x', base({ auth: { type: 'apiKey', secret: 'sk_live_123' } }), 'waits.x')).field).toBe(
      'waits.x.auth.secret',
    );
  });

  test('a run binding names a declared attribute and a dotted input path; defineWait (no input) refuses it', () => {
    const w = normalizeWait('x', base({ attributes: ['status', 'customer_id'], bind: { attribute: 'customer_id', input: 'customer.id' } }), 'waits.x');
    expect(w.bind).toEqual({ attribute: 'customer_id', input: 'customer.id' });
    expect(definitionError(() => normalizeWait('x', base({ bind: { attribute: 'customer_id', input: 'customerId' } }), 'waits.x')).field).toBe('waits.x.bind.attribute');
    for (const input of ['', 'a..b', 'a.', '1a', 'a.__proto__', 'constructor', 'a-b', 'a.b.c.d.e.f.g.h.i']) {
      expect([input, definitionError(() => normalizeWait('x', base({ bind: { attribute: 'status', input } }), 'waits.x')).field]).toEqual([input, 'waits.x.bind.input']);
    }
    expect(definitionError(() => normalizeWait('x', base({ bind: null as never }), 'waits.x')).field).toBe('waits.x.bind');
    expect(definitionError(() => defineWait({ name: 'x', ...base({ bind: { attribute: 'status', input: 'id' } }) })).field).toBe('bind');
  });
});

test('assigneeLabel', () => {
  expect(assigneeLabel({ team: 'billing' })).toBe('team billing');
  expect(assigneeLabel({ teammate: 'ada' })).toBe('teammate ada');
});
