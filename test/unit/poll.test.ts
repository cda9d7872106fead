import fc from 'fast-check';
import { z } from 'zod';
import { defineConnector, normalizeConnector } from '../../src/definitions/connector';
import { DefinitionError } from '../../src/definitions/definition-error';
import { formatDurationMs, nextPollInterval, normalizeProgress, pollSchedule, pollVerdict, progressMessage } from '../../src/definitions/poll';
import { defineWait } from '../../src/definitions/wait-point';
import { type MachineContext, type MachineEvent, initialState, step } from '../../src/core/wait-machine';
import type { ProcedureState } from '../../src/core/run-state';
import { limitedConnectors } from '../../src/worker/connector-workers';
import { defineProcedure } from '../../src/definitions/procedure';

describe('poll schedule', () => {
  test('every, timeout and backoff are checked; intervals grow by the coefficient up to the maximum', () => {
    const s = pollSchedule({ every: '1s', timeout: '1h', backoff: { coefficient: 2, maximumInterval: '5s' } }, 'poll');
    expect(s).toEqual({ everyMs: 1000, coefficient: 2, maximumIntervalMs: 5000, timeoutMs: 3_600_000 });
    expect([1, 2, 3, 4, 5].map((n) => nextPollInterval(s, n))).toEqual([1000, 2000, 4000, 5000, 5000]);
    expect(pollSchedule({ every: '30s' }, 'p')).toEqual({ everyMs: 30_000, coefficient: 1, maximumIntervalMs: 30_000 });
    expect(pollSchedule({ every: '10s', backoff: 3 }, 'p')).toEqual({ everyMs: 10_000, coefficient: 3, maximumIntervalMs: 100_000 });
  });

  test.each([
    [{ every: '500ms' }, 'poll.every'],
    [{ every: 'soon' }, 'poll.every'],
    [{ every: '1s', timeout: '10ms' }, 'poll.timeout'],
    [{ every: '1s', backoff: { coefficient: 0.5 } }, 'poll.backoff.coefficient'],
    [{ every: '10s', backoff: { maximumInterval: '1s' } }, 'poll.backoff.maximumInterval'],
  ])('a bad schedule names the field: %j', (options, field) => {
    expect(() => pollSchedule(options as never, 'poll')).toThrow(DefinitionError);
    expect(() => pollSchedule(options as never, 'poll')).toThrow(new RegExp(`^${field.replace(/\./g, '\\.')}:`));
  });

  test('verdicts: the three words and booleans; anything else is undefined', () => {
    expect([true, false, 'done', 'pending', 'failed'].map(pollVerdict)).toEqual(['done', 'pending', 'done', 'pending', 'failed']);
    expect([undefined, 'DONE', 1, null, {}].map(pollVerdict)).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });

  test('property: intervals never exceed the maximum and never shrink', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1000, max: 60_000 }), fc.double({ min: 1, max: 10, noNaN: true }), fc.integer({ min: 1, max: 20 }), (every, coefficient, factor) => {
        const s = { everyMs: every, coefficient, maximumIntervalMs: every * factor };
        let last = 0;
        for (let n = 1; n <= 30; n++) {
          const i = nextPollInterval(s, n);
          expect(i).toBeLessThanOrEqual(s.maximumIntervalMs);
          expect(i).toBeGreaterThanOrEqual(last);
          last = i;
        }
      }),
      { numRuns: 300, seed: 4 },
    );
  });
});

