/**
 * Stalled jobs: what a queue does with a job whose worker died mid-execution
 * (a `crash` glitch). The job is neither completed nor failed; it stays
 * locked until its stall timeout passes on the virtual clock, then the queue
 * re-delivers it — or fails it, once it stalled more than its limit (or, for
 * queues that count a re-delivery as an attempt, ran out of attempts).
 */
import { toMilliseconds, type Duration } from './duration.js';
import { InvalidOptionError } from './harness-errors.js';
import { BULLMQ_STALL, type RetryPolicy, type StallPolicy } from './retry-policies.js';

/** Per-job overrides of the stall policy (MemoryQueue's `define` options). */
export interface StallOptions {
  /** How long after a crash the job is re-delivered (ms or `'30s'`; default from the retry preset). */
  stalledAfter?: Duration;
  /** How many crashes the job survives before it fails (default from the retry preset). */
  maxStalled?: number;
}

/** The stall policy of a job: its own options over its retry policy's (BullMQ's when the policy has none). */
export function resolveStall(policy: RetryPolicy, options: StallOptions, job: string): StallPolicy {
  const base = policy.stall ?? BULLMQ_STALL;
  const stalledAfter = options.stalledAfter === undefined ? base.stalledAfter : toMilliseconds(options.stalledAfter);
  const maxStalled = options.maxStalled ?? base.maxStalled;
  if (typeof maxStalled !== 'number' || !(maxStalled === Infinity || (Number.isInteger(maxStalled) && maxStalled >= 0))) {
    throw new InvalidOptionError(`maxStalled of ${job}`, maxStalled, 'an integer >= 0 or Infinity');
  }
  return { ...base, stalledAfter, maxStalled };
}

/** What the queue does after a crash: when the job comes back, as which attempt, and whether it then fails. */
export interface StallDecision {
  readonly redeliverAt: number;
  readonly attempt: number;
  /** The crashes so far, this one included. */
  readonly stalls: number;
  /** True when the job comes back only to be failed (past the stall limit or out of attempts). */
  readonly fails: boolean;
}

/** Decides a crashed attempt's fate: its `stalls`-th crash (1-based), at virtual time `now`. */
export function decideStall(stall: StallPolicy, attempts: number, attempt: number, stalls: number, now: number): StallDecision {
  const next = stall.countsAsAttempt ? attempt + 1 : attempt;
  return {
    redeliverAt: now + stall.stalledAfter,
    attempt: next,
    stalls,
    fails: stalls > stall.maxStalled || next > attempts,
  };
}
