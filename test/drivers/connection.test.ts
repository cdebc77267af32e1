/**
 * Bounded waits: with Redis or Postgres missing, or killed in the middle of a
 * run, the drivers fail with a DriverConnectionError within seconds instead
 * of hanging, and never report a job done that did not run. These tests kill
 * servers of their own, never the suite's shared ones.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { performAllJobs, restoreRealClock, type Execution } from '../../runtime/index.js';
import { bullmqDriver, DriverConnectionError } from '../../runtime/harness/drivers/bullmq.js';
import { pgBossDriver } from '../../runtime/harness/drivers/pg-boss.js';
import { freePort, startPostgres, startRedis } from '../../support/services.js';
import { redisConnection, startBoss } from './factories.js';

afterEach(() => restoreRealClock());

/** Awaits `run`, expecting a DriverConnectionError; returns it and how long it took. */
async function connectionFailure(run: () => Promise<unknown>): Promise<{ error: DriverConnectionError; ms: number }> {
  const started = performance.now();
  const error = await run().then(
    () => expect.fail('expected a DriverConnectionError'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DriverConnectionError);
  return { error: error as DriverConnectionError, ms: performance.now() - started };
}

test('BullMQ: no Redis at all gives a DriverConnectionError, not a hang', async () => {
  const port = await freePort();
  const driver = bullmqDriver({ connection: redisConnection(`redis://127.0.0.1:${port}`), prefix: 'nowhere', processors: { noop: () => {} }, timeout: 1000 });
  const { error, ms } = await connectionFailure(() => driver.pending());
  expect(error.message).toMatch(/^bullmq: list pending jobs: /);
  expect(ms).toBeLessThan(4000);
  await connectionFailure(() => driver.enqueue('noop', 1));
  await driver.close();
});

test('BullMQ: Redis killed while a job runs: a clear error, and nothing else ran or completed', async () => {
  const redis = await startRedis();
  const ran: string[] = [];
  const driver = bullmqDriver({
    connection: redisConnection(redis.url),
    prefix: `fl-${randomUUID()}`,
    timeout: 1500,
    processors: {
      step: async (job) => {
        ran.push(job.data as string);
        if (job.data === 'first') await redis.stop();
      },
    },
  });
  try {
    await driver.enqueue('step', 'first');
    await driver.enqueue('step', 'second');
    const executions: Execution[] = [];
    const { error, ms } = await connectionFailure(() => performAllJobs(driver, { onExecution: (e) => executions.push(e) }));
    expect(error.message).toMatch(/^bullmq: mark job 1 of queue "step" completed: /);
    expect(ms).toBeLessThan(10_000);
    expect(ran).toEqual(['first']);
    // The first job ran but was never recorded as done; the second never ran.
    expect(executions).toEqual([]);
  } finally {
    await driver.close();
    await redis.stop();
  }
});

test('pg-boss: Postgres killed while a job runs: a clear error, and nothing else ran or completed', async () => {
  const pg = await startPostgres();
  const { boss, schema } = await startBoss(pg.url);
  const ran: string[] = [];
  await boss.createQueue('step', { name: 'step' });
  // Kill the postmaster itself (SIGQUIT: immediate shutdown, every backend dies at once).
  const [{ data_directory: dataDir }] = (await boss.getDb().executeSql("SELECT current_setting('data_directory') AS data_directory", [])).rows;
  const postmaster = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const killPostgres = async () => {
    process.kill(postmaster, 'SIGQUIT');
    while (isAlive(postmaster)) await new Promise((r) => setTimeout(r, 20));
  };
  const driver = pgBossDriver({
    boss,
    schema,
    timeout: 1500,
    handlers: {
      step: async ([job]) => {
        ran.push(job!.data as string);
        if (job!.data === 'first') await killPostgres();
      },
    },
  });
  try {
    const first = await driver.enqueue('step', 'first');
    await driver.enqueue('step', 'second');
    const executions: Execution[] = [];
    const { error, ms } = await connectionFailure(() => performAllJobs(driver, { onExecution: (e) => executions.push(e) }));
    expect(error.message).toMatch(new RegExp(`^pg-boss: mark job ${first.id} of queue "step" completed: `));
    expect(ms).toBeLessThan(10_000);
    expect(ran).toEqual(['first']);
    expect(executions).toEqual([]);
    // And the database stays unreachable: listing fails the same bounded way.
    await connectionFailure(() => driver.pending());
  } finally {
    await boss.stop({ graceful: false }).catch(() => {});
    await pg.stop();
  }
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
