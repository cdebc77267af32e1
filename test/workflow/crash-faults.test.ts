/**
 * The transactional workflow transfer under a crash at every point (issue
 * 15), on a SQLite file and a PostgreSQL store through MemoryQueue: the lease of a crashed
 * execution is released only by expiry on the virtual clock, a re-delivery
 * that comes earlier gets WorkflowLockedError and the queue's normal retry,
 * and every scenario ends with the money moved once and one receipt.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MemoryQueue, performAllJobs, restoreRealClock, simulate } from '../../runtime/index.js';
import { WorkflowLockedError, type WorkflowStore } from '../../workflow/index.js';
import { balance, createLedger, transferWorkflow } from '../../fixtures/workflows/transfer.js';
import type { Mailer } from '../../fixtures/workflows/ports.js';
import { makeTarget, type Target, type TargetKind } from './support/targets.js';

class FakeMailer implements Mailer {
  outbox: { to: string; body: string; key: string }[] = [];
  async send(to: string, body: string, key: string) {
    this.outbox.push({ to, body, key });
  }
  async sent(key: string) {
    return this.outbox.some((m) => m.key === key);
  }
}

describe.each<TargetKind>(['sqlite', 'postgres'])('on %s', (kind) => {
  let target: Target;
  let store: WorkflowStore;
  beforeAll(async () => {
    target = await makeTarget(kind, inject('postgresUrl'));
    store = await target.open();
    await createLedger(store);
  });
  afterAll(async () => {
    restoreRealClock();
    await store?.close();
    await target?.dispose();
  });

  it('passes every crash scenario: the lease expires on the virtual clock, an earlier re-delivery is locked out and retried', async () => {
    const mailer = new FakeMailer();
    // Re-delivered 10 s after a crash, before the 30 s lease expires: locked out, then retried every 10 s.
    const queue = new MemoryQueue().define('transfer', transferWorkflow(store, mailer), { stalledAfter: '10s', attempts: 5, backoff: 10_000 });
    const report = await simulate(queue, {
      faults: ['transient', 'crash'],
      reset: async () => {
        mailer.outbox = [];
        await store.db.deleteFrom('ledger').execute();
        await store.deleteAll();
      },
      start: () => queue.enqueue('transfer', { transferId: 't-1', from: 'jill', to: 'jack', amount: 25 }),
      check: async () => {
        expect(await balance(store, 'jill')).toBe(-25);
        expect(await balance(store, 'jack')).toBe(25);
        expect(mailer.outbox.map((m) => m.key)).toEqual(['t-1:receipt']);
      },
    });
    const crash = report.scenarios.filter((s) => s.glitch.fault === 'crash');
    expect(crash.length).toBeGreaterThan(3);
    expect(report.scenarios.filter((s) => !s.passed).map((s) => `${s.name}: ${String(s.error)}`)).toEqual([]);
    // A crash while the lease was held: the re-delivery at +10 s found it locked, and the job ran again only once it expired.
    const lockedOut = crash.filter((s) => s.scenario?.performed.some((p) => p.error instanceof WorkflowLockedError));
    expect(lockedOut.length).toBeGreaterThan(0);
    for (const s of lockedOut) {
      const performed = s.scenario!.performed;
      const crashedAt = performed[0]!.ranAt.getTime();
      expect(performed[0]!.outcome).toBe('crashed');
      expect(performed[1]).toMatchObject({ outcome: 'failed', error: expect.any(WorkflowLockedError) });
      expect(performed[1]!.ranAt.getTime() - crashedAt).toBe(10_000);
      const resumed = performed.at(-1)!;
      expect(resumed.outcome).toBe('completed');
      expect(resumed.ranAt.getTime() - crashedAt).toBeGreaterThanOrEqual(30_000);
    }
  });

  it('with the presets\' defaults (BullMQ: re-delivered after 30 s, the 30 s lease) and attempts: 1, a crashed transfer ends finished', async () => {
    const mailer = new FakeMailer();
    // No stall option: the re-delivery comes exactly when the crashed execution's lease expires, which frees it.
    const queue = new MemoryQueue().define('transfer', transferWorkflow(store, mailer), { attempts: 1 });
    const report = await simulate(queue, {
      faults: ['crash'],
      reset: async () => {
        mailer.outbox = [];
        await store.db.deleteFrom('ledger').execute();
        await store.deleteAll();
      },
      start: () => queue.enqueue('transfer', { transferId: 't-1', from: 'jill', to: 'jack', amount: 25 }),
      check: async () => {
        expect(await balance(store, 'jill')).toBe(-25);
        expect(await balance(store, 'jack')).toBe(25);
        expect(mailer.outbox.map((m) => m.key)).toEqual(['t-1:receipt']);
      },
    });
    expect(report.scenarios.length).toBeGreaterThan(3);
    expect(report.scenarios.filter((s) => !s.passed).map((s) => `${s.name}: ${String(s.error)}`)).toEqual([]);
    // Every crash was followed by exactly one re-delivery, 30 s later, that finished the job: never locked out.
    for (const s of report.scenarios) {
      const performed = s.scenario!.performed;
      expect(performed.map((p) => p.outcome), s.name).toEqual(['crashed', 'completed']);
      expect(performed[1]!.ranAt.getTime() - performed[0]!.ranAt.getTime(), s.name).toBe(30_000);
    }
  });
});

describe('on postgres', () => {
  let target: Target;
  let store: WorkflowStore;
  beforeAll(async () => {
    target = await makeTarget('postgres', inject('postgresUrl'));
    store = await target.open();
  });
  afterAll(async () => {
    restoreRealClock();
    await store?.close();
    await target?.dispose();
  });

  it('a connection the pool opens while a job runs is the pool\'s, not the job\'s leftover work', async () => {
    const queue = new MemoryQueue().define('two-queries', async () => {
      // Two queries at once: the pool has one idle connection, so it opens a second one inside this job.
      await Promise.all([sql`select pg_sleep(0.05)`.execute(store.db), sql`select pg_sleep(0.05)`.execute(store.db)]);
    });
    await queue.enqueue('two-queries', {});
    // Before, pg's promise that lasts as long as the new connection's socket made this a LeftoverWorkError.
    await expect(performAllJobs(queue, { settleTimeoutMs: 1_000 })).resolves.toBe(1);
  });
});
