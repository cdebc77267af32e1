import { afterEach, describe, expect, test } from 'vitest';
import { restoreRealClock } from '../../runtime/harness/clock.js';
import {
  InvalidDurationError,
  InvalidOptionError,
  JobNotPendingError,
  RunawayJobsError,
  UnknownJobError,
} from '../../runtime/harness/harness-errors.js';
import { MemoryQueue } from '../../runtime/harness/memory-queue.js';
import { performAllJobs, performAllJobsBefore } from '../../runtime/harness/perform.js';
import { pgBoss } from '../../runtime/harness/retry-policies.js';

afterEach(() => restoreRealClock());

describe('bad input gives named errors', () => {
  test('unknown job name', async () => {
    const queue = new MemoryQueue();
    queue.define('known', () => undefined);
    const error = await queue.enqueue('unknwon', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownJobError);
    expect((error as Error).message).toContain('"unknwon"');
    expect((error as Error).message).toContain('"known"');
  });

  test.each([0, -1, 1.5, Number.NaN, '3'])('attempts %j', (attempts) => {
    const queue = new MemoryQueue();
    expect(() => queue.define('job', () => undefined, { attempts: attempts as number })).toThrow(InvalidOptionError);
    expect(() => queue.define('job', () => undefined, { attempts: attempts as number })).toThrow(/attempts/);
  });

  test('malformed backoff and retry options', () => {
    const queue = new MemoryQueue();
    expect(() => queue.define('job', () => undefined, { backoff: -5 })).toThrow(InvalidOptionError);
    expect(() => queue.define('job', () => undefined, { backoff: { type: 'linear' as 'fixed', delay: 5 } })).toThrow(/backoff/);
    expect(() => queue.define('job', () => undefined, { retry: 'sidekiq' as 'bullmq' })).toThrow(/sidekiq/);
    expect(() => queue.define('job', () => undefined, { retry: 'pgBoss', attempts: 2 })).toThrow(InvalidOptionError);
    expect(() => pgBoss({ retryLimit: -1 })).toThrow(/retryLimit/);
    expect(() => new MemoryQueue({ retry: 'nope' as 'bullmq' })).toThrow(InvalidOptionError);
  });

  test('bad duration strings, in enqueue and in cutoffs', async () => {
    const queue = new MemoryQueue();
    queue.define('job', () => undefined);
    await expect(queue.enqueue('job', null, { delay: '5 fortnights' })).rejects.toThrow(InvalidDurationError);
    await expect(queue.enqueue('job', null, { delay: '5 fortnights' })).rejects.toThrow('"5 fortnights"');
    await expect(performAllJobsBefore(queue, 'tomorrow')).rejects.toThrow(InvalidDurationError);
  });

  test('bad runAt, jobId, and delay with runAt', async () => {
    const queue = new MemoryQueue();
    queue.define('job', () => undefined);
    await expect(queue.enqueue('job', null, { runAt: new Date('nope') })).rejects.toThrow(/runAt/);
    await expect(queue.enqueue('job', null, { jobId: '' })).rejects.toThrow(InvalidOptionError);
    await expect(queue.enqueue('job', null, { delay: 1, runAt: new Date() })).rejects.toThrow(InvalidOptionError);
  });

  test('jobs that enqueue jobs forever stop with RunawayJobsError', async () => {
    const queue = new MemoryQueue();
    queue.define('again', (job) => job.queue.enqueue('again', null, { delay: '1s' }));
    await queue.enqueue('again', null);
    const error = await performAllJobs(queue, { maxExecutions: 50 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunawayJobsError);
    expect((error as Error).message).toContain('50 executions');
    expect(queue.performed).toHaveLength(50);
  });

  test('performing a job that is not pending', async () => {
    const queue = new MemoryQueue();
    queue.define('job', () => undefined);
    const job = await queue.enqueue('job', null);
    await performAllJobs(queue);
    await expect(queue.perform(job, () => undefined)).rejects.toThrow(JobNotPendingError);
  });
});
