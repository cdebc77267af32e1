/**
 * The drivers under test, behind one factory shape so a case table runs
 * unchanged on MemoryQueue, BullMQ (real Redis) and pg-boss (real Postgres).
 * Each factory isolates itself: a unique BullMQ prefix, a unique pg-boss schema.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import PgBoss from 'pg-boss';
import { inject } from 'vitest';
import type { JobDriver } from '../../runtime/harness/driver.js';
import { bullmqDriver } from '../../runtime/harness/drivers/bullmq.js';
import { pgBossDriver } from '../../runtime/harness/drivers/pg-boss.js';
import { MemoryQueue, type JobContext, type JobHandler } from '../../runtime/harness/memory-queue.js';
import { tableDriver } from './table-driver.js';

/** A job kind: its handler (MemoryQueue-style) and production retry rule. */
export interface JobSpec {
  handler: JobHandler;
  /** Total attempts and a fixed delay between them (ms, whole seconds for pg-boss). */
  retry?: { attempts: number; backoff?: number };
}

export interface DriverUnderTest {
  readonly driver: JobDriver;
  close(): Promise<void>;
}

export interface DriverFactory {
  readonly label: string;
  create(jobs: Record<string, JobSpec>): Promise<DriverUnderTest>;
}

/** Redis connection options from the suite's redis URL. */
export function redisConnection(url = inject('redisUrl')) {
  const { hostname, port } = new URL(url);
  return { host: hostname, port: Number(port), maxRetriesPerRequest: null };
}

/** The JobContext a MemoryQueue handler expects, for a job run by a real queue through `driver`. */
export function contextFor(driver: JobDriver, job: { id: string; name: string; data: unknown; attempt: number }): JobContext {
  const queue = { enqueue: driver.enqueue.bind(driver), now: () => new Date() };
  return { ...job, queue: queue as unknown as MemoryQueue };
}

export const memory: DriverFactory = {
  label: 'MemoryQueue',
  async create(jobs) {
    const queue = new MemoryQueue();
    for (const [name, spec] of Object.entries(jobs)) queue.define(name, spec.handler, spec.retry);
    return { driver: queue, close: async () => {} };
  },
};

export const bullmq: DriverFactory = {
  label: 'BullMQ',
  async create(jobs) {
    const queues = Object.fromEntries(
      Object.entries(jobs).map(([name, spec]) => [
        name,
        {
          processor: (job: import('bullmq').Job) =>
            spec.handler(contextFor(driver, { id: job.id!, name: job.name, data: job.data, attempt: job.attemptsMade + 1 })),
          defaultJobOptions: spec.retry && { attempts: spec.retry.attempts, backoff: spec.retry.backoff ?? 0 },
        },
      ]),
    );
    const driver = bullmqDriver({ connection: redisConnection(), prefix: `fl-${randomUUID()}`, queues });
    return { driver, close: () => driver.close() };
  },
};

/** A started pg-boss in a fresh schema, with no background maintenance (the harness drives it). */
export async function startBoss(url = inject('postgresUrl'), schema = `fl_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`) {
  const boss = new PgBoss({ connectionString: url, schema, supervise: false, schedule: false, max: 4 });
  const errors: Error[] = [];
  boss.on('error', (error) => errors.push(error));
  await boss.start();
  return { boss, schema, errors };
}

export const pgboss: DriverFactory = {
  label: 'pg-boss',
  async create(jobs) {
    const { boss, schema } = await startBoss();
    for (const [name, spec] of Object.entries(jobs)) {
      const retry = spec.retry ?? { attempts: 1 };
      await boss.createQueue(name, { name, retryLimit: retry.attempts - 1, retryDelay: (retry.backoff ?? 0) / 1000 });
    }
    const handlers = Object.fromEntries(
      Object.entries(jobs).map(([name, spec]) => [
        name,
        ([job]: PgBoss.JobWithMetadata[]) =>
          spec.handler(contextFor(driver, { id: job!.id, name: job!.name, data: job!.data, attempt: job!.retryCount + 1 })),
      ]),
    );
    const driver = pgBossDriver({ boss, schema, handlers });
    return {
      driver,
      close: async () => {
        await boss.getDb().executeSql(`DROP SCHEMA ${schema} CASCADE`, []);
        await boss.stop({ graceful: false, wait: true });
      },
    };
  },
};

/** The README's example driver for a queue faultline does not ship (a Postgres jobs table), in its own schema. */
export const table: DriverFactory = {
  label: 'table driver (README example)',
  async create(jobs) {
    const url = inject('postgresUrl');
    const schema = `fl_tbl_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    const db = new pg.Pool({ connectionString: url, options: `-c search_path=${schema}`, max: 2 });
    await db.query(`CREATE SCHEMA ${schema}`);
    const handlers = Object.fromEntries(
      Object.entries(jobs).map(([name, spec]) => [
        name,
        { run: (job: Parameters<typeof contextFor>[1]) => spec.handler(contextFor(driver, job)), attempts: spec.retry?.attempts, backoff: spec.retry?.backoff },
      ]),
    );
    const driver = await tableDriver(db, handlers);
    return {
      driver,
      close: async () => {
        await db.query(`DROP SCHEMA ${schema} CASCADE`);
        await db.end();
      },
    };
  },
};
