/**
 * Kysely drivers for the databases that are ONE connection: SQLite (through
 * better-sqlite3) and PGlite. Each hands the connection to one holder at a
 * time, so a transaction keeps it from BEGIN to COMMIT and nothing interleaves,
 * and each makes the same two guarantees:
 *
 * - a transactional step asking for the connection its own transaction holds
 *   gets ConnectionHeldError instead of waiting forever (held-connection.ts);
 * - a transaction still open when its holder releases the connection is rolled
 *   back before anyone else gets it. Kysely rolls back only a transaction whose
 *   begin *returned*: an error after BEGIN ran (the dogfooding simulation put
 *   one there) would otherwise leave it open, silently absorbing the next
 *   holder's writes and taking them along on its eventual rollback.
 *
 * The dogfooding run leaves this module uninstrumented, as it does the pools
 * inside Kysely's own drivers: a glitch between taking the connection and
 * handing it back would simulate a failure that cannot happen and wedge it.
 */
import type { Database as BetterSqliteDatabase } from 'better-sqlite3';
import { CompiledQuery, SqliteDriver, type DatabaseConnection, type Driver, type SqliteDatabase } from 'kysely';
import { refuseIfHeld } from './held-connection.js';

/**
 * SQLite through Kysely's own driver, whose transactions start with BEGIN
 * IMMEDIATE: a deferred transaction that reads and then writes can fail with
 * SQLITE_BUSY without waiting when another process wrote in between; taking
 * the write lock up front makes busy_timeout apply.
 */
export class SqliteOneConnectionDriver extends SqliteDriver {
  constructor(
    /** What Kysely prepares statements on (a caching wrapper of `sqlite`). */
    database: SqliteDatabase,
    private readonly sqlite: BetterSqliteDatabase,
  ) {
    super({ database });
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    refuseIfHeld(this.sqlite);
    return super.acquireConnection();
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  override async releaseConnection(): Promise<void> {
    try {
      if (this.sqlite.inTransaction) this.sqlite.exec('rollback');
    } finally {
      await super.releaseConnection();
    }
  }
}

/** PGlite (or any one-connection database speaking plain SQL transactions). */

export class OneConnectionDriver implements Driver {
  #queue: Promise<void> = Promise.resolve();
  #release: () => void = () => {};
  /** Set from the moment BEGIN is sent until COMMIT or ROLLBACK returns. */
  #transactionOpen = false;

  constructor(
    private readonly connection: DatabaseConnection,
    /** The database object behind the connection (what a transactional step holds, see held-connection.ts). */
    private readonly database: object,
  ) {}

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    refuseIfHeld(this.database);
    // Chain on the previous holder: the next acquirer waits for its release.
    let release!: () => void;
    const previous = this.#queue;
    this.#queue = new Promise<void>((resolve) => (release = resolve));
    await previous;
    this.#release = release;
    return this.connection;
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    this.#transactionOpen = true;
    await connection.executeQuery(CompiledQuery.raw('begin'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
    this.#transactionOpen = false;
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
    this.#transactionOpen = false;
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    try {
      if (this.#transactionOpen) await this.rollbackTransaction(connection);
    } finally {
      this.#transactionOpen = false;
      this.#release();
    }
  }

  async destroy(): Promise<void> {}
}
