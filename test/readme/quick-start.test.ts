import { afterEach, expect, test } from 'vitest';
import { MemoryQueue, restoreRealClock, simulate } from 'faultline';
import { transfer } from '../../fixtures/jobs/transfer.js';
import { balance, emailsTo, resetBank } from '../../fixtures/jobs/bank.js';

afterEach(restoreRealClock);

test('a simulation finds every line where a retry double-charges', async () => {
  const queue = new MemoryQueue().define('transfer', transfer);

  const report = await simulate(queue, {
    reset: () => resetBank({ jill: 100, jack: 100 }),
    start: () => queue.enqueue('transfer', { transferId: 't-1', from: 'jill', to: 'jack', amount: 10 }),
    check: () => {
      expect(balance('jill')).toBe(90);
      expect(balance('jack')).toBe(110);
      expect(emailsTo('jack')).toHaveLength(1);
    },
  });

  // A transient failure just before line 17 (the credit) makes the retry debit Jill twice.
  const failed = report.scenarios.filter((s) => !s.passed).map((s) => s.name);
  expect(failed).toContain('before-line fixtures/jobs/transfer.ts:17');
});
