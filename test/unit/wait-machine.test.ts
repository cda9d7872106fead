import fc from 'fast-check';
import { z } from 'zod';
import { defineWait } from '../../src/definitions/wait-point';
import type { WaitPoint } from '../../src/definitions/wait-point';
import { type MachineContext, type MachineEvent, initialState, memoOf, quietRepeat, step, waitSettled } from '../../src/core/wait-machine';
import { MAX_LEDGER, MAX_RECORDED_REPEATS, type ProcedureState, waitId } from '../../src/core/run-state';
import { bindingDigest } from '../../src/core/run-binding';

const a = defineWait({ name: 'a', title: 'A', attributes: { v: z.enum(['x', 'y']) }, timeout: '1h', onTimeout: 'branch' });
const b = defineWait({ name: 'b', title: 'B', attributes: ['v'], timeout: '1h', onTimeout: 'branch' });
const waits = new Map<string, WaitPoint>([a, b].map((w) => [w.name, w]));
const closedCtx: MachineContext = { closed: true, lookup: (n) => waits.get(n) };
const http = { kind: 'http' as const, requestId: 'r' };
// Every HTTP callback is its own request (the machine takes one request once): a fresh gateway request id each.
let requests = 0;
const httpSource = (): typeof http => ({ kind: 'http', requestId: `r${++requests}` });
const operator = { kind: 'operator' as const, operator: 'ann' };

const fresh = (closed = true): ProcedureState =>
  initialState({ procedure: 'p', workflowId: 'w', runId: 'r', conversationId: 'c', startedAt: '2026-01-01T00:00:00.000Z', ...(closed ? { waits: [a, b] } : {}) });

function run(events: readonly MachineEvent[], ctx: MachineContext = closedCtx, state = fresh(ctx.closed)) {
  const trace: { event: MachineEvent; before: ProcedureState; after: ProcedureState; outcomes: readonly string[]; publish: boolean }[] = [];
  for (const event of events) {
    const t = step(state, event, ctx);
    trace.push({ event, before: state, after: t.state, outcomes: t.outcomes, publish: t.publish });
    state = t.state;
  }
  return { state, trace };
}

const cb = (wait: string, v: string, source: typeof http | typeof operator = http, key?: string): MachineEvent => ({
  type: 'callback',
  callback: { wait, ...(key !== undefined ? { key } : {}), attributes: { v }, receivedAt: '2026-01-01T00:00:01.000Z', source: source === http ? httpSource() : source },
});

