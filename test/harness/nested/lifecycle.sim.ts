// Run by test/harness/vitest-lifecycle.test.ts in a nested Vitest: when
// describeSimulation's setup, clean run, scenarios and teardown happen
// relative to Vitest's hooks, that a dead-lettered job fails its tests, and
// that the real Date is back after the file without any afterEach.
import { appendFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { MemoryQueue } from '../../../runtime/index.js';
import { isVirtualClockInstalled } from '../../../runtime/harness/clock.js';
import { describeSimulation } from '../../../runtime/harness/vitest.js';
import { openStore, type WorkflowStore } from '../../../workflow/index.js';
import { balance, resetBank } from '../../../fixtures/jobs/bank.js';
import { importUser, signup, signupLog } from '../../../fixtures/jobs/signup.js';
import { transferSafe } from '../../../fixtures/jobs/transfer-safe.js';

const log = (line: string) => appendFileSync(process.env.FAULTLINE_LIFECYCLE_LOG!, `${line}\n`);

// Registered first, so it runs after every other after-hook of the file.
afterAll(() => log(`after the file: virtual clock installed ${isVirtualClockInstalled()}`));
beforeAll(() => log('beforeAll'));

// The queue installs the virtual clock at collection, and no test here restores it.
const queue = new MemoryQueue().define('signup', signup).define('import', importUser, { attempts: 2 });

let resets = 0;
await describeSimulation('dead-lettered import', queue, {
  setup: () => log('setup'),
  teardown: () => log('teardown'),
  reset: () => {
    log(resets++ === 0 ? 'reset (clean run)' : 'reset (scenario)');
    signupLog.length = 0;
  },
  start: () => queue.enqueue('signup', { email: 'ada@example.com' }),
  check: () => {},
  sample: 2,
});

await describeSimulation('allowed to fail', queue, {
  start: () => queue.enqueue('signup', { email: 'bob@example.com' }),
  check: () => expect(signupLog).toContain('welcome bob@example.com'),
  allowFailedJobs: true,
  sample: 1,
});

// The README's shape: what the runs need is made in setup (before the clean run, at collection) and closed in teardown.
const transfers = new MemoryQueue().define('transfer', transferSafe);
const dbFile = join(tmpdir(), `faultline-lifecycle-${process.pid}.db`);
const resetStore = async (store: WorkflowStore) => {
  await store.db.schema.createTable('audit').ifNotExists().addColumn('note', 'text').execute();
  await store.db.deleteFrom('audit').execute();
  resetBank({ alice: 100, bob: 0 });
};
const start = () => transfers.enqueue('transfer', { transferId: 't-1', from: 'alice', to: 'bob', amount: 10 });
const check = () => expect(balance('bob')).toBe(10);

let store: WorkflowStore;
await describeSimulation('transfer', transfers, {
  setup: async () => (store = await openStore(`sqlite:${dbFile}`)),
  teardown: () => store.close(),
  reset: () => resetStore(store),
  start, check,
  sample: 2,
});
// File level, so after the block's teardown closed the store.
afterAll(() => {
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${dbFile}${suffix}`, { force: true });
});

test('a test that leaves the virtual clock installed', () => {
  new MemoryQueue();
  expect(isVirtualClockInstalled()).toBe(true);
});