describe('progress declarations', () => {
  test('defaults, placeholders and the rendered text', () => {
    const p = normalizeProgress({ every: '2m', message: 'Still checking ({{progress.index}}/{{ progress.max }}, {{progress.elapsed}})' }, 'waits.kyc.progress');
    expect(p).toEqual({ everyMs: 120_000, message: expect.any(String), max: 3 });
    expect(progressMessage(p, 2)).toBe('Still checking (2/3, 4m)');
  });

  test.each([
    [{ every: '2m', message: 'hi {{input.name}}' }, 'w.progress.message'],
    [{ every: '2m', message: '' }, 'w.progress.message'],
    [{ every: '10ms', message: 'x' }, 'w.progress.every'],
    [{ every: '2m', message: 'x', max: 0 }, 'w.progress.max'],
    [{ every: '2m', message: 'x', max: 2.5 }, 'w.progress.max'],
    ['often', 'w.progress'],
  ])('a bad progress names the field: %j', (decl, field) => {
    expect(() => defineWait({ name: 'w', title: 'W', attributes: ['a'], timeout: '1h', onTimeout: 'branch', progress: decl as never })).toThrow(new RegExp(`^${field.replace(/\./g, '\\.')}[:]`));
  });

  test('compact durations', () => {
    expect([1500, 1000, 90_000, 120_000, 3_600_000, 129_600_000, 86_400_000].map(formatDurationMs)).toEqual(['1500ms', '1s', '90s', '2m', '1h', '36h', '1d']);
  });
});

describe('connector limits and defined connectors', () => {
  const base = { url: 'https://example.com/x' } as const;
  test('limits are checked and kept; a procedure reports its limited connectors with their task queues', () => {
    expect(normalizeConnector('c', { ...base, limits: { concurrency: 2, perSecond: 0.5 } }, 'connectors.c').limits).toEqual({ concurrency: 2, perSecond: 0.5 });
    expect(normalizeConnector('c', base, 'connectors.c').limits).toBeUndefined();
    const p = defineProcedure({ name: 'p', waits: { w: { title: 'W', attributes: ['a'], timeout: '1h', onTimeout: 'branch' } }, connectors: { c: { ...base, limits: { concurrency: 1 } }, d: base } });
    const defined = defineConnector({ name: 'kyc', ...base, limits: { perSecond: 5 } });
    expect(limitedConnectors('support', { procedures: [p], connectors: [defined] })).toEqual([
      { procedure: 'p', connector: 'c', limits: { concurrency: 1 }, taskQueue: 'support-connector-p-c' },
      { connector: 'kyc', limits: { perSecond: 5 }, taskQueue: 'support-connector-kyc' },
    ]);
  });

  test.each([
    [{ concurrency: 0 }, 'connectors.c.limits.concurrency'],
    [{ concurrency: 1.5 }, 'connectors.c.limits.concurrency'],
    [{ perSecond: -1 }, 'connectors.c.limits.perSecond'],
    [{ burst: 3 }, 'connectors.c.limits.burst'],
    [{}, 'connectors.c.limits'],
  ])('bad limits name the field: %j', (limits, field) => {
    expect(() => normalizeConnector('c', { ...base, limits: limits as never }, 'connectors.c')).toThrow(new RegExp(`^${field.replace(/\./g, '\\.')}:`));
  });

  test('defineConnector checks the name and the declaration', () => {
    expect(defineConnector({ name: 'ok', ...base, response: z.object({ s: z.string() }) })).toMatchObject({ name: 'ok', method: 'POST', url: base.url });
    expect(() => defineConnector({ name: '1bad', ...base })).toThrow(/^name:/);
    expect(() => defineConnector({ name: 'x', url: '' })).toThrow(/^x\.url:/);
  });
});

