/**
 * The harness's production-order and virtual-time cases, run unchanged on
 * MemoryQueue, BullMQ (real Redis), pg-boss (real Postgres) and the README's
 * 48-line example driver over a Postgres table: every driver
 * must give the same executions, in the same order, at the same virtual times.
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { installVirtualClock, restoreRealClock } from '../../runtime/harness/clock.js';
import type { JobDriver } from '../../runtime/harness/driver.js';
import { performAllJobs, performAllJobsAfter, performAllJobsBefore, type Execution } from '../../runtime/harness/perform.js';
import { followUp, onboard, onboardingLog, onboardRetry, welcome } from '../../fixtures/jobs/follow-up.js';
import { bullmq, memory, pgboss, table, type DriverFactory, type DriverUnderTest, type JobSpec } from './factories.js';

const T0 = Date.parse('2025-01-01T00:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();

const onboarding: Record<string, JobSpec> = {
  onboard: { handler: onboard, retry: onboardRetry },
  welcome: { handler: welcome },
  'follow-up': { handler: followUp },
};

describe.each([memory, bullmq, pgboss, table])('$label', (factory: DriverFactory) => {
  let open: DriverUnderTest | undefined;
  let log: string[];
  const record = { onExecution: (e: Execution) => log.push(`${e.job.name}#${e.job.attempt} ${e.outcome.status} @${e.ranAt.toISOString()}`) };
  async function driverFor(jobs: Record<string, JobSpec>): Promise<JobDriver> {
    open = await factory.create(jobs);
    return open.driver;
  }
  const pendingNames = async (driver: JobDriver) =>
    (await driver.pending()).map((job) => `${job.name} ${job.dueAt.toISOString()}`).sort();

  beforeEach(() => {
    installVirtualClock(T0);
    onboardingLog.length = 0;
    log = [];
  });
  afterEach(async () => {
    restoreRealClock();
    await open?.close();
    open = undefined;
  });

  test('a retry due in 3 s, and a job it enqueues due in 1 s, run before a 5-min job enqueued earlier', async () => {
    const driver = await driverFor(onboarding);
    await driver.enqueue('onboard', { user: 'ada' });
    expect(await performAllJobs(driver, record)).toBe(4);
    expect(log).toEqual([
      `onboard#1 failed @${at(0)}`,
      `onboard#2 completed @${at(3000)}`,
      `welcome#1 completed @${at(4000)}`,
      `follow-up#1 completed @${at(5 * 60_000)}`,
    ]);
    expect(await driver.pending()).toEqual([]);
  });

  test('job code sees the virtual clock through Date.now() and new Date()', async () => {
    const driver = await driverFor(onboarding);
    await driver.enqueue('onboard', { user: 'ada' });
    await performAllJobs(driver);
    expect(onboardingLog).toEqual([
      { job: 'onboard', attempt: 1, now: T0, date: T0 },
      { job: 'onboard', attempt: 2, now: T0 + 3000, date: T0 + 3000 },
      { job: 'welcome', attempt: 1, now: T0 + 4000, date: T0 + 4000 },
      { job: 'follow-up', attempt: 1, now: T0 + 300_000, date: T0 + 300_000 },
    ]);
  });

  test('ties run in enqueue order, and a job enqueued mid-run takes its place at once', async () => {
    const ran: string[] = [];
    const driver = await driverFor({
      log: {
        handler: async (job) => {
          ran.push(job.data as string);
          if (job.data === 'a') await job.queue.enqueue('log', 'a-child');
        },
      },
    });
    await driver.enqueue('log', 'd', { delay: 10 });
    await driver.enqueue('log', 'a');
    await driver.enqueue('log', 'b');
    await driver.enqueue('log', 'c', { runAt: new Date(T0) });
    await performAllJobs(driver);
    expect(ran).toEqual(['a', 'b', 'c', 'a-child', 'd']);
  });

  test('a job enqueued mid-run that is due earlier than pending jobs runs before them', async () => {
    const ran: string[] = [];
    const driver = await driverFor({
      log: {
        handler: async (job) => {
          ran.push(`${job.data} @${Date.now() - T0}`);
          if (job.data === 'first') await job.queue.enqueue('log', 'urgent', { delay: '2s' });
        },
      },
    });
    await driver.enqueue('log', 'first');
    await driver.enqueue('log', 'later', { delay: '1m' });
    await performAllJobs(driver);
    expect(ran).toEqual(['first @0', 'urgent @2000', 'later @60000']);
  });

  test("performAllJobsBefore('4s') leaves the 5-min job queued, due at its virtual time", async () => {
    const driver = await driverFor(onboarding);
    await driver.enqueue('onboard', { user: 'ada' });
    expect(await performAllJobsBefore(driver, '4s', record)).toBe(3);
    expect(log).toEqual([`onboard#1 failed @${at(0)}`, `onboard#2 completed @${at(3000)}`, `welcome#1 completed @${at(4000)}`]);
    expect(await pendingNames(driver)).toEqual([`follow-up ${at(300_000)}`]);
  });

  test('performAllJobsAfter skips the window before its cutoff, then runs what is due after it', async () => {
    const driver = await driverFor(onboarding);
    await driver.enqueue('onboard', { user: 'ada' });
    await performAllJobsBefore(driver, '4s');
    expect(await performAllJobsAfter(driver, '7d')).toBe(0);
    expect(await pendingNames(driver)).toEqual([`follow-up ${at(300_000)}`]);
    expect(await performAllJobsAfter(driver, '4m', record)).toBe(1);
    expect(log).toEqual([`follow-up#1 completed @${at(300_000)}`]);
  });

  test('performAllJobsAfter runs jobs due immediately and a week out, not the retry in between', async () => {
    const ran: string[] = [];
    const driver = await driverFor({
      flaky: {
        handler: async (job) => {
          ran.push(`flaky#${job.attempt}`);
          throw new Error('always fails');
        },
        retry: { attempts: 2, backoff: 1000 },
      },
      digest: { handler: () => void ran.push('digest') },
    });
    await driver.enqueue('flaky', null);
    await driver.enqueue('digest', null, { delay: '8d' });
    expect(await performAllJobsAfter(driver, '7d')).toBe(2);
    expect(ran).toEqual(['flaky#1', 'digest']);
    const left = await driver.pending();
    expect(left.map((job) => `${job.name}#${job.attempt} ${job.dueAt.toISOString()}`)).toEqual([`flaky#2 ${at(1000)}`]);
    // And it is still performed, late, when asked.
    expect(await performAllJobs(driver, record)).toBe(1);
    expect(log).toEqual([`flaky#2 failed @${at(8 * 86_400_000)}`]);
    expect(await driver.pending()).toEqual([]);
  });

  test('jobId dedupes a pending job and returns the existing one', async () => {
    const driver = await driverFor({ noop: { handler: () => undefined } });
    const first = await driver.enqueue('noop', 'first', { jobId: 'only:once' });
    const second = await driver.enqueue('noop', 'second', { jobId: 'only:once', delay: '1m' });
    expect(second).toEqual(first);
    expect((await driver.pending()).map((job) => job.data)).toEqual(['first']);
    await performAllJobs(driver);
    const third = await driver.enqueue('noop', 'third', { jobId: 'only:once' });
    expect(third.data).toBe('third');
  });

  test('clear drops pending jobs', async () => {
    const driver = await driverFor({ noop: { handler: () => undefined } });
    await driver.enqueue('noop', 1);
    await driver.enqueue('noop', 2, { delay: '1h' });
    await driver.clear();
    expect(await driver.pending()).toEqual([]);
    expect(await performAllJobs(driver)).toBe(0);
  });
});
