/**
 * The queue-driver contract. The harness (`performAllJobs`, `runScenario`,
 * `simulate`) drives any queue through this interface only; MemoryQueue, the
 * BullMQ driver and the pg-boss driver implement it, and so can users.
 */
import { isPermanentError } from '../../core/errors.js';

/** A job waiting to run, as the driver reports it. */
export interface PendingJob {
  /** Driver-unique id of this job. */
  readonly id: string;
  /** The job (handler) name. */
  readonly name: string;
  /** The job's payload. */
  readonly data: unknown;
  /** When production would run it, on the virtual clock. */
  readonly dueAt: Date;
  /** Monotonic enqueue order (retries get a new, larger one): the tie-breaker for equal due times. */
  readonly seq: number;
  /** 1-based attempt number this execution will be. */
  readonly attempt: number;
}

/** What happened when the driver performed one job. */
export type JobOutcome =
  | { readonly status: 'completed'; readonly value?: unknown }
  /** Failed; `retryAt` is when the retry is due, absent when the job will not be retried. */
  | { readonly status: 'failed'; readonly error: unknown; readonly retryAt?: Date }
  /**
   * The worker crashed mid-execution (a `crash` glitch): neither completed
   * nor failed. `retryAt` is when the queue re-delivers the stalled job (or
   * notices it stalled past its limit and fails it).
   */
  | { readonly status: 'crashed'; readonly retryAt?: Date };

/**
 * What a {@link RetryOverride} decides about one failed attempt: retry after
 * this many ms; `'never'`: fail the job for good, whatever the queue's own
 * policy; `undefined`: let the queue's policy decide.
 */
export type RetryDecision = number | 'never' | undefined;

/**
 * How the harness asks a driver to retry a failure its own policy would not,
 * or not to retry one it would: given the error and the attempt that just
 * failed, a {@link RetryDecision}. The harness's override retries a glitch's
 * `TransientError` 1 s later, up to 10 attempts, whatever the job's own
 * `attempts`, and says `'never'` for a permanent error.
 */
export type RetryOverride = (error: unknown, attempt: number) => RetryDecision;

/**
 * The decision a driver applies to a failed attempt: `'never'` for a
 * permanent error (`permanent === true`, see `isPermanentError` in
 * core/errors.ts) whatever `retry` says, else `retry`'s decision. MemoryQueue
 * and the BullMQ and pg-boss drivers all decide through it.
 */
export function retryDecision(retry: RetryOverride, error: unknown, attempt: number): RetryDecision {
  return isPermanentError(error) ? 'never' : retry(error, attempt);
}

/** Options accepted by {@link JobDriver.enqueue}. */
export interface EnqueueOptions {
  /** Run after this delay (ms or an `ms`-style string like `'5m'`). */
  delay?: number | string;
  /** Run at this virtual time. */
  runAt?: Date;
  /** Deduplicate: a second enqueue with a pending job of the same id is ignored. */
  jobId?: string;
}

/**
 * A queue the harness can drive in production order under virtual time.
 * Implement these four methods to drive a queue faultline does not ship.
 */
export interface JobDriver {
  /** Every job waiting to run (any order: the harness orders them by `dueAt`, then `seq`). */
  pending(): Promise<readonly PendingJob[]>;
  /**
   * Performs one pending job now (the virtual clock already reads its due
   * time), records the outcome in the queue and schedules any retry. On
   * failure, `retry(error, attempt)` decides first: a delay in ms retries it
   * then, `'never'` fails it for good (no `retryAt`, even with attempts left),
   * `undefined` leaves it to the queue's own policy. The harness's `retry`
   * says `'never'` for every permanent error (see {@link isPermanent}).
   */
  perform(job: PendingJob, retry: RetryOverride): Promise<JobOutcome>;
  /** Enqueues a job, as application code would. */
  enqueue(name: string, data: unknown, options?: EnqueueOptions): Promise<PendingJob>;
  /** Drops every pending job and the record of performed ones. */
  clear(): Promise<void>;
}
