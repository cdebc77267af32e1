/**
 * Failures the drivers share: how a processor's failure is handed to the
 * queue, and the error for a queue that handed out another job than asked.
 */
import { brandClass, FaultlineError } from '../../../core/errors.js';

/** The queue handed out a different job than the one the harness chose (another worker is consuming the queue). */
export class UnexpectedJobError extends FaultlineError {}
brandClass(UnexpectedJobError, 'UnexpectedJobError');

/** Queues record failures as `Error`s (message and stack): wrap anything else thrown. */
export function asError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new Error(`non-Error thrown: ${typeof thrown === 'string' ? thrown : JSON.stringify(thrown) ?? String(thrown)}`);
}
