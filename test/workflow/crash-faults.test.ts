/**
 * The transactional workflow transfer under a crash at every point (issue
 * 15), on a SQLite file and a PostgreSQL store through MemoryQueue: the lease of a crashed
 * execution is released only by expiry on the virtual clock, a re-delivery
 * that comes earlier gets WorkflowLockedError and the queue's normal retry,
 * and every scenario ends with the money moved once and one receipt.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MemoryQueue, restoreRealClock, simulate } from '../../runtime/index.js';
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
});
