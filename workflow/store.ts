/**
 * The workflow store: faultline's tables in a SQLite or Postgres database,
 * opened (and migrated) by `openStore`.
 */
import type { Kysely } from 'kysely';
import { DEFAULT_STORE_URL, openDatabase, type StoreTarget } from './dialects.js';
import { deleteFinished, type DeleteFinishedOptions } from './housekeeping.js';
import { CorruptedRowError, InvalidArgumentError, StoreClosedError } from './errors.js';
import type { StoreConnections } from './held-connection.js';
import { OffThreadRenewer } from './lease-renewal.js';
import { migrate, requireCurrentSchema } from './migrations.js';
import { redactConnectionString } from './redact.js';
import * as q from './queries.js';
import type { EntryAction, ExecutionStatus, FaultlineSchema } from './schema.js';
import { dialectOf, type DialectKind } from './store-dialect.js';

/** One record of what happened to a step. */
export interface WorkflowEntry {
  step: string;
  action: EntryAction;
  at: Date;
  /** For `errored`: the error's class name. */
  errorClass?: string;
  /** For `errored`: the error's message. */
  errorMessage?: string;
}

/** The state of an execution, for inspection. */
export interface ExecutionSummary {
  id: string;
  idempotencyKey: string;
  jobName: string;
  jobId: string;
  status: ExecutionStatus;
  /** The step to run next (for a finished execution: the last step); null only for a damaged execution without entries. */
  cursor: string | null;
  attempts: number;
  leaseOwner: string | null;
  leaseExpiresAt: Date | null;
  createdAt: Date;
  /** When the execution's status or lease last changed (steps append entries and leave the row alone). */
  updatedAt: Date;
  finishedAt: Date | null;
}

/** Options of {@link WorkflowStore.executions}. */
export interface ListExecutionsOptions {
  /** Only executions in this status. */
  status?: ExecutionStatus;
  /** At most this many (default 100). */
  limit?: number;
}

const EXECUTION_STATUSES: readonly ExecutionStatus[] = ['running', 'halted', 'finished'];

function toSummary(row: q.ExecutionRow): ExecutionSummary {
  const date = (n: number | null) => (n === null ? null : new Date(n));
  return {
    id: row.id,
    idempotencyKey: row.idempotencyKey,
    jobName: row.jobName,
    jobId: row.jobId,
    status: row.status,
    cursor: row.cursor,
    attempts: row.attempts,
    leaseOwner: row.leaseOwner,
    leaseExpiresAt: date(row.leaseExpiresAt),
    createdAt: new Date(row.createdAt),
    updatedAt: new Date(row.updatedAt),
    finishedAt: date(row.finishedAt),
  };
}

const STORE_BRAND = Symbol.for('faultline.workflow.store');

/** An open workflow store. `DB` types the user's own tables in `store.db`. */
export class WorkflowStore<DB = any> {
  /** @internal brand checked by executeWorkflow (survives duplicate module copies). */
  readonly [STORE_BRAND] = true;
  #closed = false;

  /** @internal use {@link openStore}. */
  constructor(
    /** The Kysely instance over the store's database: the user's own tables live beside faultline's. */
    readonly db: Kysely<DB>,
    private readonly closeDatabase: () => Promise<void>,
    /** @internal one connection or several (see held-connection.ts). */
    readonly connections: StoreConnections,
    /** @internal renews this store's leases from the renewer thread; absent when only the event loop can (see lease-renewal.ts). */
    readonly renewer?: OffThreadRenewer,
  ) {}

  /**
   * @internal the same Kysely, typed for faultline's tables: what every store
   * method and executeWorkflow run on, so a closed store refuses them all here.
   * @throws StoreClosedError after {@link close}.
   */
  get internalDb(): q.Executor {
    if (this.#closed) throw new StoreClosedError();
    return this.db as unknown as Kysely<FaultlineSchema>;
  }

  /** Which SQL dialect the database speaks. */
  get dialect(): DialectKind {
    return dialectOf(this.db).name;
  }

  /** True once {@link close} was called: every later use throws StoreClosedError. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The entries of an execution, oldest first (`[]` for an unknown id). */
  async entries(executionId: string): Promise<WorkflowEntry[]> {
    const rows = await q.listEntries(this.internalDb, executionId);
    return rows.map((r) => ({
      step: r.step,
      action: r.action,
      at: new Date(r.at),
      ...(r.errorClass != null ? { errorClass: r.errorClass } : {}),
      ...(r.errorMessage != null ? { errorMessage: r.errorMessage } : {}),
    }));
  }

  /** The state of an execution, or undefined for an unknown id. */
  async execution(executionId: string): Promise<ExecutionSummary | undefined> {
    const row = await q.findExecutionById(this.internalDb, executionId);
    return row && toSummary(row);
  }

  /** Executions, most recently updated first: `limit` (default 100) of them, optionally only one `status`. */
  async executions(options: ListExecutionsOptions = {}): Promise<ExecutionSummary[]> {
    const limit = options.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1) throw new InvalidArgumentError(`executions limit must be a positive integer, got ${String(limit)}`);
    if (options.status !== undefined && !EXECUTION_STATUSES.includes(options.status)) {
      throw new InvalidArgumentError(`executions status must be one of ${EXECUTION_STATUSES.join(', ')}, got ${JSON.stringify(options.status)}`);
    }
    const rows = await q.listExecutions(this.internalDb, { limit, ...(options.status ? { status: options.status } : {}) });
    return rows.map(toSummary);
  }

