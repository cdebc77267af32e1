/**
 * SQLite and PGlite stores are one connection shared by every Kysely holder:
 * a transaction one holder leaves open would absorb the next holder's writes.
 * Kysely rolls back only a transaction whose begin returned, so a failure after
 * BEGIN ran (the dogfooding run can inject one there) must be cleaned up when
 * the connection is released (workflow/one-connection.ts).
 */
import { PGlite } from '@electric-sql/pglite';
import Database from 'better-sqlite3';
import {
  CompiledQuery,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  sql,
  type DatabaseConnection,
  type Dialect,
  type QueryResult,
  type SqliteDatabase,
} from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { PGliteConnection } from '../../workflow/pglite-dialect.js';
import { OneConnectionDriver, SqliteOneConnectionDriver } from '../../workflow/one-connection.js';

const FAILURE = 'transient failure after BEGIN ran';

/** A store-like database whose first BEGIN runs and then fails, and a probe of whether a transaction is open. */
interface FlakyDatabase {
  db: Kysely<{ t: { n: number } }>;
  inTransaction(): boolean;
  close(): Promise<void>;
}

/** PGlite behind a connection that fails once, right after a BEGIN ran. */
async function flakyPglite(): Promise<FlakyDatabase> {
  const pglite = await PGlite.create();
  const inner = new PGliteConnection(pglite);
  let armed = true;
  const connection: DatabaseConnection = {
    async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
      const result = await inner.executeQuery<R>(compiled);
      if (armed && compiled.sql === 'begin') {
        armed = false;
        throw new Error(FAILURE);
      }
      return result;
    },
    streamQuery: <R>() => inner.streamQuery<R>(),
  };
  const dialect: Dialect = {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new OneConnectionDriver(connection, pglite),
    createIntrospector: (k) => new PostgresIntrospector(k),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  };
  const db = new Kysely<{ t: { n: number } }>({ dialect });
  return { db, inTransaction: () => pglite.isInTransaction(), close: async () => (await db.destroy(), await pglite.close()) };
}

/** In-memory SQLite whose first BEGIN IMMEDIATE runs and then fails. */
async function flakySqlite(): Promise<FlakyDatabase> {
  const sqlite = new Database(':memory:');
  let armed = true;
  const database: SqliteDatabase = {
    close: () => sqlite.close(),
    prepare(text: string) {
      const statement = sqlite.prepare(text);
      if (!armed || text !== 'begin immediate') return statement;
      armed = false;
      return {
        reader: false,
        all: () => [],
        iterate: () => [][Symbol.iterator](),
        run: (parameters: readonly unknown[]) => {
          statement.run(...parameters);
          throw new Error(FAILURE);
        },
      };
    },
  };
  const dialect: Dialect = {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new SqliteOneConnectionDriver(database, sqlite),
    createIntrospector: (k) => new SqliteIntrospector(k),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  };
  const db = new Kysely<{ t: { n: number } }>({ dialect });
  return { db, inTransaction: () => sqlite.inTransaction, close: () => db.destroy() };
}

let opened: FlakyDatabase | undefined;
afterEach(async () => {
  await opened?.close();
  opened = undefined;
});

describe.each([
  ['PGlite', flakyPglite],
  ['SQLite', flakySqlite],
])('%s', (_name, open) => {
  it('rolls back a transaction whose begin failed after BEGIN ran, so later writes are not absorbed', async () => {
    opened = await open();
    const { db } = opened;
    await sql`create table t (n integer)`.execute(db);

    await expect(db.transaction().execute(async (trx) => trx.insertInto('t').values({ n: 0 }).execute())).rejects.toThrow(FAILURE);
    expect(opened.inTransaction(), 'the abandoned transaction was rolled back on release').toBe(false);

    // An autocommit write, then a transaction that fails: the write must survive the rollback.
    await db.insertInto('t').values({ n: 1 }).execute();
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('t').values({ n: 2 }).execute();
        throw new Error('step failed');
      }),
    ).rejects.toThrow('step failed');
    expect(await db.selectFrom('t').select('n').execute()).toEqual([{ n: 1 }]);
  });
});
