import { afterAll, afterEach, expect, test } from 'vitest';
import { MemoryQueue, restoreRealClock, simulate } from 'faultline';
import { openStore } from 'faultline/workflow';
import { balance, createLedger, transferWorkflow } from '../../fixtures/workflows/transfer.js';

const store = await openStore('sqlite::memory:');
await createLedger(store);
const outbox: string[] = [];
const mailer = { send: async (_to: string, _body: string, key: string) => void outbox.push(key), sent: async (key: string) => outbox.includes(key) };

afterEach(restoreRealClock);
afterAll(() => store.close());

test('the workflow transfer survives a failure at every point', async () => {
  const queue = new MemoryQueue().define('transfer', transferWorkflow(store, mailer));

  const report = await simulate(queue, {
    // Every scenario starts from a clean store: no executions (or the key would be found finished), no rows, no mail.
    reset: async () => {
      await store.deleteAll();
      await store.db.deleteFrom('ledger').execute();
      outbox.length = 0;
    },
    start: () => queue.enqueue('transfer', { transferId: 't-1', from: 'jill', to: 'jack', amount: 10 }),
    check: async () => {
      expect(await balance(store, 'jill')).toBe(-10);
      expect(await balance(store, 'jack')).toBe(10);
      expect(outbox).toEqual(['t-1:receipt']);
    },
  });

  expect(report.failed).toBe(0);
  expect(report.passed).toBeGreaterThan(5);
});