  /** The context values of an execution, parsed, by key (`{}` for an unknown id). */
  async contextValues(executionId: string): Promise<Record<string, unknown>> {
    const values: Record<string, unknown> = {};
    for (const row of await q.listContextValues(this.internalDb, executionId)) {
      try {
        values[row.key] = JSON.parse(row.value);
      } catch (error) {
        throw new CorruptedRowError('faultline_context', 'value', executionId, `key "${row.key}" holds invalid JSON (${(error as Error).message})`);
      }
    }
    return values;
  }

  /**
   * Deletes executions that finished at or before `now - olderThan` (`now` defaults to
   * `Date.now()`, the virtual clock inside a simulation), with their entries and
   * context, in batches; returns how many.
   */
  async deleteFinished(options: DeleteFinishedOptions): Promise<number> {
    return deleteFinished(this.internalDb, options);
  }

  /**
   * Deletes every execution, entry and context value, whatever its status (running
   * ones included): a clean store for the next test or scenario. The user's own
   * tables and faultline's schema stay. Returns how many executions went.
   */
  async deleteAll(): Promise<number> {
    const db = this.internalDb;
    return db.transaction().execute((trx) => q.deleteAllExecutions(trx));
  }

  /**
   * Closes the database if openStore opened it (a caller-provided Kysely or PGlite stays open). Idempotent.
   * Afterwards every use of the store — its methods, executeWorkflow, and `store.db` when openStore
   * opened the database — throws StoreClosedError.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.renewer?.close();
    await this.closeDatabase();
  }
}

/** True for a store made by {@link openStore}, even from another copy of this module. */
export function isWorkflowStore(value: unknown): value is WorkflowStore {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[STORE_BRAND] === true;
}

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
  /**
   * Open only to read (what `faultline workflows list|show` do): never create
   * or migrate faultline's tables. A SQLite file is opened read-only and must
   * exist; a Postgres URL's sessions are read-only (the server refuses writes).
   * A database without faultline's tables is refused with StoreNotFoundError,
   * one of another schema version with SchemaVersionError. Such a store is
   * for inspection: executeWorkflow needs a writable one.
   */
  readOnly?: boolean;
  /**
   * For a `postgres://` URL: how long the server may take to accept and answer
   * a connection, in ms (default 10 000); it bounds every later connection of
   * the store's pool too. Past it, openStore rejects with StoreConnectionError.
   */
  connectTimeoutMs?: number;
}

/**
 * Opens a workflow store and brings its schema up to date (unless `readOnly`).
 *
 * @param target `'sqlite:./file.db'` (the default, `sqlite:./faultline.db`), `'sqlite::memory:'`,
 *   `'postgres://…'`, `{ sqlite: path }`, `{ db: kysely }` or `{ pglite }`.
 * @throws StoreConnectionError when a Postgres server refuses, fails or does not answer within `connectTimeoutMs` (the message masks the URL's credentials).
 * @throws SchemaVersionError when the database was written by a newer faultline (read-only: or an older one).
 * @throws StoreNotFoundError (read-only) when there is no such SQLite file or no faultline tables.
 * @throws InvalidArgumentError for an unsupported URL or option object.
 */
export async function openStore<DB = any>(target: StoreTarget = DEFAULT_STORE_URL, options: OpenStoreOptions = {}): Promise<WorkflowStore<DB>> {
  const readOnly = options?.readOnly === true;
  const opened = await openDatabase(target, options);
  try {
    if (readOnly) await requireCurrentSchema(opened.db as Kysely<FaultlineSchema>, describeTarget(target));
    else await migrate(opened.db as Kysely<FaultlineSchema>);
  } catch (error) {
    await opened.close();
    throw error;
  }
  const renewer = opened.renewal ? new OffThreadRenewer(opened.renewal, opened.db as Kysely<FaultlineSchema>) : undefined;
  await renewer?.open();
  return new WorkflowStore<DB>(opened.db as Kysely<DB>, opened.close, opened.connections, renewer);
}

/** How errors name the store: its file, its URL without password, or what kind of database was passed. */
function describeTarget(target: StoreTarget): string {
  if (typeof target === 'string') return target.startsWith('sqlite:') ? target.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '') : redactConnectionString(target);
  if ('sqlite' in target) return target.sqlite;
  return 'pglite' in target ? 'the PGlite database' : 'the given database';
}
