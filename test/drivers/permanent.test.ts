/**
 * Permanence is part of the JobDriver contract: an error with
 * `permanent === true` is failed for good, with attempts left, by MemoryQueue,
 * BullMQ, pg-boss and a driver written to the contract alike, and so is any
 * failure a RetryOverride answers with 'never'. The workflow case: a job whose
 * definition changed while it waited for its retry fails with
 * WorkflowDefinitionMismatchError, and each queue records it as failed for good.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Job } from 'bullmq';
import type PgBoss from 'pg-boss';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { MemoryQueue, restoreRealClock, performAllJobs, type Execution } from '../../runtime/index.js';
import type { JobDriver } from '../../runtime/harness/driver.js';
import { bullmqDriver } from '../../runtime/harness/drivers/bullmq.js';
import { pgBossDriver } from '../../runtime/harness/drivers/pg-boss.js';
import { executeWorkflow, openStore, workflowJob, WorkflowDefinitionMismatchError, type WorkflowJob, type WorkflowStore } from '../../workflow/index.js';
import { bullmq, memory, pgboss, redisConnection, startBoss, table, type DriverFactory } from './factories.js';

let dir: string;
let store: WorkflowStore;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fl-permanent-'));
  store = await openStore(`sqlite:${join(dir, 'store.db')}`);
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => restoreRealClock());

/** Version 1 has steps reserve → charge (charge fails once); version 2, deployed mid-flight, renamed charge to capture. */
let version: number;
beforeEach(() => {
  version = 1;
});
function checkout(job: WorkflowJob) {
  return executeWorkflow({ store, job, uniqueBy: { order: (job.data as { order: string }).order } }, (w) => {
    w.step('reserve', async () => {});
    if (version === 1) {
      w.step('charge', async () => {
        throw new Error('payment provider down');
      });
    } else {
      w.step('capture', async () => {});
    }
  });
}

/** Runs the first attempt on version 1, deploys version 2, runs what is left: returns the executions. */
async function deployMidFlight(driver: JobDriver, order: string): Promise<Execution[]> {
  const executions: Execution[] = [];
  await driver.enqueue('checkout', { order });
  const [first] = await driver.pending();
  await driver.perform(first!, () => undefined).then((outcome) => executions.push({ job: first!, ranAt: new Date(), outcome }));
  expect(executions[0]!.outcome).toMatchObject({ status: 'failed', retryAt: expect.any(Date) });
  version = 2;
  await performAllJobs(driver, { onExecution: (e) => executions.push(e) });
  return executions;
}

function expectFailedForGood(executions: Execution[]) {
  expect(executions).toHaveLength(2);
  const last = executions[1]!;
  expect(last.job.attempt).toBe(2);
  expect(last.outcome.status).toBe('failed');
  expect((last.outcome as { error: unknown }).error).toBeInstanceOf(WorkflowDefinitionMismatchError);
  expect((last.outcome as { retryAt?: Date }).retryAt).toBeUndefined();
}

test('MemoryQueue: the job ends failed, with attempts left', async () => {
  const queue = new MemoryQueue().define('checkout', (job) => checkout(job), { attempts: 5, backoff: 1000 });
  const executions = await deployMidFlight(queue, 'o-memory');
  expectFailedForGood(executions);
  expect(queue.enqueued).toEqual([]);
  expect(queue.performed.map((p) => p.outcome)).toEqual(['failed', 'failed']);
});

test('BullMQ: the job ends failed (UnrecoverableError), with attempts left', async () => {
  const driver = bullmqDriver({
    connection: redisConnection(),
    prefix: `fl-${randomUUID()}`,
    queues: { checkout: { processor: (job) => checkout(workflowJob(job)), defaultJobOptions: { attempts: 5, backoff: 1000 } } },
  });
  try {
    const executions = await deployMidFlight(driver, 'o-bull');
    expectFailedForGood(executions);
    expect(await driver.pending()).toEqual([]);
    const queue = driver.queue('checkout');
    const [failed] = await queue.getFailed();
    expect(failed).toBeInstanceOf(Job);
    expect(await failed!.getState()).toBe('failed');
    expect(failed!.attemptsMade).toBe(2);
    expect(failed!.opts.attempts).toBe(5);
    expect(failed!.failedReason).toMatch(/WorkflowDefinitionMismatchError/);
  } finally {
    await driver.close();
  }
});

test('pg-boss: the job ends failed, with retries left', async () => {
  const { boss, schema } = await startBoss();
  try {
    await boss.createQueue('checkout', { name: 'checkout', retryLimit: 4, retryDelay: 1 });
    const driver = pgBossDriver({ boss, schema, handlers: { checkout: ([job]: PgBoss.JobWithMetadata<any>[]) => checkout(workflowJob(job!)) } });
    const executions = await deployMidFlight(driver, 'o-boss');
    expectFailedForGood(executions);
    expect(await driver.pending()).toEqual([]);
    const job = await boss.getJobById('checkout', executions[0]!.job.id);
    expect(job).toMatchObject({ state: 'failed', retryCount: 1 });
    expect((job!.output as { name?: string }).name).toBe('WorkflowDefinitionMismatchError');
  } finally {
    await boss.stop({ graceful: false });
  }
});

/** An error of no faultline class that says it is permanent: the contract's test is structural. */
class CardDeclinedError extends Error {
  readonly permanent = true;
}

describe.each([memory, bullmq, pgboss, table])('$label', (factory: DriverFactory) => {
  test('an error with permanent === true is not retried, though the job has attempts left', async () => {
    let runs = 0;
    const { driver, close } = await factory.create({
      charge: {
        handler: () => {
          runs++;
          throw new CardDeclinedError('card declined');
        },
        retry: { attempts: 3, backoff: 1000 },
      },
    });
    try {
      await driver.enqueue('charge', { order: 'o-1' });
      const executions: Execution[] = [];
      await performAllJobs(driver, { onExecution: (e) => executions.push(e) });
      expect(runs).toBe(1);
      expect(executions).toHaveLength(1);
      expect(executions[0]!.outcome).toEqual({ status: 'failed', error: expect.any(CardDeclinedError) });
      expect(await driver.pending()).toEqual([]);
    } finally {
      await close();
    }
  });

  test("a failure the RetryOverride answers 'never' is not retried; one it gives a delay is", async () => {
    const { driver, close } = await factory.create({
      charge: {
        handler: () => {
          throw new Error('provider down');
        },
        retry: { attempts: 3, backoff: 1000 },
      },
    });
    try {
      await driver.enqueue('charge', { order: 'o-2' });
      const [first] = await driver.pending();
      const retried = await driver.perform(first!, () => 2000);
      expect(retried).toMatchObject({ status: 'failed', retryAt: expect.any(Date) });
      const [second] = await driver.pending();
      expect(second!.attempt).toBe(2);
      const given: Array<[unknown, number]> = [];
      const failed = await driver.perform(second!, (error, attempt) => {
        given.push([error, attempt]);
        return 'never';
      });
      expect(given).toEqual([[expect.objectContaining({ message: 'provider down' }), 2]]);
      expect(failed).toEqual({ status: 'failed', error: expect.objectContaining({ message: 'provider down' }) });
      expect(await driver.pending()).toEqual([]);
    } finally {
      await close();
    }
  });
});