describe('wait machine: examples', () => {
  test('the first valid callback wins; the next is a duplicate and changes nothing', () => {
    const { state, trace } = run([cb('a', 'x'), cb('a', 'y')]);
    expect(state.waits.a).toMatchObject({ status: 'received', attributes: { v: 'x' } });
    expect(trace.map((t) => t.outcomes)).toEqual([['accepted'], ['duplicate']]);
    expect(state.ledger.map((e) => e.outcome)).toEqual(['accepted', 'duplicate']);
  });

  test('a callback that does not fit is recorded as rejected and the wait stays open', () => {
    const { state } = run([cb('a', 'nope'), cb('a', 'y')]);
    expect(state.waits.a).toMatchObject({ status: 'received', attributes: { v: 'y' } });
    expect(state.ledger.map((e) => e.outcome)).toEqual(['rejected', 'accepted']);
  });

  test('begin, then end without a callback: timed out; a later callback is late', () => {
    const { state } = run([{ type: 'begin', id: 'a', at: '2026-01-01T00:00:00.000Z', timeoutMs: 60_000 }, { type: 'end', id: 'a' }, cb('a', 'x')]);
    expect(state.waits.a).toMatchObject({ status: 'timed_out', deadline: '2026-01-01T00:01:00.000Z' });
    expect(state.ledger.map((e) => e.outcome)).toEqual(['late']);
    expect(state.status).toBe('running');
  });

  test('a callback applied before the timer ends still wins', () => {
    const { state } = run([{ type: 'begin', id: 'a', at: '2026-01-01T00:00:00.000Z', timeoutMs: 1000 }, cb('a', 'x'), { type: 'end', id: 'a' }]);
    expect(state.waits.a?.status).toBe('received');
  });

  test('revoked: HTTP callbacks are refused, an operator can still complete the wait', () => {
    const { state } = run([{ type: 'revoke', request: { wait: 'a', at: 't', source: operator } }, cb('a', 'x'), cb('a', 'y', operator)]);
    expect(state.ledger.map((e) => e.outcome)).toEqual(['revoked', 'revoked', 'accepted']);
    expect(state.waits.a).toMatchObject({ status: 'received', attributes: { v: 'y' }, revoked: true });
  });

  test('unknown waits: recorded in a procedure; kept in a plain workflow until declared, then applied', () => {
    expect(run([cb('zzz', 'x')]).state.ledger.map((e) => e.outcome)).toEqual(['unknown-wait']);
    const known = new Map<string, WaitPoint>();
    const openCtx: MachineContext = { closed: false, lookup: (n) => known.get(n) };
    let s = fresh(false);
    s = step(s, cb('a', 'x', http, 'k1'), openCtx).state;
    expect(s.ledger).toHaveLength(0);
    expect(s.early).toHaveLength(1);
    known.set('a', a);
    const t = step(s, { type: 'declare', wait: 'a', key: 'k1', url: 'u1' }, openCtx);
    expect(t.outcomes).toEqual(['accepted']);
    expect(t.state.waits['a:k1']).toMatchObject({ status: 'received', attributes: { v: 'x' }, wait: 'a', key: 'k1' });
    expect(t.state.callbackUrls['a:k1']).toBe('u1');
    expect(t.state.early).toEqual([]);
  });

  test('plain workflow: a kept callback for one key wins over a later one sent once another key of the wait is known', () => {
    const known = new Map<string, WaitPoint>();
    const ctx: MachineContext = { closed: false, lookup: (n) => known.get(n) };
    let s = fresh(false);
    s = step(s, cb('a', 'x', http, 'B'), ctx).state; // kept: 'a' is not declared yet
    known.set('a', a);
    s = step(s, { type: 'declare', wait: 'a', key: 'A' }, ctx).state; // declaring key A applies what was kept for B
    s = step(s, cb('a', 'y', http, 'B'), ctx).state;
    s = step(s, { type: 'declare', wait: 'a', key: 'B' }, ctx).state;
    expect(s.waits['a:B']).toMatchObject({ status: 'received', attributes: { v: 'x' } });
    expect(s.ledger.map((e) => [e.wait, e.outcome])).toEqual([['a:B', 'accepted'], ['a:B', 'duplicate']]);
  });

  test('plain workflow: kept callbacks are a few per wait id, judged for revocation on arrival, shown in the memo, bounded', () => {
    const known = new Map<string, WaitPoint>();
    const ctx: MachineContext = { closed: false, lookup: (n) => known.get(n) };
    let s = fresh(false);
    s = step(s, cb('a', 'x'), ctx).state;
    for (let i = 0; i < 4; i++) s = step(s, cb('a', 'y'), ctx).state;
    const again = step(s, cb('a', 'y'), ctx);
    expect(again.outcomes).toEqual(['duplicate']);
    s = step(again.state, { type: 'revoke', request: { at: 't', source: operator } }, ctx).state;
    expect(step(s, cb('b', '1'), ctx).outcomes).toEqual(['revoked']);
    expect(memoOf(s, 2).waits).toMatchObject({ a: 'received' });
    // Kept before the revocation: applied when declared.
    known.set('a', a);
    s = step(s, { type: 'declare', wait: 'a' }, ctx).state;
    expect(s.waits.a).toMatchObject({ status: 'received', attributes: { v: 'x' } });
    let full = fresh(false);
    for (let i = 0; i < 101; i++) full = step(full, cb('a', 'x', http, `k${i}`), ctx.lookup('zz') ? ctx : { closed: false, lookup: () => undefined }).state;
    expect(full.early).toHaveLength(100);
    expect(full.ledger.map((e) => e.outcome)).toEqual(['unknown-wait']);
  });

  test('keyed waits are independent; revoking a wait also revokes keys declared later', () => {
    const { state } = run([
      { type: 'declare', wait: 'b', key: 'k1' },
      cb('b', '1', http, 'k1'),
      { type: 'revoke', request: { wait: 'b', at: 't', source: operator } },
      { type: 'declare', wait: 'b', key: 'k2' },
      cb('b', '2', http, 'k2'),
    ]);
    expect(state.waits['b:k1']).toMatchObject({ status: 'received', attributes: { v: '1' }, revoked: true });
    expect(state.waits['b:k2']).toMatchObject({ status: 'pending', revoked: true });
    expect(state.ledger.at(-1)).toMatchObject({ wait: 'b:k2', outcome: 'revoked' });
    expect(memoOf(state, 2)).toMatchObject({ revoked: expect.arrayContaining(['b', 'b:k1', 'b:k2']), revokedRules: ['b'] });
  });

  test('expire: settles the wait (the runtime then ends it); after receipt it is late', () => {
    let { state } = run([{ type: 'expire', request: { wait: 'a', at: 't', source: operator } }]);
    expect(waitSettled(state, 'a')).toBe(true);
    state = run([cb('b', '1'), { type: 'expire', request: { wait: 'b', at: 't', source: operator } }]).state;
    expect(state.ledger.map((e) => e.outcome)).toEqual(['accepted', 'late']);
  });

  test('repeats: the memo turns quiet exactly at the quota, with one publish', () => {
    const events = [cb('a', 'x'), ...Array.from({ length: MAX_RECORDED_REPEATS + 3 }, () => cb('a', 'x'))];
    const { state, trace } = run(events);
    const publishes = trace.slice(1).filter((t) => t.publish);
    expect(publishes).toHaveLength(1);
    expect(state.waits.a?.repeats).toBe(MAX_RECORDED_REPEATS + 3);
    expect(memoOf(state, 2).quiet).toEqual(['a']);
  });

  test('one HTTP request delivered twice (an update, then the signal sent when no worker answered in time): the second is not recorded', () => {
    const same: MachineEvent = { type: 'callback', callback: { wait: 'a', attributes: { v: 'x' }, receivedAt: 't', source: { kind: 'http', requestId: 'req-1' } } };
    const { state, trace } = run([same, same, cb('a', 'y')]);
    expect(trace.map((t) => [t.outcomes, t.publish])).toEqual([[['accepted'], true], [['duplicate'], false], [['duplicate'], false]]);
    expect(state.ledger.map((e) => e.outcome)).toEqual(['accepted', 'duplicate']);
    expect(state.waits.a?.repeats).toBe(1);
  });

  test('a run that answers no to oneRequestOnce (parked before the patch) records the second copy as it did then', () => {
    const same: MachineEvent = { type: 'callback', callback: { wait: 'a', attributes: { v: 'x' }, receivedAt: 't', source: { kind: 'http', requestId: 'req-1' } } };
    let asked = 0;
    const ctx: MachineContext = { ...closedCtx, oneRequestOnce: () => (asked++, false) };
    const { state } = run([same, cb('a', 'y'), same], ctx);
    expect(state.ledger.map((e) => e.outcome)).toEqual(['accepted', 'duplicate', 'duplicate']);
    expect(asked).toBe(1); // asked only when the id is seen again
  });

  test('quietRepeat: only a repeat of a wait past the quota, read without applying anything', () => {
    const events = [cb('a', 'x'), ...Array.from({ length: MAX_RECORDED_REPEATS - 1 }, () => cb('a', 'x'))];
    const before = run(events).state;
    const probe = { wait: 'a', attributes: { v: 'y' }, receivedAt: 't', source: httpSource() };
    expect(quietRepeat(before, probe, closedCtx)).toBeUndefined();
    const after = step(before, cb('a', 'x'), closedCtx).state;
    expect(quietRepeat(after, probe, closedCtx)).toBe('duplicate');
    expect(quietRepeat(after, { ...probe, wait: 'b' }, closedCtx)).toBeUndefined();
    expect(quietRepeat(after, { ...probe, wait: 'zzz' }, closedCtx)).toBeUndefined();
  });

  test('the accepted callback digest reaches the memo', () => {
    const e: MachineEvent = { type: 'callback', callback: { wait: 'a', attributes: { v: 'x' }, receivedAt: 't', source: http, digest: 'd1' } };
    expect(memoOf(run([e]).state, 2).digests).toEqual({ a: 'd1' });
  });

  test('a bound wait takes only its run\'s value (as text, from any source); a mismatch is rejected with a field error and publishes nothing', () => {
    const bound: WaitPoint = { ...b, name: 'bound', bind: { attribute: 'v', input: 'customerId' } };
    const ctx: MachineContext = { closed: true, lookup: (n) => (n === 'bound' ? bound : waits.get(n)) };
    const state = initialState({ procedure: 'p', workflowId: 'w', runId: 'r', conversationId: 'c', startedAt: 't', waits: [bound], bindings: { bound: bindingDigest('r', 'bound', 42) } });
    const { state: after, trace } = run([cb('bound', 'cus_other'), cb('bound', '43', operator), cb('bound', '42')], ctx, state);
    expect(trace.map((t) => [t.outcomes, t.publish])).toEqual([[['rejected'], false], [['rejected'], false], [['accepted'], true]]);
    expect(after.ledger[0]?.errors).toEqual([{ field: 'v', message: 'does not match this run' }]);
    expect(after.waits.bound).toMatchObject({ status: 'received', attributes: { v: '42' } });
    expect(memoOf(after, 2).bound).toEqual({ bound: bindingDigest('r', 'bound', 42) });
    // Fails closed: a bound wait of a run without a bound value takes nothing.
    const unbound = initialState({ procedure: 'p', workflowId: 'w', runId: 'r', conversationId: 'c', startedAt: 't', waits: [bound] });
    expect(run([cb('bound', '42')], ctx, unbound).state.ledger.map((e) => e.outcome)).toEqual(['rejected']);
    expect(memoOf(unbound, 2)).not.toHaveProperty('bound');
  });
});

