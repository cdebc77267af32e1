import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { CrashSignal, Glitch, MemoryQueue, restoreRealClock, runScenario } from '../../runtime/index.js';
import { locks, posted, settleAccount } from '../../fixtures/jobs/locked.js';

afterEach(() => restoreRealClock());
beforeEach(() => {
  locks.clear();
  posted.length = 0;
});

describe('crash', () => {
  test('a crash inside try skips finally and the job is re-delivered after the stall timeout', async () => {
    const queue = new MemoryQueue().define('settle', settleAccount, { attempts: 3 });
    const glitch = Glitch.beforeLine('fixtures/jobs/locked.ts:30').crash();
    const scenario = await runScenario(queue, { glitch, start: () => queue.enqueue('settle', { account: 'a' }), allowFailedJobs: true });
    console.log(String(scenario));
    expect(glitch.executed).toBe(true);
    expect(locks.has('a')).toBe(true);
  });
});
