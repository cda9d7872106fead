import { definitionError, escalatingWait } from '../helpers/definitions';
import { z } from 'zod';
import { defineProcedure } from '../../src/definitions';

const wait = escalatingWait;

describe('defineProcedure: errors at definition time name the field', () => {
  test('escalate (the default) without an escalation message', () => {
    const err = definitionError(() => defineProcedure({ name: 'p', waits: { kyc: wait({ escalation: { assignee: { team: 'kyc' } } }) } }));
    expect(err.field).toBe('waits.kyc.escalation.message');
    expect(err.message).toMatch(/missing: waits\.kyc\.escalation\.message$/);
  });
  test('escalate without an assignee', () => {
    const err = definitionError(() => defineProcedure({ name: 'p', waits: { kyc: wait({ escalation: { message: 'm' } }) } }));
    expect(err.field).toBe('waits.kyc.escalation.assignee');
    expect(err.message).toMatch(/missing: waits\.kyc\.escalation\.assignee$/);
  });
  test('escalate with neither names both', () => {
    const err = definitionError(() => defineProcedure({ name: 'p', waits: { kyc: wait({ onTimeout: 'escalate', escalation: undefined }) } }));
    expect(err.message).toMatch(/missing: waits\.kyc\.escalation\.message, waits\.kyc\.escalation\.assignee/);
  });
  test('an assignee must be a team or a teammate', () => {
    const err = definitionError(() => defineProcedure({ name: 'p', waits: { kyc: wait({ escalation: { message: 'm', assignee: { squad: 'x' } as never } }) } }));
    expect(err.field).toBe('waits.kyc.escalation.assignee');
  });
  test('branch needs no escalation', () => {
    const p = defineProcedure({ name: 'p', waits: { kyc: wait({ onTimeout: 'branch', escalation: undefined }) } });
    expect(p.waits.kyc.onTimeout).toBe('branch');
    expect(p.waits.kyc.escalation).toBeUndefined();
  });
  test('the timeout is required and at least 1s', () => {
    expect(definitionError(() => defineProcedure({ name: 'p', waits: { w: wait({ timeout: '999ms' }) } })).field).toBe('waits.w.timeout');
    expect(definitionError(() => defineProcedure({ name: 'p', waits: { w: wait({ timeout: undefined as never }) } })).field).toBe('waits.w.timeout');
    expect(definitionError(() => defineProcedure({ name: 'p', waits: { w: wait({ timeout: 'soon' as never }) } })).message).toMatch(/duration/);
    expect(defineProcedure({ name: 'p', waits: { w: wait({ timeout: '1s' }) } }).waits.w.timeoutMs).toBe(1000);
    expect(defineProcedure({ name: 'p', waits: { w: wait({ timeout: '2h' }) } }).waits.w.timeoutMs).toBe(7_200_000);
  });
  test('at most 50 attributes per wait', () => {
    const names = (n: number) => Array.from({ length: n }, (_, i) => `a${i}`);
    expect(defineProcedure({ name: 'p', waits: { w: wait({ attributes: names(50) }) } }).waits.w.attributes).toHaveLength(50);
    const err = definitionError(() => defineProcedure({ name: 'p', waits: { w: wait({ attributes: names(51) }) } }));
    expect(err.field).toBe('waits.w.attributes');
    expect(err.message).toMatch(/at most 50/);
  });
  test('attribute names and paths are checked', () => {
    expect(definitionError(() => defineProcedure({ name: 'p', waits: { w: wait({ attributes: ['1bad'] }) } })).field).toBe('waits.w.attributes.1bad');
    expect(definitionError(() => defineProcedure({ name: 'p', waits: { w: wait({ attributes: { a: { path: 'x.__proto__.y' } } }) } })).field).toBe(
      'waits.w.attributes.a.path',
    );
    expect(definitionError(() => defineProcedure({ name: 'p', waits: { w: wait({ attributes: [] }) } })).field).toBe('waits.w.attributes');
    // An attribute named __proto__ would vanish on assignment: refused at definition time.
    expect(definitionError(() => defineProcedure({ name: 'p', waits: { w: wait({ attributes: ['__proto__'] }) } })).field).toBe('waits.w.attributes.__proto__');
  });
  test('procedure name, waits and connectors are checked', () => {
    expect(definitionError(() => defineProcedure({ name: 'not a name', waits: { w: wait() } })).field).toBe('name');
    expect(definitionError(() => defineProcedure({ name: 'p', waits: {} })).field).toBe('waits');
    expect(definitionError(() => defineProcedure({ name: 'p', waits: { w: wait({ title: '' }) } })).field).toBe('waits.w.title');
    expect(definitionError(() => defineProcedure({ name: 'p', waits: { w: wait() }, connectors: { c: { url: '' } } })).field).toBe('connectors.c.url');
    expect(
      definitionError(() => defineProcedure({ name: 'p', waits: { w: wait() }, connectors: { c: { url: 'http://x', retry: { maximumAttempts: 0 } } } })).field,
    ).toBe('connectors.c.retry.maximumAttempts');
  });
  test('defaults: string attributes, escalate, POST connectors with a 10s timeout and 5 attempts', () => {
    const p = defineProcedure({
      name: 'p',
      input: z.object({ id: z.string() }),
      waits: { w: wait() },
      connectors: { c: { url: 'http://x/{{input.id}}', response: z.object({ ok: z.boolean() }) } },
    });
    expect(p.waits.w.onTimeout).toBe('escalate');
    expect(p.waits.w.attributes[0]).toMatchObject({ name: 'status', path: ['status'] });
    expect(p.connectors.c).toMatchObject({ method: 'POST', timeoutMs: 10_000, retry: { maximumAttempts: 5, initialIntervalMs: 1000, maximumIntervalMs: 30_000 } });
  });
});
