/**
 * `faultline/bullmq`: drives real BullMQ queues (on Redis) through the public
 * {@link JobDriver} contract, so the harness runs *your* queue's scheduling and
 * retry code, one job at a time, in production order, on the virtual clock.
 *
 * How it maps BullMQ onto the contract:
 * - BullMQ stamps jobs, delays and retries with `Date.now()`, which the harness
 *   fakes, so a job's due time is already virtual: a delayed job's due time is
 *   its score in the `delayed` sorted set (what BullMQ itself promotes by).
 * - `perform` makes the chosen job the next one BullMQ hands out (`promote()`
 *   if delayed, then `changePriority({ lifo: true })` to the head of `wait`)
 *   and takes it with a manual `Worker` (`getNextJob`), so BullMQ's own
 *   `moveToActive`, `moveToCompleted` and `moveToFailed` scripts do the work.
 * - Retries: BullMQ computes them from the job's `attempts`/`backoff`. When the
 *   harness overrides a retry (a glitch's `TransientError`), the fetched job's
 *   in-memory options are widened for that one `moveToFailed` call, so BullMQ
 *   still schedules it (and counts the attempt) itself. A permanent error (see
 *   the JobDriver contract), or one the override answers `'never'`, is failed
 *   as BullMQ's `UnrecoverableError`, which BullMQ never retries.
 * - Crashes (a `crash` glitch): the worker is dead, so the driver neither
 *   completes nor fails the job — it stays `active` with a lock nobody
 *   renews. Once the lock's `lockDuration` has passed on the virtual clock
 *   the job is due again: the driver lets the lock go (Redis times it in real
 *   time) and runs BullMQ's own stalled-job checker, which moves the job back
 *   to `wait` — or, past `maxStalledCount`, marks it to fail with "job
 *   stalled more than allowable limit", which BullMQ's `getNextJob` does.
 * - Every round trip is bounded: a dead or missing Redis gives a
 *   {@link DriverConnectionError} within `timeout` ms, never a hang.
 */
import { randomUUID } from 'node:crypto';
import { Job, Queue, UnrecoverableError, Worker, type ConnectionOptions, type JobsOptions } from 'bullmq';
import { crashOf } from '../../probe/index.js';
import { retryDecision, type EnqueueOptions, type JobDriver, type JobOutcome, type PendingJob, type RetryOverride } from '../driver.js';
import { DEFAULT_TIMEOUT_MS, DriverConnectionError, withDeadline } from './deadline.js';
import { asError, UnexpectedJobError } from './failure.js';
import { JobNotPendingError, JobStalledError, UnknownJobError } from '../harness-errors.js';
import { delayFrom } from './job-timing.js';
import { brandClass, FaultlineTypeError } from '../../../core/errors.js';

export { DriverConnectionError } from './deadline.js';
export { UnexpectedJobError } from './failure.js';
/**
 * @deprecated `workflowJob` is production code: import it (and `InvalidQueueJobError`,
 * `QueueJobLike`, `WorkflowJob`) from `faultline/workflow`. Re-exported here, from
 * its dependency-free module, because earlier releases documented this import.
 */
export { InvalidQueueJobError, workflowJob, type QueueJobLike } from '../../../workflow/queue-job.js';
/** @deprecated import `WorkflowJob` from `faultline/workflow`. */
export type { WorkflowJob } from '../../../workflow/step.js';

/** A processor as BullMQ's `Worker` would call it. */
export type BullmqProcessor = (job: Job, token: string) => unknown;

/** One queue the driver owns: its processor and the options new jobs get. */
export interface BullmqQueueSetup {
  processor: BullmqProcessor;
  /** BullMQ's `defaultJobOptions` for this queue, e.g. `{ attempts: 3, backoff: { type: 'exponential', delay: 1000 } }`. */
  defaultJobOptions?: JobsOptions;
}

