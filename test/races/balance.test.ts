/**
 * The lost update on MemoryQueue over a real SQLite table: two transfers out
 * of one account at once, read-modify-write, lose one debit in some
 * schedule; the transactional workflow step passes every schedule (the
 * other transfer blocks on the database until the first commits: the
 * scheduler's blocked rule lets the holder go on).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { MemoryQueue, simulateRaces } from 'faultline';
import { openStore, type WorkflowStore } from 'faultline/workflow';
import { balances, createAccounts, resetAccounts, transfer, transferInStep } from '../../fixtures/jobs/balance-race.js';

const dir = mkdtempSync(path.join(tmpdir(), 'faultline-balance-'));
let store: WorkflowStore;
beforeAll(async () => {
  store = await openStore(`sqlite:${path.join(dir, 'bank.db')}`);
  await createAccounts(store);
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const race = (queue: MemoryQueue) => ({
  reset: () => resetAccounts(store, { alice: 100, bob: 0, carol: 0 }),
  start: async () => {
    await queue.enqueue('transfer', { ref: 't1', from: 'alice', to: 'bob', amount: 10 }, { jobId: 't1' });
    await queue.enqueue('transfer', { ref: 't2', from: 'alice', to: 'carol', amount: 20 }, { jobId: 't2' });
  },
  check: async () => expect(await balances(store)).toEqual({ alice: 70, bob: 10, carol: 20 }),
});

test('read-modify-write loses an update in some schedule, and the sequential ones pass', async () => {
  const queue = new MemoryQueue();
  queue.define('transfer', transfer(store));
  const report = await simulateRaces(queue, { ...race(queue), preemptions: 1 });
  expect(report.schedules.filter((s) => s.preemptions === 0).every((s) => s.passed)).toBe(true);
  const lost = report.schedules.find((s) => !s.passed);
  expect(lost, String(report)).toBeDefined();
  expect(String(lost!.error)).toMatch(/expected \{ alice: (80|90), bob: 10, carol: 20 \}/);
});

test('the transactional step passes every schedule', { timeout: 120_000 }, async () => {
  const queue = new MemoryQueue();
  queue.define('transfer', transferInStep(store));
  const report = await simulateRaces(queue, { ...race(queue), preemptions: 1, blockedAfterMs: 100 });
  expect(report.failed, String(report)).toBe(0);
  expect(report.schedules.length).toBeGreaterThan(2);
  // Somewhere the second transfer waited on the first's transaction.
  expect(report.schedules.some((s) => s.name.includes('blocked after')), report.schedules.map((s) => s.name).join('\n')).toBe(true);
});
