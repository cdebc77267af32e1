/**
 * Demo part two: the same transfer as a durable workflow
 * (fixtures/workflows/transfer.ts) on an embedded SQLite store, run by
 * MemoryQueue. Every glitch scenario, a transient failure or a crash at
 * each point, keeps the money moving exactly once: a crashed execution's
 * lease runs out on the virtual clock, and the re-delivered job resumes.
 */
import { sql } from 'kysely';
import { MemoryQueue, simulate, type SimulateOptions, type SimulationReport } from 'faultline';
import { idempotencyKey, type WorkflowStore } from 'faultline/workflow';
import { createLedger, transferWorkflow } from '../fixtures/workflows/transfer.js';
import type { Mailer } from '../fixtures/workflows/ports.js';
import { checkTransfer } from './checks.js';

const OPENING = { jill: 100, jack: 100 };
const AMOUNT = 10;
/** Every row the demo writes carries this transfer id, so a shared database only loses the demo's own rows. */
const TRANSFER_ID = 'faultline-demo-t-1';

/** A mailer that records receipts in memory. */
class DemoMailer implements Mailer {
  outbox: { to: string; key: string }[] = [];
  async send(to: string, _body: string, key: string): Promise<void> {
    this.outbox.push({ to, key });
  }
  async sent(key: string): Promise<boolean> {
    return this.outbox.some((m) => m.key === key);
  }
}

/** Simulates the workflow transfer on `store` with every traced point glitched. */
export async function simulateWorkflowTransfer(store: WorkflowStore, onProgress?: SimulateOptions['onProgress']): Promise<SimulationReport> {
  await createLedger(store);
  const mailer = new DemoMailer();
  const queue = new MemoryQueue();
  // A crashed job comes back after 10 s, while its 30 s lease still stands: locked out, it retries every 10 s.
  queue.define('transfer', transferWorkflow(store, mailer), { stalledAfter: '10s', attempts: 5, backoff: 10_000 });
  const executionKey = idempotencyKey('transfer', TRANSFER_ID);

  const reset = async () => {
    mailer.outbox = [];
    await store.db.deleteFrom('ledger').where('ref', 'like', `${TRANSFER_ID}:%`).execute();
    const previous = await store.db.selectFrom('faultline_executions').select('id').where('idempotency_key', '=', executionKey).execute();
    const ids = previous.map((row: { id: string }) => row.id);
    if (ids.length > 0) {
      await store.db.deleteFrom('faultline_entries').where('execution_id', 'in', ids).execute();
      await store.db.deleteFrom('faultline_context').where('execution_id', 'in', ids).execute();
      await store.db.deleteFrom('faultline_executions').where('id', 'in', ids).execute();
    }
    for (const [account, amount] of Object.entries(OPENING)) {
      await store.db.insertInto('ledger').values({ account, amount, ref: `${TRANSFER_ID}:open:${account}` }).execute();
    }
  };

  return simulate(queue, {
    faults: ['transient', 'crash'],
    reset,
    start: () => queue.enqueue('transfer', { transferId: TRANSFER_ID, from: 'jill', to: 'jack', amount: AMOUNT }),
    check: async () =>
      checkTransfer({
        payer: { name: 'Jill', before: OPENING.jill, actual: await demoBalance(store, 'jill') },
        payee: { name: 'Jack', before: OPENING.jack, actual: await demoBalance(store, 'jack') },
        amount: AMOUNT,
        receipts: mailer.outbox.filter((m) => m.to === 'jack').length,
      }),
    ...(onProgress ? { onProgress } : {}),
  });
}

/** The balance counting only the demo's rows (a shared FAULTLINE_DEMO_DB may hold other ledger rows). */
async function demoBalance(store: WorkflowStore, account: string): Promise<number> {
  const row = await store.db
    .selectFrom('ledger')
    .select(sql<number>`sum(amount)`.as('total'))
    .where('account', '=', account)
    .where('ref', 'like', `${TRANSFER_ID}:%`)
    .executeTakeFirst();
  return Number(row?.total ?? 0);
}
