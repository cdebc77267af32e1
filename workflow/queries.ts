/**
 * Every statement the engine runs (DDL aside, see migrations.ts), named by
 * intent so the rest of the engine speaks in operations. One module for both
 * dialects: Kysely's builder papers over SQLite and Postgres differences, and
 * where it cannot, an operation reads the capabilities and texts of the
 * executor's `StoreDialect` (store-dialect.ts), never a dialect argument.
 *
 * Writes that only the lease holder may make are *fenced*: their WHERE clause
 * names the owner, and callers treat "0 rows" as a lost lease.
 */
import { CompiledQuery, type DatabaseConnection, type Kysely } from 'kysely';
import { dialectOf, STORE_DIALECTS, type DialectKind } from './store-dialect.js';
import type { EntryAction, ExecutionStatus, ExecutionsTable, FaultlineSchema } from './schema.js';

/** Anything queries can run on: the store's Kysely or one of its transactions. */
export type Executor = Kysely<FaultlineSchema>;

const executions = 'faultline_executions' as const;
const entries = 'faultline_entries' as const;
const context = 'faultline_context' as const;

/**
 * The statements every step runs are plain SQL text with bound parameters:
 * building and compiling them through Kysely's query builder on every step
 * cost more CPU than the database spent running them. They still run through
 * the store's Kysely (its driver, connection and transaction). Texts are
 * written with `?` placeholders; each dialect's `hotStatement` writes them in
 * its own. (Built eagerly or per call, never memoized on first use: a path that
 * runs only once per process would hide from the dogfooding simulation's replays.)
 */
type HotStatement = Readonly<Record<DialectKind, string>>;

/** `text` in every dialect, built once at load. */
function hotStatement(text: string): HotStatement {
  return Object.fromEntries(STORE_DIALECTS.map((d) => [d.name, d.hotStatement(text)])) as Record<DialectKind, string>;
}

/** The text of `statement` in the dialect `db` speaks. */
function textOf(db: Executor, statement: HotStatement): string {
  return statement[dialectOf(db).name];
}

/**
 * Runs `write` in `db`'s transaction when `db` is one, else in a transaction
 * of its own: what a write of several statements needs on a dialect without
 * data-modifying CTEs.
 */
function inTransaction<T>(db: Executor, write: (trx: Executor) => Promise<T>): Promise<T> {
  return db.isTransaction ? write(db) : db.transaction().execute(write);
}

/** Runs prepared SQL text; returns how many rows it changed. */
async function run(db: Executor, text: string, parameters: unknown[]): Promise<bigint> {
  const result = await db.executeQuery(CompiledQuery.raw(text, parameters));
  return result.numAffectedRows ?? 0n;
}

/** An execution row with timestamps as numbers. */
export interface ExecutionRow {
  id: string;
  idempotencyKey: string;
  jobName: string;
  jobId: string;
  jobData: string;
  definition: string;
  /** The step of the newest entry: the one to run next (null only for a damaged execution without entries). */
  cursor: string | null;
  status: ExecutionStatus;
  attempts: number;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
}

/** One step record, as written. */
export interface EntryRow {
  executionId: string;
  seq: number;
  step: string;
  action: EntryAction;
  at: number;
  errorClass?: string | null;
  errorMessage?: string | null;
}

// ---- migrations -------------------------------------------------------------

/** True when the database (on Postgres: the search path) has faultline's migrations table; reads only. */
export async function hasMigrationsTable(db: Executor): Promise<boolean> {
  const { rows } = await db.executeQuery<{ present: unknown }>(CompiledQuery.raw(dialectOf(db).hasMigrationsTableText));
  return Boolean(rows[0]?.present);
}

/**
 * Makes openers migrating at once take turns, in the migration transaction
 * `trx` (Kysely's `acquireMigrationLock`): a lock the dialect takes by a
 * statement, or none when beginning the transaction took it.
 */
export async function acquireMigrationLock(trx: Executor): Promise<void> {
  const text = dialectOf(trx).migrationLockText;
  if (text !== undefined) await trx.executeQuery(CompiledQuery.raw(text));
}

/** Run first on every connection of a read-only Postgres store: from then on the server refuses any write. */
export async function makeSessionReadOnly(connection: DatabaseConnection): Promise<void> {
  await connection.executeQuery(CompiledQuery.raw('set session characteristics as transaction read only'));
}

/** Highest applied schema version, 0 for a fresh database. */
export async function schemaVersion(db: Executor): Promise<number> {
  const row = await db.selectFrom('faultline_migrations').select((eb) => eb.fn.max('version').as('version')).executeTakeFirst();
  return Number(row?.version ?? 0);
}

export async function recordMigration(db: Executor, version: number, name: string, now: number): Promise<void> {
  await db.insertInto('faultline_migrations').values({ version, name, applied_at: now }).execute();
}

