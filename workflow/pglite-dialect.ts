/**
 * A Kysely dialect over PGlite (embedded Postgres in WASM). PGlite is one
 * connection, handed to one Kysely holder at a time (one-connection.ts).
 */
import {
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
} from 'kysely';
import { OneConnectionDriver } from './one-connection.js';

/**
 * What the store uses of a PGlite instance, declared here rather than imported
 * from `@electric-sql/pglite`: PGlite is an optional peer, and the published
 * types of `faultline/workflow` must type-check for a user who does not have
 * it installed. A real `PGlite` is assignable to it (the tests pass real ones).
 */
export interface PGliteLike {
  query<R>(sql: string, params?: unknown[], options?: { rowMode?: 'array' | 'object' }): Promise<{ rows: R[]; affectedRows?: number }>;
}

/** Kysely dialect for an open PGlite instance (the caller owns and closes it). */
export class PGliteDialect implements Dialect {
  constructor(private readonly pglite: PGliteLike) {}
  createAdapter() {
    return new PostgresAdapter();
  }
  createDriver(): Driver {
    return new OneConnectionDriver(new PGliteConnection(this.pglite), this.pglite);
  }
  createIntrospector(db: Kysely<any>) {
    return new PostgresIntrospector(db);
  }
  createQueryCompiler() {
    return new PostgresQueryCompiler();
  }
}

/** Statements on PGlite, rows as objects. */
export class PGliteConnection implements DatabaseConnection {
  constructor(private readonly pglite: PGliteLike) {}
  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.pglite.query<R>(compiled.sql, compiled.parameters as unknown[], { rowMode: 'object' });
    return { rows: result.rows, numAffectedRows: BigInt(result.affectedRows ?? 0) };
  }
  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming queries are not supported on PGlite');
  }
}
