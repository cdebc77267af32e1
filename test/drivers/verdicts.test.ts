/**
 * Verdicts a user can trust (issue 11) on the real queues: a job left failed
 * fails its run with JobFailedError on BullMQ, pg-boss and the documented
 * table driver; leftover work gives every scenario the verdict it has alone;
 * and the issue's motivating workflow job passes every scenario because the
 * retry waits for the glitched attempt that still holds the lease.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { Glitch, JobFailedError, restoreRealClock, runScenario, simulate, type GlitchKind, type JobHandler, type SimulateOptions } from '../../runtime/index.js';
import type { JobDriver } from '../../runtime/harness/driver.js';
import { openStore, workflowJob, type WorkflowStore } from '../../workflow/index.js';
import { firesAndForgets, outbox, returnsPromise, startsTimer } from '../../fixtures/jobs/leftover.js';
import { importUser, signup, signupLog } from '../../fixtures/jobs/signup.js';
import { signupCustomer, type CustomerApi } from '../../fixtures/workflows/signup-customer.js';
import { bullmq, memory, pgboss, table, type DriverFactory, type DriverUnderTest, type JobSpec } from './factories.js';

afterEach(() => restoreRealClock());

const open: DriverUnderTest[] = [];
afterAll(async () => {
  for (const under of open) await under.close();
});
async function create(factory: DriverFactory, jobs: Record<string, JobSpec>): Promise<JobDriver> {
  const under = await factory.create(jobs);
  open.push(under);
  return under.driver;
}

const glitchFor = (name: string): Glitch => {
  const [kind, key] = name.split(' ') as [GlitchKind, string];
  return { 'before-line': Glitch.beforeLine, 'after-line': Glitch.afterLine, 'before-call': Glitch.beforeCall, 'before-return': Glitch.beforeReturn }[kind](key);
};

/**
 * Every scenario's verdict in the full simulation, and alone: reset, run that
 * one scenario, check — then real time for anything it left to die away.
 */
async function fullAndAlone(driver: JobDriver, options: SimulateOptions) {
  const report = await simulate(driver, options);
  expect(report.clean.passed).toBe(true);
  const full = Object.fromEntries(report.scenarios.map((s) => [s.name, s.passed]));
  const alone: Record<string, boolean> = {};
  for (const name of Object.keys(full)) {
    restoreRealClock();
    await sleep(60);
    await driver.clear();
    await options.reset?.();
    try {
      await options.check(await runScenario(driver, { glitch: glitchFor(name), start: options.start }));
      alone[name] = true;
    } catch {
      alone[name] = false;
    }
  }
  return { full, alone };
}

describe.each([bullmq, pgboss])('$label', (factory) => {
  const cases: { label: string; handler: JobHandler; expected: string[] }[] = [
    { label: 'a handler returning an un-awaited promise', handler: returnsPromise, expected: ['r'] },
    { label: 'a handler firing and forgetting', handler: firesAndForgets, expected: ['r', 'r:audit'] },
    { label: 'a handler starting a timer', handler: startsTimer, expected: ['r', 'r:late'] },
  ];

  test.each(cases)('leftover work, $label: every verdict in the full simulation equals its verdict alone', async ({ handler, expected }) => {
    const driver = await create(factory, { job: { handler, retry: { attempts: 3, backoff: 1000 } } });
    const { full, alone } = await fullAndAlone(driver, {
      reset: () => void (outbox.length = 0),
      start: () => driver.enqueue('job', { ref: 'r' }),
      check: () => expect([...outbox].sort()).toEqual([...expected].sort()),
    });
    expect(Object.keys(full).length).toBeGreaterThan(2);
    expect(full).toEqual(alone);
    if (handler === returnsPromise) expect(full['before-return fixtures/jobs/leftover.ts:returnsPromise']).toBe(false);
  });
});

describe.each([memory, bullmq, pgboss, table])('$label: a dead-lettered job', (factory) => {
  test('fails the clean run and every scenario with JobFailedError, even though check passes', async () => {
    const driver = await create(factory, { signup: { handler: signup }, import: { handler: importUser, retry: { attempts: 2, backoff: 1000 } } });
    const options: SimulateOptions = {
      reset: () => void (signupLog.length = 0),
      start: () => driver.enqueue('signup', { email: 'ada@example.com' }),
      check: () => {},
      kinds: ['before-line'],
    };
    const report = await simulate(driver, options);
    expect(report.clean.error).toBeInstanceOf(JobFailedError);
    expect(report.clean.error).toMatchObject({ jobName: 'import', attempts: 2 });
    expect(report.scenarios.length).toBeGreaterThan(1);
    expect(report.scenarios.map((s) => s.error instanceof JobFailedError)).toEqual(report.scenarios.map(() => true));
    const allowed = await simulate(driver, { ...options, allowFailedJobs: true });
    expect([allowed.clean.passed, allowed.failed]).toEqual([true, 0]);
  });
});

describe("the issue's motivating job: (job) => executeWorkflow(…) on SQLite", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'fl-verdicts-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each([memory, bullmq, pgboss])('$label: every scenario passes; the retry waits for the attempt still holding the lease', async (factory) => {
    const store: WorkflowStore = await openStore(`sqlite:${join(dir, `${factory.label.replace(/\W/g, '')}.db`)}`);
    const api: CustomerApi = { customers: [] };
    const run = signupCustomer(store, api);
    const driver = await create(factory, {
      signup: { handler: (job) => run(workflowJob(job) as Parameters<typeof run>[0]), retry: { attempts: 3, backoff: 1000 } },
    });
    try {
      const report = await simulate(driver, {
        reset: async () => {
          api.customers.length = 0;
          for (const t of ['faultline_entries', 'faultline_context', 'faultline_executions']) await store.db.deleteFrom(t as never).execute();
        },
        start: () => driver.enqueue('signup', { email: 'ada@example.com' }),
        check: () => expect(api.customers).toEqual(['ada@example.com']),
      });
      const names = report.scenarios.map((s) => s.name);
      expect(names).toContain('before-return fixtures/workflows/signup-customer.ts:anonymous@20');
      expect(report.scenarios.filter((s) => !s.passed).map((s) => `${s.name}: ${String(s.error)}`)).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