describe('wait machine: poll and progress events', () => {
  const w = defineWait({ name: 'w', title: 'W', attributes: { state: z.enum(['done', 'failed']) }, timeout: '1h', onTimeout: 'branch' });
  const ctx: MachineContext = { closed: true, lookup: (n) => (n === 'w' ? w : undefined) };
  const fresh = (): ProcedureState => initialState({ procedure: 'p', workflowId: 'wf', runId: 'r', conversationId: 'c', startedAt: 't0', waits: [w] });
  const begin: MachineEvent = { type: 'begin', id: 'w', at: '2026-01-01T00:00:00.000Z', timeoutMs: 1000 };
  const poll = (check: number, state: string, verdict: 'done' | 'failed' = 'done'): MachineEvent => ({ type: 'poll', wait: 'w', at: `p${check}`, connector: 'status', check, verdict, attributes: { state } });
  const callback: MachineEvent = { type: 'callback', callback: { wait: 'w', attributes: { state: 'done' }, receivedAt: 'cb', source: { kind: 'http' } } };

  function apply(events: readonly MachineEvent[]) {
    let state = fresh();
    const outcomes: string[][] = [];
    for (const e of events) {
      const t = step(state, e, ctx);
      state = t.state;
      outcomes.push([...t.outcomes]);
    }
    return { state, outcomes };
  }

  test('a done poll completes the wait (completedBy poll); a later callback is a duplicate', () => {
    const { state, outcomes } = apply([begin, poll(3, 'done'), callback]);
    expect(outcomes).toEqual([[], ['accepted'], ['duplicate']]);
    expect(state.waits.w).toMatchObject({ status: 'received', completedBy: 'poll', receivedAt: 'p3', attributes: { state: 'done' } });
    expect(state.ledger[0]).toEqual({ at: 'p3', wait: 'w', outcome: 'accepted', source: { kind: 'poll' }, poll: { connector: 'status', check: 3 } });
  });

  test('a callback first: completedBy callback; a later poll is a duplicate; after a timeout a poll is late', () => {
    expect(apply([begin, callback, poll(1, 'done')]).state.waits.w?.completedBy).toBe('callback');
    expect(apply([begin, callback, poll(1, 'done')]).outcomes[2]).toEqual(['duplicate']);
    expect(apply([begin, { type: 'end', id: 'w' }, poll(1, 'done')]).outcomes[2]).toEqual(['late']);
  });

  test('failed, or a response that does not fit, is recorded as rejected and the wait stays open', () => {
    const { state, outcomes } = apply([begin, poll(1, 'done', 'failed'), poll(2, 'maybe')]);
    expect(outcomes.slice(1)).toEqual([['rejected'], ['rejected']]);
    expect(state.waits.w?.status).toBe('waiting');
    expect(state.ledger.map((e) => e.errors?.[0]?.field)).toEqual(['(poll)', 'state']);
  });

  test('progress: recorded on the ledger, counted on the wait when delivered, never publishes', () => {
    let state = step(fresh(), begin, ctx).state;
    const t1 = step(state, { type: 'progress', id: 'w', at: 'x1', index: 1, delivered: true }, ctx);
    const t2 = step(t1.state, { type: 'progress', id: 'w', at: 'x2', index: 2, delivered: false }, ctx);
    state = t2.state;
    expect([t1.publish, t2.publish]).toEqual([false, false]);
    expect(state.waits.w?.progressSent).toBe(1);
    expect(state.ledger.map((e) => [e.outcome, e.progress])).toEqual([['progress', { index: 1, delivered: true }], ['progress', { index: 2, delivered: false }]]);
  });

  test('property: of callbacks and polls, the first that fits wins, and nothing changes a received wait', () => {
    const eventArb: fc.Arbitrary<MachineEvent> = fc.oneof(
      fc.tuple(fc.constantFrom('done', 'failed', 'bad'), fc.integer({ min: 1, max: 9 }), fc.constantFrom<'done' | 'failed'>('done', 'failed')).map(([s, n, v]) => poll(n, s, v)),
      fc.constantFrom('done', 'failed', 'bad').map((s): MachineEvent => ({ type: 'callback', callback: { wait: 'w', attributes: { state: s }, receivedAt: `cb-${s}`, source: { kind: 'http' } } })),
      fc.constant<MachineEvent>({ type: 'end', id: 'w' }),
    );
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 25 }), (events) => {
        const all = [begin, ...events];
        const { state, outcomes } = apply(all);
        let expected: { by: string; state: string } | undefined;
        let ended = false;
        for (const e of all) {
          if (e.type === 'end' && !expected) ended = true;
          if (expected || ended) continue;
          if (e.type === 'poll' && e.verdict === 'done' && e.attributes?.state !== 'bad') expected = { by: 'poll', state: String(e.attributes?.state) };
          if (e.type === 'callback' && e.callback.attributes?.state !== 'bad') expected = { by: 'callback', state: String(e.callback.attributes?.state) };
        }
        expect(outcomes.flat().filter((o) => o === 'accepted').length).toBe(expected ? 1 : 0);
        if (expected) expect(state.waits.w).toMatchObject({ status: 'received', completedBy: expected.by, attributes: { state: expected.state } });
        else expect(state.waits.w?.status).not.toBe('received');
      }),
      { numRuns: 1000, seed: 11 },
    );
  });
});
