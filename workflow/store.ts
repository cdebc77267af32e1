/**
 * The workflow store: faultline's tables in a SQLite or Postgres database,
 * opened (and migrated) by `openStore`.
 */
import type { Kysely } from 'kysely';
import { DEFAULT_STORE_URL, openDatabase, type DialectKind, type StoreTarget } from './dialects.js';
import { deleteFinished, type DeleteFinishedOptions } from './housekeeping.js';
import { InvalidArgumentError } from './errors.js';
import { OffThreadRenewer } from './lease-renewal.js';
import { migrate } from './migrations.js';
import * as q from './queries.js';
import type { EntryAction, ExecutionStatus, FaultlineSchema } from './schema.js';

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
    /** Which SQL dialect the database speaks. */
    readonly dialect: DialectKind,
    private readonly closeDatabase: () => Promise<void>,
    /** @internal the one connection's database object of a SQLite or PGlite store (see held-connection.ts). */
    readonly singleConnection?: object,
    /** @internal renews this store's leases from the renewer thread; absent when only the event loop can (see lease-renewal.ts). */
    readonly renewer?: OffThreadRenewer,
  ) {}

  /** @internal the same Kysely, typed for faultline's tables. */
  get internalDb(): q.Executor {
    return this.db as unknown as Kysely<FaultlineSchema>;
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
    for (const row of await q.listContextValues(this.internalDb, executionId)) values[row.key] = JSON.parse(row.value);
    return values;
  }

  /** Deletes finished executions (with entries and context) older than `olderThan`, in batches; returns the count. */
  deleteFinished(options: DeleteFinishedOptions): Promise<number> {
    return deleteFinished(this.internalDb, options);
  }

  /** Closes the database if openStore opened it (a caller-provided Kysely or PGlite stays open). Idempotent. */
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

/**
 * Opens a workflow store and brings its schema up to date.
 *
 * @param target `'sqlite:./file.db'` (the default, `sqlite:./faultline.db`), `'sqlite::memory:'`,
 *   `'postgres://…'`, `{ sqlite: path }`, `{ db: kysely }` or `{ pglite }`.
 * @throws SchemaVersionError when the database was written by a newer faultline.
 * @throws InvalidArgumentError for an unsupported URL or option object.
 */
export async function openStore<DB = any>(target: StoreTarget = DEFAULT_STORE_URL): Promise<WorkflowStore<DB>> {
  const opened = await openDatabase(target);
  try {
    await migrate(opened.db as Kysely<FaultlineSchema>, opened.dialect);
  } catch (error) {
    await opened.close();
    throw error;
  }
  const renewer = opened.renewal ? new OffThreadRenewer(opened.renewal, opened.db as Kysely<FaultlineSchema>) : undefined;
  await renewer?.open();
  return new WorkflowStore<DB>(opened.db as Kysely<DB>, opened.dialect, opened.close, opened.singleConnection, renewer);
}
