/**
 * Faults and races from the outside: a consumer project installs the packed
 * tarball and instruments its plain-JS jobs with `node --import
 * faultline/register`.
 * - Faults: a withdraw job gets `.raise()` (an instance, a class, a factory)
 *   retried on the job's own backoff, `.run()` (sync, async, throwing)
 *   injecting a rival deposit between its read and its write, and bad input
 *   refused with `GlitchFaultError`.
 * - Races: `simulateRaces` on MemoryQueue over a real SQLite table
 *   (`store.db`): the check-then-create signup creates two customers in some
 *   schedule, `runRace` replays that schedule from its JSON, and the workflow
 *   keyed by email passes every schedule, crash variants included.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { unpackedConsumer } from './support.js';

let consumer: string;

const files: Record<string, string> = {
  'package.json': JSON.stringify({ name: 'races-consumer', private: true, type: 'module' }),
  'jobs/account.js': `export const account = { balance: 100 };
export async function withdraw(job) {
  const before = account.balance;
  account.balance = before - job.data.amount;
}
`,
  'faults.js': `import { Glitch, GlitchFaultError, GlitchRunError, JobFailedError, MemoryQueue, runScenario, TransientError } from 'faultline';
import { account, withdraw } from './jobs/account.js';

class RateLimitError extends Error { name = 'RateLimitError'; }
const write = () => Glitch.beforeLine('jobs/account.js:4');
const scenario = async (glitch, attempts = 1) => {
  account.balance = 100;
  const queue = new MemoryQueue();
  queue.define('withdraw', withdraw, { attempts, backoff: 5000 });
  const run = await runScenario(queue, { glitch, start: () => queue.enqueue('withdraw', { amount: 10 }) }).catch((error) => error);
  const performed = (run.performed ?? run.run?.performed ?? []).map((p) => ({
    outcome: p.outcome,
    at: p.ranAt.getTime() - queue.performed[0].ranAt.getTime(),
    error: p.error ? { rateLimit: p.error instanceof RateLimitError, transient: p.error instanceof TransientError, message: p.error.message } : undefined,
  }));
  return { fault: glitch.fault, executed: glitch.executed, performed, balance: account.balance, rejected: run instanceof Error ? run.constructor.name : undefined, cause: run?.cause?.message };
};
const instance = new RateLimitError('HTTP 429');
const refused = (make) => { try { make(); return 'accepted'; } catch (error) { return error instanceof GlitchFaultError ? error.message : String(error); } };
const rival = () => { account.balance += 50; };
console.log(JSON.stringify({
  raise: {
    instance: await scenario(write().raise(instance), 2),
    class: await scenario(write().raise(RateLimitError), 2),
    factory: await scenario(write().raise(() => new RateLimitError('from factory')), 2),
    noAttemptsLeft: await scenario(write().raise(RateLimitError)),
  },
  run: {
    sync: await scenario(write().run(rival)),
    async: await scenario(write().run(async () => { await new Promise((resolve) => setTimeout(resolve, 10)); rival(); })),
    throws: await scenario(write().run(() => { throw new RangeError('rival broke'); })),
  },
  failedIsJobFailed: JobFailedError.name,
  runErrorName: GlitchRunError.name,
  bad: {
    twice: refused(() => write().crash().raise(instance)),
    notAnError: refused(() => write().raise('boom')),
    notAFunction: refused(() => write().run('code')),
  },
}));
`,
  'jobs/signup.js': `import { executeWorkflow } from 'faultline/workflow';
export const signUp = (store) => async (job) => {
  const existing = await store.db.selectFrom('customers').select('id').where('email', '=', job.data.email).executeTakeFirst();
  if (existing) return;
  await store.db.insertInto('customers').values({ email: job.data.email }).execute();
};
export const signUpOnce = (store) => (job) =>
  executeWorkflow({ store, job, uniqueBy: job.data.email }, (w) => {
    w.step('customer', async () => {
      const existing = await store.db.selectFrom('customers').select('id').where('email', '=', job.data.email).executeTakeFirst();
      if (!existing) await store.db.insertInto('customers').values({ email: job.data.email }).execute();
    });
  });
`,
  'races.js': `import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryQueue, runRace, simulateRaces, StaleScheduleError } from 'faultline';
import { openStore } from 'faultline/workflow';
import { signUp, signUpOnce } from './jobs/signup.js';

const store = await openStore('sqlite:' + join(mkdtempSync(join(tmpdir(), 'races-consumer-')), 'app.db'));
await store.db.schema.createTable('customers').addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement()).addColumn('email', 'text').execute();
const emails = async () => (await store.db.selectFrom('customers').select('email').execute()).map((row) => row.email);
const reset = async () => { await store.db.deleteFrom('customers').execute(); await store.deleteAll(); };

async function explore(handler, attempts, extra = {}, backoff = 1000) {
  const queue = new MemoryQueue();
  queue.define('signup', handler(store), { attempts, backoff });
  const start = async () => {
    await queue.enqueue('signup', { email: 'ada@example.com' }, { jobId: 'a' });
    await queue.enqueue('signup', { email: 'ada@example.com' }, { jobId: 'b' });
  };
  const check = async () => { const got = await emails(); if (got.length !== 1) throw new Error(got.length + ' customers'); };
  const report = await simulateRaces(queue, { reset, start, check, ...extra });
  return { queue, start, report };
}

const naive = await explore(signUp, 1);
const failing = naive.report.schedules.find((s) => !s.passed);
await reset();
await runRace(naive.queue, { start: naive.start, schedule: JSON.parse(JSON.stringify(failing.schedule)) });
const replayed = await emails();
const stale = await runRace(naive.queue, { start: naive.start, schedule: { version: 1, steps: [{ run: 'signup#a', at: 'jobs/signup.js:99' }] } }).catch((e) => e);
const fixed = await explore(signUpOnce, 3);
// Crashes at the switch points: the other delivery's retries outlast the crashed one's lease.
const crashed = await explore(signUpOnce, 5, { faults: ['crash'] }, 10000);
await store.close();
console.log(JSON.stringify({
  naive: naive.report.schedules.map((s) => [s.name, s.passed]),
  text: String(naive.report),
  replayed,
  stale: stale instanceof StaleScheduleError,
  fixed: { failed: fixed.report.failed, total: fixed.report.schedules.length },
  crashed: { failed: crashed.report.failed, variants: crashed.report.schedules.filter((s) => s.schedule.fault?.fault === 'crash').length },
}));
`,
};

beforeAll(() => {
  consumer = unpackedConsumer('races-consumer-', files);
}, 300_000);

afterAll(() => rmSync(consumer, { recursive: true, force: true }));

test('a packed install raises a chosen error on the job\'s own backoff and runs a rival write at a point', () => {
  const stdout = execFileSync('node', ['--import', 'faultline/register', 'faults.js'], {
    cwd: consumer,
    encoding: 'utf8',
    env: { ...process.env, FAULTLINE_INCLUDE: 'jobs/**' },
    timeout: 60_000,
  });
  const result = JSON.parse(stdout.trim().split('\n').at(-1)!);
  const retried = (message: string) => ({
    fault: 'raise',
    executed: true,
    performed: [
      { outcome: 'failed', at: 0, error: { rateLimit: true, transient: false, message } },
      { outcome: 'completed', at: 5000 },
    ],
    balance: 90,
  });
  expect(result.raise.instance).toEqual(retried('HTTP 429'));
  expect(result.raise.class).toEqual(retried(''));
  expect(result.raise.factory).toEqual(retried('from factory'));
  expect(result.raise.noAttemptsLeft).toMatchObject({ rejected: result.failedIsJobFailed, performed: [{ outcome: 'failed', error: { rateLimit: true } }] });
  // The rival deposit lands between the read and the write, and is lost: what a run fault is for finding.
  expect(result.run.sync).toEqual({ fault: 'run', executed: true, performed: [{ outcome: 'completed', at: 0 }], balance: 90 });
  // An async fn's synchronous part runs at the point; its rest runs alongside the job (the README says so): the deposit lands after the write.
  expect(result.run.async).toEqual({ ...result.run.sync, balance: 140 });
  expect(result.run.throws).toMatchObject({ rejected: result.runErrorName, cause: 'rival broke', performed: [{ outcome: 'completed' }] });
  expect(result.bad.twice).toMatch(/already has the fault "crash"/);
  expect(result.bad.notAnError).toMatch(/got the string "boom"/);
  expect(result.bad.notAFunction).toMatch(/run/);
});

test('a packed install finds the signup race, replays it, and passes the keyed workflow, with crash faults too', () => {
  const stdout = execFileSync('node', ['--import', 'faultline/register', 'races.js'], {
    cwd: consumer,
    encoding: 'utf8',
    env: { ...process.env, FAULTLINE_INCLUDE: 'jobs/**' },
    timeout: 120_000,
  });
  const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
    naive: [string, boolean][];
    text: string;
    replayed: string[];
    stale: boolean;
    fixed: { failed: number; total: number };
    crashed: { failed: number; variants: number };
  };
  expect(result.naive).toContainEqual(['signup#a to the end → signup#b to the end', true]);
  expect(result.naive).toContainEqual(['signup#a at signup.js:3 → signup#b to the end → signup#a to the end', false]);
  expect(result.text).toMatch(/✗ signup#a at signup.js:3 → signup#b to the end → signup#a to the end\n\s+why: Error: 2 customers/);
  expect(result.replayed).toEqual(['ada@example.com', 'ada@example.com']);
  expect(result.stale).toBe(true);
  expect(result.fixed.failed).toBe(0);
  expect(result.fixed.total).toBeGreaterThan(2);
  expect(result.crashed.variants).toBeGreaterThan(0);
  expect(result.crashed.failed).toBe(0);
});
