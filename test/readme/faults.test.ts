import { afterEach, expect, test } from 'vitest';
import { Glitch, MemoryQueue, restoreRealClock, runScenario, simulate } from 'faultline';
import { locks, posted, settleAccount } from '../../fixtures/jobs/locked.js';

afterEach(restoreRealClock);

test('a lock released in finally survives every exception, not a crash inside the try', async () => {
  const queue = new MemoryQueue().define('settle', settleAccount);
  const report = await simulate(queue, {
    faults: ['transient', 'crash'],
    reset: () => (locks.clear(), (posted.length = 0)),
    start: () => queue.enqueue('settle', { account: 'a' }),
    check: () => expect(posted).toEqual(['a:settled']),
  });
  const failed = report.scenarios.filter((s) => !s.passed).map((s) => s.name);
  expect(failed).toContain('crash before-line fixtures/jobs/locked.ts:28'); // await post(…), the lock held
  expect(failed.every((name) => name.startsWith('crash '))).toBe(true);
});

test('raise a chosen error, or run a rival write at a point', async () => {
  class RateLimitError extends Error {}
  const queue = new MemoryQueue().define('settle', settleAccount, { attempts: 3, backoff: 2000 });
  const start = () => queue.enqueue('settle', { account: 'a' });
  const raised = await runScenario(queue, { glitch: Glitch.beforeCall('post').raise(RateLimitError), start });
  expect(raised.performed[0]!.error).toBeInstanceOf(RateLimitError); // retried 2 s later, as the job's backoff says

  locks.clear();
  const rival = await runScenario(queue, { glitch: Glitch.beforeCall('post').run(() => locks.add('b')), start });
  expect(rival.performed.map((p) => p.outcome)).toEqual(['completed']);
  expect(locks.has('b')).toBe(true);
});