export interface BullmqDriverOptions {
  /** Redis connection, as for any BullMQ `Queue` (ioredis options, or an ioredis instance). */
  connection: ConnectionOptions;
  /** BullMQ key prefix (default `bull`); a unique one per test isolates queues on a shared Redis. */
  prefix?: string;
  /** Queue name → processor. Shorthand for `queues` without options. */
  processors?: Record<string, BullmqProcessor>;
  /** Queue name → processor and default job options. */
  queues?: Record<string, BullmqProcessor | BullmqQueueSetup>;
  /** Bound on each operation's Redis round trips, in ms (default 5000). */
  timeout?: number;
  /** The Worker's `lockDuration`: how long after a crash a stalled job is re-delivered, in virtual ms (BullMQ's default 30,000). */
  lockDuration?: number;
  /** The Worker's `maxStalledCount`: how many stalls a job survives (BullMQ's default 1). */
  maxStalledCount?: number;
}

/** A {@link JobDriver} over BullMQ, plus access to its queues. */
export interface BullmqDriver extends JobDriver {
  /** The BullMQ `Queue` the driver uses for `name`: application code can `add` to it directly. */
  queue(name: string): Queue;
  /** Closes the driver's Redis connections (bounded; never hangs on a dead server). */
  close(): Promise<void>;
}

/** Invalid `bullmqDriver` options. */
export class BullmqDriverOptionsError extends FaultlineTypeError {}
brandClass(BullmqDriverOptionsError, 'BullmqDriverOptionsError');

// BullMQ scores delayed jobs as `dueTime * 0x1000 + tie-breaker` (see its getDelayedScore.lua).
const DELAYED_SCORE_FACTOR = 0x1000;

interface OwnedQueue {
  readonly name: string;
  readonly queue: Queue;
  readonly worker: Worker;
  readonly processor: BullmqProcessor;
}

/**
 * Creates a driver over real BullMQ queues, one `Queue` and one manual `Worker`
 * (no processor, never auto-run) per queue name.
 *
 * ```ts
 * const driver = bullmqDriver({ connection: { url: redisUrl }, prefix: 'test-1', processors: { transfer: (job) => transfer(job.data) } });
 * await driver.queue('transfer').add('transfer', { from: 'jill', to: 'jack', amount: 10 });
 * await performAllJobs(driver);
 * ```
 */
