/**
 * Errors raised by the job harness (MemoryQueue, the perform loop, scenarios
 * and simulations). Each is a named class users can `instanceof`, with a
 * message that names the input or job that failed. Like the probe runtime's
 * errors they are branded, so `instanceof` holds across the ESM and CommonJS
 * copies of faultline.
 */
import type { RunRecord } from './scenario.js';
import { DURATION_FORMS } from '../../core/duration.js';
import { brandClass, FaultlineError } from '../../core/errors.js';

/** Base class of every harness error, so callers can catch them as a group. */
export class HarnessError extends FaultlineError {}
brandClass(HarnessError, 'HarnessError');

export class InvalidDurationError extends HarnessError {
  constructor(readonly input: unknown) {
    super(
      `Invalid duration ${describe(input)}: use ${DURATION_FORMS}`,
    );
  }
}
brandClass(InvalidDurationError, 'InvalidDurationError');

export class InvalidOptionError extends HarnessError {
  constructor(
    readonly option: string,
    readonly value: unknown,
    expected: string,
  ) {
    super(`Invalid option ${option}: ${describe(value)} (expected ${expected})`);
  }
}
brandClass(InvalidOptionError, 'InvalidOptionError');

export class UnknownJobError extends HarnessError {
  constructor(
    readonly jobName: string,
    known: readonly string[],
  ) {
    super(
      `Unknown job ${JSON.stringify(jobName)}: no handler is defined for it` +
        (known.length ? ` (defined: ${known.map((n) => JSON.stringify(n)).join(', ')})` : ' (no jobs are defined yet: call queue.define first)'),
    );
  }
}
brandClass(UnknownJobError, 'UnknownJobError');

export class NothingEnqueuedError extends HarnessError {
  constructor(what: string) {
    super(`${what}: start() enqueued no job, so there is nothing to perform (start should enqueue the job under test)`);
  }
}
brandClass(NothingEnqueuedError, 'NothingEnqueuedError');

export class NothingTracedError extends HarnessError {
  constructor(what: string) {
    super(
      `${what}: the clean run executed no instrumented code, so there is nothing to glitch ` +
        `(are your job files included by the faultline plugin / loader?)`,
    );
  }
}
brandClass(NothingTracedError, 'NothingTracedError');

export class RunawayJobsError extends HarnessError {
  constructor(
    readonly limit: number,
    lastJob: string,
  ) {
    super(
      `Runaway jobs: stopped after ${limit} executions with jobs still pending (last: ${lastJob}); ` +
        `a job keeps enqueuing or retrying jobs. Raise the bound with { maxExecutions } if this is intended.`,
    );
  }
}
brandClass(RunawayJobsError, 'RunawayJobsError');

export class JobNotPendingError extends HarnessError {
  constructor(jobId: string, jobName: string) {
    super(`Job ${jobName}#${jobId} is not pending: it was already performed or the queue was cleared`);
  }
}
brandClass(JobNotPendingError, 'JobNotPendingError');

/** The job execution an error of a run is about: `"transfer#1 attempt 2"`. */
export interface ExecutionLabel {
  readonly id: string;
  readonly name: string;
  readonly attempt: number;
}

function label(job: ExecutionLabel): string {
  return `${job.name}#${job.id} attempt ${job.attempt}`;
}

/**
 * Base of the errors that fail a whole run (a scenario, or a simulation's
 * clean run) rather than one execution. The harness attaches the run so far
 * as `run` (a `RunRecord`), so reports can still show every execution.
 */
export class RunFailedError extends HarnessError {
  /** The run this error failed, as far as it got (set by the harness; not enumerable). */
  declare readonly run?: RunRecord;
}
brandClass(RunFailedError, 'RunFailedError');

/**
 * A job execution ended failed and will not be retried (attempts exhausted,
 * or a permanent error): a job in the dead set is a failure whatever `check`
 * says. Opt out with `{ allowFailedJobs: true }`.
 */
