/**
 * Durations as the harness accepts them: the one grammar of core/duration.ts,
 * failing with the harness's own {@link InvalidDurationError}.
 */
import { parseDuration, type Duration } from '../../core/duration.js';
import { InvalidDurationError } from './harness-errors.js';

export type { Duration } from '../../core/duration.js';

/**
 * Converts a duration to milliseconds.
 *
 * @param input - a non-negative finite number of ms, or a string such as `'3s'`
 *   (a bare numeric string is ms, as with the `ms` package).
 * @returns whole milliseconds (fractions are rounded: '1.5s' is 1500).
 * @throws InvalidDurationError for anything else, naming the input.
 */
export function toMilliseconds(input: Duration): number {
  const ms = parseDuration(input);
  if (ms === undefined) throw new InvalidDurationError(input);
  return ms;
}
