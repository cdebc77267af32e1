/**
 * Turns the harness's {@link EnqueueOptions} timing (a delay or a virtual
 * `runAt`) into the one thing every queue understands: a delay in ms from now.
 */
import type { EnqueueOptions } from '../driver.js';
import { toMilliseconds } from '../duration.js';
import { InvalidOptionError } from '../harness-errors.js';

/** The delay in ms, from `now`, that `options` ask for (never negative: a past `runAt` is due now). */
export function delayFrom(options: EnqueueOptions | undefined, now: number): number {
  if (options?.runAt !== undefined) {
    if (options.delay !== undefined) throw new InvalidOptionError('delay', options.delay, 'either delay or runAt, not both');
    const at = options.runAt instanceof Date ? options.runAt.getTime() : Number.NaN;
    if (Number.isNaN(at)) throw new InvalidOptionError('runAt', options.runAt, 'a valid Date');
    return Math.max(0, at - now);
  }
  return options?.delay === undefined ? 0 : toMilliseconds(options.delay);
}