// Random event sequences over two waits (one used with keys), known and unknown names, valid and invalid payloads.
const idArb = fc.constantFrom('a', 'b', 'b:k1', 'b:k2');
const splitId = (id: string): { wait: string; key?: string } => (id.includes(':') ? { wait: id.split(':')[0] as string, key: id.split(':')[1] as string } : { wait: id });
const eventArb: fc.Arbitrary<MachineEvent> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom('a', 'b', 'b:k1', 'b:k2', 'zzz'), fc.constantFrom('x', 'y', 'bad', '1'), fc.boolean(), fc.option(fc.string({ maxLength: 4 }), { nil: undefined })).map(([id, v, isHttp, digest]): MachineEvent => {
    const { wait, key } = splitId(id);
    return { type: 'callback', callback: { wait, ...(key ? { key } : {}), attributes: { v }, receivedAt: 't', source: isHttp ? httpSource() : operator, ...(digest !== undefined ? { digest } : {}) } };
  }) },
  { weight: 1, arbitrary: idArb.map((id): MachineEvent => ({ type: 'expire', request: { ...splitId(id), at: 't', source: operator } })) },
  { weight: 1, arbitrary: fc.option(idArb, { nil: undefined }).map((id): MachineEvent => ({ type: 'revoke', request: { ...(id ? splitId(id) : {}), at: 't', source: operator } })) },
  { weight: 2, arbitrary: fc.constantFrom('b:k1', 'b:k2').map((id): MachineEvent => ({ type: 'declare', ...(splitId(id) as { wait: string; key: string }) })) },
  { weight: 2, arbitrary: idArb.map((id): MachineEvent => ({ type: 'begin', id, at: '2026-01-01T00:00:00.000Z', timeoutMs: 1000 })) },
  { weight: 2, arbitrary: idArb.map((id): MachineEvent => ({ type: 'end', id })) },
);

