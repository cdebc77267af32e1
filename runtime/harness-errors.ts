/**
 * Errors raised by the job harness (MemoryQueue, the perform loop, scenarios
 * and simulations). Each is a named class users can `instanceof`, with a
 * message that names the input or job that failed. Like the probe runtime's
 * errors they are branded, so `instanceof` holds across the ESM and CommonJS
 * copies of faultline.
 */
import { brandClass } from './errors.js';

/** Base class of every harness error, so callers can catch them as a group. */
export class HarnessError extends Error {
  override name = 'HarnessError';
}
brandClass(HarnessError, 'HarnessError');

export class InvalidDurationError extends HarnessError {
  override name = 'InvalidDurationError';
  constructor(readonly input: unknown) {
    super(
      `Invalid duration ${describe(input)}: use a non-negative number of milliseconds or a string like '500ms', '3s', '5m', '2h', '7d' or '1.5h'`,
    );
  }
}
brandClass(InvalidDurationError, 'InvalidDurationError');

export class InvalidOptionError extends HarnessError {
  override name = 'InvalidOptionError';
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
  override name = 'UnknownJobError';
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
  override name = 'NothingEnqueuedError';
  constructor(what: string) {
    super(`${what}: start() enqueued no job, so there is nothing to perform (start should enqueue the job under test)`);
  }
}
brandClass(NothingEnqueuedError, 'NothingEnqueuedError');

export class NothingTracedError extends HarnessError {
  override name = 'NothingTracedError';
  constructor(what: string) {
    super(
      `${what}: the clean run executed no instrumented code, so there is nothing to glitch ` +
        `(are your job files included by the faultline plugin / loader?)`,
    );
  }
}
brandClass(NothingTracedError, 'NothingTracedError');

export class RunawayJobsError extends HarnessError {
  override name = 'RunawayJobsError';
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
  override name = 'JobNotPendingError';
  constructor(jobId: string, jobName: string) {
    super(`Job ${jobName}#${jobId} is not pending: it was already performed or the queue was cleared`);
  }
}
brandClass(JobNotPendingError, 'JobNotPendingError');

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
