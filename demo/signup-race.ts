/**
 * Demo part four: a race. Two clicks enqueue the same signup, and the two
 * deliveries run at once. The naive check-then-create job
 * (fixtures/jobs/signup-race.ts) is correct run alone, but in the schedule
 * where both look before either creates there are two customers; the same
 * look-then-create as a workflow keyed by the email passes every schedule.
 * Both run on MemoryQueue with a real SQLite table.
 */
import { MemoryQueue, simulateRaces, type RaceReport } from 'faultline';
import type { WorkflowStore } from 'faultline/workflow';
import { createCustomers, customerEmails, resetCustomers, signUp, signUpOnce } from '../fixtures/jobs/signup-race.js';
import { DemoCheckError } from './checks.js';

const EMAIL = 'ada@example.com';

/** Explores every schedule of two deliveries of one signup, naive (`'naive'`) or keyed by the email (`'keyed'`). */
export async function simulateSignupRace(store: WorkflowStore, variant: 'naive' | 'keyed'): Promise<RaceReport> {
  await createCustomers(store);
  const queue = new MemoryQueue();
  if (variant === 'naive') queue.define('signup', signUp(store));
  // The second delivery finds the key taken (WorkflowLockedError, transient): retried, it finds the workflow finished.
  else queue.define('signup', signUpOnce(store), { attempts: 3, backoff: 1000 });
  return simulateRaces(queue, {
    reset: () => resetCustomers(store),
    start: async () => {
      await queue.enqueue('signup', { email: EMAIL }, { jobId: 'a' });
      await queue.enqueue('signup', { email: EMAIL }, { jobId: 'b' });
    },
    check: async () => {
      const customers = (await customerEmails(store)).filter((email) => email === EMAIL).length;
      if (customers !== 1) throw new DemoCheckError([`${customers} customers for ${EMAIL} after two clicks, expected 1`]);
    },
  });
}
