/**
 * MemoryQueue: an in-memory queue that behaves like a production one under
 * the virtual clock — delays, `runAt`, `jobId` dedupe, per-job attempts and
 * backoff — and implements {@link JobDriver} so the harness can drive it.
 */
import { advanceClockTo, clockNow, clockNowMs, installVirtualClock, RealDate } from './clock.js';
import { retryDecision, type EnqueueOptions, type JobDriver, type JobOutcome, type PendingJob, type RetryOverride } from './driver.js';
import { toMilliseconds } from './duration.js';
import type { ExecutionRecord } from './scenario.js';
import { InvalidOptionError, JobNotPendingError, JobStalledError, UnknownJobError } from './harness-errors.js';
import { bullmq, resolveRetryPolicy, type Backoff, type RetryPolicy, type RetryPolicyInput, type StallPolicy } from './retry-policies.js';
import { decideStall, resolveStall, type StallOptions } from './stall.js';
import { crashOf } from '../probe/index.js';

/** What a job handler receives. */
export interface JobContext<Data = unknown> {
  /** The job's id (kept across retries). */
  readonly id: string;
  /** The job name it was enqueued under. */
  readonly name: string;
  /** The payload given to `enqueue`. */
  readonly data: Data;
  /** 1-based: 1 on the first execution, 2 on the first retry, … */
  readonly attempt: number;
  /** The queue, so a job can enqueue more jobs. */
  readonly queue: MemoryQueue;
}

/** A job handler. Throwing (or rejecting) fails the attempt. */
export type JobHandler<Data = any> = (job: JobContext<Data>) => unknown;

/**
 * Per-job retry options: BullMQ's `attempts`/`backoff`, or any policy /
 * preset; and what a crash of its worker costs it (`stalledAfter`,
 * `maxStalled`, defaults from the policy's preset).
 */
export interface DefineOptions extends StallOptions {
  /** Total attempts, the first included (BullMQ semantics, default 1: no retry). */
  attempts?: number;
  /** BullMQ backoff: ms (fixed), or `{ type: 'fixed' | 'exponential', delay }`. */
  backoff?: Backoff;
  /** A retry policy or preset name instead of `attempts`/`backoff` (e.g. `pgBoss({ retryLimit: 3 })`). */
  retry?: RetryPolicyInput;
}

/** Options for a new MemoryQueue. */
export interface MemoryQueueOptions {
  /** The default retry policy of jobs defined without their own (default: `bullmq()`, i.e. no retry). */
  retry?: RetryPolicyInput;
}

/** A pending job as MemoryQueue reports it. */
export interface QueuedJob extends PendingJob {
  /** The `jobId` given to `enqueue`, if any. */
  readonly jobId?: string;
}

/** One execution of a job, as recorded in {@link MemoryQueue.performed}: the same record a scenario keeps. */
export type PerformedJob = ExecutionRecord;

interface Definition {
  readonly handler: JobHandler;
  readonly policy: RetryPolicy | undefined;
  readonly stall: StallPolicy;
}

/**
 * An in-memory production-like queue under the virtual clock.
 *
 * ```ts
 * const queue = new MemoryQueue();
 * queue.define('transfer', transfer, { attempts: 3, backoff: { type: 'exponential', delay: 1000 } });
 * await queue.enqueue('transfer', { from: 'a', to: 'b', amount: 10 });
 * await performAllJobs(queue);
 * ```
 *
 * Creating one installs the virtual clock (see `restoreRealClock`).
 */
export class MemoryQueue implements JobDriver {
  readonly #definitions = new Map<string, Definition>();
  readonly #defaultPolicy: RetryPolicy;
  #pending: QueuedJob[] = [];
  #performed: PerformedJob[] = [];
  #seq = 0;
  #nextId = 1;
  /** Job id → how many times its worker crashed. */
  #stalls = new Map<string, number>();
  /** Pending re-deliveries (by seq) that only fail the job: it stalled past its limit. */
  #stallFailures = new Map<number, JobStalledError>();

  constructor(options: MemoryQueueOptions = {}) {
    this.#defaultPolicy = options.retry === undefined ? bullmq() : resolveRetryPolicy(options.retry);
    installVirtualClock();
  }

