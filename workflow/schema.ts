/**
 * Row types of faultline's tables, as Kysely sees them. Table names carry the
 * `faultline_` prefix so they live beside the user's own tables.
 */

/** One durable workflow execution per idempotency key. */
export interface ExecutionsTable {
  id: string;
  idempotency_key: string;
  job_name: string;
  job_id: string;
  /** Canonical JSON of the creating job's data. */
  job_data: string;
  /** Canonical JSON of the ordered step list: `[{ name, transactional }]`. */
  definition: string;
  status: ExecutionStatus;
  attempts: number;
  lease_owner: string | null;
  /** Epoch ms; Postgres `bigint` arrives as a string from `pg`, hence the union. */
  lease_expires_at: number | string | null;
  created_at: number | string;
  updated_at: number | string;
  finished_at: number | string | null;
}

/** `running` covers both a live run and one waiting for its queue's retry. */
export type ExecutionStatus = 'running' | 'halted' | 'finished';

/**
 * What happened to a step, in order. The newest entry names the step to run
 * next (the cursor): every boundary writes the next step's `started` with the
 * previous step's `succeeded`, and a halt or error names the step to resume.
 */
export type EntryAction = 'started' | 'succeeded' | 'errored' | 'halted';

export interface EntriesTable {
  execution_id: string;
  seq: number;
  step: string;
  action: EntryAction;
  at: number | string;
  error_class: string | null;
  error_message: string | null;
}

export interface ContextTable {
  execution_id: string;
  key: string;
  /** Exact JSON text, as `ctx.set` was given it (object key order kept). A text column: Postgres jsonb would reorder keys. */
  value: string;
}

export interface MigrationsTable {
  version: number;
  name: string;
  applied_at: number | string;
}

export interface FaultlineSchema {
  faultline_executions: ExecutionsTable;
  faultline_entries: EntriesTable;
  faultline_context: ContextTable;
  faultline_migrations: MigrationsTable;
}
