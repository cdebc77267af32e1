/**
 * Schema migrations, run on every `openStore`. Each applied version is a row
 * in `faultline_migrations`; a database already at a version newer than this
 * code knows refuses to open (SchemaVersionError) instead of being misread.
 * The DDL lives here; every other statement lives in queries.ts.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import { SchemaVersionError, StoreNotFoundError } from './errors.js';
import * as q from './queries.js';
import type { FaultlineSchema } from './schema.js';
import { dialectOf } from './store-dialect.js';

interface Migration {
  version: number;
  name: string;
  up(trx: Transaction<FaultlineSchema>): Promise<void>;
}

const migrations: Migration[] = [
  {
    version: 1,
    name: 'executions, entries, context',
    async up(trx) {
      await trx.schema
        .createTable('faultline_executions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('idempotency_key', 'text', (c) => c.notNull().unique())
        .addColumn('job_name', 'text', (c) => c.notNull())
        .addColumn('job_id', 'text', (c) => c.notNull())
        .addColumn('job_data', 'text', (c) => c.notNull())
        .addColumn('definition', 'text', (c) => c.notNull())
        .addColumn('cursor', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('lease_owner', 'text')
        .addColumn('lease_expires_at', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('finished_at', 'bigint')
        .execute();
      // Housekeeping scans finished executions by age.
      await trx.schema.createIndex('faultline_executions_finished').on('faultline_executions').columns(['status', 'finished_at']).execute();
      await trx.schema
        .createTable('faultline_entries')
        .addColumn('execution_id', 'text', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('step', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('error_class', 'text')
        .addColumn('error_message', 'text')
        .addPrimaryKeyConstraint('faultline_entries_pk', ['execution_id', 'seq'])
        .execute();
      await trx.schema
        .createTable('faultline_context')
        .addColumn('execution_id', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('faultline_context_pk', ['execution_id', 'key'])
        .execute();
    },
  },
  {
    // A step boundary becomes one fenced INSERT of its entries: progress (the
    // cursor) is read from the newest entry instead of being a column that
    // every step had to UPDATE, and on SQLite the entries table is clustered
    // on its key (WITHOUT ROWID), so an entry is one b-tree write, not two.
    version: 2,
    name: 'progress kept in entries only; SQLite entries without rowid',
    async up(trx) {
      if (dialectOf(trx).supportsWithoutRowid) {
        await sql`create table faultline_entries_v2 (
          execution_id text not null, seq integer not null, step text not null, action text not null,
          at bigint not null, error_class text, error_message text,
          constraint faultline_entries_pk primary key (execution_id, seq)
        ) without rowid`.execute(trx);
        await sql`insert into faultline_entries_v2 select execution_id, seq, step, action, at, error_class, error_message from faultline_entries`.execute(trx);
        await sql`drop table faultline_entries`.execute(trx);
        await sql`alter table faultline_entries_v2 rename to faultline_entries`.execute(trx);
      }
      await trx.schema.alterTable('faultline_executions').dropColumn('cursor').execute();
    },
  },
];

/** The newest schema version this code understands. */
export const SCHEMA_VERSION = migrations[migrations.length - 1]!.version;

/** Brings the database up to {@link SCHEMA_VERSION}, or refuses a newer one. */
export async function migrate(db: Kysely<FaultlineSchema>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    // Several workers may open the same fresh database at once: serialize them.
    await q.acquireMigrationLock(trx);
    await trx.schema
      .createTable('faultline_migrations')
      .ifNotExists()
      .addColumn('version', 'integer', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('applied_at', 'bigint', (c) => c.notNull())
      .execute();
    const current = await q.schemaVersion(trx);
    if (current > SCHEMA_VERSION) throw new SchemaVersionError(current, SCHEMA_VERSION);
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      await migration.up(trx);
      await q.recordMigration(trx, migration.version, migration.name, Date.now());
    }
  });
}

/**
 * Checks, without writing anything, that the database is a faultline store of
 * exactly {@link SCHEMA_VERSION}: what a read-only open needs, since it never migrates.
 * @param store names the store in errors (a path, or a URL without its password)
 * @throws StoreNotFoundError when faultline's tables are not there
 * @throws SchemaVersionError for an older or newer schema
 */
export async function requireCurrentSchema(db: Kysely<FaultlineSchema>, store: string): Promise<void> {
  if (!(await q.hasMigrationsTable(db))) {
    throw new StoreNotFoundError(store, "the database has no faultline tables (a read-only open never creates them); point at the database your workers' openStore uses");
  }
  const current = await q.schemaVersion(db);
  if (current !== SCHEMA_VERSION) throw new SchemaVersionError(current, SCHEMA_VERSION, store);
}
