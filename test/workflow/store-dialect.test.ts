/**
 * The StoreDialect objects: how each writes the engine's statements, and that
 * the dialect openStore binds travels with the store's Kysely into its
 * transactions — shown on a Kysely whose adapter no dialect detection
 * recognises, so every operation of a run must find the bound one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { Kysely, PostgresDialect, SqliteDialect, type DatabaseIntrospector, type Dialect, type DialectAdapter, type Driver, type QueryCompiler } from 'kysely';
import { afterAll, describe, expect, it, inject } from 'vitest';
import { executeWorkflow, InvalidArgumentError, openStore, type WorkflowStore } from '../../workflow/index.js';
import { dialectNamed, postgresDialect, preparedStatementName, sqliteDialect } from '../../workflow/store-dialect.js';
import { createPostgresDatabase, unique } from './support/targets.js';

/** Kysely's own dialect behind an adapter of no class Kysely exports: what a wrapping dialect looks like to detection. */
class DisguisedDialect implements Dialect {
  constructor(private readonly inner: Dialect) {}
  createAdapter(): DialectAdapter {
    const adapter = this.inner.createAdapter();
    return {
      supportsCreateIfNotExists: adapter.supportsCreateIfNotExists,
      supportsTransactionalDdl: adapter.supportsTransactionalDdl,
      supportsReturning: adapter.supportsReturning,
      acquireMigrationLock: (db, options) => adapter.acquireMigrationLock(db, options),
      releaseMigrationLock: (db, options) => adapter.releaseMigrationLock(db, options),
    };
  }
  createDriver(): Driver {
    return this.inner.createDriver();
  }
  createQueryCompiler(): QueryCompiler {
    return this.inner.createQueryCompiler();
  }
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return this.inner.createIntrospector(db);
  }
}

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** Two steps, the first transactional and writing context: every kind of fenced write, through the step's transaction and outside it. */
async function runTwoSteps(store: WorkflowStore, name: string) {
  const result = await executeWorkflow({ store, job: { id: name, name }, uniqueBy: name }, (w) => {
    w.step('charge', async (s) => void (await s.ctx.set('charged', 3)), { transactional: true });
    w.step('notify', async (s) => void (await s.ctx.set('notified', true)));
  });
  expect(result.status).toBe('finished');
  expect((await store.entries(result.executionId)).map((e) => `${e.step}:${e.action}`)).toEqual(['charge:started', 'charge:succeeded', 'notify:started', 'notify:succeeded']);
  expect(await store.contextValues(result.executionId)).toEqual({ charged: 3, notified: true });
}

describe('StoreDialect texts', () => {
  it('PostgreSQL numbers the placeholders; only its hot statements get a prepared name', () => {
    const text = `update t set a = ? where id = ? and owner = ? /* ${unique('pg-text')} */`;
    expect(postgresDialect.placeholders(text)).toBe(text.replace('a = ?', 'a = $1').replace('id = ?', 'id = $2').replace('owner = ?', 'owner = $3'));
    expect(preparedStatementName(postgresDialect.placeholders(text))).toBeUndefined();
    const hot = postgresDialect.hotStatement(text);
    expect(hot).toBe(postgresDialect.placeholders(text));
    expect(preparedStatementName(hot)).toMatch(/^faultline_\d+$/);
    expect(postgresDialect.hotStatement(text)).toBe(hot);
  });

  it('SQLite keeps the text as written and prepares nothing by name', () => {
    const text = `select ? as a, ? as b /* ${unique('sqlite-text')} */`;
    expect(sqliteDialect.placeholders(text)).toBe(text);
    expect(sqliteDialect.hotStatement(text)).toBe(text);
    expect(preparedStatementName(text)).toBeUndefined();
  });

  it('names each dialect by the name openStore({ db, dialect }) takes, and refuses others', () => {
    expect(dialectNamed('sqlite')).toBe(sqliteDialect);
    expect(dialectNamed('postgres')).toBe(postgresDialect);
    expect(() => dialectNamed('mysql' as never)).toThrow(InvalidArgumentError);
    expect(() => dialectNamed('mysql' as never)).toThrow(/"sqlite" or "postgres", got "mysql"/);
  });
});

describe('openStore({ db, dialect }) binds the dialect to the Kysely and its transactions', () => {
  it('SQLite: an adapter detection does not know is refused without dialect, and runs every operation with it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fl-dialect-'));
    const db = new Kysely<any>({ dialect: new DisguisedDialect(new SqliteDialect({ database: new Database(join(dir, 'store.db')) })) });
    cleanups.push(async () => {
      await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    });
    await expect(openStore({ db })).rejects.toThrow(InvalidArgumentError);
    await expect(openStore({ db })).rejects.toThrow(/pass \{ db, dialect \}/);
    await expect(openStore({ db, dialect: 'mysql' as never })).rejects.toThrow(InvalidArgumentError);
    const store = await openStore({ db, dialect: 'sqlite' });
    expect(store.dialect).toBe('sqlite');
    await runTwoSteps(store, unique('disguised-sqlite'));
    await store.close();
  });

  it('PostgreSQL: the same, with its one-statement writes and its migration lock', async () => {
    const database = await createPostgresDatabase(inject('postgresUrl'));
    const db = new Kysely<any>({ dialect: new DisguisedDialect(new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url, max: 2 }) })) });
    cleanups.push(async () => {
      await db.destroy();
      await database.drop();
    });
    await expect(openStore({ db })).rejects.toThrow(InvalidArgumentError);
    const store = await openStore({ db, dialect: 'postgres' });
    expect(store.dialect).toBe('postgres');
    await runTwoSteps(store, unique('disguised-pg'));
    await store.close();
  });
});