// ---- executions -------------------------------------------------------------

/** Executions with their cursor: the step of their newest entry (progress lives in entries only). */
function selectExecutions(db: Executor) {
  return db
    .selectFrom(executions)
    .selectAll(executions)
    .select((eb) =>
      eb.selectFrom(entries).select('step').whereRef(`${entries}.execution_id`, '=', `${executions}.id`).orderBy('seq', 'desc').limit(1).as('cursor'),
    );
}

export async function findExecutionByKey(db: Executor, idempotencyKey: string): Promise<ExecutionRow | undefined> {
  const row = await selectExecutions(db).where('idempotency_key', '=', idempotencyKey).executeTakeFirst();
  return row && toExecution(row);
}

export async function findExecutionById(db: Executor, id: string): Promise<ExecutionRow | undefined> {
  const row = await selectExecutions(db).where('id', '=', id).executeTakeFirst();
  return row && toExecution(row);
}

/** A new execution, leased to its creator from the start. */
export type NewExecution = Pick<ExecutionRow, 'id' | 'idempotencyKey' | 'jobName' | 'jobId' | 'jobData' | 'definition'> & {
  owner: string;
  now: number;
  leaseExpiresAt: number;
};

const EXECUTION_COLUMNS = `id, idempotency_key, job_name, job_id, job_data, definition, status, attempts, lease_owner, lease_expires_at, created_at, updated_at`;
const NEW_EXECUTION_VALUES = `(?, ?, ?, ?, ?, ?, 'running', 1, ?, ?, ?, ?)`;
const CREATE_LEASED = hotStatement(`insert into faultline_executions (${EXECUTION_COLUMNS}) values ${NEW_EXECUTION_VALUES} on conflict (idempotency_key) do nothing`);
/** With data-modifying CTEs: the leased execution and its first entry in one statement. */
const CREATE_STARTED = hotStatement(
  `with created as (insert into faultline_executions (${EXECUTION_COLUMNS}) values ${NEW_EXECUTION_VALUES} on conflict (idempotency_key) do nothing returning id) ` +
    `insert into faultline_entries (execution_id, seq, step, action, at) select id, ?::integer, ?::text, 'started', ?::bigint from created`,
);

function executionParameters(e: NewExecution): unknown[] {
  return [e.id, e.idempotencyKey, e.jobName, e.jobId, e.jobData, e.definition, e.owner, e.leaseExpiresAt, e.now, e.now];
}

/** Creates an execution already leased to its creator; false when the key exists (someone else won). */
async function createLeasedExecution(db: Executor, e: NewExecution): Promise<boolean> {
  return (await run(db, textOf(db, CREATE_LEASED), executionParameters(e))) === 1n;
}

/**
 * Creates an execution leased to its creator with its first `started` entry;
 * false when the key already exists. One statement where the dialect has
 * data-modifying CTEs (Postgres); else two, in a transaction (`db`'s, or one of their own).
 */
export async function createStartedExecution(db: Executor, e: NewExecution, first: EntryRow): Promise<boolean> {
  if (dialectOf(db).supportsDataModifyingCte) {
    return (await run(db, textOf(db, CREATE_STARTED), [...executionParameters(e), first.seq, first.step, first.at])) === 1n;
  }
  return inTransaction(db, async (trx) => {
    if (!(await createLeasedExecution(trx, e))) return false;
    await appendEntries(trx, [first]);
    return true;
  });
}

/**
 * Takes the lease of an unfinished execution if nobody holds it or the
 * holder's lease expired (one atomic conditional UPDATE); true on success.
 * A lease that expires at T is held until just before T and free at T: a
 * queue that re-delivers a dead worker's job after a stall timeout equal to
 * the lease (BullMQ's 30 s and the default 30 s lease) finds it free.
 */
