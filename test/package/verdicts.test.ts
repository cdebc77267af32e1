/**
 * Issue 11's false verdicts, reproduced from the outside: a fresh consumer
 * project installs the packed tarball, instruments its own plain-JS jobs with
 * `node --import faultline/register`, and simulates them on MemoryQueue,
 * BullMQ and pg-boss. A job leaving work running gets, in the full
 * simulation, the same verdict per scenario as each scenario run alone; a
 * dead-lettered job fails with JobFailedError although `check` passes.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { unpackedConsumer } from './support.js';

let consumer: string;

const files: Record<string, string> = {
  'package.json': JSON.stringify({ name: 'verdicts-consumer', private: true, type: 'module' }),
  'jobs/leftover.js': `import { setTimeout as sleep } from 'node:timers/promises';
export const outbox = [];
export async function post(ref, ms) {
  await sleep(ms);
  outbox.push(ref);
}
// The README's handler shape: the post's promise returned, not awaited. A first attempt's post is slow.
export const signupCustomer = (job) => post(job.data.ref, job.attempt === 1 ? 40 : 5);
export async function audited(job) {
  post(job.data.ref + ':audit', 15).catch(() => {});
  outbox.push(job.data.ref);
}
export function reminded(job) {
  setTimeout(outbox.push.bind(outbox, job.data.ref + ':late'), 15);
  outbox.push(job.data.ref);
}
`,
  'jobs/signup.js': `export const log = [];
export async function signup(job) {
  log.push('welcome ' + job.data.email);
  await job.queue.enqueue('import', job.data);
}
export function importUser(job) {
  throw new Error('UNIQUE constraint failed: users.email (' + job.data.email + ')');
}
`,
  'verdicts.js': `import { setTimeout as sleep } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import { Glitch, JobFailedError, MemoryQueue, restoreRealClock, runScenario, simulate } from 'faultline';
import { audited, outbox, reminded, signupCustomer } from './jobs/leftover.js';
import { importUser, log, signup } from './jobs/signup.js';

const [driverName] = process.argv.slice(2);
const handlers = { signupCustomer, audited, reminded, signup, import: importUser };
const expected = { signupCustomer: ['r'], audited: ['r', 'r:audit'], reminded: ['r', 'r:late'] };
const closers = [];

/** A driver running the given jobs (MemoryQueue-style handlers), each with 3 attempts 1 s apart. */
async function driverFor(names) {
  if (driverName === 'memory') {
    const queue = new MemoryQueue();
    for (const name of names) queue.define(name, handlers[name], { attempts: name === 'signup' ? 1 : name === 'import' ? 2 : 3, backoff: 1000 });
    return queue;
  }
  const attempts = (name) => (name === 'signup' ? 1 : name === 'import' ? 2 : 3);
  let driver;
  const context = (job) => ({ ...job, queue: { enqueue: (...args) => driver.enqueue(...args) } });
  if (driverName === 'bullmq') {
    const { bullmqDriver } = await import('faultline/bullmq');
    const { hostname, port } = new URL(process.env.REDIS_URL);
    driver = bullmqDriver({
      connection: { host: hostname, port: Number(port), maxRetriesPerRequest: null },
      prefix: 'consumer-' + randomUUID(),
      queues: Object.fromEntries(names.map((name) => [name, {
        processor: (job) => handlers[name](context({ id: job.id, name: job.name, data: job.data, attempt: job.attemptsMade + 1 })),
        defaultJobOptions: { attempts: attempts(name), backoff: 1000 },
      }])),
    });
    closers.push(() => driver.close());
    return driver;
  }
  const { default: PgBoss } = await import('pg-boss');
  const { pgBossDriver } = await import('faultline/pg-boss');
  const schema = 'consumer_' + randomUUID().replaceAll('-', '').slice(0, 12);
  const boss = new PgBoss({ connectionString: process.env.POSTGRES_URL, schema, supervise: false, schedule: false, max: 4 });
  boss.on('error', () => {});
  await boss.start();
  for (const name of names) await boss.createQueue(name, { name, retryLimit: attempts(name) - 1, retryDelay: 1 });
  driver = pgBossDriver({
    boss, schema,
    handlers: Object.fromEntries(names.map((name) => [name, ([job]) => handlers[name](context({ id: job.id, name: job.name, data: job.data, attempt: job.retryCount + 1 }))])),
  });
  closers.push(async () => { await boss.getDb().executeSql('DROP SCHEMA ' + schema + ' CASCADE', []); await boss.stop({ graceful: false }); });
  return driver;
}

