/**
 * A job whose workflow definition changed while it was waiting for its retry
 * fails with WorkflowDefinitionMismatchError, and each real queue records it
 * as failed for good: no retry, though the job had attempts left.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Job } from 'bullmq';
import type PgBoss from 'pg-boss';
import { afterAll, afterEach, beforeAll, beforeEach, expect, test } from 'vitest';
import { restoreRealClock, performAllJobs, type Execution } from '../../runtime/index.js';
import type { JobDriver } from '../../runtime/harness/driver.js';
import { bullmqDriver } from '../../runtime/harness/drivers/bullmq.js';
import { pgBossDriver } from '../../runtime/harness/drivers/pg-boss.js';
import { workflowJob, type WorkflowJob } from '../../runtime/harness/drivers/job-adapter.js';
import { executeWorkflow, openStore, WorkflowDefinitionMismatchError, type WorkflowStore } from '../../workflow/index.js';
import { redisConnection, startBoss } from './factories.js';

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
