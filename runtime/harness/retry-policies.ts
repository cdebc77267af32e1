/**
 * Retry policies: how many attempts a job gets and how long each retry waits.
 * Users simulate the queue they run, so MemoryQueue ships the formulas of the
 * three common Node queues as presets, selectable per queue or per job:
 *
 * | preset | options | retry delay after failed attempt n (1-based) |
 * | --- | --- | --- |
 * | {@link bullmq} (default) | `attempts` (default 1: no retry), `backoff` | fixed: `delay`; exponential: `2^(n-1) * delay` ms |
 * | {@link pgBoss} | `retryLimit` (default 2), `retryDelay` s (default 0), `retryBackoff` | `retryDelay` s; with backoff `retryDelay * 2^(n-1)` s |
 * | {@link graphileWorker} | `maxAttempts` (default 25) | `exp(min(n, 10))` s |
 */
import { InvalidOptionError } from './harness-errors.js';

/** A queue's retry rule. Implement it to simulate a queue faultline has no preset for. */
export interface RetryPolicy {
  /** Preset name, for messages and reports. */
  readonly name: string;
  /** Total attempts a job gets, the first included (1 = never retried). */
  readonly attempts: number;
  /** Milliseconds from the failure of attempt `attempt` (1-based) until its retry is due. */
  delay(attempt: number): number;
}

/** BullMQ's backoff option: a number is a fixed delay in ms. */
export type Backoff = number | { type: 'fixed' | 'exponential'; delay: number };

/** BullMQ job options that decide retries. */
export interface BullmqRetryOptions {
  /** Total attempts, the first included. BullMQ's default is 1: a failed job is not retried. */
  attempts?: number;
  /** Delay before each retry; none means retry immediately. */
  backoff?: Backoff;
}

/**
 * BullMQ's retry rule (the MemoryQueue default). Fixed backoff waits `delay`
 * ms every time; exponential waits `2^(attemptsMade-1) * delay` ms, where
 * `attemptsMade` counts the attempt that just failed, exactly as BullMQ's
 * `Backoffs.calculate`. (BullMQ's optional `jitter` is not modelled: runs must
 * be repeatable.)
 */
export function bullmq(options: BullmqRetryOptions = {}): RetryPolicy {
  const attempts = positiveInteger('attempts', options.attempts ?? 1);
  const backoff = options.backoff;
  let delay: (attempt: number) => number;
  if (backoff === undefined) delay = () => 0;
  else if (typeof backoff === 'number') {
    const ms = nonNegative('backoff', backoff);
    delay = () => ms;
  } else if (backoff !== null && typeof backoff === 'object' && (backoff.type === 'fixed' || backoff.type === 'exponential')) {
    const ms = nonNegative('backoff.delay', backoff.delay);
    delay = backoff.type === 'fixed' ? () => ms : (attempt) => Math.round(2 ** (attempt - 1) * ms);
  } else {
    throw new InvalidOptionError('backoff', backoff, "a number of ms or { type: 'fixed' | 'exponential', delay: ms }");
  }
  return { name: 'bullmq', attempts, delay };
}

/** pg-boss (10) send/queue options that decide retries. */
export interface PgBossRetryOptions {
  /** Retries after the first attempt (pg-boss 10's default is 2). */
  retryLimit?: number;
  /** Seconds before a retry (default 0). */
  retryDelay?: number;
  /** Double the delay on every retry. */
  retryBackoff?: boolean;
}

/**
 * pg-boss 10's retry rule (its `failJobs` SQL in `plans.js`). Without backoff
 * a retry is due `retryDelay` seconds after the failure. With `retryBackoff`
 * pg-boss computes `retryDelay * 2^min(16, retryCount+1) / 2 * (1 + random())`
 * seconds (and raises `retryDelay` to at least 1), where `retryCount` is the
 * number of earlier retries: the delay lies anywhere in
 * `[retryDelay * 2^retryCount, 2 * retryDelay * 2^retryCount)`.
 * To keep runs repeatable we take `random() = 0`, the earliest time pg-boss
 * could run the retry: `retryDelay * 2^(attempt-1)` seconds for failed
 * attempt `attempt` (capped at 2^15 as pg-boss caps the exponent).
 */
export function pgBoss(options: PgBossRetryOptions = {}): RetryPolicy {
  const retryLimit = nonNegativeInteger('retryLimit', options.retryLimit ?? 2);
  let retryDelay = nonNegativeInteger('retryDelay', options.retryDelay ?? 0);
  const backoff = options.retryBackoff ?? false;
  if (typeof backoff !== 'boolean') throw new InvalidOptionError('retryBackoff', backoff, 'true or false');
  if (backoff) retryDelay = Math.max(retryDelay, 1);
  const delay = backoff
    ? (attempt: number) => retryDelay * 2 ** Math.min(15, attempt - 1) * 1000
    : () => retryDelay * 1000;
  return { name: 'pgBoss', attempts: retryLimit + 1, delay };
}

/** graphile-worker options that decide retries. */
export interface GraphileWorkerRetryOptions {
  /** Total attempts, the first included (graphile-worker's default is 25). */
  maxAttempts?: number;
}

/**
 * graphile-worker's retry rule: after failed attempt `n` the job is due
 * `exp(min(n, 10))` seconds later (its `fail_job` SQL), rounded to the ms.
 */
export function graphileWorker(options: GraphileWorkerRetryOptions = {}): RetryPolicy {
  const attempts = positiveInteger('maxAttempts', options.maxAttempts ?? 25);
  return { name: 'graphileWorker', attempts, delay: (attempt) => Math.round(Math.exp(Math.min(attempt, 10)) * 1000) };
}

/** The presets by name, for `new MemoryQueue({ retry: 'pgBoss' })`. */
export const retryPresets = { bullmq, pgBoss, graphileWorker } as const;

/** A preset's name. */
export type RetryPresetName = keyof typeof retryPresets;

/** A policy, or a preset by name with its defaults. */
export type RetryPolicyInput = RetryPolicy | RetryPresetName;

/** Resolves a preset name to its default policy, and validates a custom policy. */
export function resolveRetryPolicy(input: RetryPolicyInput, option = 'retry'): RetryPolicy {
  if (typeof input === 'string') {
    if (!Object.hasOwn(retryPresets, input)) {
      throw new InvalidOptionError(option, input, `a RetryPolicy or one of ${Object.keys(retryPresets).join(', ')}`);
    }
    return retryPresets[input]();
  }
  if (input === null || typeof input !== 'object' || typeof input.delay !== 'function') {
    throw new InvalidOptionError(option, input, `a RetryPolicy or one of ${Object.keys(retryPresets).join(', ')}`);
  }
  positiveInteger(`${option}.attempts`, input.attempts);
  return input;
}

function positiveInteger(option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new InvalidOptionError(option, value, 'a positive integer');
  }
  return value;
}

function nonNegativeInteger(option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new InvalidOptionError(option, value, 'an integer >= 0');
  }
  return value;
}

function nonNegative(option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidOptionError(option, value, 'a number of ms >= 0');
  }
  return value;
}
