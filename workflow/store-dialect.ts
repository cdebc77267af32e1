/**
 * What differs between the SQL dialects a store speaks, in one object per
 * dialect (SQLite; PostgreSQL, which PGlite speaks too), in the manner of
 * Kysely's `DialectAdapter`: capability flags that the queries and migrations
 * read, the text transforms that turn the engine's statements (written once,
 * with `?` placeholders, in queries.ts) into the dialect's, and the few texts
 * that have no form both dialects share.
 *
 * The dialect travels with the executor, as Kysely's adapter does: openStore
 * binds it to its Kysely's adapter ({@link bindDialect}), which the Kysely's
 * transactions share, so an operation finds it from the executor it runs on
 * ({@link dialectOf}) and the engine passes no dialect argument anywhere.
 */
import { PostgresAdapter, SqliteAdapter, type DialectAdapter, type Kysely } from 'kysely';
import { InvalidArgumentError } from './errors.js';

/** Which SQL dialect the store speaks. */
export type DialectKind = 'sqlite' | 'postgres';

/** One SQL dialect's capabilities and texts. */
export interface StoreDialect {
  /** The dialect's name (what `store.dialect` and `openStore({ db, dialect })` say). */
  readonly name: DialectKind;
  /**
   * True when the dialect's usual database serves several connections at once
   * (a pool); false when it is one connection a transaction holds to its end.
   * A database can say otherwise when opened (PGlite is one-connection PostgreSQL).
   */
  readonly supportsMultipleConnections: boolean;
  /**
   * True when one statement can write two tables (a data-modifying CTE). Without
   * it such a write is several statements, run in a transaction of its own
   * unless the caller's transaction already holds them together.
   */
  readonly supportsDataModifyingCte: boolean;
  /**
   * True when several transactions can write at once (row locks). False when an
   * open write transaction locks the whole database, so a second connection's
   * write (the lease renewer thread's) waits until it ends.
   */
  readonly supportsConcurrentWrites: boolean;
  /** True when a table can be clustered on its primary key (SQLite's `WITHOUT ROWID`). */
  readonly supportsWithoutRowid: boolean;
  /**
   * `text`, written with `?` placeholders, in this dialect. For text built per call
   * (a variable number of rows); a fixed statement uses {@link hotStatement}.
   */
  placeholders(text: string): string;
  /**
   * `text` in this dialect, marked as one of the engine's hot statements (a
   * Postgres connection openStore made prepares it once, see
   * {@link preparedStatementName}). Call it at module load, for a bounded set of
   * texts: each is kept on every connection for the connection's life.
   */
  hotStatement(text: string): string;
  /** Reads only: one row whose `present` is truthy when faultline's migrations table exists (on Postgres: on the search path). */
  readonly hasMigrationsTableText: string;
  /**
   * Run first in the migration transaction so that openers migrating a fresh
   * database at once take turns (Kysely's `acquireMigrationLock`); undefined
   * when beginning the transaction already serializes them.
   */
  readonly migrationLockText: string | undefined;
}

/** Names of the engine's statements that Postgres connections prepare, by SQL text. */
const preparedNames = new Map<string, string>();

/** The name a Postgres connection prepares `text` under; undefined for any text not a {@link StoreDialect.hotStatement}. */
export function preparedStatementName(text: string): string | undefined {
  return preparedNames.get(text);
}

/** Arbitrary constant naming faultline's advisory migration lock ("fltl"). */
const MIGRATION_LOCK = 0x666c746c;

/** SQLite through better-sqlite3: one connection, one writer at a time. */
export const sqliteDialect: StoreDialect = {
  name: 'sqlite',
  supportsMultipleConnections: false,
  supportsDataModifyingCte: false,
  supportsConcurrentWrites: false,
  supportsWithoutRowid: true,
  placeholders: (text) => text,
  // The SQLite driver caches prepared statements by text (see dialects.ts): nothing to mark.
  hotStatement: (text) => text,
  hasMigrationsTableText: `select exists (select 1 from sqlite_master where type = 'table' and name = 'faultline_migrations') as present`,
  // faultline's SQLite transactions begin IMMEDIATE (one-connection.ts), taking the write lock.
  migrationLockText: undefined,
};

/** PostgreSQL (a pg pool, or PGlite): numbered placeholders, prepared hot statements. */
export const postgresDialect: StoreDialect = {
  name: 'postgres',
  supportsMultipleConnections: true,
  supportsDataModifyingCte: true,
  supportsConcurrentWrites: true,
  supportsWithoutRowid: false,
  placeholders(text) {
    let n = 0;
    return text.replace(/\?/g, () => `$${++n}`);
  },
  hotStatement(text) {
    const numbered = postgresDialect.placeholders(text);
    if (!preparedNames.has(numbered)) preparedNames.set(numbered, `faultline_${preparedNames.size + 1}`);
    return numbered;
  },
  hasMigrationsTableText: `select to_regclass('faultline_migrations') is not null as present`,
  migrationLockText: `select pg_advisory_xact_lock(${MIGRATION_LOCK})`,
};

/** Every dialect, for texts built once per dialect at load. */
export const STORE_DIALECTS: readonly StoreDialect[] = [sqliteDialect, postgresDialect];

/** The dialect of `kind` (a name `openStore({ db, dialect })` accepts). */
export function dialectNamed(kind: DialectKind): StoreDialect {
  const dialect = STORE_DIALECTS.find((d) => d.name === kind);
  if (!dialect) throw new InvalidArgumentError(`openStore({ db, dialect }): dialect must be ${STORE_DIALECTS.map((d) => `"${d.name}"`).join(' or ')}, got ${JSON.stringify(kind)}`);
  return dialect;
}

/** Dialects bound by openStore, by the adapter of the Kysely they were bound to. */
const bound = new WeakMap<DialectAdapter, StoreDialect>();

/** Binds `dialect` to `db` and to every transaction of it; returns the dialect. */
export function bindDialect(db: Kysely<any>, dialect: StoreDialect): StoreDialect {
  bound.set(db.getExecutor().adapter, dialect);
  return dialect;
}

/**
 * The dialect `db` (a store's Kysely or one of its transactions) speaks: the
 * one openStore bound to it, else the one its Kysely adapter names.
 * @throws InvalidArgumentError for a Kysely of another dialect, unbound
 */
export function dialectOf(db: Kysely<any>): StoreDialect {
  const adapter = db.getExecutor().adapter;
  const dialect = bound.get(adapter);
  if (dialect) return dialect;
  if (adapter instanceof PostgresAdapter) return postgresDialect;
  if (adapter instanceof SqliteAdapter) return sqliteDialect;
  throw new InvalidArgumentError('openStore({ db }) supports SQLite and Postgres Kysely instances; pass { db, dialect } if yours wraps one');
}
