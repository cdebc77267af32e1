// Run by test/harness/vitest-helper.test.ts in a nested Vitest: two
// simulations as Vitest tests, the naive transfer's report written to
// $FAULTLINE_REPORT.
import { afterEach, describe, expect, test } from 'vitest';
import { MemoryQueue } from '../../../runtime/index.js';
import { isVirtualClockInstalled } from '../../../runtime/harness/clock.js';
import { describeSimulation, restoreRealClock } from '../../../runtime/harness/vitest.js';
import { balance, emailsTo, resetBank } from '../../../fixtures/jobs/bank.js';
import { transfer } from '../../../fixtures/jobs/transfer.js';
import { transferSafe } from '../../../fixtures/jobs/transfer-safe.js';

const queue = new MemoryQueue();
queue.define('transfer', transfer);
queue.define('transfer-safe', transferSafe);

const options = (job: string) => ({
  reset: () => resetBank({ alice: 100, bob: 0 }),
  start: () => queue.enqueue(job, { transferId: 't-1', from: 'alice', to: 'bob', amount: 10 }),
  check: () => {
    expect({ alice: balance('alice'), bob: balance('bob'), emails: emailsTo('bob').length }).toEqual({ alice: 90, bob: 10, emails: 1 });
  },
});

await describeSimulation('naive transfer', queue, { ...options('transfer'), report: process.env.FAULTLINE_REPORT });
await describeSimulation('safe transfer', queue, options('transfer-safe'));

describe('clock hygiene', () => {
  afterEach(restoreRealClock);
  test('simulations leave the real Date in place', () => {
    expect(isVirtualClockInstalled()).toBe(false);
  });
  test('a new queue installs the virtual clock', () => {
    new MemoryQueue();
    expect(isVirtualClockInstalled()).toBe(true);
  });
  test('afterEach(restoreRealClock) put the real Date back', () => {
    expect(isVirtualClockInstalled()).toBe(false);
  });
});
