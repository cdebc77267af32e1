/**
 * The signup race from the outside: a consumer project installs the packed
 * tarball, instruments its plain-JS signup job with `node --import
 * faultline/register`, and explores it with `simulateRaces` on MemoryQueue
 * over a real SQLite table (`store.db`): the check-then-create job creates
 * two customers in some schedule, `runRace` replays that schedule from its
 * JSON, and the workflow keyed by email passes every schedule.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { packFaultline, repo } from './support.js';

let consumer: string;

const files: Record<string, string> = {
  'package.json': JSON.stringify({ name: 'races-consumer', private: true, type: 'module' }),
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
  mkdirSync(join(repo, '.tmp'), { recursive: true });
  consumer = mkdtempSync(join(repo, '.tmp', 'races-consumer-'));
  const tarball = packFaultline(consumer);
  const target = join(consumer, 'node_modules', 'faultline');
  mkdirSync(target, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', target, '--strip-components=1']);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(consumer, path, '..'), { recursive: true });
    writeFileSync(join(consumer, path), text);
  }
}, 300_000);

afterAll(() => rmSync(consumer, { recursive: true, force: true }));

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