/** What the rules say should have been accepted, by wait id: a model written apart from the machine. */
function expectedAccepted(events: readonly MachineEvent[]): Map<string, string> {
  const accepted = new Map<string, string>();
  const exists = new Set(['a', 'b']);
  const ended = new Set<string>();
  const revoked = new Set<string>();
  const rules = new Set<string>();
  for (const e of events) {
    if (e.type === 'declare') exists.add(waitId(e.wait, e.key));
    if (e.type === 'expire') exists.add(waitId(e.request.wait, e.request.key));
    if (e.type === 'revoke') {
      if (e.request.wait === undefined) rules.add('*');
      else if (e.request.key === undefined) rules.add(e.request.wait);
      else {
        revoked.add(waitId(e.request.wait, e.request.key));
        exists.add(waitId(e.request.wait, e.request.key));
      }
    }
    if (e.type === 'end' && exists.has(e.id) && !accepted.has(e.id)) ended.add(e.id);
    if (e.type !== 'callback' || e.callback.wait === 'zzz') continue;
    const c = e.callback;
    const id = waitId(c.wait, c.key);
    exists.add(id);
    if (accepted.has(id) || ended.has(id)) continue;
    if ((revoked.has(id) || rules.has('*') || rules.has(c.wait)) && c.source.kind === 'http') continue;
    const v = String(c.attributes?.v);
    if (c.wait === 'a' && v !== 'x' && v !== 'y') continue;
    accepted.set(id, v);
  }
  return accepted;
}

