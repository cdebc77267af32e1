import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { installVirtualClock, restoreRealClock } from '../../runtime/harness/clock.js';
import { MemoryQueue } from '../../runtime/harness/memory-queue.js';
import { performAllJobs, performAllJobsAfter, performAllJobsBefore } from '../../runtime/harness/perform.js';
import { followUp, onboard, onboardingLog, onboardRetry, welcome } from '../../fixtures/jobs/follow-up.js';

const T0 = Date.parse('2025-01-01T00:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();

function onboardingQueue(): MemoryQueue {
  const queue = new MemoryQueue();
  queue.define('onboard', onboard, onboardRetry);
  queue.define('welcome', welcome);
  queue.define('follow-up', followUp);
  return queue;
}

const executions = (queue: MemoryQueue) =>
  queue.performed.map((p) => `${p.name}#${p.attempt} ${p.outcome} @${p.ranAt.toISOString()}`);

beforeEach(() => {
  installVirtualClock(T0);
  onboardingLog.length = 0;
});
afterEach(() => restoreRealClock());

describe('production order', () => {
  test('a retry due in 3 s, and a job it enqueues due in 1 s, run before a 5-min job enqueued earlier', async () => {
    const queue = onboardingQueue();
    await queue.enqueue('onboard', { user: 'ada' });

    expect(await performAllJobs(queue)).toBe(4);

    expect(executions(queue)).toEqual([
      `onboard#1 failed @${at(0)}`,
      `onboard#2 completed @${at(3000)}`,
      `welcome#1 completed @${at(4000)}`,
      `follow-up#1 completed @${at(5 * 60_000)}`,
    ]);
    expect(queue.enqueued).toEqual([]);
  });

  test('ties run in enqueue order, and a job enqueued mid-run takes its place at once', async () => {
    const queue = new MemoryQueue();
    const ran: string[] = [];
    queue.define('log', async (job) => {
      ran.push(job.data as string);
      // Due now, like the pending "b" and "c": it goes after them (enqueued later), before "d".
      if (job.data === 'a') await job.queue.enqueue('log', 'a-child');
    });
    await queue.enqueue('log', 'd', { delay: 10 });
    await queue.enqueue('log', 'a');
    await queue.enqueue('log', 'b');
    await queue.enqueue('log', 'c', { runAt: new Date(T0) });

    expect(queue.enqueued.map((job) => job.data)).toEqual(['a', 'b', 'c', 'd']);
    await performAllJobs(queue);
    expect(ran).toEqual(['a', 'b', 'c', 'a-child', 'd']);
  });

  test('a job enqueued mid-run that is due earlier than pending jobs runs before them', async () => {
    const queue = new MemoryQueue();
    const ran: string[] = [];
    queue.define('log', async (job) => {
      ran.push(`${job.data} @${job.queue.now().getTime() - T0}`);
      if (job.data === 'first') await job.queue.enqueue('log', 'urgent', { delay: '2s' });
    });
    await queue.enqueue('log', 'first');
    await queue.enqueue('log', 'later', { delay: '1m' });
    await performAllJobs(queue);
    expect(ran).toEqual(['first @0', 'urgent @2000', 'later @60000']);
  });
});

describe('virtual time', () => {
  test('job code sees the virtual clock through Date.now() and new Date(), and nothing sleeps', async () => {
    const queue = onboardingQueue();
    await queue.enqueue('onboard', { user: 'ada' });
    await performAllJobs(queue);

    expect(onboardingLog).toEqual([
      { job: 'onboard', attempt: 1, now: T0, date: T0 },
      { job: 'onboard', attempt: 2, now: T0 + 3000, date: T0 + 3000 },
      { job: 'welcome', attempt: 1, now: T0 + 4000, date: T0 + 4000 },
      // Date.now() + 5 min, computed by the first attempt on the virtual clock.
      { job: 'follow-up', attempt: 1, now: T0 + 300_000, date: T0 + 300_000 },
    ]);
    expect(queue.now().getTime()).toBe(T0 + 300_000);
  });

  test("performAllJobsBefore('4s') leaves the 5-min job queued", async () => {
    const queue = onboardingQueue();
    await queue.enqueue('onboard', { user: 'ada' });

    expect(await performAllJobsBefore(queue, '4s')).toBe(3);
    expect(executions(queue)).toEqual([
      `onboard#1 failed @${at(0)}`,
      `onboard#2 completed @${at(3000)}`,
      `welcome#1 completed @${at(4000)}`,
    ]);
    expect(queue.enqueued.map((job) => [job.name, job.dueAt.toISOString()])).toEqual([['follow-up', at(300_000)]]);
  });

  test('performAllJobsAfter skips the window before its cutoff, then runs what is due after it', async () => {
    const queue = onboardingQueue();
    await queue.enqueue('onboard', { user: 'ada' });
    await performAllJobsBefore(queue, '4s');

    // The follow-up is due 5 min out: inside the 7-day window that performAllJobsAfter('7d') skips.
    expect(await performAllJobsAfter(queue, '7d')).toBe(0);
    expect(queue.enqueued.map((job) => job.name)).toEqual(['follow-up']);

    // Due at or after now + 4 min: it runs, at its own due time.
    expect(await performAllJobsAfter(queue, '4m')).toBe(1);
    expect(executions(queue).at(-1)).toBe(`follow-up#1 completed @${at(300_000)}`);
  });

  test('performAllJobsAfter runs jobs due immediately and jobs a week out, not the retries in between', async () => {
    const queue = new MemoryQueue();
    const ran: string[] = [];
    queue.define('flaky', async (job) => {
      ran.push(`flaky#${job.attempt}`);
      throw new Error('always fails');
    }, { attempts: 2, backoff: 1000 });
    queue.define('digest', () => void ran.push('digest'));
    await queue.enqueue('flaky', null);
    await queue.enqueue('digest', null, { delay: '8d' });

    expect(await performAllJobsAfter(queue, '7d')).toBe(2);
    expect(ran).toEqual(['flaky#1', 'digest']);
    // The retry (due 1 s after the first attempt) was inside the skipped window and is still queued.
    expect(queue.enqueued.map((job) => `${job.name}#${job.attempt} ${job.dueAt.toISOString()}`)).toEqual([`flaky#2 ${at(1000)}`]);
  });

  test('performAllJobsBefore accepts an absolute Date cutoff', async () => {
    const queue = new MemoryQueue();
    queue.define('noop', () => undefined);
    await queue.enqueue('noop', 1, { delay: '1h' });
    await queue.enqueue('noop', 2, { delay: '2h' });
    expect(await performAllJobsBefore(queue, new Date(T0 + 3_600_000))).toBe(1);
    expect(queue.enqueued.map((job) => job.data)).toEqual([2]);
  });
});

describe('MemoryQueue', () => {
  test('jobId dedupes a pending job and returns the existing one', async () => {
    const queue = new MemoryQueue();
    queue.define('noop', () => undefined);
    const first = await queue.enqueue('noop', 'first', { jobId: 'only-once' });
    const second = await queue.enqueue('noop', 'second', { jobId: 'only-once', delay: '1m' });
    expect(second).toBe(first);
    expect(queue.enqueued.map((job) => [job.id, job.data])).toEqual([['only-once', 'first']]);
    await performAllJobs(queue);
    // Once performed it is no longer pending, so the id can be used again.
    const third = await queue.enqueue('noop', 'third', { jobId: 'only-once' });
    expect(third.data).toBe('third');
  });

  test('handler context: id, name, data, 1-based attempt, queue', async () => {
    const queue = new MemoryQueue();
    const seen: unknown[] = [];
    queue.define('ctx', (job) => {
      seen.push({ id: job.id, name: job.name, data: job.data, attempt: job.attempt, same: job.queue === queue });
      if (job.attempt < 2) throw new Error('again');
    }, { attempts: 2 });
    const queued = await queue.enqueue('ctx', { n: 1 });
    await performAllJobs(queue);
    expect(seen).toEqual([
      { id: queued.id, name: 'ctx', data: { n: 1 }, attempt: 1, same: true },
      { id: queued.id, name: 'ctx', data: { n: 1 }, attempt: 2, same: true },
    ]);
    expect(queue.performed.map((p) => [p.attempt, p.outcome, (p.error as Error | undefined)?.message])).toEqual([
      [1, 'failed', 'again'],
      [2, 'completed', undefined],
    ]);
  });

  test('attempts defaults to 1 like BullMQ: a failed job is not retried', async () => {
    const queue = new MemoryQueue();
    queue.define('fail', () => {
      throw new Error('nope');
    });
    await queue.enqueue('fail', null);
    expect(await performAllJobs(queue)).toBe(1);
    expect(queue.performed[0]).toMatchObject({ outcome: 'failed', attempt: 1 });
    expect(queue.performed[0]!.retryAt).toBeUndefined();
  });

  test('clear drops pending and performed jobs', async () => {
    const queue = new MemoryQueue();
    queue.define('noop', () => undefined);
    await queue.enqueue('noop', 1);
    await performAllJobs(queue);
    await queue.enqueue('noop', 2);
    await queue.clear();
    expect(queue.enqueued).toEqual([]);
    expect(queue.performed).toEqual([]);
  });
});
