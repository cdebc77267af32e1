/**
 * `faultline/pg-boss`: drives real pg-boss 10 queues (on Postgres) through the
 * public {@link JobDriver} contract. Jobs are fetched, completed and failed
 * with pg-boss's own `fetch`/`complete`/`fail`, so its SQL (plans.js) decides
 * retries and their due times; the driver only chooses *which* job runs next.
 *
 * Time. pg-boss stamps everything with the database's clock (`now()`), which
 * the harness cannot fake, while the harness runs on a virtual clock that
 * stands still between jumps. Every pg-boss delay is relative (`start_after`
 * is `now()` plus a delay at insert and on retry), so the driver maps each
 * job's *delay* onto the virtual clock at the moment it was scheduled:
 * - a new job: due = virtual time when the driver first saw it + (start_after
 *   − created_on), both stamped by the same INSERT, so the delay is exact;
 *   the harness re-lists jobs right after each execution, before it moves the
 *   clock, so "first seen" is the virtual time it was created at;
 * - a retry the driver caused: due = virtual time of the failed attempt + the
 *   delay pg-boss chose (exactly `retry_delay` s, or with `retryBackoff`, its
 *   random delay as measured right after `fail`).
 * The driver remembers each mapped due time for as long as the job's
 * `start_after` is unchanged. To run a job before its database due time it sets
 * `start_after` back (and raises its priority for one `fetch`, then restores it)
 * in pg-boss's own job table, so `fetch` hands out exactly that job.
 * Pass delays to pg-boss as relative seconds (`startAfter: 300`), or enqueue
 * through the driver; an absolute `startAfter` Date computed from the virtual
 * clock would be compared with the database clock.
 *
 * Crashes (a `crash` glitch): the worker is dead, so the driver neither
 * completes nor fails the job; it stays `active` until pg-boss expires it,
 * `expireInSeconds` (default 15 min) after it started, on the virtual clock.
 * Then the driver backdates the row's `started_on` past its `expire_in` (the
 * database clock cannot be moved) and runs pg-boss's own expiry
 * (`boss.expire()`, what its maintenance runs), which retries the job per
 * its `retryLimit` — as the next attempt — or fails it.
 *
 * pg-boss 10 runs on Node 20; pg-boss 11 and 12 require Node 22.
 */
import type PgBoss from 'pg-boss';
import { crashOf } from '../../probe/index.js';
import { retryDecision, type EnqueueOptions, type JobDriver, type JobOutcome, type PendingJob, type RetryOverride } from '../driver.js';
import { JobNotPendingError, JobStalledError, UnknownJobError } from '../harness-errors.js';
import { pgBoss as pgBossPolicy } from '../retry-policies.js';
import { DEFAULT_TIMEOUT_MS, DriverConnectionError, withDeadline } from './deadline.js';
import { asError, UnexpectedJobError } from './failure.js';
import { delayFrom } from './job-timing.js';
import { brandClass, FaultlineError, FaultlineTypeError } from '../../../core/errors.js';

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

/** A handler as `boss.work` calls it in pg-boss 10: with an array (here always of one job). */
export type PgBossHandler = (jobs: PgBoss.JobWithMetadata<any>[]) => unknown;

export interface PgBossDriverOptions {
  /** A started pg-boss (`await boss.start()`), with its queues created. Do not `work()` the same queues. */
  boss: PgBoss;
  /** Queue name → handler. */
  handlers: Record<string, PgBossHandler>;
  /** The schema pg-boss was constructed with (default `pgboss`). */
  schema?: string;
  /** Bound on each operation's database round trips, in ms (default 5000). */
  timeout?: number;
}

/** A {@link JobDriver} over pg-boss. */
export type PgBossDriver = JobDriver;

/** Invalid `pgBossDriver` options. */
export class PgBossDriverOptionsError extends FaultlineTypeError {}
brandClass(PgBossDriverOptionsError, 'PgBossDriverOptionsError');

/** pg-boss refused a job because its queue was never created (pg-boss 10 needs `createQueue`). */
export class QueueMissingError extends FaultlineError {}
brandClass(QueueMissingError, 'QueueMissingError');

/** Priority that puts a job ahead of every other in `fetch` (priority is an int4 column). */
const FIRST = 2_147_483_647;

/** What the driver knows about a pending job's place on the virtual clock. */
interface Placement {
  /** The `start_after` (epoch ms, fractional) the mapping was made for. */
  readonly startAfter: number;
  readonly dueAt: number;
  readonly seq: number;
}

interface Row {
  id: string;
  name: string;
  data: unknown;
  state: 'created' | 'retry';
  retry_count: number;
  start_after_ms: number;
  delay_ms: number;
  created_us: string;
  db_now_ms: number;
  db_now_us: string;
}

