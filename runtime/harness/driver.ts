/**
 * The queue-driver contract. The harness (`performAllJobs`, `runScenario`,
 * `simulate`) drives any queue through this interface only; MemoryQueue, the
 * BullMQ driver and the pg-boss driver implement it, and so can users.
 */

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
  | { readonly status: 'failed'; readonly error: unknown; readonly retryAt?: Date };

/**
 * How the harness asks a driver to retry a failure its own policy would not:
 * given the error and the attempt that just failed, the delay in ms of the
 * retry, or `undefined` to let the queue's policy decide. The harness uses it
 * so a glitch's `TransientError` is retried 1 s later, up to 10 attempts,
 * whatever the job's own `attempts`.
 */
export type RetryOverride = (error: unknown, attempt: number) => number | undefined;

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
   * time), records the outcome in the queue and schedules any retry.
   */
  perform(job: PendingJob, retry: RetryOverride): Promise<JobOutcome>;
  /** Enqueues a job, as application code would. */
  enqueue(name: string, data: unknown, options?: EnqueueOptions): Promise<PendingJob>;
  /** Drops every pending job and the record of performed ones. */
  clear(): Promise<void>;
}
