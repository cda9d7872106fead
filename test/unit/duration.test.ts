import { definitionError } from '../helpers/definitions';
import { DefinitionError } from '../../src/definitions/definition-error';
import { readFileSync } from 'node:fs';
import type { Duration as TemporalDuration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import { type Duration, durationToMs, MIN_WAIT_TIMEOUT_MS, waitTimeoutToMs } from '../../src/definitions/duration';
import { waitTimeoutInput } from '../../src/definitions/wait-timeout-input';


describe('durationToMs', () => {
  test.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['10m', 600_000],
    ['2h', 7_200_000],
    ['7d', 604_800_000],
    ['1.5s', 1_500],
    ['0.5h', 1_800_000],
    [' 3 s ', 3_000],
    ['0s', 0],
  ])('%j is %d ms', (text, ms) => {
    expect(durationToMs(text, 'f')).toBe(ms);
  });

  test('numbers are milliseconds, rounded', () => {
    expect(durationToMs(0, 'f')).toBe(0);
    expect(durationToMs(1234, 'f')).toBe(1234);
    expect(durationToMs(1.6, 'f')).toBe(2);
    expect(durationToMs(1.4, 'f')).toBe(1);
  });

  test('fractional units are rounded to whole ms', () => {
    expect(durationToMs('2.5ms', 'f')).toBe(3);
    expect(durationToMs('0.25s', 'f')).toBe(250);
  });

  test.each([-1, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])('the number %p is refused, naming the field', (n) => {
    const err = definitionError(() => durationToMs(n, 'waits.w.timeout'));
    expect(err.field).toBe('waits.w.timeout');
    expect(err.message).toMatch(/^waits\.w\.timeout: must be a non-negative number of milliseconds/);
  });

  test.each(['', 'soon', '10', '-10', '1.5', '-5s', '1e3ms', 's', '10m10s', '5 fortnights'])('the string %j is refused', (text) => {
    const err = definitionError(() => durationToMs(text, 'connectors.c.timeout'));
    expect(err.field).toBe('connectors.c.timeout');
    expect(err.message).toContain('must be a duration');
    expect(err.message).toContain(JSON.stringify(text));
  });

  test.each([undefined, null, true, {}, ['1s']])('a non-duration value %p is refused', (value) => {
    expect(() => durationToMs(value, 'f')).toThrow(DefinitionError);
  });
});

describe("durations are Temporal's", () => {
  test.each([
    ['1.5h', 5_400_000],
    ['1.5d', 129_600_000],
    ['36h', 129_600_000],
    ['90m', 5_400_000],
    ['100 ms', 100],
    ['0.1s', 100],
  ])('%j is %d ms, as Temporal reads it', (text, ms) => {
    expect(durationToMs(text, 'f')).toBe(ms);
    expect(msToNumber(text as TemporalDuration)).toBe(ms);
  });

  test('every compact form gives what Temporal gives (to the whole ms)', () => {
    for (const text of ['500ms', '30s', '10m', '2h', '7d', '1.5s', '0.5h', '3 s', '0s', '2.5ms', '0.25s', '1.5h']) {
      expect(durationToMs(text, 'f')).toBe(Math.round(msToNumber(text as TemporalDuration)));
    }
  });

  test.each(['2 days', '1w', '1y', '10 minutes', '5S', '.5s', '90 mins'])('the long form %j reads as Temporal reads it', (text) => {
    expect(durationToMs(text, 'waits.w.timeout')).toBe(Math.round(msToNumber(text as TemporalDuration)));
  });

  test('a bare number in a string is refused, naming the field and asking for a unit', () => {
    const err = definitionError(() => durationToMs('10', 'waits.w.timeout'));
    expect(err.message).toBe(`waits.w.timeout: must be a duration such as '30s', '10m', '1.5h' or '2 days' (Temporal's format, with a unit) or a number of ms, got "10"`);
  });

  test("the Duration type is Temporal's: a value of one is a value of the other", () => {
    const ours: Duration = '10m';
    const theirs: TemporalDuration = ours;
    const back: Duration = theirs;
    expect(durationToMs(back, 'f')).toBe(600_000);
  });

  test('the module stays fit for the workflow sandbox: no node imports', () => {
    const source = readFileSync(require.resolve('../../src/definitions/duration'), 'utf8');
    const imports = [...source.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]);
    expect(imports).toEqual(['@temporalio/common', '@temporalio/common/lib/time', './definition-error']);
    const input = readFileSync(require.resolve('../../src/definitions/wait-timeout-input'), 'utf8');
    expect([...input.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1])).toEqual(['zod', './duration']);
  });
});

describe('waitTimeoutToMs', () => {
  test('the minimum is 1s', () => {
    expect(MIN_WAIT_TIMEOUT_MS).toBe(1000);
    expect(waitTimeoutToMs('1s', 'f')).toBe(1000);
    expect(waitTimeoutToMs(1000, 'f')).toBe(1000);
    expect(waitTimeoutToMs('1000ms', 'f')).toBe(1000);
    expect(waitTimeoutToMs('4h', 'f')).toBe(14_400_000);
  });

  test.each(['999ms', 999, '0s', 0, '0.5s'])('%p is shorter than 1s and refused, naming the field', (value) => {
    const err = definitionError(() => waitTimeoutToMs(value, 'waits.kyc.timeout'));
    expect(err.field).toBe('waits.kyc.timeout');
    expect(err.message).toContain('at least 1s');
  });

  test('a malformed timeout is refused with the duration message, not the minimum one', () => {
    const err = definitionError(() => waitTimeoutToMs('forever', 'waits.kyc.timeout'));
    expect(err.message).toContain('must be a duration');
  });
});

describe('waitTimeoutInput, for a per-run override in a procedure input', () => {
  test('accepts durations of at least 1s and milliseconds; refuses shorter or malformed values with a reason', () => {
    expect(waitTimeoutInput.safeParse('5s').success).toBe(true);
    expect(waitTimeoutInput.safeParse(1000).success).toBe(true);
    const short = waitTimeoutInput.safeParse('500ms');
    expect(short.success).toBe(false);
    expect(short.error?.issues[0]?.message).toBe('must be at least 1s, got "500ms"');
    expect(waitTimeoutInput.safeParse('soon').error?.issues[0]?.message).toMatch(/^must be a duration such as/);
  });

  test('its value is typed as a Duration, ready for run.wait', () => {
    const parsed = waitTimeoutInput.parse('1.5h');
    const timeout: Duration = parsed;
    expect(durationToMs(timeout, 'f')).toBe(5_400_000);
  });
});