/**
 * Creates a driver over pg-boss queues.
 *
 * ```ts
 * const boss = new PgBoss({ connectionString, schema: 'fl_test_1', supervise: false, schedule: false });
 * await boss.start();
 * await boss.createQueue('transfer', { name: 'transfer', retryLimit: 2, retryDelay: 1 });
 * const driver = pgBossDriver({ boss, schema: 'fl_test_1', handlers: { transfer: ([job]) => transfer(job.data) } });
 * ```
 */
export function pgBossDriver(options: PgBossDriverOptions): PgBossDriver {
  if (!options || typeof options !== 'object' || !options.boss || typeof options.boss.fetch !== 'function') {
    throw new PgBossDriverOptionsError('pgBossDriver: options.boss (a started PgBoss instance) is required');
  }
  const handlers = options.handlers ?? {};
  const names = Object.keys(handlers);
  if (names.length === 0) throw new PgBossDriverOptionsError('pgBossDriver: give at least one queue in options.handlers');
  for (const name of names) {
    if (typeof handlers[name] !== 'function') throw new PgBossDriverOptionsError(`pgBossDriver: queue "${name}" needs a handler function`);
  }
  const schema = options.schema ?? 'pgboss';
  if (!/^[a-z_][a-z0-9_]*$/i.test(schema)) throw new PgBossDriverOptionsError(`pgBossDriver: schema ${JSON.stringify(schema)} is not a plain SQL identifier`);
  const { boss } = options;
  const timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
  const job = `${schema}.job`;
  const placements = new Map<string, Placement>();
  /** Crashed jobs, still `active` in pg-boss, by id: when pg-boss expires them on the virtual clock. */
  const stalled = new Map<string, PendingJob>();
  /** Job id → how many times its worker crashed. */
  const stalls = new Map<string, number>();

  const bounded = <T>(operation: string, work: () => Promise<T>) => withDeadline(`pg-boss: ${operation}`, timeout, work);

  async function sql<T = any>(text: string, values: unknown[]): Promise<T[]> {
    const result = await boss.getDb().executeSql(text, values);
    // pg-boss's own Db answers undefined once stopped instead of throwing.
    if (!result) throw new DriverConnectionError('pg-boss', 'the database is not open (was boss.start() called, or boss.stop()?)');
    return result.rows as T[];
  }

  function handlerOf(name: string): PgBossHandler {
    const handler = handlers[name];
    if (!handler) throw new UnknownJobError(name, names);
    return handler;
  }

  /** Maps a listed row onto the virtual clock (see the module comment). */
  function place(row: Row, now: number): Placement {
    const known = placements.get(row.id);
    if (known && known.startAfter === row.start_after_ms) return known;
    const placement =
      row.state === 'created'
        ? { startAfter: row.start_after_ms, dueAt: now + Math.max(0, Math.round(row.delay_ms)), seq: Number(row.created_us) }
        : // A retry scheduled by someone else: all we know is how far ahead it is now.
          { startAfter: row.start_after_ms, dueAt: now + Math.max(0, Math.round(row.start_after_ms - row.db_now_ms)), seq: Number(row.db_now_us) };
    placements.set(row.id, placement);
    return placement;
  }

  function toPending(row: Row, now: number): PendingJob {
    const { dueAt, seq } = place(row, now);
    const attempt = row.state === 'created' ? 1 : row.retry_count + 2;
    return { id: row.id, name: row.name, data: row.data, dueAt: new Date(dueAt), seq, attempt };
  }

  const listColumns = `id, name, data, state, retry_count,
    extract(epoch from start_after) * 1000 AS start_after_ms,
    extract(epoch from start_after - created_on) * 1000 AS delay_ms,
    (extract(epoch from created_on) * 1000000)::bigint::text AS created_us,
    extract(epoch from now()) * 1000 AS db_now_ms,
    (extract(epoch from now()) * 1000000)::bigint::text AS db_now_us`;

  async function pending(): Promise<readonly PendingJob[]> {
    const now = Date.now();
    const rows = await bounded('list pending jobs', () =>
      sql<Row>(`SELECT ${listColumns} FROM ${job} WHERE name = ANY($1::text[]) AND state < 'active'`, [names]),
    );
    const listed = new Set(rows.map((row) => row.id));
    for (const id of placements.keys()) if (!listed.has(id)) placements.delete(id);
    return [...rows.map((row) => toPending(numeric(row), now)), ...stalled.values()];
  }

  async function perform(target: PendingJob, retry: RetryOverride): Promise<JobOutcome> {
    const handler = handlerOf(target.name);
    const name = target.name;
    if (stalled.delete(target.id)) {
      const state = await bounded(`expire crashed job ${target.id} of queue "${name}"`, () => expireCrashed(name, target.id));
      if (state === 'failed') {
        return { status: 'failed', error: new JobStalledError(target, stalls.get(target.id) ?? 1, pgBossPolicy().stall!.failedReason) };
      }
    }
    const startedAt = Date.now();
    const fetched = await bounded(`take job ${target.id} of queue "${name}"`, async () => {
      // Make the chosen job the one pg-boss's fetch picks: due now, first in priority order.
      const boosted = await sql<{ priority: number }>(
        `WITH chosen AS (SELECT id, priority FROM ${job} WHERE name = $1 AND id = $2 AND state < 'active' FOR UPDATE)
         UPDATE ${job} j SET priority = ${FIRST}, start_after = LEAST(j.start_after, now() - interval '1 second')
         FROM chosen WHERE j.name = $1 AND j.id = chosen.id RETURNING chosen.priority`,
        [name, target.id],
      );
      if (boosted.length === 0) throw new JobNotPendingError(target.id, name);
      try {
        const [next] = await boss.fetch<any>(name, { batchSize: 1, includeMetadata: true, priority: true });
        if (next?.id !== target.id) {
          throw new UnexpectedJobError(`pg-boss: asked for job ${target.id} of queue "${name}" but fetch handed out ${next ? `job ${next.id}` : 'none'}`);
        }
        return next;
      } finally {
        await sql(`UPDATE ${job} SET priority = $3 WHERE name = $1 AND id = $2`, [name, target.id, boosted[0]!.priority]);
      }
    });
    placements.delete(target.id);

    let value: unknown;
    try {
      value = await handler([fetched]);
      if (crashOf(undefined) !== undefined) return crashed(fetched, startedAt);
    } catch (thrown) {
      if (crashOf(thrown) !== undefined) return crashed(fetched, startedAt);
      return fail(fetched, thrown, retry);
    }
    await bounded(`mark job ${fetched.id} of queue "${name}" completed`, () => boss.complete(name, fetched.id, output(value)));
    return { status: 'completed', value };
  }

  /** The worker died holding the job: leave it active, due again when pg-boss would expire it. */
  async function crashed(fetched: PgBoss.JobWithMetadata<any>, startedAt: number): Promise<JobOutcome> {
    const [row] = await bounded(`read expiry of job ${fetched.id}`, () =>
      sql<{ expire_ms: number; db_now_us: string }>(
        `SELECT extract(epoch from expire_in) * 1000 AS expire_ms, (extract(epoch from now()) * 1000000)::bigint::text AS db_now_us FROM ${job} WHERE name = $1 AND id = $2`,
        [fetched.name, fetched.id],
      ),
    );
    const dueAt = startedAt + Math.round(Number(row!.expire_ms));
    stalls.set(fetched.id, (stalls.get(fetched.id) ?? 0) + 1);
    stalled.set(fetched.id, { id: fetched.id, name: fetched.name, data: fetched.data, dueAt: new Date(dueAt), seq: Number(row!.db_now_us), attempt: fetched.retryCount + 2 });
    return { status: 'crashed', retryAt: new Date(dueAt) };
  }

  /** Backdates a crashed job's start past its `expire_in` and runs pg-boss's expiry; the job's state after it. */
  async function expireCrashed(name: string, id: string): Promise<string | undefined> {
    await sql(`UPDATE ${job} SET started_on = now() - expire_in - interval '1 second' WHERE name = $1 AND id = $2 AND state = 'active'`, [name, id]);
    await (boss as unknown as { expire(): Promise<void> }).expire();
    const [row] = await sql<{ state: string }>(`SELECT state FROM ${job} WHERE name = $1 AND id = $2`, [name, id]);
    return row?.state;
  }

  async function fail(fetched: PgBoss.JobWithMetadata<any>, thrown: unknown, retry: RetryOverride): Promise<JobOutcome> {
    const { id, name } = fetched;
    const attempt = fetched.retryCount + 1;
    const ranAt = Date.now();
    const error = asError(thrown);
    const decision = retryDecision(retry, thrown, attempt);
    return bounded(`mark job ${id} of queue "${name}" failed`, async () => {
      // pg-boss decides from the job row's retry columns when `fail` runs: set
      // them for this one failure, then put the job's own policy back.
      let restore: { retry_limit: number; retry_delay: number; retry_backoff: boolean } | undefined;
      if (decision === 'never') {
        // No retries left: pg-boss fails it for good (and dead-letters it if configured).
        await sql(`UPDATE ${job} SET retry_limit = retry_count WHERE name = $1 AND id = $2`, [name, id]);
      } else if (decision !== undefined) {
        [restore] = await sql(
          `WITH old AS (SELECT id, retry_limit, retry_delay, retry_backoff FROM ${job} WHERE name = $1 AND id = $2 FOR UPDATE)
           UPDATE ${job} j SET retry_limit = GREATEST(j.retry_limit, j.retry_count + 1), retry_delay = $3, retry_backoff = false
           FROM old WHERE j.name = $1 AND j.id = old.id RETURNING old.retry_limit, old.retry_delay, old.retry_backoff`,
          [name, id, Math.ceil(decision / 1000)],
        );
      }
      await boss.fail(name, id, { name: error.name, message: error.message, stack: error.stack });
      const [after] = await sql<{ state: string; retry_delay: number; retry_backoff: boolean; start_after_ms: number; db_now_ms: number; db_now_us: string }>(
        `SELECT state, retry_delay, retry_backoff, extract(epoch from start_after) * 1000 AS start_after_ms,
           extract(epoch from now()) * 1000 AS db_now_ms, (extract(epoch from now()) * 1000000)::bigint::text AS db_now_us
         FROM ${job} WHERE name = $1 AND id = $2`,
        [name, id],
      );
      if (restore) {
        await sql(`UPDATE ${job} SET retry_limit = $3, retry_delay = $4, retry_backoff = $5 WHERE name = $1 AND id = $2`, [
          name, id, restore.retry_limit, restore.retry_delay, restore.retry_backoff,
        ]);
      }
      if (after?.state !== 'retry') return { status: 'failed', error: thrown } as const;
      const startAfter = Number(after.start_after_ms);
      // Without backoff pg-boss waits exactly retry_delay seconds; with it, a
      // random delay we can only measure (to within this round trip).
      const delay = after.retry_backoff ? Math.max(0, Math.round(startAfter - Number(after.db_now_ms))) : after.retry_delay * 1000;
      const retryAt = ranAt + delay;
      placements.set(id, { startAfter, dueAt: retryAt, seq: Number(after.db_now_us) });
      return { status: 'failed', error: thrown, retryAt: new Date(retryAt) } as const;
    });
  }

  async function enqueue(name: string, data: unknown, enqueueOptions?: EnqueueOptions): Promise<PendingJob> {
    handlerOf(name);
    const now = Date.now();
    const delay = delayFrom(enqueueOptions, now);
    const key = enqueueOptions?.jobId;
    return bounded(`send job to queue "${name}"`, async () => {
      // The contract's jobId ignores a second enqueue while the first is
      // pending; pg-boss's singletonKey only dedupes under special queue
      // policies, so look for the pending job first.
      if (key !== undefined) {
        const [existing] = await sql<Row>(
          `SELECT ${listColumns} FROM ${job} WHERE name = $1 AND singleton_key = $2 AND state < 'active' ORDER BY created_on LIMIT 1`,
          [name, key],
        );
        if (existing) return toPending(numeric(existing), now);
      }
      // startAfter in (fractional) seconds: pg-boss adds it to the database's now().
      // Serialized here: node-postgres would send a bare string unquoted, and an array as a Postgres array, to a jsonb column.
      const id = await boss.send(name, JSON.stringify(data ?? null) as unknown as object, {
        ...(delay > 0 && { startAfter: delay / 1000 }),
        ...(key !== undefined && { singletonKey: key }),
      });
      if (!id) throw new QueueMissingError(`pg-boss: queue "${name}" took no job: create it first with boss.createQueue(${JSON.stringify(name)})`);
      const [row] = await sql<Row>(`SELECT ${listColumns} FROM ${job} WHERE name = $1 AND id = $2`, [name, id]);
      return toPending(numeric(row!), now);
    });
  }

  async function clear(): Promise<void> {
    await bounded('clear queues', async () => {
      await sql(`DELETE FROM ${job} WHERE name = ANY($1::text[])`, [names]);
      await sql(`DELETE FROM ${schema}.archive WHERE name = ANY($1::text[])`, [names]);
    });
    placements.clear();
    stalled.clear();
    stalls.clear();
  }

  return { pending, perform, enqueue, clear };
}

/** node-postgres returns `numeric` results as strings. */
function numeric(row: Row): Row {
  return { ...row, start_after_ms: Number(row.start_after_ms), delay_ms: Number(row.delay_ms), db_now_ms: Number(row.db_now_ms), retry_count: Number(row.retry_count) };
}

/** pg-boss stores a completion's output as a JSON object. */
function output(value: unknown): object | undefined {
  if (value === undefined || value === null || typeof value === 'function') return undefined;
  return typeof value === 'object' && !Array.isArray(value) ? value : { value };
}
