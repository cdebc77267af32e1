/**
 * A job on the user's own `pg` Pool, with pg's defaults, against a real
 * PostgreSQL server. The pool opens its connections inside whichever job
 * first needs one; the harness opens them outside that job's async context
 * (runtime/harness/connections.ts), so the connection's own pending work is
 * not the job's leftover work — while a query the job starts and never
 * awaits still is.
 */
import pg from 'pg';
import { afterAll, afterEach, beforeAll, expect, inject, test } from 'vitest';
import { LeftoverWorkError, MemoryQueue, performAllJobs, restoreRealClock, simulate } from '../../runtime/index.js';
import { recordOrder, recordOrderAndForget } from '../../fixtures/jobs/orders-pg.js';

const admin = new pg.Client({ connectionString: inject('postgresUrl') });
const database = `connections_${process.pid}`;
let pool: pg.Pool;

beforeAll(async () => {
  await admin.connect();
  await admin.query(`create database ${database}`);
  const url = new URL(inject('postgresUrl'));
  url.pathname = `/${database}`;
  // pg's defaults: idleTimeoutMillis 10 s, allowExitOnIdle false, connections opened on demand.
  pool = new pg.Pool({ connectionString: String(url) });
  pool.on('error', () => {});
  await pool.query('create table orders (ref text primary key)');
  await pool.end();
  pool = new pg.Pool({ connectionString: String(url) });
});

afterAll(async () => {
  await pool.end();
  await admin.query(`drop database ${database} with (force)`);
  await admin.end();
});

afterEach(() => restoreRealClock());

const orders = async () => (await pool.query<{ ref: string }>('select ref from orders order by ref')).rows.map((row) => row.ref);

test('connections the pool opens inside a job are not its leftover work', async () => {
  expect(pool.totalCount).toBe(0);
  const queue = new MemoryQueue().define('order', recordOrder(pool));
  await queue.enqueue('order', { ref: 'a' });
  await queue.enqueue('order', { ref: 'b' });
  // A short settle bound: a connection counted as the job's work would fail it at once.
  expect(await performAllJobs(queue, { settleTimeoutMs: 500 })).toBe(2);
  expect(pool.totalCount).toBeGreaterThan(0);
  expect(await orders()).toEqual(['a', 'b']);
});

test('a simulation with transient and crash faults passes every scenario, each opening connections anew', async () => {
  const queue = new MemoryQueue().define('order', recordOrder(pool), { attempts: 3, backoff: 1000 });
  const report = await simulate(queue, {
    reset: async () => {
      await pool.query('delete from orders');
      // Idle connections closed: each scenario's job opens its own.
      await Promise.all(Array.from({ length: pool.idleCount }, async () => (await pool.connect()).release(true)));
    },
    start: () => queue.enqueue('order', { ref: 'a' }),
    check: async () => expect(await orders()).toEqual(['a']),
    faults: ['transient', 'crash'],
    settleTimeoutMs: 500,
  });
  expect(report.scenarios.some((s) => s.glitch.fault === 'crash')).toBe(true);
  expect(report.failed, String(report)).toBe(0);
});

test('a query the job starts and never awaits is still its leftover work', async () => {
  const queue = new MemoryQueue().define('order', recordOrderAndForget(pool));
  await queue.enqueue('order', { ref: 'c' });
  const rejection = performAllJobs(queue, { settleTimeoutMs: 100 });
  await expect(rejection).rejects.toBeInstanceOf(LeftoverWorkError);
  await expect(rejection).rejects.toThrow(/promises? begun at fixtures\/jobs\/orders-pg\.ts:18/);
});
