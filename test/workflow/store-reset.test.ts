/**
 * Stores in tests: `deleteAll` empties faultline's tables (never the user's),
 * `deleteFinished({ olderThan: 0 })` deletes what finished at this very
 * instant (the virtual clock's instant too), and a closed store refuses every
 * use with StoreClosedError. On every store target.
 */
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it, inject } from 'vitest';
import { MemoryQueue, performAllJobs, restoreRealClock } from '../../runtime/index.js';
import {
  executeWorkflow,
  openStore,
  StoreClosedError,
  type WorkflowBuilder,
  type WorkflowStore,
} from '../../workflow/index.js';
import { makeTarget, unique, type Target, type TargetKind } from './support/targets.js';

class Planned extends Error {}

describe.each<TargetKind>(['sqlite', 'postgres', 'pglite'])('store reset and close on %s', (kind) => {
  let target: Target;
  let store: WorkflowStore;

  beforeAll(async () => {
    target = await makeTarget(kind, inject('postgresUrl'));
    store = await target.open();
    await store.db.schema.createTable('app_accounts').ifNotExists().addColumn('name', 'text').addColumn('cents', 'integer').execute();
  });
  afterAll(async () => {
    await store?.close();
    await target?.dispose();
  });
  afterEach(restoreRealClock);

  const count = async (db: WorkflowStore['db'], table: string) =>
    Number((await sql<{ n: number }>`select count(*) as n from ${sql.table(table)}`.execute(db)).rows[0]!.n);
  const faultlineRows = async (db: WorkflowStore['db'] = store.db) =>
    [await count(db, 'faultline_executions'), await count(db, 'faultline_entries'), await count(db, 'faultline_context')];

  it('deleteAll removes every execution, entry and context value, whatever its status, and leaves the user tables', async () => {
    await store.db.insertInto('app_accounts').values({ name: 'jill', cents: 100 }).execute();
    const name = unique('reset');
    let runs = 0;
    const define = (outcome: 'finish' | 'halt' | 'fail') => (w: WorkflowBuilder) =>
      w.step('a', async (s) => {
        runs++;
        await s.ctx.set('outcome', outcome);
        if (outcome === 'halt') return s.halt();
        if (outcome === 'fail') throw new Planned('stays running, waiting for a retry');
      });
    const finished = await executeWorkflow({ store, job: { id: '1', name }, uniqueBy: 'finished' }, define('finish'));
    await executeWorkflow({ store, job: { id: '2', name }, uniqueBy: 'halted' }, define('halt'));
    await expect(executeWorkflow({ store, job: { id: '3', name }, uniqueBy: 'running' }, define('fail'))).rejects.toBeInstanceOf(Planned);
    const [executions] = await faultlineRows();
    expect(executions).toBeGreaterThanOrEqual(3);

    expect(await store.deleteAll()).toBe(executions);
    expect(await faultlineRows()).toEqual([0, 0, 0]);
    expect(await store.executions()).toEqual([]);
    expect(await store.db.selectFrom('app_accounts').select(['name', 'cents']).execute()).toEqual([{ name: 'jill', cents: 100 }]);
    expect(await store.deleteAll()).toBe(0);

    // The schema is intact and the key is free again: the same execution runs anew.
    const again = await executeWorkflow({ store, job: { id: '4', name }, uniqueBy: 'finished' }, define('finish'));
    expect(again.status).toBe('finished');
    expect(again.executionId).not.toBe(finished.executionId);
    expect(runs).toBe(4);
  });

  it('deleteFinished({ olderThan: 0 }) deletes executions finished at this very instant, on the virtual clock', async () => {
    await store.deleteAll();
    const queue = new MemoryQueue();
    queue.define('close-order', (job) =>
      executeWorkflow({ store, job, uniqueBy: job.data }, (w) => w.step('close', async (s) => s.ctx.set('closed', true))),
    );
    await queue.enqueue('close-order', 'order-1');
    await performAllJobs(queue);
    const [execution] = await store.executions();
    expect(execution?.status).toBe('finished');
    // Date is the virtual clock: it stands where the job ran, so "now" is the instant the execution finished.
    expect(execution!.finishedAt!.getTime()).toBeLessThanOrEqual(Date.now());
    expect(await store.deleteFinished({ olderThan: 0 })).toBe(1);
    expect(await faultlineRows()).toEqual([0, 0, 0]);
  });

  it('deleteFinished counts an execution finished exactly at now - olderThan as old enough', async () => {
    await store.deleteAll();
    const { executionId } = await executeWorkflow({ store, job: { id: '1', name: unique('edge') }, uniqueBy: 1 }, (w) => w.step('a', () => {}));
    const finishedAt = (await store.execution(executionId))!.finishedAt!.getTime();
    expect(await store.deleteFinished({ olderThan: '1s', now: finishedAt + 999 })).toBe(0);
    expect(await store.deleteFinished({ olderThan: 0, now: finishedAt - 1 })).toBe(0);
    expect(await store.deleteFinished({ olderThan: '1s', now: finishedAt + 1000 })).toBe(1);
  });

  it('refuses every use of a closed store with StoreClosedError, store.db included', async () => {
    const other = await target.open();
    const job = { id: '1', name: unique('closed') };
    const define = (w: WorkflowBuilder) => w.step('a', () => {});
    const { executionId } = await executeWorkflow({ store: other, job, uniqueBy: 1 }, define);
    await other.close();
    expect(other.closed).toBe(true);

    const uses: [string, () => Promise<unknown>][] = [
      ['executeWorkflow', () => executeWorkflow({ store: other, job, uniqueBy: 2 }, define)],
      ['entries', () => other.entries(executionId)],
      ['execution', () => other.execution(executionId)],
      ['executions', () => other.executions()],
      ['contextValues', () => other.contextValues(executionId)],
      ['deleteFinished', () => other.deleteFinished({ olderThan: 0 })],
      ['deleteAll', () => other.deleteAll()],
      ['store.db query builder', () => other.db.selectFrom('app_accounts').selectAll().execute()],
      ['store.db raw sql', () => sql`select 1`.execute(other.db)],
      ['store.db transaction', () => other.db.transaction().execute(async (trx) => trx.selectFrom('app_accounts').selectAll().execute())],
    ];
    for (const [what, use] of uses) {
      const error = await use().then(() => 'no error', (e: unknown) => e);
      expect(error, what).toBeInstanceOf(StoreClosedError);
      expect((error as Error).message, what).toMatch(/store is closed/);
    }
    await expect(other.close()).resolves.toBeUndefined();
    // Closing one store touches nothing else: the same database is still there for another.
    expect(await store.entries(executionId)).toHaveLength(2);
  });

  it('fails a step that uses a store closed under it with StoreClosedError; the execution resumes on a new store', async () => {
    const name = unique('mid-step');
    const doomed = await target.open();
    let retrying: boolean | undefined;
    const define = (closing: WorkflowStore | undefined) => (w: WorkflowBuilder) => {
      w.step('a', async (s) => {
        retrying = s.retrying;
        if (closing) await closing.close();
        await s.ctx.set('after', 'close');
      });
      w.step('b', () => {});
    };
    const error = await executeWorkflow({ store: doomed, job: { id: '1', name }, uniqueBy: 1, leaseMs: 200 }, define(doomed)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreClosedError);
    expect(retrying).toBe(false);
    // Nothing was recorded past the step's start and the lease could not be released: once it
    // expires, a new store resumes the execution as a retry of that step.
    await new Promise((r) => setTimeout(r, 300));
    const resumed = await executeWorkflow({ store, job: { id: '1', name }, uniqueBy: 1 }, define(undefined));
    expect(resumed.status).toBe('finished');
    expect(retrying).toBe(true);
  });
});

describe('a store over a caller-provided Kysely', () => {
  it('refuses its own methods once closed, and leaves the caller its Kysely', async () => {
    const owner = await openStore('sqlite::memory:');
    const shared = await openStore({ db: owner.db });
    await shared.close();
    await expect(shared.executions()).rejects.toBeInstanceOf(StoreClosedError);
    await expect(executeWorkflow({ store: shared, job: { id: '1', name: 'x' }, uniqueBy: 1 }, (w) => w.step('a', () => {}))).rejects.toBeInstanceOf(StoreClosedError);
    expect(await owner.executions()).toEqual([]);
    expect((await sql<{ one: number }>`select 1 as one`.execute(shared.db)).rows).toEqual([{ one: 1 }]);
    await owner.close();
  });
});
