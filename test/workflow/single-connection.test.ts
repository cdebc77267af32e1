/**
 * PGlite is one connection shared by every Kysely holder: a transaction that
 * one holder leaves open would absorb the next holder's writes. Kysely rolls
 * back only a transaction whose begin returned, so a failure after BEGIN ran
 * (the dogfooding run can inject one there) must be cleaned up on release.
 */
import { PGlite } from '@electric-sql/pglite';
import { CompiledQuery, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, sql, type DatabaseConnection, type QueryResult } from 'kysely';
import { afterEach, expect, it } from 'vitest';
import { PGliteConnection } from '../../workflow/pglite-dialect.js';
import { SingleConnectionDriver } from '../../workflow/single-connection-driver.js';

/** Fails once, right after a BEGIN has run: the fault a glitch after the line sending BEGIN injects. */
class FailAfterBegin implements DatabaseConnection {
  armed = true;
  constructor(private readonly inner: PGliteConnection) {}
  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.inner.executeQuery<R>(compiled);
    if (this.armed && compiled.sql === 'begin') {
      this.armed = false;
      throw new Error('transient failure after BEGIN ran');
    }
    return result;
  }
  streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>();
  }
}

let pglite: PGlite | undefined;
afterEach(async () => {
  await pglite?.close();
});

it('rolls back a transaction whose begin failed after BEGIN ran, so later writes are not absorbed', async () => {
  pglite = await PGlite.create();
  const driver = new SingleConnectionDriver(new FailAfterBegin(new PGliteConnection(pglite)), pglite);
  const db = new Kysely<{ t: { n: number } }>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => driver,
      createIntrospector: (k) => new PostgresIntrospector(k),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  });
  await sql`create table t (n integer)`.execute(db);

  await expect(db.transaction().execute(async (trx) => trx.insertInto('t').values({ n: 0 }).execute())).rejects.toThrow('after BEGIN ran');
  expect(pglite.isInTransaction(), 'the abandoned transaction was rolled back on release').toBe(false);

  // An autocommit write, then a transaction that fails: the write must survive the rollback.
  await db.insertInto('t').values({ n: 1 }).execute();
  await expect(
    db.transaction().execute(async (trx) => {
      await trx.insertInto('t').values({ n: 2 }).execute();
      throw new Error('step failed');
    }),
  ).rejects.toThrow('step failed');
  expect(await db.selectFrom('t').select('n').execute()).toEqual([{ n: 1 }]);
  await db.destroy();
});
