/**
 * Races on the real queues, through their JobDriver: two `segments` jobs
 * explored on BullMQ (real Redis) and pg-boss (real Postgres) give the
 * schedules MemoryQueue gives, with the same names, and each replays; the
 * signup race over SQLite fails where it does on MemoryQueue, and replays.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runRace, simulateRaces } from 'faultline';
import { openStore, type WorkflowStore } from 'faultline/workflow';
import { segments, stretches } from '../../fixtures/jobs/segments.js';
import { createCustomers, customerEmails, resetCustomers, signUp } from '../../fixtures/jobs/signup-race.js';
import { bullmq, memory, pgboss, type DriverUnderTest } from '../drivers/factories.js';

const open: DriverUnderTest[] = [];
const dir = mkdtempSync(path.join(tmpdir(), 'faultline-race-drivers-'));
let store: WorkflowStore;
beforeAll(async () => {
  store = await openStore(`sqlite:${path.join(dir, 'races.db')}`);
  await createCustomers(store);
});
afterAll(async () => {
  for (const driver of open) await driver.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.each([bullmq, pgboss])('$label', (factory) => {
  test('two racing jobs: the schedules and verdicts of MemoryQueue, each one replayable', { timeout: 300_000 }, async () => {
    const reference = await explore(await memory.create({ seg: { handler: segments } }));
    const real = await factory.create({ seg: { handler: segments } });
    open.push(real);
    const report = await explore(real);
    expect(report.names).toEqual(reference.names);
    expect(report.failed).toBe(0);
    stretches.length = 0;
    await runRace(real.driver, { start: startOn(real), schedule: report.preempting!.schedule });
    // The first job ran its first stretch, the second all of its, then the first its last.
    const order = [...new Set(stretches.map((s) => s.split(':')[0]))];
    expect(stretches.map((s) => s.replace(/^[^:]+/, (id) => `job${order.indexOf(id) + 1}`))).toEqual(['job1:0', 'job2:0', 'job2:1', 'job1:1']);
  });

  test('the signup race: two customers where MemoryQueue finds them, replayed', { timeout: 300_000 }, async () => {
    const signups = async (under: DriverUnderTest) => {
      const start = async () => {
        await under.driver.enqueue('signup', { email: 'ada@example.com' });
        await under.driver.enqueue('signup', { email: 'ada@example.com' });
      };
      const report = await simulateRaces(under.driver, {
        reset: () => resetCustomers(store),
        start,
        check: async () => expect(await customerEmails(store)).toHaveLength(1),
      });
      return { start, report };
    };
    const reference = (await signups(await memory.create({ signup: { handler: signUp(store) } }))).report;
    const real = await factory.create({ signup: { handler: signUp(store) } });
    open.push(real);
    const { start, report } = await signups(real);
    expect(report.schedules.map((s) => [s.name, s.passed])).toEqual(reference.schedules.map((s) => [s.name, s.passed]));
    const failing = report.schedules.find((s) => !s.passed)!;
    expect(failing.name).toBe('signup#1 at signup-race.ts:33 → signup#2 to the end → signup#1 to the end');
    await resetCustomers(store);
    await runRace(real.driver, { start, schedule: failing.schedule });
    expect(await customerEmails(store)).toEqual(['ada@example.com', 'ada@example.com']);
  });
});

/** Two jobs of one await point each, without job ids (each queue numbers them its own way). */
const startOn = (under: DriverUnderTest) => async () => {
  await under.driver.enqueue('seg', { points: 1 });
  await under.driver.enqueue('seg', { points: 1 });
};

async function explore(under: DriverUnderTest) {
  const report = await simulateRaces(under.driver, { start: startOn(under), check: () => {}, preemptions: 1 });
  // Labels carry each queue's own job ids: compare the shapes.
  const ids = [...new Set(report.schedules.flatMap((s) => s.schedule.steps.map((step) => step.run)))];
  const names = report.schedules.map((s) => ids.reduce((name, id, i) => name.replaceAll(id, `job${i + 1}`), s.name));
  const preempting = report.schedules.find((s) => s.preemptions === 1 && s.schedule.steps[0]!.run === ids[0]);
  return { names, failed: report.failed, preempting };
}
