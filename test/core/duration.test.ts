/**
 * The one duration grammar (core/duration.ts) and the named error each room
 * throws for input outside it.
 */
import { describe, expect, test } from 'vitest';
import { parseDuration } from '../../core/duration.js';
import { InvalidDurationError, toMilliseconds } from '../../runtime/index.js';

describe('parseDuration', () => {
  test.each([
    [0, 0],
    [250, 250],
    [1.4, 1],
    ['500ms', 500],
    ['500', 500],
    ['3s', 3000],
    [' 3 s ', 3000],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['1.5h', 5_400_000],
    ['7d', 604_800_000],
    ['2 weeks', 1_209_600_000],
    ['.5s', 500],
    ['10 Minutes', 600_000],
  ] as const)('%j is %d ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  test.each(['', '3 parsecs', '5mm', '-3s', 'soon', '1e3s', '3constructor', '1 toString', -1, Number.NaN, Number.POSITIVE_INFINITY, null, undefined, {}, ['3s']])(
    '%j is not a duration',
    (input) => {
      expect(parseDuration(input)).toBeUndefined();
    },
  );

  test('the harness fails with its named InvalidDurationError, naming the input and the forms', () => {
    expect(() => toMilliseconds('5 fortnights')).toThrow(InvalidDurationError);
    expect(() => toMilliseconds('5 fortnights')).toThrow(/Invalid duration "5 fortnights": use a non-negative number of milliseconds or a string like '500ms'/);
  });
});
