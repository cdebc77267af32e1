/**
 * The signup race on MemoryQueue with a real SQLite table: check-then-create
 * run by two deliveries at once creates two customers in some schedule;
 * sequential schedules pass; the failing schedule replays; one seed, one
 * result; the workflow keyed by email passes every schedule (SQLite and
 * PostgreSQL).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { MemoryQueue, runRace, simulateRaces, type RaceReport } from 'faultline';
import { openStore, type WorkflowStore } from 'faultline/workflow';
import { createCustomers, customerEmails, resetCustomers, signUp, signUpInMemory, signUpOnce } from '../../fixtures/jobs/signup-race.js';
import { twoClicks } from './support.js';
import { makeTarget } from '../workflow/support/targets.js';

const dir = mkdtempSync(path.join(tmpdir(), 'faultline-races-'));
let store: WorkflowStore;
beforeAll(async () => {
  store = await openStore(`sqlite:${path.join(dir, 'races.db')}`);
  await createCustomers(store);
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});


const oneCustomer = async () => expect(await customerEmails(store)).toEqual(['ada@example.com']);

describe('check-then-create signup', () => {
  const queue = new MemoryQueue();
  let report: RaceReport;
  beforeAll(async () => {
    queue.define('signup', signUp(store));
    report = await simulateRaces(queue, { reset: () => resetCustomers(store), start: twoClicks(queue), check: oneCustomer });
  });

  test('some schedule creates two customers, and the report names it', () => {
    const failing = report.schedules.filter((s) => !s.passed);
    expect(failing.length).toBeGreaterThan(0);
    expect(report.complete).toBe(true);
    // Both look before either creates: a switch right after the look.
    expect(failing.map((s) => s.name)).toContain('signup#a at signup-race.ts:33 → signup#b to the end → signup#a to the end');
    const text = String(report);
    expect(text).toMatch(/✗ signup#a at signup-race.ts:33 → signup#b to the end → signup#a to the end/);
    expect(text).toMatch(/1\. signup#a: start → signup-race.ts:33\n\s+2\. signup#b: start → end\n\s+3\. signup#a: signup-race.ts:33 → end/);
    const index = report.schedules.findIndex((s) => s.name === 'signup#a at signup-race.ts:33 → signup#b to the end → signup#a to the end');
    expect(text).toContain(`replay: runRace(driver, { start, schedule: report.schedules[${index}].schedule })`);
  });

  test('the sequential schedules pass', () => {
    const sequential = report.schedules.filter((s) => s.preemptions === 0);
    expect(sequential.map((s) => s.name)).toEqual(['signup#a to the end → signup#b to the end', 'signup#b to the end → signup#a to the end']);
    expect(sequential.every((s) => s.passed)).toBe(true);
  });

  test('runRace of the failing schedule reproduces it', async () => {
    const failing = report.schedules.find((s) => !s.passed)!;
    await resetCustomers(store);
    const run = await runRace(queue, { start: twoClicks(queue), schedule: JSON.parse(JSON.stringify(failing.schedule)) });
    expect(await customerEmails(store)).toEqual(['ada@example.com', 'ada@example.com']);
    expect(run.name).toBe(failing.name);
    expect(run.performed).toHaveLength(2);
  });

  test('two explorations with one seed give the same schedules and verdicts', async () => {
    const again = await simulateRaces(queue, { reset: () => resetCustomers(store), start: twoClicks(queue), check: oneCustomer, seed: 0 });
    expect(again.schedules.map((s) => [s.name, s.passed, s.schedule])).toEqual(report.schedules.map((s) => [s.name, s.passed, s.schedule]));
  });
});

describe('the fix: a workflow keyed by email', () => {
  test('passes every schedule on SQLite', async () => {
    const queue = new MemoryQueue();
    // The second delivery finds the key taken (WorkflowLockedError, transient): retried a second later, it finds it finished.
    queue.define('signup', signUpOnce(store), { attempts: 3, backoff: 1000 });
    const report = await simulateRaces(queue, { reset: () => resetCustomers(store), start: twoClicks(queue), check: oneCustomer });
    expect(report.failed, String(report)).toBe(0);
    expect(report.complete).toBe(true);
    expect(report.schedules.length).toBeGreaterThan(2);
  });
});

describe('on PostgreSQL (real I/O inside the jobs)', () => {
  /** Runs `body` against a fresh store on the run's Postgres server, with the customers table made. */
  async function onPostgres(body: (db: WorkflowStore) => Promise<void>): Promise<void> {
    const target = await makeTarget('postgres', inject('postgresUrl'));
    const db = await target.open();
    try {
      await createCustomers(db);
      await body(db);
    } finally {
      await db.close();
      await target.dispose();
    }
  }

  test('the check-then-create signup: the sequential schedules pass, and a racing one creates two customers', { timeout: 120_000 }, () =>
    onPostgres(async (db) => {
      const queue = new MemoryQueue();
      queue.define('signup', signUp(db));
      const report = await simulateRaces(queue, {
        reset: () => resetCustomers(db),
        start: twoClicks(queue),
        check: async () => expect(await customerEmails(db)).toHaveLength(1),
        // Nothing here waits on a lock, but a commit on a loaded machine can take seconds: it must not pass for blocking.
        blockedAfterMs: 60_000,
      });
      expect(report.schedules.filter((s) => s.preemptions === 0).map((s) => s.passed)).toEqual([true, true]);
      const racing = report.schedules.find((s) => s.name === 'signup#b at signup-race.ts:33 → signup#a to the end → signup#b to the end');
      expect(racing?.passed, String(report)).toBe(false);
      expect(String(racing?.error)).toMatch(/length of 1 but got 2/);
    }));

  test('the workflow keyed by email passes every schedule', { timeout: 120_000 }, () =>
    onPostgres(async (db) => {
      const queue = new MemoryQueue();
      queue.define('signup', signUpOnce(db), { attempts: 3, backoff: 1000 });
      const report = await simulateRaces(queue, {
        reset: () => resetCustomers(db),
        start: twoClicks(queue),
        check: async () => expect(await customerEmails(db)).toEqual(['ada@example.com']),
        blockedAfterMs: 60_000,
      });
      expect(report.failed, String(report)).toBe(0);
      expect(report.complete).toBe(true);
      expect(report.schedules.length).toBeGreaterThan(2);
    }));
});

describe('check-then-create over an in-memory table (the bench row of the scheduler\'s own rate)', () => {
  test('races as the SQLite one does: the same schedules, and the look-then-switch one creates a duplicate', async () => {
    const customers = new Map<string, number>();
    const queue = new MemoryQueue();
    queue.define('signup', signUpInMemory(customers));
    const report = await simulateRaces(queue, {
      reset: async () => customers.clear(),
      start: twoClicks(queue),
      check: () => expect(customers.get('ada@example.com')).toBe(1),
    });
    expect(report.complete).toBe(true);
    const sqlite = new MemoryQueue();
    sqlite.define('signup', signUp(store));
    const onSqlite = await simulateRaces(sqlite, { reset: () => resetCustomers(store), start: twoClicks(sqlite), check: oneCustomer });
    const shape = (r: RaceReport) => r.schedules.map((s) => `${s.name.replaceAll(/signup-race\.ts:\d+/g, 'line')} ${s.passed}`);
    expect(shape(report)).toEqual(shape(onSqlite));
    const racing = report.schedules.find((s) => s.name === 'signup#a at signup-race.ts:59 → signup#b to the end → signup#a to the end');
    expect(racing?.passed, String(report)).toBe(false);
    expect(String(racing?.error)).toMatch(/expected 2 to be 1/);
  });
});
