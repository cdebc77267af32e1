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
 *
 * Each preset also says what the queue does with a job whose worker died
 * mid-execution (a `crash` glitch), its {@link StallPolicy}:
 *
 * | preset | re-delivered after | counted as | failed when |
 * | --- | --- | --- | --- |
 * | bullmq | `lockDuration` (30 s) | a stall (`attempt` unchanged) | stalled more than `maxStalledCount` (1) times: "job stalled more than allowable limit" |
 * | pgBoss | `expireInSeconds` (15 min) | a retry (`attempt` + 1) | expired with no retry left |
 * | graphileWorker | its 4 h lock | an attempt (`attempt` + 1) | the attempts are used up |
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
  /** What happens to a job whose execution crashed (default: BullMQ's). */
  readonly stall?: StallPolicy;
}

/**
 * How a queue re-delivers a job whose worker died while running it: the job
 * stays locked until its lock (BullMQ), expiry (pg-boss) or lease
 * (graphile-worker) runs out, then runs again — or fails, past the limit.
 */
export interface StallPolicy {
  /** Virtual ms from the crash until the queue notices and re-delivers the job. */
  readonly stalledAfter: number;
  /** How many crashes the job survives; one more fails it (Infinity: only the attempts bound it). */
  readonly maxStalled: number;
  /** Whether a re-delivery is the next attempt (pg-boss, graphile-worker) or the same one again (BullMQ). */
  readonly countsAsAttempt: boolean;
  /** Why the job failed, when it stalls past the limit (BullMQ's own words for BullMQ). */
  readonly failedReason: string;
}

/** BullMQ's defaults: `lockDuration` 30 s, `maxStalledCount` 1. */
export const BULLMQ_STALL: StallPolicy = {
  stalledAfter: 30_000,
  maxStalled: 1,
  countsAsAttempt: false,
  failedReason: 'job stalled more than allowable limit',
};

/** BullMQ's backoff option: a number is a fixed delay in ms. */
export type Backoff = number | { type: 'fixed' | 'exponential'; delay: number };

/** BullMQ job options that decide retries. */
export interface BullmqRetryOptions {
  /** Total attempts, the first included. BullMQ's default is 1: a failed job is not retried. */
  attempts?: number;
  /** Delay before each retry; none means retry immediately. */
  backoff?: Backoff;
  /** Worker option: ms a job's lock lasts without renewal before the stalled-job checker re-delivers it (default 30,000). */
  lockDuration?: number;
  /** Worker option: how many times a job may stall before it fails (default 1). */
  maxStalledCount?: number;
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
  const stall: StallPolicy = {
    ...BULLMQ_STALL,
    stalledAfter: nonNegative('lockDuration', options.lockDuration ?? BULLMQ_STALL.stalledAfter),
    maxStalled: nonNegativeInteger('maxStalledCount', options.maxStalledCount ?? BULLMQ_STALL.maxStalled),
  };
  return { name: 'bullmq', attempts, delay, stall };
}

/** pg-boss (10) send/queue options that decide retries. */
export interface PgBossRetryOptions {
  /** Retries after the first attempt (pg-boss 10's default is 2). */
  retryLimit?: number;
  /** Seconds before a retry (default 0). */
  retryDelay?: number;
  /** Double the delay on every retry. */
  retryBackoff?: boolean;
  /** Seconds an active job may run before pg-boss expires it and retries it (default 900: 15 min). */
  expireInSeconds?: number;
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
  const expireInSeconds = options.expireInSeconds ?? 900;
  if (typeof expireInSeconds !== 'number' || !Number.isFinite(expireInSeconds) || expireInSeconds <= 0) {
    throw new InvalidOptionError('expireInSeconds', expireInSeconds, 'a positive number of seconds');
  }
  const stall: StallPolicy = {
    stalledAfter: expireInSeconds * 1000,
    maxStalled: Infinity,
    countsAsAttempt: true,
    failedReason: 'job expired in active state with no retries left',
  };
  return { name: 'pgBoss', attempts: retryLimit + 1, delay, stall };
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
  return { name: 'graphileWorker', attempts, delay: (attempt) => Math.round(Math.exp(Math.min(attempt, 10)) * 1000), stall: GRAPHILE_STALL };
}

/** graphile-worker unlocks a job whose worker vanished after 4 hours; the attempt was counted when it was taken. */
const GRAPHILE_STALL: StallPolicy = {
  stalledAfter: 4 * 3_600_000,
  maxStalled: Infinity,
  countsAsAttempt: true,
  failedReason: 'job lock expired with no attempts left',
};

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