export function bullmqDriver(options: BullmqDriverOptions): BullmqDriver {
  if (!options || typeof options !== 'object' || !options.connection) {
    throw new BullmqDriverOptionsError('bullmqDriver: options.connection (the Redis connection) is required');
  }
  const setups = { ...normalize(options.processors), ...normalize(options.queues) };
  if (Object.keys(setups).length === 0) {
    throw new BullmqDriverOptionsError('bullmqDriver: give at least one queue in options.processors or options.queues');
  }
  const timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
  const prefix = options.prefix;
  // Redis errors reach us through the awaited calls; a listener keeps them from
  // crashing the process as unhandled 'error' events while Redis is down.
  const ignore = () => {};

  const order = new EnqueueOrder();
  /** Crashed jobs, still `active` in BullMQ: key → when their lock runs out (virtual ms). */
  const stalled = new Map<string, { dueAt: number; job: Job }>();
  const token = randomUUID();
  const owned = new Map<string, OwnedQueue>();
  for (const [name, setup] of Object.entries(setups)) {
    const queue = new Queue(name, { connection: options.connection, prefix, defaultJobOptions: setup.defaultJobOptions });
    const stall = { ...(options.lockDuration !== undefined && { lockDuration: options.lockDuration }), ...(options.maxStalledCount !== undefined && { maxStalledCount: options.maxStalledCount }) };
    const worker = new Worker(name, null, { connection: options.connection, prefix, autorun: false, ...stall });
    queue.on('error', ignore);
    worker.on('error', ignore);
    // Jobs added through the driver's own queues get their enqueue order at once,
    // even across queues (BullMQ's ids only order jobs within one queue).
    queue.on('waiting', (job: Job) => order.seen(keyOf(name, job.id!)));
    owned.set(name, { name, queue, worker, processor: setup.processor });
  }

  const bounded = <T>(operation: string, work: () => Promise<T>) => withDeadline(`bullmq: ${operation}`, timeout, work);

  function ownedQueue(name: string): OwnedQueue {
    const found = owned.get(name);
    if (!found) {
      throw new UnknownJobError(name, [...owned.keys()]);
    }
    return found;
  }

  /** A pending job before it gets its `seq`, with BullMQ's creation time to order unseen jobs by. */
  type Listed = Omit<PendingJob, 'seq'> & { timestamp: number };

  async function pendingOf({ name, queue }: OwnedQueue): Promise<Listed[]> {
    const client = await queue.client;
    const [jobs, scored] = await Promise.all([
      queue.getJobs(['wait', 'paused', 'prioritized', 'delayed'], 0, -1, true),
      client.zrange(queue.keys.delayed!, 0, -1, { WITHSCORES: true }),
    ]);
    const delayedDue = new Map<string, number>();
    for (let i = 0; i < scored.length; i += 2) {
      delayedDue.set(scored[i]!, Math.floor(Number(scored[i + 1]) / DELAYED_SCORE_FACTOR));
    }
    return jobs.map((job) => {
      const key = keyOf(name, job.id!);
      const delayedAt = delayedDue.get(job.id!);
      // A delayed job's score is its due time. Once BullMQ promotes it to
      // `wait` it resets `delay` to 0, so remember the due time we last saw.
      const dueAt = delayedAt ?? order.due(key) ?? job.timestamp + (job.delay ?? 0);
      if (delayedAt !== undefined) order.setDue(key, delayedAt);
      return { id: key, name: job.name, data: job.data, dueAt: new Date(dueAt), attempt: job.attemptsMade + 1, timestamp: job.timestamp };
    });
  }

  async function pending(): Promise<readonly PendingJob[]> {
    return bounded('list pending jobs', async () => {
      const lists = await Promise.all([...owned.values()].map(pendingOf));
      const jobs = lists.flat();
      for (const [key, { dueAt, job }] of stalled) {
        jobs.push({ id: key, name: job.name, data: job.data, dueAt: new Date(dueAt), attempt: job.attemptsMade + 1, timestamp: job.timestamp });
      }
      // Jobs added by other clients are ordered by creation time, then by their
      // (monotonic, per-queue) numeric id.
      for (const job of [...jobs].sort(byCreation)) order.seen(job.id);
      return jobs.map(({ timestamp: _, ...job }) => ({ ...job, seq: order.seq(job.id) }));
    });
  }

  async function perform(target: PendingJob, retry: RetryOverride): Promise<JobOutcome> {
    const { queueName, jobId } = parseKey(target.id);
    const { queue, worker, processor } = ownedQueue(queueName);
    const redelivered = stalled.delete(target.id);
    if (redelivered) await bounded(`check stalled job ${jobId} of queue "${queueName}"`, () => redeliverStalled(queue, worker, jobId));
    const job = await bounded(`take job ${jobId} of queue "${queueName}"`, async () => {
      const found = await Job.fromId(queue, jobId);
      const state = found ? await found.getState() : 'unknown';
      if (state === 'delayed') await found!.promote();
      else if (state !== 'waiting' && state !== 'prioritized') throw new JobNotPendingError(target.id, target.name);
      // BullMQ pops the right end of `wait`: put the chosen job there.
      await found!.changePriority({ priority: 0, lifo: true });
      const next = await worker.getNextJob(token, { block: false });
      // Past maxStalledCount, BullMQ's getNextJob fails the stalled job itself ("job stalled more than allowable limit").
      if (!next && redelivered) {
        const failed = await Job.fromId(queue, jobId);
        if (failed && (await failed.getState()) === 'failed') return failed;
      }
      if (next?.id !== jobId) {
        if (next) await next.moveToWait(token);
        throw new UnexpectedJobError(`bullmq: asked for job ${jobId} of queue "${queueName}" but BullMQ handed out ${next ? `job ${next.id}` : 'none'}`);
      }
      return next;
    });
    if (job.finishedOn !== undefined && job.failedReason) return stalledOut(queueName, job, target.attempt);

    let value: unknown;
    try {
      value = await processor(job, token);
      if (crashOf(undefined) !== undefined) return crashed(queueName, worker, job);
    } catch (thrown) {
      if (crashOf(thrown) !== undefined) return crashed(queueName, worker, job);
      return fail(queueName, queue, job, thrown, retry);
    }
    await bounded(`mark job ${jobId} of queue "${queueName}" completed`, () => job.moveToCompleted(value, token, false));
    order.forget(target.id);
    return { status: 'completed', value };
  }

  /** The worker died holding `job`: leave it active and locked, due again when the lock runs out. */
  function crashed(queueName: string, worker: Worker, job: Job): JobOutcome {
    const key = keyOf(queueName, job.id!);
    const dueAt = Date.now() + worker.opts.lockDuration!;
    stalled.set(key, { dueAt, job });
    order.retried(key, dueAt);
    return { status: 'crashed', retryAt: new Date(dueAt) };
  }

  /**
   * The lock of a crashed job ran out on the virtual clock: drop it (Redis
   * would have, in real time) and run BullMQ's stalled-job checker twice, as
   * its timer would — the first pass marks the active jobs, the second moves
   * those without a lock back to `wait` and counts the stall.
   */
  async function redeliverStalled(queue: Queue, worker: Worker, jobId: string): Promise<void> {
    const client = await queue.client;
    await client.del(`${queue.toKey(jobId)}:lock`);
    for (let pass = 0; pass < 2; pass++) {
      await client.del(queue.keys['stalled-check']!);
      await (worker as unknown as { moveStalledJobsToWait(): Promise<void> }).moveStalledJobsToWait();
    }
  }

  /** A stalled job BullMQ failed when it was handed out again: past `maxStalledCount`. */
  function stalledOut(queueName: string, job: Job, attempt: number): JobOutcome {
    const key = keyOf(queueName, job.id!);
    order.forget(key);
    return { status: 'failed', error: new JobStalledError({ id: key, name: job.name, attempt }, Number(job.stalledCounter), job.failedReason) };
  }

  async function fail(queueName: string, queue: Queue, job: Job, thrown: unknown, retry: RetryOverride): Promise<JobOutcome> {
    const key = keyOf(queueName, job.id!);
    const attempt = job.attemptsMade + 1;
    const error = asError(thrown);
    let recorded: Error = error;
    const decision = retryDecision(retry, thrown, attempt);
    if (decision === 'never') {
      recorded = new UnrecoverableError(`${error.name}: ${error.message}`);
      recorded.stack = error.stack;
    } else if (decision !== undefined) {
      // BullMQ decides retries from the job object's `opts` when it fails
      // (Job#shouldRetryJob); widen them for this failure only (Redis keeps
      // the job's real options for its later attempts).
      job.opts = {
        ...job.opts,
        attempts: Math.max(job.opts.attempts ?? 1, attempt + 1),
        backoff: { type: 'fixed', delay: decision },
      };
    }
    const failedAt = Date.now();
    const retryAt = await bounded(`mark job ${job.id} of queue "${queueName}" failed`, async () => {
      await job.moveToFailed(recorded, token, false);
      const state = await queue.getJobState(job.id!);
      if (state === 'delayed') {
        const score = await (await queue.client).zscore(queue.keys.delayed!, job.id!);
        return Math.floor(Number(score) / DELAYED_SCORE_FACTOR);
      }
      return state === 'waiting' || state === 'prioritized' ? failedAt : undefined;
    });
    if (retryAt === undefined) {
      order.forget(key);
      return { status: 'failed', error: thrown };
    }
    order.retried(key, retryAt);
    return { status: 'failed', error: thrown, retryAt: new Date(retryAt) };
  }

  async function enqueue(name: string, data: unknown, enqueueOptions?: EnqueueOptions): Promise<PendingJob> {
    const { queue } = ownedQueue(name);
    const delay = delayFrom(enqueueOptions, Date.now());
    const dedupe = enqueueOptions?.jobId;
    return bounded(`add job to queue "${name}"`, async () => {
      // The contract's jobId ignores a second enqueue only while the first is
      // pending: that is BullMQ's deduplication id (a BullMQ jobId would also
      // block it after completion, and may not contain ':').
      const added = await queue.add(name, data, { delay, ...(dedupe !== undefined && { deduplication: { id: dedupe } }) });
      const key = keyOf(name, added.id!);
      order.seen(key);
      // Deduplicated: BullMQ returns the pending job's id; report that job, not the ignored data.
      const job = (dedupe !== undefined && (await Job.fromId(queue, added.id!))) || added;
      const dueAt = order.due(key) ?? job.timestamp + (job.delay ?? 0);
      return { id: key, name: job.name, data: job.data, dueAt: new Date(dueAt), seq: order.seq(key), attempt: job.attemptsMade + 1 };
    });
  }

  async function clear(): Promise<void> {
    await bounded('clear queues', async () => {
      await Promise.all([...owned.values()].map(({ queue }) => queue.obliterate({ force: true })));
    });
    order.reset();
    stalled.clear();
  }

  async function close(): Promise<void> {
    const all = [...owned.values()];
    try {
      await bounded('close', () => Promise.all(all.flatMap(({ queue, worker }) => [worker.close(true), queue.close()])));
    } catch (error) {
      if (!(error instanceof DriverConnectionError)) throw error;
      // Redis is gone: drop the connections instead of waiting for it.
      await Promise.all(all.flatMap(({ queue, worker }) => [worker.disconnect(), queue.disconnect()]));
    }
  }

  return { pending, perform, enqueue, clear, close, queue: (name) => ownedQueue(name).queue };
}

