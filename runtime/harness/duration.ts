/**
 * Durations as the harness accepts them: numbers are milliseconds, strings use
 * `ms`-style units ('500ms', '3s', '5m', '2h', '7d', '1.5h', '2 weeks').
 */
import { InvalidDurationError } from './harness-errors.js';

/** A duration: milliseconds, or an `ms`-style string. */
export type Duration = number | string;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

const UNITS: Record<string, number> = {
  ms: 1, msec: 1, msecs: 1, millisecond: 1, milliseconds: 1,
  s: SECOND, sec: SECOND, secs: SECOND, second: SECOND, seconds: SECOND,
  m: MINUTE, min: MINUTE, mins: MINUTE, minute: MINUTE, minutes: MINUTE,
  h: HOUR, hr: HOUR, hrs: HOUR, hour: HOUR, hours: HOUR,
  d: DAY, day: DAY, days: DAY,
  w: WEEK, week: WEEK, weeks: WEEK,
};

const PATTERN = /^(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)$/i;

/**
 * Converts a duration to milliseconds.
 *
 * @param input - a non-negative finite number of ms, or a string such as `'3s'`
 *   (a bare numeric string is ms, as with the `ms` package).
 * @returns whole milliseconds (fractions are rounded: '1.5s' is 1500).
 * @throws InvalidDurationError for anything else, naming the input.
 */
export function toMilliseconds(input: Duration): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) throw new InvalidDurationError(input);
    return Math.round(input);
  }
  if (typeof input !== 'string') throw new InvalidDurationError(input);
  const match = PATTERN.exec(input.trim());
  if (!match) throw new InvalidDurationError(input);
  const unit = match[2]!.toLowerCase() || 'ms';
  const factor = UNITS[unit];
  if (factor === undefined) throw new InvalidDurationError(input);
  return Math.round(Number(match[1]) * factor);
}
