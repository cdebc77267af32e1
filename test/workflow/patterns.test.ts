/**
 * The workflow patterns of fixtures/workflows, run through MemoryQueue (the
 * harness's production-like queue under a virtual clock) on a SQLite store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MemoryQueue, performAllJobs, performAllJobsBefore, restoreRealClock, simulate } from '../../runtime/index.js';
import { openStore, type WorkflowStore } from '../../workflow/index.js';
import { chargeOrder } from '../../fixtures/workflows/check-before-post.js';
import { syncContacts } from '../../fixtures/workflows/iteration.js';
import { FOLLOW_UP_AFTER_MS, welcomeSeries } from '../../fixtures/workflows/delay.js';
import { reportJobs } from '../../fixtures/workflows/child-jobs.js';
import { CHUNK, importCustomers } from '../../fixtures/workflows/batch.js';
import { balance, createLedger, transferWorkflow } from '../../fixtures/workflows/transfer.js';
import type { Mailer, PaymentsApi } from '../../fixtures/workflows/ports.js';

class Timeout extends Error {}

/** A payments API that can lose the response of a create (the charge exists, the caller never hears). */
class FakePayments implements PaymentsApi {
  charges = new Map<string, string>();
  lookups = 0;
  loseNextResponse = false;
  async createCharge(reference: string, cents: number) {
    const id = `ch_${this.charges.size + 1}_${cents}`;
    this.charges.set(id, reference);
    if (this.loseNextResponse) {
      this.loseNextResponse = false;
      throw new Timeout('response lost');
    }
    return id;
  }
  async findCharge(reference: string) {
    this.lookups++;
    return [...this.charges].find(([, ref]) => ref === reference)?.[0];
  }
}

class FakeMailer implements Mailer {
  outbox: { to: string; body: string; key: string; at: number }[] = [];
  async send(to: string, body: string, key: string) {
    this.outbox.push({ to, body, key, at: Date.now() });
  }
  async sent(key: string) {
    return this.outbox.some((m) => m.key === key);
  }
}