/**
 * The harness's enqueue order (`seq`) and remembered due times. BullMQ keeps
 * neither across queues: ids are per queue, and a delayed job promoted to
 * `wait` loses its due time. A retry takes a new, larger `seq`, as the
 * contract says.
 */
class EnqueueOrder {
  #next = 1;
  readonly #seq = new Map<string, number>();
  readonly #due = new Map<string, number>();

  seen(key: string): void {
    if (!this.#seq.has(key)) this.#seq.set(key, this.#next++);
  }
  seq(key: string): number {
    return this.#seq.get(key)!;
  }
  due(key: string): number | undefined {
    return this.#due.get(key);
  }
  setDue(key: string, at: number): void {
    this.#due.set(key, at);
  }
  retried(key: string, at: number): void {
    this.#seq.set(key, this.#next++);
    this.#due.set(key, at);
  }
  forget(key: string): void {
    this.#seq.delete(key);
    this.#due.delete(key);
  }
  reset(): void {
    this.#seq.clear();
    this.#due.clear();
  }
}

function normalize(setups: Record<string, BullmqProcessor | BullmqQueueSetup> | undefined): Record<string, BullmqQueueSetup> {
  const out: Record<string, BullmqQueueSetup> = {};
  for (const [name, setup] of Object.entries(setups ?? {})) {
    const normalized = typeof setup === 'function' ? { processor: setup } : setup;
    if (typeof normalized?.processor !== 'function') {
      throw new BullmqDriverOptionsError(`bullmqDriver: queue "${name}" needs a processor function`);
    }
    out[name] = normalized;
  }
  return out;
}

// BullMQ forbids ':' in queue names, so "<queue>:<job id>" splits unambiguously.
function keyOf(queueName: string, jobId: string): string {
  return `${queueName}:${jobId}`;
}

function parseKey(key: string): { queueName: string; jobId: string } {
  const at = key.indexOf(':');
  if (at < 0) throw new JobNotPendingError(key, '(not a job id this driver reported)');
  return { queueName: key.slice(0, at), jobId: key.slice(at + 1) };
}

function byCreation(a: { timestamp: number; id: string }, b: { timestamp: number; id: string }): number {
  if (a.timestamp !== b.timestamp) return a.timestamp - b.timestamp;
  const [na, nb] = [Number(parseKey(a.id).jobId), Number(parseKey(b.id).jobId)];
  if (Number.isInteger(na) && Number.isInteger(nb)) return na - nb;
  return 0;
}
