/**
 * Housekeeping: finished executions (with their entries and context values)
 * are deleted once older than an age, in batches so a large backlog never
 * holds one long transaction.
 */
import { DURATION_FORMS, parseDuration, type Duration } from '../core/duration.js';
import { InvalidArgumentError } from './errors.js';
import * as q from './queries.js';

/** Options of `store.deleteFinished`. */
export interface DeleteFinishedOptions {
  /** Minimum age since finishing: ms, or an `ms`-style string like `'7d'`, `'12h'` (`0`: everything finished by now). */
  olderThan: Duration;
  /** Executions deleted per transaction (default 500). */
  batchSize?: number;
  /** "Now" for the age computation (default `Date.now()`). */
  now?: number | Date;
}

/** Deletes executions finished at or before `now - olderThan`; returns how many were deleted. */
export async function deleteFinished(db: q.Executor, options: DeleteFinishedOptions): Promise<number> {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('deleteFinished needs { olderThan }');
  const age = parseDuration(options.olderThan);
  if (age === undefined) throw new InvalidArgumentError(`deleteFinished olderThan must be ${DURATION_FORMS}, got ${JSON.stringify(options.olderThan)}`);
  const batchSize = options.batchSize ?? 500;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new InvalidArgumentError(`deleteFinished batchSize must be a positive integer, got ${String(batchSize)}`);
  const now = options.now === undefined ? Date.now() : Number(options.now);
  const cutoff = now - age;
  let total = 0;
  for (;;) {
    const deleted = await db.transaction().execute(async (trx) => q.deleteExecutions(trx, await q.finishedAtOrBefore(trx, cutoff, batchSize)));
    total += deleted;
    if (deleted < batchSize) return total;
  }
}
