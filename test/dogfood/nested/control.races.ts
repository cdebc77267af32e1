// The control of keyed-races.ts: its overlap check can fail. Two transfers with different keys are two executions,
// so nothing stops their step bodies interleaving: under the same instrumentation and exploration, some schedule
// enters one's body while the other's is open, fails the check, and the report names that schedule.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MemoryQueue, restoreRealClock, simulateRaces } from '../../../runtime/index.js';
import { createLedger } from '../../../fixtures/workflows/transfer.js';
import { emptied, pgliteBank, PREEMPTIONS, RecordingMailer, SCHEDULES, type Bank } from './keyed-races.js';
import { assertNoOverlap, observedTransfer, type StepEvent } from './observed-workflows.js';

let bank: Bank;
beforeAll(async () => {
  bank = await pgliteBank();
  await createLedger(bank.store);
});
afterAll(async () => {
  restoreRealClock();
  await bank?.dispose();
});

it('two transfers of different keys (on PGlite): some schedule overlaps their step bodies, and the report names it', async () => {
  const queue = new MemoryQueue();
  let mailer = new RecordingMailer();
  let log: StepEvent[] = [];
  queue.define('transfer', (job) => observedTransfer(bank.store, mailer, log)(job as never));
  const report = await simulateRaces(queue, {
    reset: async () => {
      await emptied(bank.store);
      mailer = new RecordingMailer();
      log = [];
    },
    start: async () => {
      await queue.enqueue('transfer', { transferId: 't-1', from: 'alice', to: 'bob', amount: 100 }, { jobId: 'a' });
      await queue.enqueue('transfer', { transferId: 't-2', from: 'alice', to: 'bob', amount: 100 }, { jobId: 'b' });
    },
    check: () => assertNoOverlap(log),
    preemptions: PREEMPTIONS,
    schedules: SCHEDULES,
    blockedAfterMs: bank.blockedAfterMs,
  });
  expect(report.schedules.filter((s) => s.preemptions === 0).map((s) => s.passed), 'the sequential schedules pass').toEqual([true, true]);
  const overlapping = report.schedules.filter((s) => !s.passed);
  expect(overlapping.length, String(report)).toBeGreaterThan(0);
  for (const s of overlapping) expect(String(s.error), s.name).toMatch(/step bodies overlapped/);
  expect(String(report)).toContain(`✗ ${overlapping[0]!.name}`);
});
