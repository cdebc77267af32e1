// Run by test/harness/vitest-lifecycle.test.ts in a nested Vitest: when
// describeSimulation's setup, clean run, scenarios and teardown happen
// relative to Vitest's hooks, that a dead-lettered job fails its tests, and
// that the real Date is back after the file without any afterEach.
import { appendFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { isVirtualClockInstalled, MemoryQueue } from '../../../runtime/index.js';
import { describeSimulation } from '../../../runtime/vitest.js';
import { importUser, signup, signupLog } from '../../../fixtures/jobs/signup.js';

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

test('a test that leaves the virtual clock installed', () => {
  new MemoryQueue();
  expect(isVirtualClockInstalled()).toBe(true);
});
