/**
 * Demo part three: why a crash differs from an exception. The settlement job
 * (fixtures/jobs/locked.ts) takes a lock and releases it in `finally`, so it
 * survives a transient failure at every point; a crash inside its `try`
 * skips the `finally`, the lock stays taken, and the re-delivered job skips
 * the account: the settlement is lost, at exactly those lines.
 */
import { MemoryQueue, simulate, type SimulateOptions, type SimulationReport } from 'faultline';
import { locks, posted, settleAccount } from '../fixtures/jobs/locked.js';
import { DemoCheckError } from './checks.js';

/** Simulates the settlement with a transient failure and a crash at every traced point. */
export async function simulateLockedSettlement(onProgress?: SimulateOptions['onProgress']): Promise<SimulationReport> {
  const queue = new MemoryQueue();
  queue.define('settle', settleAccount);
  return simulate(queue, {
    faults: ['transient', 'crash'],
    reset: () => {
      locks.clear();
      posted.length = 0;
    },
    start: () => queue.enqueue('settle', { account: 'jill' }),
    check: () => {
      const settled = posted.filter((ref) => ref === 'jill:settled').length;
      if (settled !== 1) throw new DemoCheckError([`Jill's account settled ${settled === 0 ? 'never' : `${settled} times`}, expected once${locks.has('jill') ? ' (its lock was never released)' : ''}`]);
    },
    ...(onProgress ? { onProgress } : {}),
  });
}
