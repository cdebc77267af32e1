/**
 * The perform loop: runs a driver's jobs one at a time in production order
 * under the virtual clock. Always the earliest due pending job next (ties in
 * enqueue order), re-reading `driver.pending()` after every execution so jobs
 * enqueued or retried during the run take their place at once.
 */
import { advanceClockTo, clockNowMs, installVirtualClock } from './clock.js';
import { isPermanentError } from '../../core/errors.js';
import { type JobDriver, type JobOutcome, type PendingJob, type RetryOverride } from './driver.js';
import { toMilliseconds, type Duration } from './duration.js';
import { TransientError } from '../probe/index.js';
import { DEFAULT_MAX_EXECUTION_MS, DEFAULT_SETTLE_TIMEOUT_MS, performExecution, type ExecutionBounds } from './execution.js';
import { InvalidOptionError, RunawayJobsError } from './harness-errors.js';

/** Attempts a glitch's `TransientError` gets, the first included, whatever the job's own `attempts`. */
export const TRANSIENT_ATTEMPTS = 10;
/** Delay of the retry of a glitch's `TransientError`, in virtual ms. */
export const TRANSIENT_RETRY_DELAY = 1000;
/** Default bound on executions per perform call: beyond it the jobs are assumed to loop forever. */
export const DEFAULT_MAX_EXECUTIONS = 10_000;

/** Options of the perform functions. */
export interface PerformOptions {
  /** Stop with RunawayJobsError after this many executions (default 10,000). */
  maxExecutions?: number;
  /**
   * How long, in ms of real time, to wait for work an execution started and
   * did not await (promises, timers, I/O) before failing with
   * LeftoverWorkError (default 5,000).
   */
  settleTimeoutMs?: number;
  /** Bound, in ms of real time, on one execution: past it the run fails with ExecutionTimeoutError (default 30,000). */
  maxExecutionMs?: number;
  /** Called after each execution (the harness uses it to record scenarios). */
  onExecution?: (execution: Execution) => void;
}

/** One execution as the perform loop saw it. */
export interface Execution {
  readonly job: PendingJob;
  /** Virtual time it ran at. */
  readonly ranAt: Date;
  readonly outcome: JobOutcome;
}

/**
 * The harness's retry rule: a permanent error (see {@link isPermanent}) is
 * never retried; a glitch's {@link TransientError} is retried 1 s later until
 * its 10th attempt, as a production queue retries a transient failure; any
 * other error is left to the job's own policy.
 */
export const transientRetry: RetryOverride = (error, attempt) => {
  if (isPermanentError(error)) return 'never';
  return error instanceof TransientError && attempt < TRANSIENT_ATTEMPTS ? TRANSIENT_RETRY_DELAY : undefined;
};

/**
 * Performs every pending job, and every job they enqueue or retry, in
 * production order until none is left. Each execution's leftover work (what
 * it started and did not await) ends before the clock moves to the next job;
 * while an execution runs, the virtual clock elapses with real time.
 *
 * @returns the number of executions (each retry counts).
 * @throws RunawayJobsError past `maxExecutions`.
 * @throws LeftoverWorkError when an execution's leftover work outlives `settleTimeoutMs`.
 * @throws ExecutionTimeoutError when an execution runs past `maxExecutionMs`.
 */
export async function performAllJobs(driver: JobDriver, options?: PerformOptions): Promise<number> {
  return performWhere(driver, () => true, options);
}

/**
 * Performs, in production order, only jobs due at or before `now + cutoff`
 * (`cutoff` a duration, or an absolute Date); later jobs stay queued.
 */
export async function performAllJobsBefore(driver: JobDriver, cutoff: Duration | Date, options?: PerformOptions): Promise<number> {
  const limit = resolveCutoff(cutoff);
  return performWhere(driver, (job) => job.dueAt.getTime() <= limit, options);
}

/**
 * Performs, in production order, only jobs due at or after `now + cutoff`
 * (`cutoff` a duration, or an absolute Date), plus jobs due immediately (at
 * or before the virtual time of the call). Jobs due in between stay queued:
 * use it to skip a window, e.g. run a job scheduled a week out without the
 * retries due in the next seconds.
 */
export async function performAllJobsAfter(driver: JobDriver, cutoff: Duration | Date, options?: PerformOptions): Promise<number> {
  const now = (installVirtualClock(), clockNowMs());
  const limit = resolveCutoff(cutoff);
  return performWhere(driver, (job) => job.dueAt.getTime() <= now || job.dueAt.getTime() >= limit, options);
}

async function performWhere(
  driver: JobDriver,
  eligible: (job: PendingJob) => boolean,
  options: PerformOptions = {},
): Promise<number> {
  const maxExecutions = options.maxExecutions ?? DEFAULT_MAX_EXECUTIONS;
  if (!Number.isInteger(maxExecutions) || maxExecutions < 1) {
    throw new InvalidOptionError('maxExecutions', maxExecutions, 'a positive integer');
  }
  const bounds = executionBounds(options);
  installVirtualClock();
  let executions = 0;
  let last: PendingJob | undefined;
  for (;;) {
    const next = earliest((await driver.pending()).filter(eligible));
    if (!next) return executions;
    if (executions >= maxExecutions) throw new RunawayJobsError(maxExecutions, `${last!.name}#${last!.id} attempt ${last!.attempt}`);
    advanceClockTo(next.dueAt);
    const ranAt = new Date(clockNowMs());
    const outcome = await performExecution(driver, next, transientRetry, bounds);
    executions++;
    last = next;
    options.onExecution?.({ job: next, ranAt, outcome });
  }
}

/** The validated real-time bounds of each execution. @internal */
export function executionBounds(options: Pick<PerformOptions, 'settleTimeoutMs' | 'maxExecutionMs'>): ExecutionBounds {
  const settleTimeoutMs = options.settleTimeoutMs ?? DEFAULT_SETTLE_TIMEOUT_MS;
  const maxExecutionMs = options.maxExecutionMs ?? DEFAULT_MAX_EXECUTION_MS;
  for (const [option, value] of [['settleTimeoutMs', settleTimeoutMs], ['maxExecutionMs', maxExecutionMs]] as const) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new InvalidOptionError(option, value, 'a positive number of milliseconds (real time)');
    }
  }
  return { settleTimeoutMs, maxExecutionMs };
}

/** The job production would run next: earliest due, then earliest enqueued. */
function earliest(jobs: readonly PendingJob[]): PendingJob | undefined {
  let best: PendingJob | undefined;
  for (const job of jobs) {
    if (!best || job.dueAt.getTime() < best.dueAt.getTime() || (job.dueAt.getTime() === best.dueAt.getTime() && job.seq < best.seq)) {
      best = job;
    }
  }
  return best;
}

/** A cutoff as absolute epoch ms: a Date as is, a duration from the current virtual time. */
function resolveCutoff(cutoff: Duration | Date): number {
  installVirtualClock();
  if (cutoff instanceof Date) {
    if (Number.isNaN(cutoff.getTime())) throw new InvalidOptionError('cutoff', cutoff, 'a valid Date or a duration');
    return cutoff.getTime();
  }
  return clockNowMs() + toMilliseconds(cutoff);
}
