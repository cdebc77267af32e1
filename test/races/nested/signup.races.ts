// Run by test/races/describe-races.test.ts in a nested Vitest: the signup race as one test per schedule.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { MemoryQueue } from 'faultline';
import { describeRaces } from 'faultline/vitest';
import { openStore, type WorkflowStore } from 'faultline/workflow';
import { createCustomers, customerEmails, resetCustomers, signUp } from '../../../fixtures/jobs/signup-race.js';

const dir = mkdtempSync(path.join(tmpdir(), 'faultline-nested-races-'));
let store: WorkflowStore;
const queue = new MemoryQueue();

await describeRaces('signup', queue, {
  setup: async () => {
    store = await openStore(`sqlite:${path.join(dir, 'races.db')}`);
    await createCustomers(store);
    queue.define('signup', signUp(store));
  },
  teardown: async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  },
  reset: () => resetCustomers(store),
  start: async () => {
    await queue.enqueue('signup', { email: 'ada@example.com' }, { jobId: 'a' });
    await queue.enqueue('signup', { email: 'ada@example.com' }, { jobId: 'b' });
  },
  check: async () => expect(await customerEmails(store)).toEqual(['ada@example.com']),
});
