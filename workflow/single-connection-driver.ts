/**
 * A Kysely driver for a database that is ONE connection (PGlite): it hands the
 * connection to one holder at a time, so a transaction keeps it from BEGIN to
 * COMMIT and nothing interleaves. Plain SQL transactions on it.
 *
 * A transaction left open when its holder releases the connection is rolled
 * back before anyone else gets it. Kysely rolls back only a transaction whose
 * begin *returned*: an error after BEGIN ran (the dogfooding simulation can put
 * one there) would otherwise leave it open, silently absorbing the next
 * holder's writes and taking them along on its eventual rollback.
 *
 * The dogfooding run leaves this module uninstrumented, as it does the pools
 * inside Kysely's own drivers: a glitch in a release would simulate a failure
 * that cannot happen and wedge the one connection.
 */
import { CompiledQuery, type DatabaseConnection, type Driver } from 'kysely';
import { refuseIfHeld } from './held-connection.js';

export class SingleConnectionDriver implements Driver {
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
