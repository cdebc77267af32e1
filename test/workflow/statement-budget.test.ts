/**
 * The engine's cost per step, counted where it is paid: the statements that
 * reach the database. Issue 5's throughput goal rests on one statement and one
 * commit per step (a step's `succeeded` and the next step's `started` are one
 * fenced INSERT; the execution row is left alone) and on no reads between
 * steps; these tests fail if a change adds any.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { Kysely, PostgresDialect, SqliteDialect, sql, type LogEvent } from 'kysely';
import { executeWorkflow, openStore, type WorkflowStore } from '../../workflow/index.js';
import { createPostgresDatabase, unique } from './support/targets.js';

const STEPS = 10;

/** A store whose Kysely records the SQL of every statement it runs. */
interface CountingStore {
  store: WorkflowStore;
  statements: string[];
  dispose(): Promise<void>;
}

function tenSteps(store: WorkflowStore, name: string, fail?: { step: number; times: number }) {
  return executeWorkflow({ store, job: { id: name, name, data: null }, uniqueBy: name }, (w) => {
    for (let step = 0; step < STEPS; step++) {
      w.step(`step-${step}`, () => {
        if (fail?.step === step && fail.times-- > 0) throw new Error(`planned failure at step ${step}`);
      });
    }
  });
}

/** Statement kinds by their first keyword: select, insert, update, begin, commit, with… */
function tally(statements: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const text of statements) {
    const verb = text.trim().split(/\s+/)[0]!.toLowerCase();
    counts[verb] = (counts[verb] ?? 0) + 1;
  }
  return counts;
}

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function sqliteStore(): Promise<CountingStore> {
  const dir = mkdtempSync(join(tmpdir(), 'fl-budget-'));
  const sqlite = new Database(join(dir, 'store.db'));
  return countingStore((log) => new Kysely<any>({ dialect: new SqliteDialect({ database: sqlite }), log }), async () => rmSync(dir, { recursive: true, force: true }));
}

async function postgresStore(): Promise<CountingStore> {
  const database = await createPostgresDatabase(inject('postgresUrl'));
  const pool = new pg.Pool({ connectionString: database.url, max: 2 });
  return countingStore((log) => new Kysely<any>({ dialect: new PostgresDialect({ pool }), log }), () => database.drop());
}

/** A store over a Kysely instance that records the SQL of every statement it runs. */
async function countingStore(create: (log: (event: LogEvent) => void) => Kysely<any>, cleanup: () => Promise<void>): Promise<CountingStore> {
  const statements: string[] = [];
  const db = create((event) => void statements.push(event.query.sql));
  const store = await openStore({ db });
  return {
    store,
    statements,
    async dispose() {
      await db.destroy();
      await cleanup();
    },
  };
}

describe('statements per step', () => {
  it('SQLite: a new 10-step workflow commits 11 times (creation, then one per step) and reads nothing', async () => {
    const counting = await sqliteStore();
    cleanups.push(counting.dispose);
    counting.statements.length = 0;
    const result = await tenSteps(counting.store, unique('sqlite-budget'));
    expect(result.status).toBe('finished');
    const counts = tally(counting.statements);
    // Kysely runs SQLite's BEGIN/COMMIT through the driver, not the logged
    // executor, so count write statements: creation (the execution and its
    // first `started`, one transaction), one fenced `with … insert` per step
    // boundary (autocommit: one commit each), and the finish (update + entry,
    // one transaction) — 11 commits.
    expect(counts.select ?? 0, counting.statements.join('\n')).toBe(0);
    expect(counts.with, counting.statements.join('\n')).toBe(STEPS - 1);
    expect(counts.insert, counting.statements.join('\n')).toBe(2 + 1);
    expect(counts.update, counting.statements.join('\n')).toBe(1);
    expect(await counting.store.entries(result.executionId)).toHaveLength(2 * STEPS);
  });

  it('Postgres: a new 10-step workflow is 11 statements, each its own commit, and no reads', async () => {
    const counting = await postgresStore();
    cleanups.push(counting.dispose);
    counting.statements.length = 0;
    const result = await tenSteps(counting.store, unique('pg-budget'));
    expect(result.status).toBe('finished');
    expect(counting.statements, counting.statements.join('\n')).toHaveLength(1 + STEPS);
    expect(tally(counting.statements), counting.statements.join('\n')).toEqual({ with: 1 + STEPS });
    expect(await counting.store.entries(result.executionId)).toHaveLength(2 * STEPS);
  });

  it('Postgres: a retried workflow reads its execution once to resume, then is back to one statement per step', async () => {
    const counting = await postgresStore();
    cleanups.push(counting.dispose);
    const name = unique('pg-retry');
    await expect(tenSteps(counting.store, name, { step: 4, times: 1 })).rejects.toThrow('planned failure at step 4');
    counting.statements.length = 0;
    const result = await tenSteps(counting.store, name);
    expect(result.status).toBe('finished');
    const counts = tally(counting.statements);
    // `with`: the no-op creation attempt, then one per step from the failed one on.
    // `select`: the existing execution, then under the lease its newest entry (the cursor).
    expect(counts.with, counting.statements.join('\n')).toBe(1 + (STEPS - 4));
    expect(counts.select, counting.statements.join('\n')).toBe(2);
  });

  it('Postgres via a URL: the per-step statements run as prepared statements on the connection', async () => {
    const database = await createPostgresDatabase(inject('postgresUrl'));
    const store = await openStore(database.url);
    cleanups.push(async () => {
      await store.close();
      await database.drop();
    });
    const result = await tenSteps(store, unique('pg-prepared'));
    expect(result.status).toBe('finished');
    // Sequential use keeps to one pooled connection, the one that prepared them.
    const prepared = await sql<{ name: string }>`select name from pg_prepared_statements where name like 'faultline_%'`.execute(store.db);
    expect(prepared.rows.length).toBeGreaterThanOrEqual(2);
  });
});