export async function acquireLease(db: Executor, id: string, owner: string, now: number, leaseExpiresAt: number): Promise<boolean> {
  const result = await db
    .updateTable(executions)
    .set((eb) => ({ lease_owner: owner, lease_expires_at: leaseExpiresAt, status: 'running', attempts: eb('attempts', '+', 1), updated_at: now }))
    .where('id', '=', id)
    .where('status', '!=', 'finished')
    .where((eb) => eb.or([eb('lease_owner', 'is', null), eb('lease_expires_at', '<=', now)]))
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/**
 * The fenced lease renewal (parameters: new expiry, execution id, owner).
 * Exported as text for the renewer thread's own connection (see lease-renewal.ts).
 */
const RENEW_LEASE = hotStatement(`update faultline_executions set lease_expires_at = ? where id = ? and lease_owner = ?`);

/** The text of the fenced lease renewal in `db`'s dialect (parameters: new expiry, execution id, owner), for the renewer thread's own connection. */
export function renewLeaseText(db: Executor): string {
  return textOf(db, RENEW_LEASE);
}

/** Fenced: extends the lease; false when it was lost. */
export async function renewLease(db: Executor, id: string, owner: string, leaseExpiresAt: number): Promise<boolean> {
  return (await run(db, textOf(db, RENEW_LEASE), [leaseExpiresAt, id, owner])) === 1n;
}

const MARK_FINISHED = hotStatement(
  `update faultline_executions set status = 'finished', finished_at = ?, updated_at = ?, lease_owner = null, lease_expires_at = null where id = ? and lease_owner = ?`,
);
const MARK_HALTED = hotStatement(`update faultline_executions set status = 'halted', updated_at = ?, lease_owner = null, lease_expires_at = null where id = ? and lease_owner = ?`);

/** Fenced: marks the execution finished and releases the lease. */
async function markFinished(db: Executor, id: string, owner: string, now: number): Promise<boolean> {
  return (await run(db, textOf(db, MARK_FINISHED), [now, now, id, owner])) === 1n;
}

/** Fenced: marks the execution halted (cursor unchanged) and releases the lease. */
async function markHalted(db: Executor, id: string, owner: string, now: number): Promise<boolean> {
  return (await run(db, textOf(db, MARK_HALTED), [now, id, owner])) === 1n;
}

/** Fenced: releases the lease after an error so the queue's retry can take it at once. */
export async function releaseLease(db: Executor, id: string, owner: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable(executions)
    .set({ updated_at: now, lease_owner: null, lease_expires_at: null })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/** Filters of {@link listExecutions}. */
export interface ListExecutionsFilter {
  /** Only executions in this status. */
  status?: ExecutionStatus;
  /** At most this many, most recently updated first. */
  limit: number;
}

/** Executions, most recently updated first (for inspection tools such as the CLI). */
export async function listExecutions(db: Executor, filter: ListExecutionsFilter): Promise<ExecutionRow[]> {
  let query = selectExecutions(db);
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  const rows = await query.orderBy('updated_at', 'desc').orderBy(`${executions}.id`).limit(filter.limit).execute();
  return rows.map(toExecution);
}

/** How an execution ends this run: finished, or halted until a later execution of its key. */
export type EndKind = 'finish' | 'halt';

/** With data-modifying CTEs, the one-statement end: the fenced status update, then the entry only if it matched. */
const END: Record<EndKind, HotStatement> = {
  finish: endStatement(`status = 'finished', finished_at = ?, updated_at = ?`),
  halt: endStatement(`status = 'halted', updated_at = ?`),
};

function endStatement(set: string): HotStatement {
  return hotStatement(
    `with fenced as (update faultline_executions set ${set}, lease_owner = null, lease_expires_at = null where id = ? and lease_owner = ? returning id) ` +
      `insert into faultline_entries (execution_id, seq, step, action, at) select fenced.id, ?::integer, ?::text, ?::text, ?::bigint from fenced`,
  );
}

/**
 * Fenced: ends the run (finish or halt, releasing the lease) and appends its
 * entry, only if `owner` still holds the lease; false when it does not.
 * One statement where the dialect has data-modifying CTEs (Postgres); else
 * two, in a transaction (`db`'s, or one of their own).
 */
export async function recordEnd(db: Executor, id: string, owner: string, now: number, kind: EndKind, entry: EntryRow): Promise<boolean> {
  if (dialectOf(db).supportsDataModifyingCte) {
    const set = kind === 'finish' ? [now, now] : [now];
    return (await run(db, textOf(db, END[kind]), [...set, id, owner, entry.seq, entry.step, entry.action, entry.at])) === 1n;
  }
  return inTransaction(db, async (trx) => {
    const ended = kind === 'finish' ? await markFinished(trx, id, owner, now) : await markHalted(trx, id, owner, now);
    if (ended) await appendEntries(trx, [entry]);
    return ended;
  });
}

const ENTRY_VALUES = `(cast(? as integer), cast(? as text), cast(? as text), cast(? as bigint))`;
const STEP_BOUNDARY = hotStatement(
  `with v (seq, step, action, at) as (values ${ENTRY_VALUES}, ${ENTRY_VALUES}) ` +
    `insert into faultline_entries (execution_id, seq, step, action, at) ` +
    `select e.id, v.seq, v.step, v.action, v.at from faultline_executions e cross join v where e.id = ? and e.lease_owner = ?`,
);

/**
 * Fenced: the step boundary. Appends a step's `succeeded` and the next pass's
 * `started` only if `owner` still holds the lease, as ONE statement on both
 * dialects: outside a transaction that is one commit writing one table (the
 * cursor is the newest entry, so no execution row changes). False when the
 * lease was lost.
 */
export async function recordStepBoundary(db: Executor, id: string, owner: string, succeeded: EntryRow, started: EntryRow): Promise<boolean> {
  const parameters = [succeeded.seq, succeeded.step, succeeded.action, succeeded.at, started.seq, started.step, started.action, started.at, id, owner];
  return (await run(db, textOf(db, STEP_BOUNDARY), parameters)) === 2n;
}

// ---- entries ----------------------------------------------------------------

/** Appends entries (one statement for any number of rows). */
export async function appendEntries(db: Executor, rows: EntryRow[]): Promise<void> {
  const text = dialectOf(db).placeholders(
    `insert into faultline_entries (execution_id, seq, step, action, at, error_class, error_message) values ${rows.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
  );
  await run(db, text, rows.flatMap((r) => [r.executionId, r.seq, r.step, r.action, r.at, r.errorClass ?? null, r.errorMessage ?? null]));
}

/** The newest entry of an execution: where a resumed run picks up its sequence and `retrying`. */
export async function lastEntry(db: Executor, executionId: string): Promise<EntryRow | undefined> {
  const row = await db.selectFrom(entries).selectAll().where('execution_id', '=', executionId).orderBy('seq', 'desc').limit(1).executeTakeFirst();
  return row && toEntry(row);
}

export async function listEntries(db: Executor, executionId: string): Promise<EntryRow[]> {
  const rows = await db.selectFrom(entries).selectAll().where('execution_id', '=', executionId).orderBy('seq', 'asc').execute();
  return rows.map(toEntry);
}

// ---- context ----------------------------------------------------------------

/** The stored JSON text of a context value, or undefined. */
export async function readContextValue(db: Executor, executionId: string, key: string): Promise<string | undefined> {
  const row = await db.selectFrom(context).select('value').where('execution_id', '=', executionId).where('key', '=', key).executeTakeFirst();
  return row?.value;
}

/** Every context value of an execution as stored JSON text, by key. */
export async function listContextValues(db: Executor, executionId: string): Promise<{ key: string; value: string }[]> {
  return db.selectFrom(context).select(['key', 'value']).where('execution_id', '=', executionId).orderBy('key').execute();
}

const WRITE_CONTEXT_VALUE = hotStatement(
  `insert into faultline_context (execution_id, key, value) ` +
    `select e.id, cast(? as text), cast(? as text) from faultline_executions e where e.id = ? and e.lease_owner = ? ` +
    `on conflict (execution_id, key) do update set value = excluded.value`,
);

/**
 * Fenced: upserts a context value (a put: writing it twice is harmless) only
 * if `owner` still holds the execution's lease, in one statement; false when
 * it does not (nothing was written).
 */
export async function writeContextValue(db: Executor, executionId: string, owner: string, key: string, value: string): Promise<boolean> {
  return (await run(db, textOf(db, WRITE_CONTEXT_VALUE), [key, value, executionId, owner])) === 1n;
}

// ---- housekeeping -----------------------------------------------------------

/** Ids of up to `limit` executions finished at or before `cutoff` (epoch ms). */
export async function finishedAtOrBefore(db: Executor, cutoff: number, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom(executions)
    .select('id')
    .where('status', '=', 'finished')
    .where('finished_at', '<=', cutoff)
    .orderBy('finished_at')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

/** Deletes executions with their entries and context; returns how many executions went. */
export async function deleteExecutions(db: Executor, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  await db.deleteFrom(entries).where('execution_id', 'in', ids).execute();
  await db.deleteFrom(context).where('execution_id', 'in', ids).execute();
  const result = await db.deleteFrom(executions).where('id', 'in', ids).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Deletes every execution with its entries and context (faultline's tables only); returns how many executions went. */
export async function deleteAllExecutions(db: Executor): Promise<number> {
  await db.deleteFrom(entries).execute();
  await db.deleteFrom(context).execute();
  const result = await db.deleteFrom(executions).executeTakeFirst();
  return Number(result.numDeletedRows);
}

// ---- row mapping ------------------------------------------------------------

function toExecution(r: ExecutionsTable & { cursor: string | null }): ExecutionRow {
  return {
    id: r.id,
    idempotencyKey: r.idempotency_key,
    jobName: r.job_name,
    jobId: r.job_id,
    jobData: r.job_data,
    definition: r.definition,
    cursor: r.cursor,
    status: r.status,
    attempts: Number(r.attempts),
    leaseOwner: r.lease_owner,
    leaseExpiresAt: r.lease_expires_at === null ? null : Number(r.lease_expires_at),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    finishedAt: r.finished_at === null ? null : Number(r.finished_at),
  };
}

function toEntry(r: FaultlineSchema['faultline_entries']): EntryRow {
  return {
    executionId: r.execution_id,
    seq: Number(r.seq),
    step: r.step,
    action: r.action,
    at: Number(r.at),
    errorClass: r.error_class,
    errorMessage: r.error_message,
  };
}