export class JobFailedError extends RunFailedError {
  constructor(
    /** The job's id. */
    readonly jobId: string,
    /** The job's name. */
    readonly jobName: string,
    /** How many attempts it got, the failed last one included. */
    readonly attempts: number,
    /** What its last attempt threw. */
    readonly lastError: unknown,
  ) {
    super(
      `Job ${jobName}#${jobId} failed for good after ${attempts} attempt${attempts === 1 ? '' : 's'} (not retried): ` +
        `${lastError instanceof Error ? `${lastError.name}: ${lastError.message}` : describe(lastError)}. ` +
        `A job left failed fails the run; pass { allowFailedJobs: true } if failing is this job's expected outcome.`,
    );
  }
}
brandClass(JobFailedError, 'JobFailedError');

/**
 * Work a job execution started and did not await (a promise, a timer, I/O)
 * was still pending `settleTimeoutMs` after the execution returned.
 */
export class LeftoverWorkError extends RunFailedError {
  constructor(
    /** The execution that left the work. */
    readonly job: ExecutionLabel,
    /** `file:line` where the oldest pending work began (see execution.ts for how it is known), or undefined outside instrumented code. */
    readonly where: string | undefined,
    /** What is still pending, e.g. `["a Timeout begun at jobs/mail.ts:9", "2 promises begun at jobs/mail.ts:12"]`. */
    readonly pending: readonly string[],
    readonly settleTimeoutMs: number,
  ) {
    super(
      `Job ${label(job)} left work running ${settleTimeoutMs} ms (real time) after it returned: ${pending.join('; ')}. ` +
        `Await that work in the job (work left running would leak into the next execution), or raise settleTimeoutMs.`,
    );
  }
}
brandClass(LeftoverWorkError, 'LeftoverWorkError');

/** One job execution ran longer than `maxExecutionMs` of real time (it never ended, or waits for something that never comes). */
export class ExecutionTimeoutError extends RunFailedError {
  constructor(
    readonly job: ExecutionLabel,
    readonly maxExecutionMs: number,
    /** `file:line` of the instrumented site the execution ran last, if any. */
    readonly lastSite: string | undefined,
  ) {
    super(
      `Job ${label(job)} ran longer than maxExecutionMs (${maxExecutionMs} ms of real time) and was abandoned` +
        (lastSite ? `; it last ran ${lastSite}` : '') +
        `. A job that polls Date.now() sees real time pass; raise maxExecutionMs if the job is this slow on purpose.`,
    );
  }
}
brandClass(ExecutionTimeoutError, 'ExecutionTimeoutError');

/**
 * A job whose worker crashed was failed by its queue when the stall timeout
 * ran out: it stalled more times than its limit (BullMQ's
 * `maxStalledCount`), or had no attempt left to be re-delivered as.
 */
export class JobStalledError extends HarnessError {
  constructor(
    readonly job: ExecutionLabel,
    /** How many times it crashed. */
    readonly stalls: number,
    /** The queue's reason, e.g. BullMQ's "job stalled more than allowable limit". */
    readonly reason: string,
  ) {
    super(`Job ${label(job)} ${reason} (its worker crashed ${stalls} time${stalls === 1 ? '' : 's'})`);
  }
}
brandClass(JobStalledError, 'JobStalledError');

/** A glitch's `run` function threw or rejected: the scenario fails with it (the job itself carried on). */
export class GlitchRunError extends RunFailedError {
  constructor(
    readonly glitch: { toString(): string },
    /** What the function threw. */
    override readonly cause: unknown,
  ) {
    super(`The run function of glitch ${glitch} failed: ${cause instanceof Error ? `${cause.name}: ${cause.message}` : describe(cause)}`, { cause });
  }
}
brandClass(GlitchRunError, 'GlitchRunError');

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  if (value instanceof Date) return `Date(${Number.isNaN(value.getTime()) ? 'Invalid' : value.toISOString()})`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
