/**
 * MemoryQueue's own surface and what only it can show. The production-order
 * and virtual-time cases every driver must agree on (retry before a later
 * job, ties in enqueue order, performAllJobsBefore/After windows, jobId
 * dedupe) run on MemoryQueue too, in test/drivers/order.test.ts.
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { installVirtualClock, restoreRealClock } from '../../runtime/harness/clock.js';
import { MemoryQueue } from '../../runtime/harness/memory-queue.js';
import { performAllJobs, performAllJobsBefore } from '../../runtime/harness/perform.js';

const T0 = Date.parse('2025-01-01T00:00:00.000Z');

beforeEach(() => installVirtualClock(T0));
afterEach(() => restoreRealClock());

describe('virtual time', () => {
  test('enqueued lists pending jobs in run order, and now() is the virtual time of the job running', async () => {
    const queue = new MemoryQueue();
    const ran: string[] = [];
    queue.define('log', (job) => void ran.push(`${job.data} @${job.queue.now().getTime() - T0}`));
    await queue.enqueue('log', 'd', { delay: 10 });
    await queue.enqueue('log', 'a');
    await queue.enqueue('log', 'b');
    await queue.enqueue('log', 'c', { runAt: new Date(T0) });

    expect(queue.enqueued.map((job) => job.data)).toEqual(['a', 'b', 'c', 'd']);
    await performAllJobs(queue);
    expect(ran).toEqual(['a @0', 'b @0', 'c @0', 'd @10']);
    expect(queue.now().getTime()).toBe(T0 + 10);
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