describe('wait machine: properties over random event sequences', () => {
  const params = { numRuns: 2000, seed: 8 };

  test('no accepted callback is lost, and the first accepted wins', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 40 }), (events) => {
        const { state, trace } = run(events);
        const acceptedByEvent = new Map<string, string>();
        for (const t of trace) {
          if (t.event.type === 'callback' && t.outcomes.includes('accepted')) {
            const id = waitId(t.event.callback.wait, t.event.callback.key);
            expect(acceptedByEvent.has(id)).toBe(false); // at most one accepted per wait
            acceptedByEvent.set(id, String(t.event.callback.attributes?.v));
          }
        }
        for (const [id, v] of acceptedByEvent) {
          expect(state.waits[id]?.status).toBe('received');
          expect(String(state.waits[id]?.attributes?.v)).toBe(v);
        }
        const expected = expectedAccepted(events);
        expect(new Map(Object.entries(state.waits).flatMap(([id, w]) => (w.status === 'received' ? [[id, String(w.attributes?.v)]] : [])))).toEqual(expected);
        expect(acceptedByEvent).toEqual(expected);
      }),
      params,
    );
  });

  test('terminal wait states stay terminal, and received attributes never change', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 40 }), (events) => {
        for (const t of run(events).trace) {
          for (const [id, before] of Object.entries(t.before.waits)) {
            const after = t.after.waits[id];
            if (before.status === 'received') expect(after).toMatchObject({ status: 'received', attributes: before.attributes, receivedAt: before.receivedAt });
            if (before.status === 'timed_out') expect(after?.status).toBe('timed_out');
          }
        }
      }),
      params,
    );
  });

  test('every callback to a known wait is recorded once; the ledger is bounded; revoked waits take no HTTP callback', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 60 }), (events) => {
        for (const t of run(events).trace) {
          if (t.event.type === 'callback') {
            expect(t.outcomes).toHaveLength(1);
            expect(t.after.ledger.length).toBe(Math.min(MAX_LEDGER, t.before.ledger.length + 1));
            const id = waitId(t.event.callback.wait, t.event.callback.key);
            if (t.before.waits[id]?.revoked && t.event.callback.source.kind === 'http') expect(t.outcomes).toEqual(['revoked']);
          }
          expect(t.after.ledger.length).toBeLessThanOrEqual(MAX_LEDGER);
        }
      }),
      params,
    );
  });

  test('when a wait begins or ends, the run is waiting exactly while some wait is waiting', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 40 }), (events) => {
        for (const t of run(events).trace) {
          const began = t.event.type === 'begin' && t.before.waits[t.event.id]?.status === 'pending';
          const ended = t.event.type === 'end' && t.before.waits[t.event.id] !== undefined;
          if (!began && !ended) continue;
          const anyWaiting = Object.values(t.after.waits).some((w) => w.status === 'waiting');
          expect(t.after.status).toBe(anyWaiting ? 'waiting' : 'running');
        }
      }),
      params,
    );
  });

  test('in a plain workflow, callbacks that come before their wait is declared are applied when it is', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 30 }), (events) => {
        const known = new Map<string, WaitPoint>();
        const ctx: MachineContext = { closed: false, lookup: (n) => known.get(n) };
        let state = fresh(false);
        for (const e of events) state = step(state, e, ctx).state;
        // Declare everything now: whatever valid callback came for a wait must be applied.
        known.set('a', a);
        known.set('b', b);
        for (const id of ['a', 'b', 'b:k1', 'b:k2']) state = step(state, { type: 'declare', ...splitId(id) }, ctx).state;
        expect((state.early ?? []).filter((e) => e.wait !== 'zzz')).toEqual([]);
        for (const e of events) {
          if (e.type !== 'callback' || e.callback.wait === 'zzz') continue;
          const valid = e.callback.wait === 'b' || ['x', 'y'].includes(String(e.callback.attributes?.v));
          const id = waitId(e.callback.wait, e.callback.key);
          const w = state.waits[id];
          if (valid && !(w?.revoked && e.callback.source.kind === 'http')) expect(['received', 'timed_out']).toContain(w?.status);
        }
      }),
      params,
    );
  });
});
