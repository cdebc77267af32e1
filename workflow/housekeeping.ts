/**
 * Housekeeping: finished executions (with their entries and context values)
 * are deleted once older than an age, in batches so a large backlog never
 * holds one long transaction.
 */
import { InvalidArgumentError } from './errors.js';
import * as q from './queries.js';

/** Options of `store.deleteFinished`. */
export interface DeleteFinishedOptions {
  /** Minimum age since finishing: ms, or an `ms`-style string like `'7d'`, `'12h'` (`0`: everything finished by now). */
  olderThan: number | string;
  /** Executions deleted per transaction (default 500). */
  batchSize?: number;
  /** "Now" for the age computation (default `Date.now()`). */
  now?: number | Date;
}

/** Deletes executions finished at or before `now - olderThan`; returns how many were deleted. */
export async function deleteFinished(db: q.Executor, options: DeleteFinishedOptions): Promise<number> {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('deleteFinished needs { olderThan }');
  const age = parseDuration(options.olderThan, 'deleteFinished olderThan');
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

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Parses `'7d'`, `'1.5h'`, `'30s'`, `'250ms'` or a number of ms. */
export function parseDuration(value: number | string, what: string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value;
  } else if (typeof value === 'string') {
    const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/.exec(value);
    if (match) return Number(match[1]) * UNITS[match[2] ?? 'ms']!;
  }
  throw new InvalidArgumentError(`${what} must be a non-negative number of ms or a duration like '7d', got ${JSON.stringify(value)}`);
}