let dir: string;
let store: WorkflowStore;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fl-patterns-'));
  store = await openStore(`sqlite:${join(dir, 'store.db')}`);
  await store.db.schema.createTable('orders_paid').addColumn('order_id', 'text').addColumn('charge_id', 'text').execute();
  await store.db.schema.createTable('report_parts').addColumn('report_id', 'text').addColumn('region', 'text').addColumn('value', 'integer').addUniqueConstraint('report_parts_unique', ['report_id', 'region']).execute();
  await store.db.schema.createTable('reports').addColumn('report_id', 'text').addColumn('total', 'integer').execute();
  await store.db.schema.createTable('import_rows').addColumn('import_id', 'text').addColumn('row_no', 'integer').addColumn('name', 'text').execute();
  await store.db.schema.createTable('customers').addColumn('name', 'text', (c) => c.notNull()).execute();
  await createLedger(store);
});
afterAll(async () => {
  restoreRealClock();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

let queue: MemoryQueue;
beforeEach(() => {
  queue = new MemoryQueue();
});

describe('check-before-post', () => {
  it('creates one charge when the first response is lost, and only checks on the retry', async () => {
    const api = new FakePayments();
    queue.define('charge', chargeOrder(store, api), { attempts: 3 });
    api.loseNextResponse = true;
    await queue.enqueue('charge', { orderId: 'o-1', cents: 1200 });
    await queue.enqueue('charge', { orderId: 'o-2', cents: 300 });
    await performAllJobs(queue);
    expect([...api.charges.values()].sort()).toEqual(['order-o-1', 'order-o-2']);
    expect(api.lookups).toBe(1);
    const paid = await store.db.selectFrom('orders_paid').selectAll().orderBy('order_id').execute();
    expect(paid).toEqual([
      { order_id: 'o-1', charge_id: 'ch_1_1200' },
      { order_id: 'o-2', charge_id: 'ch_2_300' },
    ]);
  });
});

describe('iteration with a durable cursor', () => {
  it('pushes every item, resuming at the failed page instead of the start', async () => {
    const items = Array.from({ length: 8 }, (_, i) => ({ id: i + 1, email: `u${i + 1}@example.com` }));
    const pushed: number[] = [];
    let failOn: number | undefined = 5;
    const ports = {
      async page(after: number | null) {
        const start = after ?? 0;
        const page = items.slice(start, start + 3);
        return { items: page, next: start + 3 < items.length ? start + 3 : null };
      },
      async push(item: { id: number }) {
        if (item.id === failOn) {
          failOn = undefined;
          throw new Timeout(`push ${item.id}`);
        }
        pushed.push(item.id);
      },
    };
    queue.define('sync', syncContacts(store, ports), { attempts: 2 });
    await queue.enqueue('sync', { listId: 'list-1' });
    await performAllJobs(queue);
    // Page 1 (1–3) ran once; page 2 (4–6) failed at 5 and was redone from 4; page 3 once.
    expect(pushed).toEqual([1, 2, 3, 4, 4, 5, 6, 7, 8]);
  });
});

describe('a delay (enqueue self later + halt)', () => {
  it('sends the follow-up three virtual days after the welcome, with no worker sleeping', async () => {
    const mailer = new FakeMailer();
    queue.define('welcome-series', welcomeSeries(store, queue, mailer));
    await queue.enqueue('welcome-series', { userId: 'u-1', email: 'ann@example.com' });
    const startedAt = queue.now().getTime();
    await performAllJobsBefore(queue, '1d');
    expect(mailer.outbox.map((m) => m.body)).toEqual(['Welcome!']);
    expect(queue.enqueued).toHaveLength(1);
    await performAllJobs(queue);
    expect(mailer.outbox.map((m) => m.body)).toEqual(['Welcome!', 'How is it going?']);
    expect(mailer.outbox[1]!.at - startedAt).toBeGreaterThanOrEqual(FOLLOW_UP_AFTER_MS);
    expect(queue.performed.map((p) => p.outcome)).toEqual(['completed', 'completed']);
  });
});

describe('awaiting child jobs', () => {
  it('totals the report once, after every child reported', async () => {
    const { parent, child } = reportJobs(store, queue, async (region) => region.length * 10);
    queue.define('report', parent);
    queue.define('report-region', child);
    await queue.enqueue('report', { reportId: 'r-1', regions: ['eu', 'us', 'apac'] });
    await performAllJobs(queue);
    expect(await store.db.selectFrom('reports').selectAll().execute()).toEqual([{ report_id: 'r-1', total: 20 + 20 + 40 }]);
    // The parent ran once to spawn, then once per child report; all but the last halted.
    expect(queue.performed.filter((p) => p.name === 'report')).toHaveLength(4);
  });
});

describe('a batch in transactional chunks', () => {
  it('applies each chunk exactly once across a failure and a retry', async () => {
    const rows = Array.from({ length: 60 }, (_, i) => ({ import_id: 'imp-1', row_no: i + 1, name: i === 30 ? null : `customer ${i + 1}` }));
    await store.db.insertInto('import_rows').values(rows).execute();
    const job = { id: 'j1', name: 'import', data: { importId: 'imp-1' } };
    const run = importCustomers(store);
    // Row 31 (chunk 2) violates NOT NULL: chunk 2 rolls back, chunk 1 stays.
    await expect(run(job)).rejects.toThrow();
    expect(await store.db.selectFrom('customers').selectAll().execute()).toHaveLength(CHUNK);
    await store.db.updateTable('import_rows').set({ name: 'customer 31' }).where('row_no', '=', 31).execute();
    expect((await run(job)).status).toBe('finished');
    const names = (await store.db.selectFrom('customers').select('name').execute()).map((r) => r.name).sort();
    expect(names).toEqual(rows.map((r) => `customer ${r.row_no}`).sort());
  });
});

describe('the money transfer as a workflow', () => {
  it('moves the money and sends one receipt in every glitch scenario of the simulation', async () => {
    const mailer = new FakeMailer();
    queue.define('transfer', transferWorkflow(store, mailer));
    const report = await simulate(queue, {
      reset: async () => {
        mailer.outbox = [];
        await store.db.deleteFrom('ledger').execute();
        for (const table of ['faultline_entries', 'faultline_context', 'faultline_executions']) await store.db.deleteFrom(table).execute();
      },
      start: () => queue.enqueue('transfer', { transferId: 't-1', from: 'jill', to: 'jack', amount: 25 }),
      check: async () => {
        expect(await balance(store, 'jill')).toBe(-25);
        expect(await balance(store, 'jack')).toBe(25);
        expect(mailer.outbox.map((m) => m.key)).toEqual(['t-1:receipt']);
      },
    });
    expect(report.scenarios.length).toBeGreaterThan(3);
    expect(report.scenarios.filter((s) => !s.passed).map((s) => `${s.glitch.kind} ${s.glitch.key}: ${String(s.error)}`)).toEqual([]);
  });
});
