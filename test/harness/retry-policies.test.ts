import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { installVirtualClock, restoreRealClock } from '../../runtime/harness/clock.js';
import { MemoryQueue, type DefineOptions, type MemoryQueueOptions } from '../../runtime/harness/memory-queue.js';
import { performAllJobs } from '../../runtime/harness/perform.js';
import { bullmq, graphileWorker, pgBoss } from '../../runtime/harness/retry-policies.js';

const T0 = Date.UTC(2025, 0, 1);

beforeEach(() => installVirtualClock(T0));
afterEach(() => restoreRealClock());

/** Runs a job that always fails; returns the virtual ms (from T0) at which each attempt ran. */
async function attemptTimes(define: DefineOptions, queueOptions?: MemoryQueueOptions): Promise<number[]> {
  const queue = new MemoryQueue(queueOptions);
  queue.define('always-fails', () => {
    throw new Error('down');
  }, define);
  await queue.enqueue('always-fails', null);
  await performAllJobs(queue);
  return queue.performed.map((p) => p.ranAt.getTime() - T0);
}

describe('retry presets produce their documented due times', () => {
  test('bullmq fixed backoff (a number): the same delay each time', async () => {
    expect(await attemptTimes({ attempts: 3, backoff: 2000 })).toEqual([0, 2000, 4000]);
  });

  test("bullmq exponential: 2^(attemptsMade-1) * delay", async () => {
    expect(await attemptTimes({ attempts: 4, backoff: { type: 'exponential', delay: 1000 } })).toEqual([0, 1000, 3000, 7000]);
  });

  test('bullmq with attempts but no backoff retries immediately', async () => {
    expect(await attemptTimes({ attempts: 2 })).toEqual([0, 0]);
  });

  test('pgBoss: retryLimit retries after the first attempt, retryDelay in seconds', async () => {
    expect(await attemptTimes({ retry: pgBoss({ retryLimit: 2, retryDelay: 5 }) })).toEqual([0, 5000, 10_000]);
  });

  test('pgBoss retryBackoff: retryDelay * 2^retryCount seconds (the low end of its jitter)', async () => {
    expect(await attemptTimes({ retry: pgBoss({ retryLimit: 3, retryDelay: 2, retryBackoff: true }) })).toEqual([
      0, 2000, 2000 + 4000, 2000 + 4000 + 8000,
    ]);
  });

  test('pgBoss defaults (selected per queue by name): 2 retries, no delay', async () => {
    expect(await attemptTimes({}, { retry: 'pgBoss' })).toEqual([0, 0, 0]);
  });

  test('graphileWorker: exp(min(attempts, 10)) seconds', async () => {
    const times = await attemptTimes({ retry: graphileWorker({ maxAttempts: 12 }) });
    const expected = [0];
    for (let n = 1; n < 12; n++) expected.push(expected.at(-1)! + Math.round(Math.exp(Math.min(n, 10)) * 1000));
    expect(times).toEqual(expected);
    expect(times.slice(0, 3)).toEqual([0, 2718, 2718 + 7389]);
  });

  test('a per-job policy wins over the queue default', async () => {
    expect(await attemptTimes({ attempts: 2, backoff: 10 }, { retry: graphileWorker() })).toEqual([0, 10]);
  });

  test('policies report their names and attempts', () => {
    expect([bullmq(), pgBoss(), graphileWorker()].map((p) => [p.name, p.attempts])).toEqual([
      ['bullmq', 1],
      ['pgBoss', 3],
      ['graphileWorker', 25],
    ]);
  });
});