const glitchFor = (name) => {
  const [kind, key] = name.split(' ');
  return { 'before-line': Glitch.beforeLine, 'before-call': Glitch.beforeCall, 'before-return': Glitch.beforeReturn }[kind](key);
};

const result = { leftover: {}, deadLetter: {} };
for (const job of Object.keys(expected)) {
  const driver = await driverFor([job]);
  const options = {
    reset: () => void (outbox.length = 0),
    start: () => driver.enqueue(job, { ref: 'r' }),
    check: () => {
      const got = JSON.stringify([...outbox].sort());
      if (got !== JSON.stringify([...expected[job]].sort())) throw new Error('outbox ' + got);
    },
  };
  const report = await simulate(driver, options);
  const full = Object.fromEntries(report.scenarios.map((s) => [s.name, s.passed]));
  const alone = {};
  for (const name of Object.keys(full)) {
    restoreRealClock();
    await sleep(60);
    await driver.clear();
    await options.reset();
    try {
      await options.check(await runScenario(driver, { glitch: glitchFor(name), start: options.start }));
      alone[name] = true;
    } catch {
      alone[name] = false;
    }
  }
  result.leftover[job] = { clean: report.clean.passed, full, alone };
}

const driver = await driverFor(['signup', 'import']);
const report = await simulate(driver, {
  reset: () => void (log.length = 0),
  start: () => driver.enqueue('signup', { email: 'ada@example.com' }),
  check: () => {},
  kinds: ['before-line'],
});
result.deadLetter = {
  clean: report.clean.error instanceof JobFailedError ? report.clean.error.message : String(report.clean.error),
  scenarios: report.scenarios.map((s) => s.error instanceof JobFailedError),
  text: String(report),
};
for (const close of closers) await close();
console.log(JSON.stringify(result));
`,
};

beforeAll(() => {
  consumer = unpackedConsumer('verdicts-consumer-', files);
}, 300_000);

afterAll(() => rmSync(consumer, { recursive: true, force: true }));

interface Result {
  leftover: Record<string, { clean: boolean; full: Record<string, boolean>; alone: Record<string, boolean> }>;
  deadLetter: { clean: string; scenarios: boolean[]; text: string };
}

test.each(['memory', 'bullmq', 'pg-boss'])('%s: leftover work gives every scenario its verdict alone; a dead-lettered job fails with JobFailedError', (driver) => {
  const stdout = execFileSync('node', ['--import', 'faultline/register', 'verdicts.js', driver], {
    cwd: consumer,
    encoding: 'utf8',
    env: { ...process.env, FAULTLINE_INCLUDE: 'jobs/**', REDIS_URL: inject('redisUrl'), POSTGRES_URL: inject('postgresUrl') },
    timeout: 120_000,
  });
  const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as Result;
  for (const [job, { clean, full, alone }] of Object.entries(result.leftover)) {
    expect({ job, clean }).toEqual({ job, clean: true });
    expect(Object.keys(full).length).toBeGreaterThan(2);
    expect({ job, verdicts: full }).toEqual({ job, verdicts: alone });
  }
  // The glitched first attempt's slow post lands too: the duplicate is the truth, seen only if the retry waits for it.
  expect(result.leftover.signupCustomer!.full['before-return jobs/leftover.js:signupCustomer']).toBe(false);
  expect(result.deadLetter.clean).toMatch(/^Job import#?\S* failed for good after 2 attempts \(not retried\): Error: UNIQUE constraint failed/);
  expect(result.deadLetter.scenarios.length).toBeGreaterThan(1);
  expect(result.deadLetter.scenarios.every(Boolean)).toBe(true);
  expect(result.deadLetter.text).toContain('why: JobFailedError');
});
