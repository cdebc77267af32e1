import { afterEach, describe, expect, test } from 'vitest';
import {
  advanceClockTo,
  clockNow,
  installVirtualClock,
  isVirtualClockInstalled,
  RealDate,
  restoreRealClock,
  setVirtualTime,
} from '../../runtime/harness/clock.js';
import { toMilliseconds } from '../../runtime/harness/duration.js';
import { InvalidDurationError, InvalidOptionError } from '../../runtime/harness/harness-errors.js';

afterEach(() => restoreRealClock());

describe('virtual clock', () => {
  const T0 = Date.UTC(2030, 0, 2, 3, 4, 5);

  test('Date.now(), new Date() and Date() read the virtual time; explicit dates are untouched', () => {
    installVirtualClock(T0);
    expect(Date.now()).toBe(T0);
    expect(new Date().getTime()).toBe(T0);
    expect(Date()).toBe(new RealDate(T0).toString());
    expect(new Date(0).getTime()).toBe(0);
    expect(new Date('2001-02-03T04:05:06Z').toISOString()).toBe('2001-02-03T04:05:06.000Z');
    expect(new Date(2001, 1, 3).getFullYear()).toBe(2001);
  });

  test('Date.UTC, Date.parse, instanceof and subclasses keep working', () => {
    const before = new Date(5);
    installVirtualClock(T0);
    expect(Date.UTC(2030, 0, 2, 3, 4, 5)).toBe(T0);
    expect(Date.parse('1970-01-01T00:00:01Z')).toBe(1000);
    expect(before instanceof Date).toBe(true);
    expect(new Date() instanceof RealDate).toBe(true);
    class Stamp extends Date {
      label() {
        return `stamp ${this.toISOString()}`;
      }
    }
    const stamp = new Stamp();
    expect(stamp).toBeInstanceOf(Stamp);
    expect(stamp.label()).toBe(`stamp ${new RealDate(T0).toISOString()}`);
  });

  test('time stands still until jumped, never goes back on a jump, and restore brings the real Date back', () => {
    installVirtualClock(T0);
    expect(isVirtualClockInstalled()).toBe(true);
    advanceClockTo(T0 + 5000);
    expect(Date.now()).toBe(T0 + 5000);
    advanceClockTo(T0);
    expect(clockNow().getTime()).toBe(T0 + 5000);
    setVirtualTime(T0);
    expect(Date.now()).toBe(T0);
    restoreRealClock();
    expect(isVirtualClockInstalled()).toBe(false);
    expect(globalThis.Date).toBe(RealDate);
    expect(Math.abs(Date.now() - new RealDate().getTime())).toBeLessThan(60_000);
  });

  test('a bad clock time is a named error', () => {
    expect(() => installVirtualClock(new Date('nope'))).toThrow(InvalidOptionError);
  });
});

describe('durations', () => {
  test.each([
    [250, 250],
    ['500ms', 500],
    ['3s', 3000],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['7d', 604_800_000],
    ['1.5h', 5_400_000],
    ['2 weeks', 1_209_600_000],
    ['10', 10],
  ])('%s is %i ms', (input, ms) => {
    expect(toMilliseconds(input)).toBe(ms);
  });

  test.each(['', '3 parsecs', '5mm', '-3s', 'soon', '1e3s'])('%j is an InvalidDurationError naming it', (input) => {
    expect(() => toMilliseconds(input)).toThrow(InvalidDurationError);
    expect(() => toMilliseconds(input)).toThrow(JSON.stringify(input));
  });

  test.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('%s ms is an InvalidDurationError', (input) => {
    expect(() => toMilliseconds(input)).toThrow(InvalidDurationError);
  });
});
