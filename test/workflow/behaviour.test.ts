/**
 * acidic_job's behaviours, on every store target: SQLite file, PostgreSQL, PGlite.
 */
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { sql } from 'kysely';
import {
  ConnectionHeldError,
  executeWorkflow,
  isPermanentError,
  LeaseLostError,
  TransactionUnavailableError,
  WorkflowDefinitionMismatchError,
  WorkflowLockedError,
  type WorkflowBuilder,
  type WorkflowStore,
} from '../../workflow/index.js';
import { restoreRealClock, setVirtualTime } from '../../runtime/harness/clock.js';
import { makeTarget, unique, type Target, type TargetKind } from './support/targets.js';

class Boom extends Error {}

describe.each<TargetKind>(['sqlite', 'postgres', 'pglite'])('workflow behaviours on %s', (kind) => {
  let target: Target;
  let store: WorkflowStore;

  beforeAll(async () => {
    target = await makeTarget(kind, inject('postgresUrl'));
    store = await target.open();
    await store.db.schema.createTable('ledger').ifNotExists().addColumn('tag', 'text').addColumn('step', 'text').execute();
  });
  afterAll(async () => {
    await store?.close();
    await target?.dispose();
  });

  const run = (name: string, define: (w: WorkflowBuilder) => void, extra: { data?: unknown; uniqueBy?: unknown; leaseMs?: number } = {}) =>
    executeWorkflow({ store, job: { id: unique('job'), name, data: extra.data }, uniqueBy: extra.uniqueBy ?? 'one', leaseMs: extra.leaseMs }, define);
  const actions = async (executionId: string) => (await store.entries(executionId)).map((e) => `${e.step}:${e.action}`);
  const ledger = async (tag: string) =>
    (await store.db.selectFrom('ledger').select('step').where('tag', '=', tag).execute()).map((r: { step: string }) => r.step).sort();

  it('records started/succeeded for every step of a clean run, in order', async () => {
    const ran: string[] = [];
    const result = await run(unique('clean'), (w) => {
      for (const step of ['a', 'b', 'c']) w.step(step, () => void ran.push(step), { transactional: step === 'b' });
    });
    expect(result.status).toBe('finished');
    expect(result.idempotencyKey).toMatch(/^[0-9a-f]{64}$/);
    expect(ran).toEqual(['a', 'b', 'c']);
    expect(await actions(result.executionId)).toEqual(['a:started', 'a:succeeded', 'b:started', 'b:succeeded', 'c:started', 'c:succeeded']);
    const entries = await store.entries(result.executionId);
    expect(entries.every((e) => e.at instanceof Date && !Number.isNaN(e.at.getTime()))).toBe(true);
    expect((await store.execution(result.executionId))?.status).toBe('finished');
  });

  it.each([0, 1, 2])('a transient error at step %i is recorded, re-thrown unchanged, and the retry resumes there', async (failing) => {
    const name = unique('transient');
    const ran: string[] = [];
    let failed = false;
    const define = (w: WorkflowBuilder) => {
      ['a', 'b', 'c'].forEach((step, i) =>
        w.step(
          step,
          (s) => {
            ran.push(`${step}${s.retrying ? '(retrying)' : ''}`);
            if (i === failing && !failed) {
              failed = true;
              throw new Boom(`step ${step} failed`);
            }
          },
          { transactional: i === 1 },
        ),
      );
    };
    const error = await run(name, define).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Boom);
    const result = await run(name, define);
    const steps = ['a', 'b', 'c'];
    const expected = steps.flatMap((step, i) =>
      i === failing ? [`${step}:started`, `${step}:errored`, `${step}:started`, `${step}:succeeded`] : [`${step}:started`, `${step}:succeeded`],
    );
    expect(await actions(result.executionId)).toEqual(expected);
    const errored = (await store.entries(result.executionId)).find((e) => e.action === 'errored');
    expect(errored).toMatchObject({ errorClass: 'Boom', errorMessage: `step ${steps[failing]} failed` });
    // Steps before the failure ran once; the failing one was retried, and knew it.
    expect(ran).toEqual([...steps.slice(0, failing), steps[failing], `${steps[failing]}(retrying)`, ...steps.slice(failing + 1)]);
  });

  it('keeps context values across retries and computes fetch only once', async () => {
    const name = unique('ctx');
    let computed = 0;
    let attempt = 0;
    const seen: unknown[] = [];
    const define = (w: WorkflowBuilder) => {
      w.step('remember', async (s) => {
        await s.ctx.set('cart', { items: [1, 2], total: 3.5, note: null });
        seen.push(await s.ctx.fetch('token', () => `tok-${++computed}`));
      });
      w.step('use', async (s) => {
        seen.push(await s.ctx.get('cart'), await s.ctx.fetch('token', () => `tok-${++computed}`), await s.ctx.get('missing'));
        if (++attempt === 1) throw new Boom('flaky');
      });
    };
    await expect(run(name, define)).rejects.toBeInstanceOf(Boom);
    await run(name, define);
    expect(computed).toBe(1);
    const cart = { items: [1, 2], total: 3.5, note: null };
    expect(seen).toEqual(['tok-1', cart, 'tok-1', undefined, cart, 'tok-1', undefined]);
  });

  it('rolls back a transactional step entirely (no row, no succeeded entry); a plain step keeps its row', async () => {
    const tag = unique('tx');
    let txFailures = 0;
    let plainFailures = 0;
    const name = unique('rollback');
    const define = (w: WorkflowBuilder) => {
      w.step(
        'debit',
        async (s) => {
          await s.tx.insertInto('ledger').values({ tag, step: 'debit' }).execute();
          await sql`insert into ledger (tag, step) values (${tag}, ${'debit-raw'})`.execute(s.tx);
          await s.ctx.set('debited', true);
          if (txFailures++ === 0) throw new Boom('after the insert');
        },
        { transactional: true },
      );
      w.step('notify', async () => {
        await store.db.insertInto('ledger').values({ tag, step: 'notify' }).execute();
        if (plainFailures++ === 0) throw new Boom('after the plain insert');
      });
    };
    await expect(run(name, define)).rejects.toThrow('after the insert');
    expect(await ledger(tag)).toEqual([]);
    const midway = await store.db.selectFrom('faultline_context').selectAll().where('key', '=', 'debited').execute();
    expect(midway).toEqual([]);

    await expect(run(name, define)).rejects.toThrow('after the plain insert');
    expect(await ledger(tag)).toEqual(['debit', 'debit-raw', 'notify']);
    const result = await run(name, define);
    expect(await ledger(tag)).toEqual(['debit', 'debit-raw', 'notify', 'notify']);
    expect(await actions(result.executionId)).toEqual([
      'debit:started', 'debit:errored', 'debit:started', 'debit:succeeded',
      'notify:started', 'notify:errored', 'notify:started', 'notify:succeeded',
    ]);
  });

  it('store.db inside a transactional step: ConnectionHeldError on one-connection stores (not a hang), works on a Postgres pool', async () => {
    const tag = unique('held');
    let later: Promise<unknown> | undefined;
    const define = (w: WorkflowBuilder) =>
      w.step(
        'debit',
        async () => {
          await store.db.insertInto('ledger').values({ tag, step: 'debit' }).execute();
        },
        { transactional: true },
      );
    const outcome = await run(unique('held'), define).catch((e: unknown) => e);
    if (kind === 'postgres') {
      expect(outcome).toMatchObject({ status: 'finished' });
      expect(await ledger(tag)).toEqual(['debit']);
      return;
    }
    expect(outcome).toBeInstanceOf(ConnectionHeldError);
    expect(outcome).toMatchObject({ step: 'debit', permanent: true });
    expect(isPermanentError(outcome)).toBe(true);
    expect(await ledger(tag)).toEqual([]);
    // After the step, the store is usable again, also by work the step started and left running.
    const passed = await run(unique('held-ok'), (w) =>
      w.step('debit', async (s) => {
        await s.tx.insertInto('ledger').values({ tag, step: 'via-tx' }).execute();
        later = new Promise((resolve) => setTimeout(resolve, 5)).then(() => store.db.insertInto('ledger').values({ tag, step: 'later' }).execute());
      }, { transactional: true }),
    );
    expect(passed.status).toBe('finished');
    await later;
    expect(await ledger(tag)).toEqual(['later', 'via-tx']);
  });

  it('refuses s.tx in a step that is not transactional', async () => {
    const error = await run(unique('notx'), (w) => w.step('plain', (s) => s.tx)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransactionUnavailableError);
    expect((error as Error).message).toContain('"plain"');
  });

  it('halts with the cursor unchanged and resumes with a later execution of the same key', async () => {
    const name = unique('halt');
    const ran: string[] = [];
    const define = (w: WorkflowBuilder) => {
      w.step('first', () => void ran.push('first'));
      w.step('wait', async (s) => {
        ran.push(`wait${s.retrying ? '(retrying)' : ''}`);
        if (!(await s.ctx.get('woken'))) {
          await s.ctx.set('woken', true);
          return s.halt();
        }
      });
      w.step('last', () => void ran.push('last'));
    };
    const halted = await run(name, define);
    expect(halted.status).toBe('halted');
    expect(await store.execution(halted.executionId)).toMatchObject({ status: 'halted', cursor: 'wait', leaseOwner: null });
    const resumed = await run(name, define);
    expect(resumed).toEqual({ ...halted, status: 'finished' });
    expect(ran).toEqual(['first', 'wait', 'wait', 'last']);
    expect(await actions(halted.executionId)).toEqual([
      'first:started', 'first:succeeded', 'wait:started', 'wait:halted', 'wait:started', 'wait:succeeded', 'last:started', 'last:succeeded',
    ]);
  });

  it('repeats a step until it stops asking, recording each pass', async () => {
    const name = unique('repeat');
    const tag = unique('repeat-rows');
    const result = await run(name, (w) => {
      w.step(
        'page',
        async (s) => {
          const page = (await s.ctx.get<number>('page')) ?? 0;
          await s.tx.insertInto('ledger').values({ tag, step: `page-${page}` }).execute();
          await s.ctx.set('page', page + 1);
          if (page < 2) return s.repeat();
        },
        { transactional: true },
      );
      w.step('done', () => {});
    });
    expect(result.status).toBe('finished');
    expect(await ledger(tag)).toEqual(['page-0', 'page-1', 'page-2']);
    expect(await actions(result.executionId)).toEqual([
      'page:started', 'page:succeeded', 'page:started', 'page:succeeded', 'page:started', 'page:succeeded', 'done:started', 'done:succeeded',
    ]);
  });

  it('returns a finished execution at once without running anything', async () => {
    const name = unique('finished');
    let runs = 0;
    const define = (w: WorkflowBuilder) => w.step('only', () => void runs++);
    const first = await run(name, define);
    const second = await run(name, define);
    expect(second).toEqual(first);
    expect(runs).toBe(1);
    expect(await actions(first.executionId)).toEqual(['only:started', 'only:succeeded']);
  });

  it('returns a finished execution as finished even if its step list changed since (the work is done)', async () => {
    const name = unique('redeployed');
    const ran: string[] = [];
    const first = await run(name, (w) => { w.step('a', () => void ran.push('a')); w.step('b', () => void ran.push('b')); }, { data: { amount: 10 } });
    const entries = await actions(first.executionId);
    const changed = [
      (w: WorkflowBuilder) => { w.step('a', () => void ran.push('a2')); w.step('c', () => void ran.push('c')); },
      (w: WorkflowBuilder) => w.step('b', () => void ran.push('b2'), { transactional: true }),
    ];
    for (const define of changed) await expect(run(name, define, { data: { amount: 10 } })).resolves.toEqual(first);
    expect(ran).toEqual(['a', 'b']);
    expect(await actions(first.executionId)).toEqual(entries);
    // Different job data under the key is still refused, whatever the steps.
    await expect(run(name, changed[0]!, { data: { amount: 20 } })).rejects.toMatchObject({ name: 'WorkflowDefinitionMismatchError', differs: 'job-data' });
  });

  it('refuses a changed definition or different job data as a permanent mismatch, running nothing', async () => {
    const name = unique('mismatch');
    let ran = 0;
    const halting = (w: WorkflowBuilder) => {
      w.step('a', (s) => (ran++, s.halt()));
      w.step('b', () => void ran++);
    };
    await run(name, halting, { data: { amount: 10 } });
    const attempts = [
      (w: WorkflowBuilder) => { w.step('a', () => void ran++); w.step('c', () => void ran++); },
      (w: WorkflowBuilder) => { w.step('b', () => void ran++); w.step('a', () => void ran++); },
      (w: WorkflowBuilder) => { w.step('a', () => void ran++); w.step('b', () => void ran++, { transactional: true }); },
    ];
    for (const define of attempts) {
      const error = await run(name, define, { data: { amount: 10 } }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WorkflowDefinitionMismatchError);
      expect(error).toMatchObject({ permanent: true, differs: 'definition' });
      expect(isPermanentError(error)).toBe(true);
    }
    const data = await run(name, halting, { data: { amount: 20 } }).catch((e: unknown) => e);
    expect(data).toMatchObject({ name: 'WorkflowDefinitionMismatchError', differs: 'job-data' });
    expect((data as Error).message).toContain('"amount":20');
    expect(ran).toBe(1);
  });

  it('refuses different job data even after the first execution finished (Jill pays Jack twice)', async () => {
    const name = unique('transfer');
    const transfer = (w: WorkflowBuilder) => w.step('move', () => {});
    await run(name, transfer, { data: { from: 'jill', to: 'jack', cents: 500 }, uniqueBy: 'jill' });
    // Key order in data does not matter; different data does.
    await expect(run(name, transfer, { data: { cents: 500, to: 'jack', from: 'jill' }, uniqueBy: 'jill' })).resolves.toMatchObject({ status: 'finished' });
    await expect(run(name, transfer, { data: { from: 'jill', to: 'jack', cents: 700 }, uniqueBy: 'jill' })).rejects.toBeInstanceOf(WorkflowDefinitionMismatchError);
  });

  it('treats uniqueBy object key order as irrelevant', async () => {
    const name = unique('order');
    let runs = 0;
    const define = (w: WorkflowBuilder) => w.step('once', () => void runs++);
    const a = await run(name, define, { uniqueBy: { user: 7, scope: { b: 2, a: 1 } } });
    const b = await run(name, define, { uniqueBy: { scope: { a: 1, b: 2 }, user: 7 } });
    expect(b.executionId).toBe(a.executionId);
    expect(runs).toBe(1);
    const c = await run(name, define, { uniqueBy: { scope: { a: 1, b: 3 }, user: 7 } });
    expect(c.executionId).not.toBe(a.executionId);
  });

  it('lets only one of two concurrent executions of a key run; the other gets WorkflowLockedError', async () => {
    const name = unique('locked');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    let runs = 0;
    const define = (w: WorkflowBuilder) =>
      w.step('slow', async () => {
        runs++;
        entered();
        await gate;
      });
    const first = run(name, define);
    await inside;
    const second = await run(name, define).catch((e: unknown) => e);
    expect(second).toBeInstanceOf(WorkflowLockedError);
    expect(second).toMatchObject({ retryable: true });
    expect(isPermanentError(second)).toBe(false);
    release();
    expect((await first).status).toBe('finished');
    expect((await run(name, define)).status).toBe('finished');
    expect(runs).toBe(1);
  });

  it('takes over an expired lease (a crashed holder) but not a live one', async () => {
    const name = unique('expired');
    const seen: boolean[] = [];
    const define = (w: WorkflowBuilder) => {
      w.step('a', (s) => {
        seen.push(s.retrying);
        return s.halt();
      });
    };
    const first = await run(name, define);
    // Simulate a worker that took the lease and started the step, then died.
    const takeLease = async (expiresAt: number) => {
      await store.db.updateTable('faultline_executions').set({ lease_owner: 'dead-worker', lease_expires_at: expiresAt, status: 'running' }).where('id', '=', first.executionId).execute();
      await store.db.insertInto('faultline_entries').values({ execution_id: first.executionId, seq: 3, step: 'a', action: 'started', at: Date.now() }).onConflict((oc: any) => oc.doNothing()).execute();
    };
    await takeLease(Date.now() + 60_000);
    await expect(run(name, define)).rejects.toBeInstanceOf(WorkflowLockedError);
    await takeLease(Date.now() - 1);
    expect((await run(name, define)).status).toBe('halted');
    expect(seen).toEqual([false, true]);
  });

  it('holds a lease that expires at T until just before T and frees it at T (virtual clock, to the millisecond)', async () => {
    const name = unique('boundary');
    const define = (w: WorkflowBuilder) => w.step('a', (s) => s.halt());
    const first = await run(name, define);
    const T = Date.UTC(2030, 0, 1);
    const deadHolder = () =>
      store.db.updateTable('faultline_executions').set({ lease_owner: 'dead-worker', lease_expires_at: T, status: 'running' }).where('id', '=', first.executionId).execute();
    try {
      await deadHolder();
      setVirtualTime(T - 1);
      const locked = await run(name, define).catch((e: unknown) => e);
      expect(locked).toBeInstanceOf(WorkflowLockedError);
      expect((locked as WorkflowLockedError).leaseExpiresAt?.getTime()).toBe(T);
      setVirtualTime(T);
      expect((await run(name, define)).status).toBe('halted');
      const row = await store.db.selectFrom('faultline_executions').select(['lease_owner', 'status']).where('id', '=', first.executionId).executeTakeFirstOrThrow();
      expect(row).toEqual({ lease_owner: null, status: 'halted' });
    } finally {
      restoreRealClock();
    }
  });

  it('fails a step whose lease was taken over with LeaseLostError, recording no success', async () => {
    const name = unique('fenced');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    const pending = run(name, (w) =>
      w.step('slow', async () => {
        entered();
        await gate;
      }),
    );
    await inside;
    const row = await store.db.selectFrom('faultline_executions').select('id').where('job_name', '=', name).executeTakeFirstOrThrow();
    await store.db.updateTable('faultline_executions').set({ lease_owner: 'thief' }).where('id', '=', row.id).execute();
    release();
    await expect(pending).rejects.toBeInstanceOf(LeaseLostError);
    expect(await actions(row.id)).toEqual(['slow:started']);
    expect(await store.execution(row.id)).toMatchObject({ leaseOwner: 'thief', status: 'running' });
  });

  it('writes context through the step transaction: a rollback takes the value with it', async () => {
    const name = unique('ctxtx');
    let attempt = 0;
    const seen: unknown[] = [];
    const define = (w: WorkflowBuilder) =>
      w.step(
        'tx',
        async (s) => {
          seen.push(await s.ctx.get('n'));
          await s.ctx.set('n', ++attempt);
          seen.push(await s.ctx.get('n'));
          if (attempt === 1) throw new Boom('roll back');
        },
        { transactional: true },
      );
    await expect(run(name, define)).rejects.toBeInstanceOf(Boom);
    await run(name, define);
    expect(seen).toEqual([undefined, 1, undefined, 2]);
  });
});
