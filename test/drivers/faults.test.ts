/**
 * Crash faults on real queues (issue 15): the try/finally job's simulation
 * gives the same scenario names and verdicts on MemoryQueue, BullMQ (its own
 * stalled-job checker re-delivers) and pg-boss (its own expiry re-delivers),
 * and a job that stalls past its limit fails the run on each.
 */
import { randomUUID } from 'node:crypto';
import type { Job } from 'bullmq';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { Glitch, JobFailedError, JobStalledError, restoreRealClock, runScenario, simulate, type SimulationReport } from '../../runtime/index.js';
import type { JobDriver } from '../../runtime/harness/driver.js';
import { bullmqDriver } from '../../runtime/harness/drivers/bullmq.js';
import { locks, posted, settleAccount } from '../../fixtures/jobs/locked.js';
import { bullmq, memory, pgboss, redisConnection, type DriverUnderTest } from './factories.js';

afterEach(() => restoreRealClock());

const open: DriverUnderTest[] = [];
afterAll(async () => {
  await Promise.all(open.map((o) => o.close()));
});

function settleSimulation(driver: JobDriver): Promise<SimulationReport> {
  return simulate(driver, {
    faults: ['transient', 'crash'],
    reset: () => {
      locks.clear();
      posted.length = 0;
    },
    start: () => driver.enqueue('settle', { account: 'a' }),
    check: () => expect(posted).toEqual(['a:settled']),
  });
}

const verdicts = (report: SimulationReport) => report.scenarios.map((s) => `${s.passed ? '✓' : '✗'} ${s.name}`);

describe('the try/finally job under transient and crash faults', () => {
  test('fails exactly the crash scenarios inside the try, with the same names and verdicts on all three queues', async () => {
    const reports: Record<string, SimulationReport> = {};
    for (const factory of [memory, bullmq, pgboss]) {
      // Two attempts each: pg-boss counts a re-delivery after expiry as a retry, BullMQ and MemoryQueue as a stall.
      const under = await factory.create({ settle: { handler: settleAccount, retry: { attempts: 2 } } });
      open.push(under);
      reports[factory.label] = await settleSimulation(under.driver);
    }
    const expected = verdicts(reports.MemoryQueue!);
    expect(expected.filter((v) => v.startsWith('✗')).length).toBeGreaterThan(2);
    expect(expected.filter((v) => v.startsWith('✗')).every((v) => v.startsWith('✗ crash '))).toBe(true);
    expect(verdicts(reports.BullMQ!)).toEqual(expected);
    expect(verdicts(reports['pg-boss']!)).toEqual(expected);
    // Each queue re-delivers after its own stall timeout: BullMQ's lock (30 s, the same attempt), pg-boss's expiry (15 min, the next one).
    const redelivery = (report: SimulationReport) => {
      const performed = report.scenarios.find((s) => s.glitch.fault === 'crash' && !s.passed)!.scenario!.performed;
      return [performed[1]!.ranAt.getTime() - performed[0]!.ranAt.getTime(), performed.map((p) => `${p.attempt} ${p.outcome}`)];
    };
    expect(redelivery(reports.MemoryQueue!)).toEqual([30_000, ['1 crashed', '1 completed']]);
    expect(redelivery(reports.BullMQ!)).toEqual([30_000, ['1 crashed', '1 completed']]);
    expect(redelivery(reports['pg-boss']!)).toEqual([15 * 60_000, ['1 crashed', '2 completed']]);
  });
});

describe('a job that stalls past its limit fails the run', () => {
  const glitch = () => Glitch.beforeCall('post').crash();

  test('BullMQ with maxStalledCount 0: its stalled-job checker fails it "job stalled more than allowable limit"', async () => {
    const driver = bullmqDriver({
      connection: redisConnection(),
      prefix: `fl-${randomUUID()}`,
      maxStalledCount: 0,
      lockDuration: 5000,
      processors: { settle: (job: Job<{ account: string }>) => settleAccount(job) },
    });
    open.push({ driver, close: () => driver.close() });
    locks.clear();
    const rejection = runScenario(driver, { glitch: glitch(), start: () => driver.enqueue('settle', { account: 'a' }) });
    await expect(rejection).rejects.toBeInstanceOf(JobFailedError);
    const error = (await rejection.catch((e: unknown) => e)) as JobFailedError;
    expect(error.lastError).toBeInstanceOf(JobStalledError);
    expect((error.lastError as Error).message).toMatch(/job stalled more than allowable limit/);
    const performed = error.run!.performed;
    expect(performed.map((p) => p.outcome)).toEqual(['crashed', 'failed']);
    expect(performed[1]!.ranAt.getTime() - performed[0]!.ranAt.getTime()).toBe(5000);
    expect((await driver.queue('settle').getJobCounts('failed', 'active', 'wait')).failed).toBe(1);
  });

  test('pg-boss with no retry left: its expiry fails it', async () => {
    const under = await pgboss.create({ settle: { handler: settleAccount } });
    open.push(under);
    locks.clear();
    const rejection = runScenario(under.driver, { glitch: glitch(), start: () => under.driver.enqueue('settle', { account: 'a' }) });
    await expect(rejection).rejects.toBeInstanceOf(JobFailedError);
    await expect(rejection).rejects.toMatchObject({ lastError: expect.any(JobStalledError) });
    await expect(rejection).rejects.toThrow(/expired in active state with no retries left/);
  });
});
