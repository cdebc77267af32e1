/**
 * The one duration grammar of faultline (harness delays and deadlines,
 * workflow housekeeping, the CLI's `--finished-before`): numbers are
 * milliseconds; strings are `ms`-style, a non-negative decimal and an
 * optional unit (`'500ms'`, `'3s'`, `'5m'`, `'2h'`, `'7d'`, `'1.5h'`,
 * `'2 weeks'`; a bare numeric string is ms, as with the `ms` package).
 *
 * {@link parseDuration} says only whether the input is in the grammar; each
 * room throws its own named error for one that is not (`InvalidDurationError`
 * in the harness, `InvalidArgumentError` in the workflow engine, a usage error
 * in the CLI), with {@link DURATION_FORMS} in its message.
 */

/** A duration: milliseconds, or an `ms`-style string. */
export type Duration = number | string;

/** What a valid duration looks like, for error messages. */
export const DURATION_FORMS = "a non-negative number of milliseconds or a string like '500ms', '3s', '5m', '2h', '7d' or '1.5h'";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

const UNITS: Readonly<Record<string, number>> = {
  ms: 1, msec: 1, msecs: 1, millisecond: 1, milliseconds: 1,
  s: SECOND, sec: SECOND, secs: SECOND, second: SECOND, seconds: SECOND,
  m: MINUTE, min: MINUTE, mins: MINUTE, minute: MINUTE, minutes: MINUTE,
  h: HOUR, hr: HOUR, hrs: HOUR, hour: HOUR, hours: HOUR,
  d: DAY, day: DAY, days: DAY,
  w: WEEK, week: WEEK, weeks: WEEK,
};

const PATTERN = /^(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)$/i;

/**
 * Converts a duration to whole milliseconds (fractions are rounded: `'1.5s'`
 * is 1500), or `undefined` when `input` is not a duration: a negative or
 * non-finite number, a string outside the grammar, anything else.
 */
export function parseDuration(input: unknown): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? Math.round(input) : undefined;
  if (typeof input !== 'string') return undefined;
  const match = PATTERN.exec(input.trim());
  if (!match) return undefined;
  const unit = match[2]!.toLowerCase() || 'ms';
  const factor = Object.hasOwn(UNITS, unit) ? UNITS[unit] : undefined;
  return factor === undefined ? undefined : Math.round(Number(match[1]) * factor);
}