  /**
   * Defines (or redefines) the handler of job `name` and its retry rule.
   *
   * @throws InvalidOptionError when `attempts` is not a positive integer, the
   *   backoff is malformed, or `retry` is combined with `attempts`/`backoff`.
   */
  define<Data = any>(name: string, handler: JobHandler<Data>, options: DefineOptions = {}): this {
    if (typeof name !== 'string' || name === '') throw new InvalidOptionError('name', name, 'a non-empty job name');
    if (typeof handler !== 'function') throw new InvalidOptionError(`handler of ${name}`, handler, 'a function');
    const hasBullmq = options.attempts !== undefined || options.backoff !== undefined;
    if (options.retry !== undefined && hasBullmq) {
      throw new InvalidOptionError(`retry of ${name}`, options.retry, 'either retry or attempts/backoff, not both');
    }
    const policy =
      options.retry !== undefined
        ? resolveRetryPolicy(options.retry)
        : hasBullmq
          ? bullmq({ attempts: options.attempts, backoff: options.backoff })
          : undefined;
    const stall = resolveStall(policy ?? this.#defaultPolicy, options, name);
    this.#definitions.set(name, { handler: handler as JobHandler, policy, stall });
    return this;
  }

  /**
   * Enqueues job `name`, due now, after `delay`, or at `runAt`. With `jobId`,
   * a job already pending under that id is returned instead of a duplicate.
   *
   * @throws UnknownJobError when no handler is defined for `name`.
   * @throws InvalidDurationError for a malformed `delay`; InvalidOptionError for a bad `runAt`.
   */
  async enqueue(name: string, data: unknown, options: EnqueueOptions = {}): Promise<QueuedJob> {
    this.#definition(name);
    if (options.delay !== undefined && options.runAt !== undefined) {
      throw new InvalidOptionError('delay/runAt', options, 'either delay or runAt, not both');
    }
    if (options.jobId !== undefined) {
      if (typeof options.jobId !== 'string' || options.jobId === '') {
        throw new InvalidOptionError('jobId', options.jobId, 'a non-empty string');
      }
      const existing = this.#pending.find((job) => job.id === options.jobId);
      if (existing) return existing;
    }
    let dueMs = clockNowMs();
    if (options.delay !== undefined) dueMs += toMilliseconds(options.delay);
    if (options.runAt !== undefined) {
      if (!(options.runAt instanceof RealDate) || Number.isNaN(options.runAt.getTime())) {
        throw new InvalidOptionError('runAt', options.runAt, 'a valid Date');
      }
      dueMs = options.runAt.getTime();
    }
    const job: QueuedJob = {
      id: options.jobId ?? String(this.#nextId++),
      name,
      data,
      dueAt: new RealDate(dueMs),
      seq: ++this.#seq,
      attempt: 1,
      ...(options.jobId !== undefined ? { jobId: options.jobId } : {}),
    };
    this.#pending.push(job);
    return job;
  }

  /** Pending jobs in the order production would run them: due time, then enqueue order. */
  get enqueued(): readonly QueuedJob[] {
    return [...this.#pending].sort(byDueThenSeq);
  }

  /** Executions so far, in execution order (retries are separate entries). */
  get performed(): readonly PerformedJob[] {
    return [...this.#performed];
  }

  /** The virtual clock. */
  now(): Date {
    return clockNow();
  }

  /** {@inheritDoc JobDriver.pending} */
  async pending(): Promise<readonly PendingJob[]> {
    return [...this.#pending];
  }

  /**
   * Runs one pending job at the current virtual time (jumping the clock to
   * its due time first if it is behind), records the execution and schedules
   * the retry `retry` or the job's policy asks for (none for a permanent
   * error, or when `retry` says `'never'`).
   *
   * @throws JobNotPendingError when `job` is not pending any more.
   */
  async perform(job: PendingJob, retry: RetryOverride = () => undefined): Promise<JobOutcome> {
    const index = this.#pending.findIndex((pending) => pending.seq === job.seq && pending.id === job.id);
    if (index < 0) throw new JobNotPendingError(job.id, job.name);
    const [queued] = this.#pending.splice(index, 1) as [QueuedJob];
    const definition = this.#definition(queued.name);
    advanceClockTo(queued.dueAt);
    const ranAt = clockNow();
    const context: JobContext = { id: queued.id, name: queued.name, data: queued.data, attempt: queued.attempt, queue: this };
    const stalledOut = this.#stallFailures.get(queued.seq);
    if (stalledOut) return this.#failStalled(queued, ranAt, stalledOut);
    try {
      const value = await definition.handler(context);
      // Uninstrumented code may have caught the crash signal: the execution is dead all the same.
      if (crashOf(undefined) !== undefined) return this.#stalled(queued, definition, ranAt);
      this.#performed.push({ id: queued.id, name: queued.name, data: queued.data, attempt: queued.attempt, ranAt, outcome: 'completed' });
      return { status: 'completed', value };
    } catch (error) {
      if (crashOf(error) !== undefined) return this.#stalled(queued, definition, ranAt);
      const decision = retryDecision(retry, error, queued.attempt);
      const delay = decision === 'never' ? undefined : (decision ?? this.#policyDelay(definition, queued.attempt));
      const retryAt = delay === undefined ? undefined : new RealDate(clockNowMs() + delay);
      if (retryAt) {
        this.#pending.push({ ...queued, dueAt: retryAt, seq: ++this.#seq, attempt: queued.attempt + 1 });
      }
      this.#performed.push({
        id: queued.id,
        name: queued.name,
        data: queued.data,
        attempt: queued.attempt,
        ranAt,
        outcome: 'failed',
        error,
        ...(retryAt ? { retryAt } : {}),
      });
      return retryAt ? { status: 'failed', error, retryAt } : { status: 'failed', error };
    }
  }

  /**
   * Drops pending jobs and the performed record, and restarts job ids, so
   * every scenario of a simulation numbers its jobs alike (definitions and
   * the clock stay).
   */
  async clear(): Promise<void> {
    this.#pending = [];
    this.#performed = [];
    this.#seq = 0;
    this.#nextId = 1;
    this.#stalls.clear();
    this.#stallFailures.clear();
  }

  /**
   * A crashed execution: no outcome is recorded for the job itself (its
   * worker died); the queue re-delivers it once its stall timeout passes,
   * or then fails it, past the limit.
   */
  #stalled(queued: QueuedJob, definition: Definition, ranAt: Date): JobOutcome {
    const stalls = (this.#stalls.get(queued.id) ?? 0) + 1;
    this.#stalls.set(queued.id, stalls);
    const attempts = (definition.policy ?? this.#defaultPolicy).attempts;
    const decision = decideStall(definition.stall, attempts, queued.attempt, stalls, clockNowMs());
    const retryAt = new RealDate(decision.redeliverAt);
    const seq = ++this.#seq;
    this.#pending.push({ ...queued, dueAt: retryAt, seq, attempt: decision.attempt });
    if (decision.fails) this.#stallFailures.set(seq, new JobStalledError(queued, stalls, definition.stall.failedReason));
    this.#performed.push({ id: queued.id, name: queued.name, data: queued.data, attempt: queued.attempt, ranAt, outcome: 'crashed', retryAt });
    return { status: 'crashed', retryAt };
  }

  /** The stall check of a job that stalled past its limit: failed for good, its handler not run. */
  #failStalled(queued: QueuedJob, ranAt: Date, error: JobStalledError): JobOutcome {
    this.#stallFailures.delete(queued.seq);
    this.#performed.push({ id: queued.id, name: queued.name, data: queued.data, attempt: queued.attempt, ranAt, outcome: 'failed', error });
    return { status: 'failed', error };
  }

  #definition(name: string): Definition {
    const definition = this.#definitions.get(name);
    if (!definition) throw new UnknownJobError(name, [...this.#definitions.keys()]);
    return definition;
  }

  /** The retry delay the job's policy gives after failed `attempt`, or undefined when it is out of attempts. */
  #policyDelay(definition: Definition, attempt: number): number | undefined {
    const policy = definition.policy ?? this.#defaultPolicy;
    return attempt < policy.attempts ? policy.delay(attempt) : undefined;
  }
}

function byDueThenSeq(a: PendingJob, b: PendingJob): number {
  return a.dueAt.getTime() - b.dueAt.getTime() || a.seq - b.seq;
}
