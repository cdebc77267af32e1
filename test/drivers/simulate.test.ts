/**
 * The harness end to end on real queues: the naive transfer's simulation finds
 * the same failing scenarios on BullMQ and pg-boss as on MemoryQueue, and the
 * workflow version, run by real processors through `workflowJob`, passes every
 * scenario on both.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Job } from 'bullmq';
import type PgBoss from 'pg-boss';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { restoreRealClock, simulate, type SimulationReport } from '../../runtime/index.js';
import type { JobDriver } from '../../runtime/harness/driver.js';
import { bullmqDriver } from '../../runtime/harness/drivers/bullmq.js';
import { pgBossDriver } from '../../runtime/harness/drivers/pg-boss.js';
import { openStore, workflowJob, type WorkflowStore } from '../../workflow/index.js';
import { balance, emailsTo, resetBank } from '../../fixtures/jobs/bank.js';
import { transfer } from '../../fixtures/jobs/transfer.js';
import { balance as ledgerBalance, createLedger, transferWorkflow } from '../../fixtures/workflows/transfer.js';
import type { Mailer } from '../../fixtures/workflows/ports.js';
import { bullmq, memory, pgboss, redisConnection, startBoss, type DriverUnderTest } from './factories.js';

afterEach(() => restoreRealClock());

const failing = (report: SimulationReport) => report.scenarios.filter((s) => !s.passed).map((s) => s.name);

async function naiveTransfer(driver: JobDriver): Promise<SimulationReport> {
  return simulate(driver, {
    reset: () => resetBank({ alice: 100, bob: 0 }),
    start: () => driver.enqueue('transfer', { transferId: 't-1', from: 'alice', to: 'bob', amount: 10 }),
    check: () => {
      expect({ alice: balance('alice'), bob: balance('bob'), emails: emailsTo('bob').length }).toEqual({ alice: 90, bob: 10, emails: 1 });
    },
  });
}

describe('the naive transfer simulation', () => {
  const open: DriverUnderTest[] = [];
  afterAll(async () => {
    await Promise.all(open.map((o) => o.close()));
  });

  test('finds the same failing scenarios on BullMQ and pg-boss as on MemoryQueue', async () => {
    const reports: Record<string, SimulationReport> = {};
    for (const factory of [memory, bullmq, pgboss]) {
      const under = await factory.create({ transfer: { handler: transfer } });
      open.push(under);
      reports[factory.label] = await naiveTransfer(under.driver);
    }
    const onMemory = failing(reports.MemoryQueue!);
    expect(onMemory).toContain('before-line fixtures/jobs/transfer.ts:17');
    expect(onMemory.length).toBeGreaterThan(3);
    expect(failing(reports.BullMQ!)).toEqual(onMemory);
    expect(failing(reports['pg-boss']!)).toEqual(onMemory);
    for (const report of Object.values(reports)) expect(report.scenarios.length).toBe(reports.MemoryQueue!.scenarios.length);
  });
});

class FakeMailer implements Mailer {
  outbox: string[] = [];
  async send(_to: string, _body: string, key: string) {
    this.outbox.push(key);
  }
  async sent(key: string) {
    return this.outbox.includes(key);
  }
}

describe('the transfer as a workflow, run by real processors', () => {
  let dir: string;
  let store: WorkflowStore;
  const mailer = new FakeMailer();
  const closers: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fl-drivers-'));
    store = await openStore(`sqlite:${join(dir, 'store.db')}`);
    await createLedger(store);
  });
  afterAll(async () => {
    for (const close of closers) await close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function everyScenarioPasses(driver: JobDriver) {
    const report = await simulate(driver, {
      reset: async () => {
        mailer.outbox = [];
        await store.db.deleteFrom('ledger').execute();
        for (const table of ['faultline_entries', 'faultline_context', 'faultline_executions']) await store.db.deleteFrom(table as never).execute();
      },
      start: () => driver.enqueue('transfer', { transferId: 't-1', from: 'jill', to: 'jack', amount: 25 }),
      check: async () => {
        expect(await ledgerBalance(store, 'jill')).toBe(-25);
        expect(await ledgerBalance(store, 'jack')).toBe(25);
        expect(mailer.outbox).toEqual(['t-1:receipt']);
      },
    });
    expect(report.scenarios.length).toBeGreaterThan(3);
    expect(report.scenarios.filter((s) => !s.passed).map((s) => `${s.name}: ${String(s.error)}`)).toEqual([]);
  }

  test('passes every scenario on BullMQ', async () => {
    const run = transferWorkflow(store, mailer);
    const driver = bullmqDriver({
      connection: redisConnection(),
      prefix: `fl-${randomUUID()}`,
      processors: { transfer: (job: Job) => run(workflowJob(job) as Parameters<typeof run>[0]) },
    });
    closers.push(() => driver.close());
    await everyScenarioPasses(driver);
  });

  test('passes every scenario on pg-boss', async () => {
    const run = transferWorkflow(store, mailer);
    const { boss, schema } = await startBoss();
    closers.push(() => boss.stop({ graceful: false }));
    await boss.createQueue('transfer', { name: 'transfer', retryLimit: 0 });
    const driver = pgBossDriver({
      boss,
      schema,
      handlers: { transfer: ([job]: PgBoss.JobWithMetadata<any>[]) => run(workflowJob(job!) as Parameters<typeof run>[0]) },
    });
    await everyScenarioPasses(driver);
  });
});
