/**
 * Wraps the dialect of a database openStore opened itself, so that once the
 * store is closed every later use of it — the engine's statements, the store's
 * methods, the user's own queries through `store.db` — fails with
 * StoreClosedError instead of a driver-specific message (or, for a Kysely that
 * was never used, silently opening the database again).
 *
 * Closing destroys the wrapped driver directly, not through Kysely: Kysely's
 * own destroy would make later queries fail with its "driver has already been
 * destroyed" before they reach this guard.
 */
import type { DatabaseConnection, Dialect, Driver, Kysely, QueryCompiler, TransactionSettings } from 'kysely';
import { StoreClosedError } from './errors.js';

/** A dialect whose driver refuses new connections and transactions once {@link close} ran. */
export class ClosableDialect implements Dialect {
  #closed = false;
  #driver: ClosableDriver | undefined;

  constructor(private readonly inner: Dialect) {}

  createAdapter() {
    return this.inner.createAdapter();
  }
  createDriver(): Driver {
    this.#driver = new ClosableDriver(this.inner.createDriver(), () => this.#closed);
    return this.#driver;
  }
  createIntrospector(db: Kysely<any>) {
    return this.inner.createIntrospector(db);
  }
  createQueryCompiler() {
    return this.inner.createQueryCompiler();
  }

  /** Refuses every later connection, then releases the database (idempotent). */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#driver?.destroy();
  }
}

class ClosableDriver implements Driver {
  #destroyed: Promise<void> | undefined;

  constructor(
    private readonly inner: Driver,
    private readonly closed: () => boolean,
  ) {}

  async init(): Promise<void> {
    this.refuseIfClosed();
    await this.inner.init();
  }
  async acquireConnection(): Promise<DatabaseConnection> {
    this.refuseIfClosed();
    return this.inner.acquireConnection();
  }
  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    this.refuseIfClosed();
    await this.inner.beginTransaction(connection, settings);
  }
  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.commitTransaction(connection);
  }
  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.rollbackTransaction(connection);
  }
  async savepoint(connection: DatabaseConnection, name: string, compileQuery: QueryCompiler['compileQuery']): Promise<void> {
    if (!this.inner.savepoint) throw new Error('The `savepoint` method is not supported by this driver');
    await this.inner.savepoint(connection, name, compileQuery);
  }
  async rollbackToSavepoint(connection: DatabaseConnection, name: string, compileQuery: QueryCompiler['compileQuery']): Promise<void> {
    if (!this.inner.rollbackToSavepoint) throw new Error('The `rollbackToSavepoint` method is not supported by this driver');
    await this.inner.rollbackToSavepoint(connection, name, compileQuery);
  }
  async releaseSavepoint(connection: DatabaseConnection, name: string, compileQuery: QueryCompiler['compileQuery']): Promise<void> {
    if (!this.inner.releaseSavepoint) throw new Error('The `releaseSavepoint` method is not supported by this driver');
    await this.inner.releaseSavepoint(connection, name, compileQuery);
  }
  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection(connection);
  }
  /** Once only: a pg pool refuses a second `end()`. */
  destroy(): Promise<void> {
    this.#destroyed ??= this.inner.destroy();
    return this.#destroyed;
  }

  private refuseIfClosed(): void {
    if (this.closed()) throw new StoreClosedError();
  }
}
